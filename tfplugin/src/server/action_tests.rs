//! The action RPCs driven in process with a toy provider whose one action
//! renames a thing: the schema and metadata declare it, validation and
//! planning give diagnostics (and tolerate unknown values), and an
//! invocation streams its progress messages before one Completed event.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures::StreamExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tonic::Request;

use super::grpc::ProviderService;
use super::grpc_tests::{ToyProvider, answer_of, configure};
use crate::proto::tfplugin6 as pb;
use crate::proto::tfplugin6::provider_server::Provider as _;
use crate::value::{self, Type, Value};
use crate::{Action, Attr, Diagnostics, Progress};

/// Things by id.
type Things = Arc<Mutex<BTreeMap<String, String>>>;

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
struct Rename {
    /// The thing to rename.
    #[schemars(extend("x-tf" = "required"))]
    id: Attr<String>,
    /// Its new name; not empty.
    #[schemars(extend("x-tf" = "required"))]
    name: Attr<String>,
}

struct RenameAction;

#[async_trait]
impl Action<Things> for RenameAction {
    type Model = Rename;
    const TYPE_NAME: &'static str = "toy_rename";

    fn validate(&self, config: &Rename, diags: &mut Diagnostics) {
        if config.name.known().is_some_and(String::is_empty) {
            diags.error_at(
                crate::AttrPath::root("name"),
                "Empty name",
                "A thing needs a name.",
            );
        }
    }

    async fn plan(&self, things: Option<&Things>, config: &Rename, diags: &mut Diagnostics) {
        let (Some(things), Some(id)) = (things, config.id.known()) else {
            return;
        };
        if !things.lock().is_ok_and(|t| t.contains_key(id)) {
            diags.error("No such thing", format!("There is no thing {id}."));
        }
    }

    async fn invoke(
        &self,
        things: &Things,
        config: Rename,
        progress: &Progress,
        diags: &mut Diagnostics,
    ) {
        let (Some(id), Some(name)) = (config.id.into_known(), config.name.into_known()) else {
            return;
        };
        progress.report(format!("renaming {id}"));
        let Ok(mut things) = things.lock() else {
            return;
        };
        match things.get_mut(&id) {
            Some(slot) => {
                *slot = name;
                progress.report(format!("renamed {id}"));
            }
            None => diags.error("No such thing", format!("There is no thing {id}.")),
        }
    }
}

/// The toy provider serving the rename action.
type Toy = ToyProvider<Things>;

fn config(id: Value, name: Value) -> Option<pb::DynamicValue> {
    let ty = Type::Object(BTreeMap::from([
        ("id".to_string(), Type::String),
        ("name".to_string(), Type::String),
    ]));
    let value = Value::Object(BTreeMap::from([
        ("id".to_string(), id),
        ("name".to_string(), name),
    ]));
    Some(pb::DynamicValue {
        msgpack: value::to_msgpack(&value, &ty).expect("fits"),
        json: Vec::new(),
    })
}

fn text(s: &str) -> Value {
    Value::String(s.into())
}

fn summaries(diagnostics: &[pb::Diagnostic]) -> Vec<String> {
    diagnostics.iter().map(|d| d.summary.clone()).collect()
}

/// A toy provider holding thing `t1` named `a`, configured when asked.
async fn service(configured: bool) -> (ProviderService<Toy>, Things) {
    let things: Things = Arc::new(Mutex::new(BTreeMap::from([("t1".into(), "a".into())])));
    let service = ProviderService::new(Toy {
        actions: vec![Arc::new(RenameAction)],
        ..ToyProvider::new(things.clone())
    });
    if configured {
        configure(&service).await;
    }
    (service, things)
}

