//! A Terraform plugin protocol 6 server for Rust providers.
//!
//! Knows nothing about any particular API: it speaks go-plugin's handshake
//! with AutoMTLS, serves the `tfplugin6.Provider` gRPC service, encodes
//! values (msgpack and JSON, with unknowns and exact numbers), derives
//! schemas from model types, and drives typed [`Resource`]s and
//! [`DataSource`]s through Terraform's plan and apply rules.

pub mod attr;
pub mod diagnostics;
pub mod logging;
pub mod plan;
pub mod resource;
pub mod schema;
pub mod server;
pub mod value;

pub use attr::Attr;
pub use diagnostics::{AttrPath, Diagnostic, Diagnostics, Severity};
pub use resource::{
    AnyDataSource, AnyResource, DataSource, Model, PlanRequest, Provider, Resource,
};
pub use schema::Schema;
/// Cancelled when Terraform asks the provider to stop (StopProvider).
pub use tokio_util::sync::CancellationToken;
pub use value::{Type, Value};

pub mod proto {
    #![allow(clippy::all, missing_docs)]
    pub mod tfplugin6 {
        tonic::include_proto!("tfplugin6");
    }
    pub mod plugin {
        tonic::include_proto!("plugin");
    }
}
