//! A provider built on `tfplugin` whose resources echo their configuration into state.
//!
//! It exists to check `tfplugin` against Terraform itself: its schema covers every shape a
//! provider uses (strings, exact numbers, bools; lists, sets and maps of each; single, list
//! and set nested blocks; optional + computed attributes, defaults, sensitive and force-new
//! attributes), and its models go through the same derivation, generic planner and codec as
//! the Autopilot provider's. Whatever Terraform sends, a correct plugin plans it, applies it,
//! and plans no change afterwards; `acceptance-tests/tests/acceptance/conformance.rs` generates
//! configurations to check that on every Terraform version the suite runs.
//!
//! - `conformance_echo`: every shape, echoed; `id` and `derived` are computed.
//! - `conformance_source`: computed values of every type (string, number, bool, list, set,
//!   map) derived from its `seed`, unknown until apply: the references that make other
//!   resources' configuration partly unknown at plan time.

mod echo;
mod source;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::{AnyDataSource, AnyResource, CancellationToken, Diagnostics, Provider};

pub use echo::{Echo, EchoResource, Member, Rule, Settings};
pub use source::{Source, SourceResource};

/// The provider's source address.
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/autopilot-iac/conformance";

/// The provider block: nothing to configure.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Config {}

/// What a configured provider hands its resources: a counter for unique ids.
#[derive(Debug, Default)]
pub struct Ids(AtomicU64);

impl Ids {
    /// A new id, unique within the process and across processes (the pid is part of it).
    pub fn next(&self, prefix: &str) -> String {
        let n = self.0.fetch_add(1, Ordering::Relaxed);
        format!("{prefix}-{}-{n}", std::process::id())
    }
}

/// The conformance provider.
pub struct ConformanceProvider;

#[async_trait]
impl Provider for ConformanceProvider {
    type Config = Config;
    type Client = Ids;

    fn type_name(&self) -> &'static str {
        "conformance"
    }

    async fn configure(
        &self,
        _config: Config,
        _terraform_version: &str,
        _stop: CancellationToken,
        _diags: &mut Diagnostics,
    ) -> Option<Ids> {
        Some(Ids::default())
    }

    fn resources(&self) -> Vec<Arc<dyn AnyResource<Ids>>> {
        vec![Arc::new(EchoResource), Arc::new(SourceResource)]
    }

    fn data_sources(&self) -> Vec<Arc<dyn AnyDataSource<Ids>>> {
        Vec::new()
    }
}
