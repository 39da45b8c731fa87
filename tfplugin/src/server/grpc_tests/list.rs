//! ListResource and ValidateListResourceConfig driven in process: a toy
//! provider whose list resource finds the toy's things by a name filter.
//! Events carry identities (and states when asked), stop at the limit, and
//! failures arrive as an event with diagnostics, never as a gRPC error.

use super::*;
use crate::{AnyListResource, ListItem, ListRequest, ListResource};

/// The filters of the toy list: a non-empty text the name contains.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
struct ThingFilter {
    /// Keeps things whose name contains this text.
    #[schemars(length(min = 1))]
    name_contains: Attr<String>,
}

struct ThingList;

#[async_trait]
impl ListResource<Arc<Remote>> for ThingList {
    type Config = ThingFilter;

    fn type_name(&self) -> &'static str {
        "toy_thing"
    }

    async fn list(
        &self,
        remote: &Arc<Remote>,
        config: ThingFilter,
        request: ListRequest,
        diags: &mut Diagnostics,
    ) -> Vec<ListItem> {
        if remote.fails("list", diags) {
            return Vec::new();
        }
        let needle = config.name_contains.known().cloned().unwrap_or_default();
        let things = remote.things.lock().map(|t| t.clone()).unwrap_or_default();
        things
            .into_iter()
            .filter(|(_, name)| name.contains(&needle))
            .map(|(id, name)| ListItem {
                display_name: name.clone(),
                identity: BTreeMap::from([("id".to_string(), Value::String(id.clone()))]),
                state: request
                    .include_resource
                    .then(|| thing(Value::String(id), &name)),
            })
            .collect()
    }
}

fn filter_type() -> Type {
    Type::Object(BTreeMap::from([(
        "name_contains".to_string(),
        Type::String,
    )]))
}

fn filter(name_contains: Option<&str>) -> Option<pb::DynamicValue> {
    let value = match name_contains {
        Some(text) => Value::Object(BTreeMap::from([(
            "name_contains".to_string(),
            Value::String(text.into()),
        )])),
        None => Value::Null,
    };
    Some(pb::DynamicValue {
        msgpack: value::to_msgpack(&value, &filter_type()).ok()?,
        json: Vec::new(),
    })
}

/// A configured lister whose remote side holds things named `apple`,
/// `apricot` and `banana` (`t1` to `t3`).
async fn lister() -> (ProviderService<Toy>, Arc<Remote>) {
    let remote = Arc::new(Remote::default());
    if let Ok(mut things) = remote.things.lock() {
        for (i, name) in ["apple", "apricot", "banana"].iter().enumerate() {
            things.insert(format!("t{}", i + 1), name.to_string());
        }
    }
    let service = ProviderService::new(Toy {
        list_resources: vec![Arc::new(ThingList)],
        ..toy(remote.clone())
    });
    configure(&service).await;
    (service, remote)
}

async fn list(
    service: &ProviderService<Toy>,
    type_name: &str,
    name_contains: Option<&str>,
    include_resource_object: bool,
    limit: i64,
) -> Vec<pb::list_resource::Event> {
    use futures::StreamExt;
    let request = pb::list_resource::Request {
        type_name: type_name.into(),
        config: filter(name_contains),
        include_resource_object,
        limit,
    };
    let stream = answer_of(service.list_resource(Request::new(request))).await;
    stream
        .map(|event| event.expect("events, never a gRPC error"))
        .collect()
        .await
}

fn ids(events: &[pb::list_resource::Event]) -> Vec<Value> {
    events
        .iter()
        .filter(|e| e.identity.is_some())
        .map(|e| identity_value(e.identity.clone()))
        .collect()
}

#[tokio::test]
async fn the_list_resource_is_declared_with_its_filter_schema() {
    let (service, _) = lister().await;
    let schema =
        answer_of(service.get_provider_schema(Request::new(pb::get_provider_schema::Request {})))
            .await;
    assert_eq!(errors(&schema.diagnostics), Vec::<String>::new());
    let block = schema
        .list_resource_schemas
        .get("toy_thing")
        .and_then(|s| s.block.clone())
        .expect("a list resource schema for toy_thing");
    let names: Vec<&str> = block.attributes.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["name_contains"]);
    let metadata =
        answer_of(service.get_metadata(Request::new(pb::get_metadata::Request {}))).await;
    let listed: Vec<&str> = metadata
        .list_resources
        .iter()
        .map(|l| l.type_name.as_str())
        .collect();
    assert_eq!(listed, ["toy_thing"]);
}

