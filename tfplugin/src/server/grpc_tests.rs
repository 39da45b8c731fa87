//! The RPC handlers driven in process with a two-attribute toy provider, as Terraform
//! drives them: the invariants `resource.rs` promises (a failed read or delete keeps the
//! state, apply leaves nothing unknown, failures are diagnostics and never a gRPC error)
//! checked through the wire types.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tonic::Request;

use super::grpc::ProviderService;
use crate::moves::{MoveRequest, MoveSource, Moves};
use crate::proto::tfplugin6 as pb;
use crate::proto::tfplugin6::provider_server::Provider as _;
use crate::value::{self, Type, Value};
use crate::{
    Attr, CancellationToken, Diagnostics, Function, FunctionError, IdentityAttribute, Parameter,
    Provider, Resource, Signature,
};

/// The toy's remote side: things by id, and switches that make calls fail.
#[derive(Default)]
struct Remote {
    things: Mutex<BTreeMap<String, String>>,
    failing: Mutex<Option<&'static str>>,
}

impl Remote {
    fn fails(&self, call: &'static str, diags: &mut Diagnostics) -> bool {
        let failing = self
            .failing
            .lock()
            .map(|f| *f == Some(call))
            .unwrap_or(false);
        if failing {
            diags.error(
                format!("Cannot {call} the thing"),
                "the remote side refused",
            );
        }
        failing
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
struct Thing {
    /// Assigned at create.
    #[schemars(extend("x-tf" = "computed,stable"))]
    id: Attr<String>,
    /// The thing's name.
    #[schemars(extend("x-tf" = "required"))]
    name: Attr<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub(super) struct NoConfig {}

struct ThingResource;

#[async_trait]
impl Resource<Arc<Remote>> for ThingResource {
    type Model = Thing;
    const TYPE_NAME: &'static str = "toy_thing";

    fn identity(&self) -> &'static [IdentityAttribute] {
        const IDENTITY: [IdentityAttribute; 1] = [IdentityAttribute::required("id", "The id.")];
        &IDENTITY
    }

    async fn create(
        &self,
        remote: &Arc<Remote>,
        planned: Thing,
        diags: &mut Diagnostics,
    ) -> Option<Thing> {
        if remote.fails("create", diags) {
            return None;
        }
        let mut things = remote.things.lock().ok()?;
        let id = format!("t{}", things.len() + 1);
        things.insert(
            id.clone(),
            planned.name.known().cloned().unwrap_or_default(),
        );
        Some(Thing {
            id: Attr::Known(id),
            ..planned
        })
    }

    async fn read(
        &self,
        remote: &Arc<Remote>,
        current: Thing,
        diags: &mut Diagnostics,
    ) -> Option<Thing> {
        if remote.fails("read", diags) {
            return None;
        }
        let id = current.id.known()?.clone();
        let name = remote.things.lock().ok()?.get(&id).cloned()?;
        Some(Thing {
            id: Attr::Known(id),
            name: Attr::Known(name),
        })
    }

    async fn update(
        &self,
        remote: &Arc<Remote>,
        _prior: Thing,
        planned: Thing,
        diags: &mut Diagnostics,
    ) -> Option<Thing> {
        if remote.fails("update", diags) {
            return None;
        }
        let id = planned.id.known()?.clone();
        remote
            .things
            .lock()
            .ok()?
            .insert(id, planned.name.known().cloned().unwrap_or_default());
        Some(planned)
    }

    async fn delete(&self, remote: &Arc<Remote>, prior: Thing, diags: &mut Diagnostics) {
        if remote.fails("delete", diags) {
            return;
        }
        if let (Some(id), Ok(mut things)) = (prior.id.known(), remote.things.lock()) {
            things.remove(id);
        }
    }

    async fn import(
        &self,
        _remote: &Arc<Remote>,
        id: &str,
        _diags: &mut Diagnostics,
    ) -> Option<Thing> {
        Some(Thing {
            id: Attr::Known(id.to_string()),
            name: Attr::Null,
        })
    }

    fn moves(&self) -> Moves<Thing> {
        Moves::new(&[OTHER_WIDGET], thing_from_widget)
    }
}

/// A widget's `widget_id` is the thing's id, its `label` the name.
fn thing_from_widget(request: &MoveRequest<'_>, diags: &mut Diagnostics) -> Option<Thing> {
    let text = |key: &str| request.state.get(key).and_then(|v| v.as_str());
    let Some(id) = text("widget_id") else {
        diags.error("No widget id", "The moved state has no widget_id.");
        return None;
    };
    Some(Thing {
        id: Attr::Known(id.to_string()),
        name: text("label").map(str::to_string).into(),
    })
}

/// Another provider's resource type whose state may move into `toy_thing`.
const OTHER_WIDGET: MoveSource = MoveSource {
    provider: "registry.terraform.io/example/other",
    type_name: "other_widget",
};

/// A toy provider over the client `C` that serves what it is built with: the
/// provider every in-process RPC test drives (here and in `list`, with the
/// thing resource; in `action_tests`, with an action).
pub(super) struct ToyProvider<C> {
    pub(super) client: C,
    pub(super) resources: Vec<Arc<dyn crate::AnyResource<C>>>,
    pub(super) functions: Vec<Arc<dyn Function>>,
    pub(super) list_resources: Vec<Arc<dyn crate::AnyListResource<C>>>,
    pub(super) actions: Vec<Arc<dyn crate::AnyAction<C>>>,
}

impl<C> ToyProvider<C> {
    /// A toy serving nothing yet.
    pub(super) fn new(client: C) -> Self {
        ToyProvider {
            client,
            resources: Vec::new(),
            functions: Vec::new(),
            list_resources: Vec::new(),
            actions: Vec::new(),
        }
    }
}

#[async_trait]
impl<C: Clone + Send + Sync + 'static> Provider for ToyProvider<C> {
    type Config = NoConfig;
    type Client = C;

    fn type_name(&self) -> &'static str {
        "toy"
    }