/// Every event of an invocation, in order.
async fn invoke(
    service: &ProviderService<Toy>,
    action_type: &str,
    id: &str,
    name: &str,
) -> Vec<pb::invoke_action::event::Type> {
    let request = pb::invoke_action::Request {
        action_type: action_type.into(),
        config: config(text(id), text(name)),
        client_capabilities: None,
    };
    let stream = answer_of(service.invoke_action(Request::new(request))).await;
    stream
        .map(|event| event.expect("no gRPC error").r#type.expect("an event type"))
        .collect()
        .await
}

#[tokio::test]
async fn actions_are_declared_in_the_schema_and_the_metadata() {
    let (service, _) = service(false).await;
    let schema =
        answer_of(service.get_provider_schema(Request::new(pb::get_provider_schema::Request {})))
            .await;
    let rename = &schema.action_schemas["toy_rename"];
    let block = rename
        .schema
        .as_ref()
        .and_then(|s| s.block.as_ref())
        .expect("a block");
    let mut names: Vec<_> = block
        .attributes
        .iter()
        .map(|a| (a.name.as_str(), a.required))
        .collect();
    names.sort_unstable();
    assert_eq!(names, vec![("id", true), ("name", true)]);
    let metadata =
        answer_of(service.get_metadata(Request::new(pb::get_metadata::Request {}))).await;
    let types: Vec<_> = metadata
        .actions
        .iter()
        .map(|a| a.type_name.as_str())
        .collect();
    assert_eq!(types, vec!["toy_rename"]);
}

#[tokio::test]
async fn validation_points_at_the_attribute_and_planning_accepts_unknowns() {
    let (service, _) = service(true).await;
    let validate = |id: Value, name: Value| pb::validate_action_config::Request {
        type_name: "toy_rename".into(),
        config: config(id, name),
    };
    let answer =
        answer_of(service.validate_action_config(Request::new(validate(text("t1"), text("")))))
            .await;
    assert_eq!(summaries(&answer.diagnostics), vec!["Empty name"]);
    let path = answer.diagnostics[0].attribute.as_ref().expect("a path");
    assert_eq!(
        path.steps[0].selector,
        Some(pb::attribute_path::step::Selector::AttributeName(
            "name".into()
        ))
    );
    let plan = |id: Value, name: Value| pb::plan_action::Request {
        action_type: "toy_rename".into(),
        config: config(id, name),
        client_capabilities: None,
    };
    let unknown =
        answer_of(service.plan_action(Request::new(plan(Value::Unknown, Value::Unknown)))).await;
    assert_eq!(summaries(&unknown.diagnostics), Vec::<String>::new());
    let missing = answer_of(service.plan_action(Request::new(plan(text("t9"), text("b"))))).await;
    assert_eq!(summaries(&missing.diagnostics), vec!["No such thing"]);
}

#[tokio::test]
async fn an_invocation_streams_progress_then_completes_with_its_diagnostics() {
    use pb::invoke_action::event::Type as Event;
    let (service, things) = service(true).await;
    let events = invoke(&service, "toy_rename", "t1", "b").await;
    let progress =
        |m: &str| Event::Progress(pb::invoke_action::event::Progress { message: m.into() });
    assert_eq!(
        events,
        vec![
            progress("renaming t1"),
            progress("renamed t1"),
            Event::Completed(pb::invoke_action::event::Completed {
                diagnostics: Vec::new()
            }),
        ]
    );
    assert_eq!(
        things.lock().expect("lock").get("t1").map(String::as_str),
        Some("b")
    );
    let failed = invoke(&service, "toy_rename", "t9", "b").await;
    let Some(Event::Completed(completed)) = failed.last() else {
        panic!("the last event completes: {failed:?}");
    };
    assert_eq!(summaries(&completed.diagnostics), vec!["No such thing"]);
}

#[tokio::test]
async fn an_unknown_action_or_an_unconfigured_provider_completes_with_an_error() {
    use pb::invoke_action::event::Type as Event;
    let (unconfigured, things) = service(false).await;
    for (service, action_type, summary) in [
        (&unconfigured, "toy_rename", "Provider not configured"),
        (&unconfigured, "toy_missing", "Unknown action type"),
    ] {
        let events = invoke(service, action_type, "t1", "b").await;
        let [Event::Completed(completed)] = events.as_slice() else {
            panic!("one Completed event: {events:?}");
        };
        assert_eq!(summaries(&completed.diagnostics), vec![summary]);
    }
    assert_eq!(
        things.lock().expect("lock").get("t1").map(String::as_str),
        Some("a")
    );
}