#[tokio::test]
async fn a_list_gives_identities_and_states_only_when_asked() {
    let (service, _) = lister().await;
    let events = list(&service, "toy_thing", Some("ap"), true, 100).await;
    assert_eq!(ids(&events), [id_identity("t1"), id_identity("t2")]);
    let names: Vec<&str> = events.iter().map(|e| e.display_name.as_str()).collect();
    assert_eq!(names, ["apple", "apricot"]);
    assert_eq!(
        decoded(events[0].resource_object.clone()),
        thing(Value::String("t1".into()), "apple")
    );
    assert!(events.iter().all(|e| e.diagnostic.is_empty()), "{events:?}");

    let events = list(&service, "toy_thing", None, false, 100).await;
    assert_eq!(ids(&events).len(), 3, "no config block: every thing");
    assert!(events.iter().all(|e| e.resource_object.is_none()));
}

#[tokio::test]
async fn a_list_stops_at_the_limit() {
    let (service, _) = lister().await;
    let events = list(&service, "toy_thing", None, false, 2).await;
    assert_eq!(ids(&events), [id_identity("t1"), id_identity("t2")]);
}

#[tokio::test]
async fn failures_and_bad_filters_are_events_with_diagnostics() {
    let (service, remote) = lister().await;
    failing(&remote, Some("list"));
    let events = list(&service, "toy_thing", None, true, 100).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(errors(&events[0].diagnostic), ["Cannot list the thing"]);
    failing(&remote, None);

    let events = list(&service, "toy_thing", Some(""), true, 100).await;
    assert_eq!(ids(&events), Vec::<Value>::new());
    assert_eq!(events.len(), 1, "{events:?}");
    let path = events[0].diagnostic[0].attribute.clone().expect("a path");
    assert_eq!(path.steps.len(), 1, "{path:?}");

    let events = list(&service, "toy_nothing", None, true, 100).await;
    assert_eq!(
        errors(&events[0].diagnostic),
        ["Unknown list resource type"]
    );
}

#[tokio::test]
async fn validation_names_the_filter_at_its_path() {
    let (service, _) = lister().await;
    let validate = |name_contains| pb::validate_list_resource_config::Request {
        type_name: "toy_thing".into(),
        config: filter(name_contains),
        ..Default::default()
    };
    let answer =
        answer_of(service.validate_list_resource_config(Request::new(validate(Some(""))))).await;
    assert_eq!(answer.diagnostics.len(), 1, "{:?}", answer.diagnostics);
    let step = answer.diagnostics[0]
        .attribute
        .as_ref()
        .and_then(|p| p.steps.first())
        .and_then(|s| s.selector.clone());
    assert_eq!(
        step,
        Some(pb::attribute_path::step::Selector::AttributeName(
            "name_contains".into()
        ))
    );
    let answer =
        answer_of(service.validate_list_resource_config(Request::new(validate(Some("a"))))).await;
    assert_eq!(errors(&answer.diagnostics), Vec::<String>::new());
}

#[test]
fn a_list_of_a_type_without_identity_is_a_schema_error() {
    struct Stray;
    #[async_trait]
    impl ListResource<Arc<Remote>> for Stray {
        type Config = ThingFilter;
        fn type_name(&self) -> &'static str {
            "toy_stray"
        }
        async fn list(
            &self,
            _remote: &Arc<Remote>,
            _config: ThingFilter,
            _request: ListRequest,
            _diags: &mut Diagnostics,
        ) -> Vec<ListItem> {
            Vec::new()
        }
    }
    let mut errors = Diagnostics::new();
    let lists = crate::server::list::Lists::new(
        vec![Arc::new(Stray) as Arc<dyn AnyListResource<Arc<Remote>>>],
        &std::collections::HashMap::new(),
        &mut errors,
    );
    assert!(errors.has_errors());
    assert!(lists.metadata().is_empty());
}

#[tokio::test]
async fn generated_configuration_leaves_out_computed_only_attributes() {
    let (service, _) = lister().await;
    let request = pb::generate_resource_config::Request {
        type_name: "toy_thing".into(),
        state: dynamic(&thing(Value::String("t1".into()), "apple")),
    };
    let answer = answer_of(service.generate_resource_config(Request::new(request))).await;
    assert_eq!(errors(&answer.diagnostics), Vec::<String>::new());
    assert_eq!(decoded(answer.config), thing(Value::Null, "apple"));
    let schema =
        answer_of(service.get_provider_schema(Request::new(pb::get_provider_schema::Request {})))
            .await;
    let capabilities = schema.server_capabilities.expect("capabilities");
    assert!(capabilities.generate_resource_config);
}