    async fn configure(
        &self,
        _config: NoConfig,
        _version: &str,
        _stop: CancellationToken,
        _diags: &mut Diagnostics,
    ) -> Option<C> {
        Some(self.client.clone())
    }

    fn resources(&self) -> Vec<Arc<dyn crate::AnyResource<C>>> {
        self.resources.clone()
    }

    fn data_sources(&self) -> Vec<Arc<dyn crate::AnyDataSource<C>>> {
        Vec::new()
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        self.functions.clone()
    }

    fn list_resources(&self) -> Vec<Arc<dyn crate::AnyListResource<C>>> {
        self.list_resources.clone()
    }

    fn actions(&self) -> Vec<Arc<dyn crate::AnyAction<C>>> {
        self.actions.clone()
    }
}

/// The toy of these tests: the thing resource and the `repeat` function.
type Toy = ToyProvider<Arc<Remote>>;

fn toy(remote: Arc<Remote>) -> Toy {
    ToyProvider {
        resources: vec![Arc::new(ThingResource)],
        functions: vec![Arc::new(Repeat)],
        ..ToyProvider::new(remote)
    }
}

/// `repeat(text, times)`: `text` written `times` times; refuses negative counts.
struct Repeat;

impl Function for Repeat {
    fn name(&self) -> &'static str {
        "repeat"
    }

    fn signature(&self) -> Signature {
        Signature {
            summary: "Repeats a text",
            description: "Writes `text` `times` times.",
            parameters: vec![
                Parameter::new("text", Type::String, "What to repeat."),
                Parameter::new("times", Type::Number, "How often."),
            ],
            variadic: None,
            returns: Type::String,
        }
    }

    fn call(&self, arguments: Vec<Value>) -> Result<Value, FunctionError> {
        let (Some(Value::String(text)), Some(Value::Number(times))) =
            (arguments.first(), arguments.get(1))
        else {
            return Err(FunctionError::new("two arguments"));
        };
        let times = times
            .to_i64()
            .and_then(|t| usize::try_from(t).ok())
            .ok_or_else(|| {
                FunctionError::in_argument(1, "times must be a whole number, 0 or more")
            })?;
        Ok(Value::String(text.repeat(times)))
    }
}

