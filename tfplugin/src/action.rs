//! Actions (protocol 6.10, Terraform 1.14 and later): operations on the
//! remote side that are not resources, run with `terraform apply
//! -invoke=action.<type>.<name>` or from a resource's `lifecycle {
//! action_trigger { ... } }`. An [`Action`] has a typed configuration model
//! (its schema derived like a resource's), checks it offline
//! ([`validate`](Action::validate)) and at plan time
//! ([`plan`](Action::plan)), and runs ([`invoke`](Action::invoke)) while
//! sending [`Progress`] messages that Terraform prints as they come.
//! Terraform older than 1.14 never asks for actions.

use async_trait::async_trait;
use tokio::sync::mpsc;

use crate::diagnostics::Diagnostics;
use crate::resource::{Model, collapse_partial_unknowns, decode as decode_model};
use crate::schema::{Schema, SchemaError};
use crate::value::Value;

/// Where an invocation sends its progress messages; Terraform shows each
/// one in the CLI output while the action runs.
#[derive(Clone)]
pub struct Progress {
    sender: mpsc::UnboundedSender<String>,
}

impl Progress {
    /// A sender and the receiving end its messages arrive at.
    pub fn channel() -> (Progress, mpsc::UnboundedReceiver<String>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        (Progress { sender }, receiver)
    }

    /// Sends one message. A message sent after Terraform stopped listening
    /// is dropped.
    pub fn report(&self, message: impl Into<String>) {
        let message = message.into();
        tracing::info!(progress = %message, "action progress");
        // The receiver is gone only when Terraform hung up: nothing to tell.
        let _ = self.sender.send(message);
    }
}

/// An action over a typed configuration model. The provider's configured
/// API client `C` is handed to the calls that may reach the remote side.
#[async_trait]
pub trait Action<C: Send + Sync + 'static>: Send + Sync + 'static {
    type Model: Model;

    /// The action type name, e.g. `autopilot_sync`.
    const TYPE_NAME: &'static str;

    /// Checks a configuration offline (values may be unknown: skip those).
    fn validate(&self, _config: &Self::Model, _diags: &mut Diagnostics) {}

    /// Checks made when Terraform plans the action, after
    /// [`validate`](Self::validate); may read the remote side (`client` is
    /// `None` while the provider configuration is unknown). Values may still
    /// be unknown: skip those, never fail on them.
    async fn plan(&self, _client: Option<&C>, _config: &Self::Model, _diags: &mut Diagnostics) {}

    /// Runs the action with a wholly known configuration, reporting what it
    /// waits for through `progress`. Errors in `diags` fail the run;
    /// warnings are shown.
    async fn invoke(
        &self,
        client: &C,
        config: Self::Model,
        progress: &Progress,
        diags: &mut Diagnostics,
    );
}

/// An action seen through raw values; implemented for every [`Action`].
#[async_trait]
pub trait AnyAction<C>: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Result<Schema, SchemaError>;
    fn validate(&self, schema: &Schema, config: Value) -> Diagnostics;
    async fn plan(&self, client: Option<&C>, schema: &Schema, config: Value) -> Diagnostics;
    async fn invoke(
        &self,
        client: &C,
        schema: &Schema,
        config: Value,
        progress: &Progress,
    ) -> Diagnostics;
}

impl<C: Send + Sync + 'static, A: Action<C>> ActionExt<C> for A {}

/// The steps [`AnyAction`] shares between its calls.
trait ActionExt<C: Send + Sync + 'static>: Action<C> {
    /// The configuration as the model, checked by the schema and
    /// [`Action::validate`]; `None` (with the reasons in `diags`) when it
    /// does not pass.
    fn checked(
        &self,
        schema: &Schema,
        config: Value,
        diags: &mut Diagnostics,
    ) -> Option<Self::Model> {
        let config = schema_checked(schema, config, diags)?;
        let config = collapse_partial_unknowns(&config);
        let model = decode_model::<Self::Model>(config, "configuration", diags)?;
        Action::validate(self, &model, diags);
        (!diags.has_errors()).then_some(model)
    }
}

/// A configuration checked by its schema's rules, actions' and list
/// resources' alike; `None` (with the reasons in `diags`) when it does not
/// pass. A block written without a `config` block (which Terraform sends as
/// null) reads as every attribute and nested block null.
pub(crate) fn schema_checked(
    schema: &Schema,
    config: Value,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let config = if config.is_null() {
        Value::Object(
            schema
                .block
                .attributes
                .iter()
                .map(|a| (a.name.clone(), Value::Null))
                .chain(
                    schema
                        .block
                        .blocks
                        .iter()
                        .map(|b| (b.name.clone(), Value::Null)),
                )
                .collect(),
        )
    } else {
        config
    };
    schema.block.validate(&config, &Default::default(), diags);
    (!diags.has_errors()).then_some(config)
}

#[async_trait]
impl<C: Send + Sync + 'static, A: Action<C>> AnyAction<C> for A {
    fn type_name(&self) -> &'static str {
        A::TYPE_NAME
    }

    fn schema(&self) -> Result<Schema, SchemaError> {
        Schema::of::<A::Model>(0)
    }

    fn validate(&self, schema: &Schema, config: Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        self.checked(schema, config, &mut diags);
        diags
    }

    async fn plan(&self, client: Option<&C>, schema: &Schema, config: Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        if let Some(model) = self.checked(schema, config, &mut diags) {
            Action::plan(self, client, &model, &mut diags).await;
        }
        diags
    }

    async fn invoke(
        &self,
        client: &C,
        schema: &Schema,
        config: Value,
        progress: &Progress,
    ) -> Diagnostics {
        let mut diags = Diagnostics::new();
        if !config.is_wholly_known() {
            diags.error(
                "Action configuration not known",
                format!(
                    "{} was invoked with values that are not known yet; this is a bug in Terraform or the provider.",
                    A::TYPE_NAME
                ),
            );
            return diags;
        }
        if let Some(model) = self.checked(schema, config, &mut diags) {
            Action::invoke(self, client, model, progress, &mut diags).await;
        }
        diags
    }
}
