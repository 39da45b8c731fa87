//! The actions the server offers: their schemas in the protocol's shape
//! (GetProviderSchema, GetMetadata), and the InvokeAction stream: the
//! action runs in a task of its own, each progress message it sends
//! becomes a Progress event, and its diagnostics end the stream in a
//! Completed event.

use std::collections::HashMap;
use std::sync::Arc;

use futures::StreamExt;
use tokio_stream::wrappers::UnboundedReceiverStream;
use tonic::Status;
use tracing::Instrument;

use crate::action::{AnyAction, Progress};
use crate::diagnostics::{Diagnostics, Severity};
use crate::proto::tfplugin6 as pb;
use crate::schema::Schema;
use crate::value::Value;

/// A registered action with its derived schema.
pub(crate) type RegisteredAction<C> = (Arc<dyn AnyAction<C>>, Schema);

/// The actions by type name.
pub(crate) struct Actions<C>(HashMap<&'static str, RegisteredAction<C>>);

impl<C: Send + Sync + 'static> Actions<C> {
    /// Registers each action; one whose schema cannot be derived is left
    /// out and reported in `schema_errors`.
    pub(crate) fn new(
        actions: Vec<Arc<dyn AnyAction<C>>>,
        schema_errors: &mut Diagnostics,
    ) -> Self {
        let mut registered = HashMap::new();
        for action in actions {
            match action.schema() {
                Ok(schema) => {
                    registered.insert(action.type_name(), (action, schema));
                }
                Err(e) => schema_errors.error("Invalid action schema", e.to_string()),
            }
        }
        Actions(registered)
    }

    pub(crate) fn get(&self, type_name: &str) -> Result<&RegisteredAction<C>, Diagnostics> {
        self.0.get(type_name).ok_or_else(|| {
            Diagnostics::single_error(
                "Unknown action type",
                format!("This provider has no action type {type_name:?}."),
            )
        })
    }

    /// The type names, sorted.
    pub(crate) fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<_> = self.0.keys().copied().collect();
        names.sort_unstable();
        names
    }

    pub(crate) fn schemas_to_proto(
        &self,
        schema_to_proto: impl Fn(&Schema) -> pb::Schema,
    ) -> HashMap<String, pb::ActionSchema> {
        self.0
            .iter()
            .map(|(name, (_, schema))| {
                (
                    name.to_string(),
                    pb::ActionSchema {
                        schema: Some(schema_to_proto(schema)),
                    },
                )
            })
            .collect()
    }
}

/// The span every log line of an action's work is written in.
pub(crate) fn span(rpc: &'static str, action_type: &str) -> tracing::Span {
    tracing::error_span!("rpc", tf_rpc = rpc, tf_action_type = action_type)
}

/// A stream that has nothing but a Completed event with `diags`: an action
/// that could not start.
pub(crate) fn completed_only(
    diags: Vec<pb::Diagnostic>,
) -> futures::stream::BoxStream<'static, Result<pb::invoke_action::Event, Status>> {
    futures::stream::iter([Ok(completed(diags))]).boxed()
}

fn completed(diagnostics: Vec<pb::Diagnostic>) -> pb::invoke_action::Event {
    pb::invoke_action::Event {
        r#type: Some(pb::invoke_action::event::Type::Completed(
            pb::invoke_action::event::Completed { diagnostics },
        )),
    }
}

fn progress(message: String) -> pb::invoke_action::Event {
    pb::invoke_action::Event {
        r#type: Some(pb::invoke_action::event::Type::Progress(
            pb::invoke_action::event::Progress { message },
        )),
    }
}

/// Terraform 1.15 crashes on a diagnostic of an action written without a
/// `config` block (it looks for the missing block to point at): such an
/// action's warnings are sent as progress messages instead, and only its
/// errors stay diagnostics.
fn warnings_as_progress(diags: Diagnostics, progress: &Progress) -> Diagnostics {
    let mut kept = Diagnostics::new();
    for diag in diags {
        if diag.severity == Severity::Warning {
            progress.report(format!("Warning: {}. {}", diag.summary, diag.detail));
        } else {
            kept.push(diag);
        }
    }
    kept
}

/// Runs `action` in a task of its own and streams its progress messages,
/// then one Completed event with its diagnostics (converted by
/// `diags_to_proto`).
pub(crate) fn invoke<C: Send + Sync + 'static>(
    (action, schema): RegisteredAction<C>,
    client: Arc<C>,
    config: Value,
    diags_to_proto: fn(Diagnostics) -> Vec<pb::Diagnostic>,
) -> futures::stream::BoxStream<'static, Result<pb::invoke_action::Event, Status>> {
    let (reporter, messages) = Progress::channel();
    let span = span("InvokeAction", action.type_name());
    let run = tokio::spawn(
        async move {
            let without_config_block = config.is_null();
            let mut diags = action.invoke(&client, &schema, config, &reporter).await;
            tracing::info!(errors = diags.has_errors(), "action completed");
            if without_config_block {
                diags = warnings_as_progress(diags, &reporter);
            }
            diags
        }
        .instrument(span),
    );
    // The progress stream ends when the task drops its sender, that is
    // when the action is done; then comes the Completed event.
    let progress_events = UnboundedReceiverStream::new(messages).map(|m| Ok(progress(m)));
    let done = futures::stream::once(async move {
        let diags = run.await.unwrap_or_else(|e| {
            Diagnostics::single_error("Action failed", format!("the action's task ended: {e}"))
        });
        Ok(completed(diags_to_proto(diags)))
    });
    progress_events.chain(done).boxed()
}