/// The answer of an RPC, which is never a gRPC error: failures are diagnostics.
pub(super) async fn answer_of<T>(
    call: impl Future<Output = Result<tonic::Response<T>, tonic::Status>>,
) -> T {
    call.await.expect("no gRPC error").into_inner()
}

fn thing_type() -> Type {
    Type::Object(BTreeMap::from([
        ("id".to_string(), Type::String),
        ("name".to_string(), Type::String),
    ]))
}

fn thing(id: Value, name: &str) -> Value {
    Value::Object(BTreeMap::from([
        ("id".to_string(), id),
        ("name".to_string(), Value::String(name.into())),
    ]))
}

fn dynamic(value: &Value) -> Option<pb::DynamicValue> {
    let msgpack = value::to_msgpack(value, &thing_type()).ok()?;
    Some(pb::DynamicValue {
        msgpack,
        json: Vec::new(),
    })
}

fn decoded(value: Option<pb::DynamicValue>) -> Value {
    value
        .and_then(|v| value::from_msgpack(&v.msgpack, &thing_type()).ok())
        .unwrap_or(Value::Null)
}

fn errors(diagnostics: &[pb::Diagnostic]) -> Vec<String> {
    diagnostics
        .iter()
        .filter(|d| d.severity == pb::diagnostic::Severity::Error as i32)
        .map(|d| d.summary.clone())
        .collect()
}

/// ConfigureProvider with a toy's empty configuration; asserts it succeeds
/// without a diagnostic.
pub(super) async fn configure<C: Clone + Send + Sync + 'static>(
    service: &ProviderService<ToyProvider<C>>,
) {
    let configure = pb::configure_provider::Request {
        config: Some(pb::DynamicValue {
            msgpack: value::to_msgpack(
                &Value::Object(BTreeMap::new()),
                &Type::Object(BTreeMap::new()),
            )
            .unwrap_or_default(),
            json: Vec::new(),
        }),
        ..Default::default()
    };
    let answer = answer_of(service.configure_provider(Request::new(configure))).await;
    assert!(answer.diagnostics.is_empty(), "{:?}", answer.diagnostics);
}

/// A configured toy provider with one thing `t1` named `a` already applied.
async fn configured() -> (ProviderService<Toy>, Arc<Remote>, Value) {
    let remote = Arc::new(Remote::default());
    let service = ProviderService::new(toy(remote.clone()));
    configure(&service).await;
    let (state, diagnostics) = apply(&service, Value::Null, thing(Value::Unknown, "a")).await;
    assert_eq!(errors(&diagnostics), Vec::<String>::new());
    (service, remote, state)
}

async fn plan(
    service: &ProviderService<Toy>,
    prior: &Value,
    config: &Value,
) -> pb::plan_resource_change::Response {
    let request = pb::plan_resource_change::Request {
        type_name: "toy_thing".into(),
        prior_state: dynamic(prior),
        proposed_new_state: dynamic(config),
        config: dynamic(config),
        ..Default::default()
    };
    answer_of(service.plan_resource_change(Request::new(request))).await
}

async fn apply(
    service: &ProviderService<Toy>,
    prior: Value,
    planned: Value,
) -> (Value, Vec<pb::Diagnostic>) {
    let request = pb::apply_resource_change::Request {
        type_name: "toy_thing".into(),
        prior_state: dynamic(&prior),
        planned_state: dynamic(&planned),
        ..Default::default()
    };
    let answer = answer_of(service.apply_resource_change(Request::new(request))).await;
    (decoded(answer.new_state), answer.diagnostics)
}

