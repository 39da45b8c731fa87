//! terraform-provider-autopilot: Windows Autopilot through Microsoft Graph.
//!
//! `config` reads the provider block, `graph` is the one client every Graph
//! call goes through, `resources` holds one module per resource type,
//! `registry` lists the types and what each declares about itself,
//! `export` writes a live tenant as configuration, and `list_resources`
//! serves `terraform query`.

pub mod actions;
pub mod config;
pub mod data_sources;
pub mod devices;
pub mod export;
pub mod functions;
pub mod graph;
pub mod list_resources;
pub mod payloads;
pub mod registry;
pub mod resources;
#[cfg(test)]
mod test_support;
pub mod validate;

use std::sync::Arc;

use async_trait::async_trait;
use tfplugin::{
    AnyAction, AnyDataSource, AnyListResource, AnyResource, CancellationToken, Diagnostics,
    Function, Provider, Schema, Value,
};

pub use config::ProviderConfig;
pub use graph::GraphClient;

/// The provider's source address.
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/autopilot-iac/autopilot";

/// The `autopilot` provider.
pub struct AutopilotProvider;

#[async_trait]
impl Provider for AutopilotProvider {
    type Config = ProviderConfig;
    type Client = GraphClient;

    fn type_name(&self) -> &'static str {
        "autopilot"
    }

    fn validate(&self, config: &ProviderConfig, diags: &mut Diagnostics) {
        config.validate(diags);
    }

    async fn configure(
        &self,
        config: ProviderConfig,
        terraform_version: &str,
        stop: CancellationToken,
        diags: &mut Diagnostics,
    ) -> Option<GraphClient> {
        tracing::debug!(terraform_version, "configuring the provider");
        let settings = config.resolve(diags)?;
        let device_code = matches!(
            settings.credential,
            graph::credentials::Credential::DeviceCode { .. }
        );
        let client = match GraphClient::new(settings) {
            Ok(client) => client.with_stop(stop),
            Err(e) => {
                diags.error("Cannot create the Graph client", e.to_string());
                return None;
            }
        };
        // Terraform shows diagnostics, not the provider's output: the
        // device code sign-in's prompt is an error of the configuration.
        if device_code && let Err(e) = client.sign_in().await {
            diags.error("Sign-in required", e.to_string());
            return None;
        }
        Some(client)
    }

    fn resources(&self) -> Vec<Arc<dyn AnyResource<GraphClient>>> {
        registry::managed_types()
            .into_iter()
            .map(|managed| managed.resource)
            .collect()
    }

    fn data_sources(&self) -> Vec<Arc<dyn AnyDataSource<GraphClient>>> {
        registry::read_types()
            .into_iter()
            .map(|read| read.data_source)
            .collect()
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        functions::all()
    }

    fn list_resources(&self) -> Vec<Arc<dyn AnyListResource<GraphClient>>> {
        list_resources::all()
    }

    /// What `export` writes for the state, as a value: the same attributes
    /// left out, so both ways of generating configuration plan empty.
    fn generate_resource_config(
        &self,
        type_name: &str,
        schema: &Schema,
        state: &Value,
        diags: &mut Diagnostics,
    ) -> Value {
        list_resources::generated_config(type_name, schema, state, diags)
    }

    fn actions(&self) -> Vec<Arc<dyn AnyAction<GraphClient>>> {
        actions::all()
    }
}
