//! `autopilot-lab`: an emulated Microsoft Graph tenant for Windows Autopilot.
//!
//! It serves, on one HTTP listener, the Entra token endpoint (client credentials), the Graph
//! paths the Terraform provider uses (`/beta/...`, `/v1.0/...`) and a control API (`/_lab/...`)
//! for tests. It behaves like Graph, including its error shapes, so a client that passes against
//! the lab works against a real tenant.
//!
//! Code map:
//! * [`server`] binds, routes and serves; [`LabServer`], [`LabHandle`], [`ReadyInfo`].
//! * [`config`]: [`LabConfig`] and the documented default credentials.
//! * [`auth`]: token endpoint, client authentication, issued tokens, the bearer check.
//! * [`graph`]: path resolution, OData query options and the schema model, one module per
//!   collection ([`graph::device_configurations`]) and shared assignment targets.
//! * [`store`]: the tenant ([`store::Tenant`], one typed collection per Graph collection) and its
//!   state file.
//! * [`errors`]: Graph's error body, including Intune's wrapped message.
//! * [`control`]: the `/_lab/` API; [`request_log`]: what it reports.
//!
//! ```no_run
//! # async fn demo() -> Result<(), autopilot_lab::LabError> {
//! let lab = autopilot_lab::spawn(autopilot_lab::LabConfig::default()).await?;
//! println!("graph at {}", lab.info().graph_url);
//! lab.shutdown().await
//! # }
//! ```

pub mod app;
pub mod auth;
pub mod clock;
pub mod config;
pub mod context;
pub mod control;
pub mod errors;
pub mod faults;
pub mod graph;
pub mod net;
pub mod request_log;
pub mod seed;
pub mod server;
pub mod settings;
pub mod store;
pub mod sync;
pub mod throttle;
pub mod tls;

pub use config::LabConfig;
pub use server::{LabError, LabHandle, LabServer, ReadyInfo, spawn};