async fn read(service: &ProviderService<Toy>, current: &Value) -> (Value, Vec<pb::Diagnostic>) {
    let request = pb::read_resource::Request {
        type_name: "toy_thing".into(),
        current_state: dynamic(current),
        ..Default::default()
    };
    let answer = answer_of(service.read_resource(Request::new(request))).await;
    (decoded(answer.new_state), answer.diagnostics)
}

fn failing(remote: &Remote, call: Option<&'static str>) {
    if let Ok(mut failing) = remote.failing.lock() {
        *failing = call;
    }
}

#[tokio::test]
async fn a_create_plans_the_id_unknown_and_applies_it_known() {
    let (service, _remote, _) = configured().await;
    let planned = plan(&service, &Value::Null, &thing(Value::Null, "b")).await;
    assert_eq!(errors(&planned.diagnostics), Vec::<String>::new());
    let planned = decoded(planned.planned_state);
    assert_eq!(planned, thing(Value::Unknown, "b"));
    let (state, diagnostics) = apply(&service, Value::Null, planned).await;
    assert_eq!(errors(&diagnostics), Vec::<String>::new());
    assert!(state.is_wholly_known(), "{state:?}");
    assert_eq!(state, thing(Value::String("t2".into()), "b"));
}

#[tokio::test]
async fn reads_find_changes_and_drop_what_is_gone_but_keep_state_when_they_fail() {
    // (what the remote side does, the state after the read, error summaries)
    let t1 = || thing(Value::String("t1".into()), "a");
    let cases: [(&str, Value, Vec<&str>); 3] = [
        (
            "renamed",
            thing(Value::String("t1".into()), "renamed"),
            vec![],
        ),
        ("deleted", Value::Null, vec![]),
        ("failing", t1(), vec!["Cannot read the thing"]),
    ];
    for (what, expected, expected_errors) in cases {
        let (service, remote, state) = configured().await;
        match what {
            "renamed" => {
                remote
                    .things
                    .lock()
                    .expect("lock")
                    .insert("t1".into(), "renamed".into());
            }
            "deleted" => {
                remote.things.lock().expect("lock").clear();
            }
            _ => failing(&remote, Some("read")),
        }
        let (after, diagnostics) = read(&service, &state).await;
        assert_eq!(after, expected, "{what}");
        assert_eq!(errors(&diagnostics), expected_errors, "{what}");
    }
}

#[tokio::test]
async fn a_failed_delete_keeps_the_prior_state_and_a_failed_create_stores_nothing() {
    let (service, remote, state) = configured().await;
    failing(&remote, Some("delete"));
    let (after, diagnostics) = apply(&service, state.clone(), Value::Null).await;
    assert_eq!(errors(&diagnostics), ["Cannot delete the thing"]);
    assert_eq!(after, state);
    failing(&remote, None);
    let (after, diagnostics) = apply(&service, state, Value::Null).await;
    assert_eq!(errors(&diagnostics), Vec::<String>::new());
    assert!(after.is_null());

    failing(&remote, Some("create"));
    let (after, diagnostics) = apply(&service, Value::Null, thing(Value::Unknown, "c")).await;
    assert_eq!(errors(&diagnostics), ["Cannot create the thing"]);
    assert!(after.is_null(), "{after:?}");
}

#[tokio::test]
async fn failures_are_diagnostics_never_grpc_errors() {
    let remote = Arc::new(Remote::default());
    let service = ProviderService::new(toy(remote));
    // Before ConfigureProvider: no client to read with.
    let (after, diagnostics) = read(&service, &thing(Value::String("t1".into()), "a")).await;
    assert_eq!(errors(&diagnostics).len(), 1, "{diagnostics:?}");
    assert!(after.is_null());
    // A type the provider does not have.
    let request = pb::read_resource::Request {
        type_name: "toy_other".into(),
        ..Default::default()
    };
    let answer = answer_of(service.read_resource(Request::new(request))).await;
    assert_eq!(errors(&answer.diagnostics), ["Unknown resource type"]);
    // A value that does not decode.
    let request = pb::validate_resource_config::Request {
        type_name: "toy_thing".into(),
        config: Some(pb::DynamicValue {
            msgpack: vec![0x82],
            json: Vec::new(),
        }),
        ..Default::default()
    };
    let answer = answer_of(service.validate_resource_config(Request::new(request))).await;
    assert_eq!(
        errors(&answer.diagnostics),
        ["Cannot decode a value from Terraform"]
    );
}

#[tokio::test]
async fn an_import_returns_a_state_for_the_read_that_follows() {
    let (service, _remote, _) = configured().await;
    let request = pb::import_resource_state::Request {
        type_name: "toy_thing".into(),
        id: "t1".into(),
        ..Default::default()
    };
    let answer = answer_of(service.import_resource_state(Request::new(request))).await;
    assert_eq!(errors(&answer.diagnostics), Vec::<String>::new());
    let [imported] = answer.imported_resources.as_slice() else {
        panic!("one imported resource: {:?}", answer.imported_resources);
    };
    assert_eq!(imported.type_name, "toy_thing");
    let state = decoded(imported.state.clone());
    let (read_back, diagnostics) = read(&service, &state).await;
    assert_eq!(errors(&diagnostics), Vec::<String>::new());
    assert_eq!(read_back, thing(Value::String("t1".into()), "a"));
}

fn argument(value: &Value, ty: &Type) -> pb::DynamicValue {
    pb::DynamicValue {
        msgpack: value::to_msgpack(value, ty).expect("the argument fits its type"),
        json: Vec::new(),
    }
}

async fn call(
    service: &ProviderService<Toy>,
    name: &str,
    arguments: Vec<pb::DynamicValue>,
) -> pb::call_function::Response {
    let request = pb::call_function::Request {
        name: name.into(),
        arguments,
    };
    answer_of(service.call_function(Request::new(request))).await
}

#[tokio::test]
async fn functions_are_declared_in_the_schema_and_by_get_functions() {
    let service = ProviderService::new(toy(Arc::new(Remote::default())));
    let schema = answer_of(service.get_provider_schema(Request::new(Default::default()))).await;
    let declared = &schema.functions["repeat"];
    let names: Vec<&str> = declared
        .parameters
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["text", "times"]);
    assert_eq!(declared.parameters[1].r#type, br#""number""#);
    assert_eq!(
        declared.r#return.as_ref().map(|r| r.r#type.clone()),
        Some(br#""string""#.to_vec())
    );
    assert_eq!(declared.summary, "Repeats a text");
    let listed = answer_of(service.get_functions(Request::new(Default::default()))).await;
    assert_eq!(listed.functions, schema.functions);
    let metadata = answer_of(service.get_metadata(Request::new(Default::default()))).await;
    let names: Vec<&str> = metadata.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["repeat"]);
}

#[tokio::test]
async fn a_call_decodes_its_arguments_and_encodes_the_result() {
    let service = ProviderService::new(toy(Arc::new(Remote::default())));
    let answer = call(
        &service,
        "repeat",
        vec![
            argument(&Value::String("ab".into()), &Type::String),
            argument(&Value::Number(3_i64.into()), &Type::Number),
        ],
    )
    .await;
    assert_eq!(answer.error, None);
    let result = answer.result.expect("a result");
    assert_eq!(
        value::from_msgpack(&result.msgpack, &Type::String).ok(),
        Some(Value::String("ababab".into()))
    );
}

#[tokio::test]
async fn a_failed_call_names_the_argument_and_returns_no_result() {
    let service = ProviderService::new(toy(Arc::new(Remote::default())));
    let text = argument(&Value::String("ab".into()), &Type::String);
    let negative = argument(&Value::Number((-1_i64).into()), &Type::Number);
    let answer = call(&service, "repeat", vec![text.clone(), negative]).await;
    assert_eq!(answer.result, None);
    let error = answer.error.expect("an error");
    assert_eq!(error.function_argument, Some(1));
    assert!(error.text.contains("whole number"), "{}", error.text);

    let null = argument(&Value::Null, &Type::Number);
    let error = call(&service, "repeat", vec![text.clone(), null])
        .await
        .error
        .expect("an error");
    assert_eq!(
        (error.function_argument, error.text.as_str()),
        (Some(1), "`times` must not be null.")
    );

    let one_more = argument(&Value::Number(1_i64.into()), &Type::Number);
    let three = vec![text.clone(), one_more.clone(), one_more];
    let error = call(&service, "repeat", three)
        .await
        .error
        .expect("an error");
    assert_eq!(error.function_argument, Some(2));

    let error = call(&service, "repeat", vec![text.clone()])
        .await
        .error
        .expect("an error");
    assert_eq!(error.function_argument, None);
    assert!(
        error.text.contains("takes 2 argument(s); 1 given"),
        "{}",
        error.text
    );

    let error = call(&service, "missing", vec![text])
        .await
        .error
        .expect("an error");
    assert!(
        error.text.contains("no function \"missing\""),
        "{}",
        error.text
    );
}

fn identity_value(identity: Option<pb::ResourceIdentityData>) -> Value {
    let ty = Type::Object(BTreeMap::from([("id".to_string(), Type::String)]));
    identity
        .and_then(|i| i.identity_data)
        .and_then(|d| value::from_msgpack(&d.msgpack, &ty).ok())
        .unwrap_or(Value::Null)
}

fn id_identity(id: &str) -> Value {
    Value::Object(BTreeMap::from([(
        "id".to_string(),
        Value::String(id.into()),
    )]))
}

#[tokio::test]
async fn the_identity_schema_takes_its_types_from_the_state_schema() {
    let service = ProviderService::new(toy(Arc::new(Remote::default())));
    let answer =
        answer_of(service.get_resource_identity_schemas(Request::new(Default::default()))).await;
    let schema = &answer.identity_schemas["toy_thing"];
    let [id] = schema.identity_attributes.as_slice() else {
        panic!("one identity attribute: {schema:?}");
    };
    assert_eq!(
        (id.name.as_str(), id.r#type.as_slice()),
        ("id", br#""string""#.as_slice())
    );
    assert!(id.required_for_import && !id.optional_for_import);
}

#[tokio::test]
async fn every_state_of_an_object_carries_its_identity_and_a_create_plans_none() {
    let service = ProviderService::new(toy(Arc::new(Remote::default())));
    configure(&service).await;
    let created = plan(&service, &Value::Null, &thing(Value::Null, "a")).await;
    assert_eq!(
        created.planned_identity, None,
        "no identity before the object exists"
    );

    let request = pb::apply_resource_change::Request {
        type_name: "toy_thing".into(),
        prior_state: dynamic(&Value::Null),
        planned_state: dynamic(&thing(Value::Unknown, "a")),
        ..Default::default()
    };
    let applied = answer_of(service.apply_resource_change(Request::new(request))).await;
    let state = decoded(applied.new_state);
    let Some(Value::String(id)) = state.attr("id").cloned() else {
        panic!("an id after apply: {state:?}");
    };
    assert_eq!(identity_value(applied.new_identity), id_identity(&id));

    let updated = plan(&service, &state, &thing(Value::String(id.clone()), "b")).await;
    assert_eq!(identity_value(updated.planned_identity), id_identity(&id));

    let request = pb::read_resource::Request {
        type_name: "toy_thing".into(),
        current_state: dynamic(&state),
        ..Default::default()
    };
    let read = answer_of(service.read_resource(Request::new(request))).await;
    assert_eq!(identity_value(read.new_identity), id_identity(&id));
}

#[tokio::test]
async fn an_identity_import_imports_by_the_identity_attribute() {
    let (service, _remote, state) = configured().await;
    let Some(Value::String(id)) = state.attr("id").cloned() else {
        panic!("an id: {state:?}");
    };
    let answer = import_by_identity(&service, &id_identity(&id)).await;
    assert_eq!(errors(&answer.diagnostics), Vec::<String>::new());
    let [imported] = answer.imported_resources.as_slice() else {
        panic!("one imported resource: {:?}", answer.imported_resources);
    };
    assert_eq!(
        decoded(imported.state.clone()).attr("id"),
        Some(&Value::String(id.clone()))
    );
    assert_eq!(identity_value(imported.identity.clone()), id_identity(&id));

    let empty = Value::Object(BTreeMap::from([("id".to_string(), Value::Null)]));
    let answer = import_by_identity(&service, &empty).await;
    assert_eq!(errors(&answer.diagnostics), ["Nothing to import by"]);
}

/// Imports a `toy_thing` by `identity` (its identity object, `id` in it).
async fn import_by_identity(
    service: &ProviderService<Toy>,
    identity: &Value,
) -> pb::import_resource_state::Response {
    let ty = Type::Object(BTreeMap::from([("id".to_string(), Type::String)]));
    let identity = pb::ResourceIdentityData {
        identity_data: Some(pb::DynamicValue {
            msgpack: value::to_msgpack(identity, &ty).expect("an identity"),
            json: Vec::new(),
        }),
    };
    let request = pb::import_resource_state::Request {
        type_name: "toy_thing".into(),
        identity: Some(identity),
        ..Default::default()
    };
    answer_of(service.import_resource_state(Request::new(request))).await
}

async fn move_state(
    service: &ProviderService<Toy>,
    provider: &str,
    source_type: &str,
    state: &serde_json::Value,
) -> pb::move_resource_state::Response {
    let request = pb::move_resource_state::Request {
        source_provider_address: provider.into(),
        source_type_name: source_type.into(),
        source_schema_version: 0,
        source_state: Some(pb::RawState {
            json: state.to_string().into_bytes(),
            flatmap: Default::default(),
        }),
        target_type_name: "toy_thing".into(),
        ..Default::default()
    };
    answer_of(service.move_resource_state(Request::new(request))).await
}

#[tokio::test]
async fn a_declared_source_moves_in_before_configuration_with_its_identity() {
    // Terraform moves state before it configures the provider.
    let service = ProviderService::new(toy(Arc::new(Remote::default())));
    let schema = answer_of(service.get_provider_schema(Request::new(Default::default()))).await;
    let capabilities = schema.server_capabilities.unwrap_or_default();
    assert!(capabilities.move_resource_state);
    let widget = serde_json::json!({"widget_id": "w-7", "label": "seven", "colour": "red"});
    let answer = move_state(
        &service,
        "registry.terraform.io/example/other",
        "other_widget",
        &widget,
    )
    .await;
    assert!(
        errors(&answer.diagnostics).is_empty(),
        "{:?}",
        answer.diagnostics
    );
    assert_eq!(
        decoded(answer.target_state),
        thing(Value::String("w-7".into()), "seven")
    );
    assert_eq!(identity_value(answer.target_identity), id_identity("w-7"));
}

#[tokio::test]
async fn moves_from_undeclared_sources_or_unreadable_states_are_refused() {
    let service = ProviderService::new(toy(Arc::new(Remote::default())));
    let widget = serde_json::json!({"widget_id": "w-7"});
    for (provider, source_type) in [
        ("registry.terraform.io/example/another", "other_widget"),
        ("registry.terraform.io/example/other", "other_gadget"),
    ] {
        let answer = move_state(&service, provider, source_type, &widget).await;
        assert_eq!(errors(&answer.diagnostics), ["Unsupported move"]);
        let detail = &answer.diagnostics[0].detail;
        assert!(
            detail.contains("other_widget (registry.terraform.io/example/other)"),
            "{detail}"
        );
        assert!(answer.target_state.is_none());
    }
    let without_id = serde_json::json!({"label": "seven"});
    let answer = move_state(&service, "example/other", "other_widget", &without_id).await;
    assert_eq!(errors(&answer.diagnostics), ["No widget id"]);
    assert_eq!(decoded(answer.target_state), Value::Null);
}

mod list;
