//! The `tfplugin6.Provider` gRPC service: decodes requests, routes them to
//! the provider's resources and data sources, encodes the answers.

use std::collections::HashMap;
use std::sync::Arc;

use std::future::Future;

use tokio::sync::RwLock;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};
use tracing::Instrument;

use crate::diagnostics::{AttrPath, Diagnostic, Diagnostics, Severity, Step};
use crate::moves::{self, MoveRequest, MoveSource};
use crate::proto::tfplugin6 as pb;
use crate::resource::{AnyDataSource, AnyResource, Provider};
use crate::schema::{Block, Nesting, Schema};
use crate::server::actions::{self, Actions};
use crate::server::functions::{self, Functions};
use crate::server::identity::Identity;
use crate::server::list::{self, Lists};
use crate::value::{self, Type, Value};

/// The answer of a server-streaming RPC (ListResource, InvokeAction).
type EventStream<T> = futures::stream::BoxStream<'static, Result<T, Status>>;

/// A registered resource or data source with its derived schema.
type Registered<T> = (Arc<T>, Schema);

pub(crate) struct ProviderService<P: Provider> {
    provider: Arc<P>,
    provider_schema: Schema,
    resources: HashMap<&'static str, Registered<dyn AnyResource<P::Client>>>,
    data_sources: HashMap<&'static str, Registered<dyn AnyDataSource<P::Client>>>,
    functions: Functions,
    actions: Actions<P::Client>,
    identities: HashMap<&'static str, Identity>,
    lists: Lists<P::Client>,
    schema_errors: Diagnostics,
    client: RwLock<Option<Arc<P::Client>>>,
    /// Cancelled by StopProvider; every configured client holds a child.
    stop: CancellationToken,
}

impl<P: Provider> ProviderService<P> {
    pub(crate) fn new(provider: P) -> Self {
        let mut schema_errors = Diagnostics::new();
        let provider_schema = match Schema::of::<P::Config>(0) {
            Ok(schema) => schema,
            Err(e) => {
                schema_errors.error("Invalid provider schema", e.to_string());
                Schema {
                    version: 0,
                    block: Block::default(),
                }
            }
        };
        let mut resources = HashMap::new();
        let mut identities = HashMap::new();
        for resource in provider.resources() {
            match resource.schema() {
                Ok(schema) => {
                    let name = resource.type_name();
                    match Identity::new(name, resource.identity(), &schema) {
                        Ok(Some(identity)) => {
                            identities.insert(name, identity);
                        }
                        Ok(None) => {}
                        Err(e) => schema_errors.error("Invalid resource identity", e),
                    }
                    resources.insert(name, (resource, schema));
                }
                Err(e) => schema_errors.error("Invalid resource schema", e.to_string()),
            }
        }
        let mut data_sources = HashMap::new();
        for source in provider.data_sources() {
            match source.schema() {
                Ok(schema) => {
                    data_sources.insert(source.type_name(), (source, schema));
                }
                Err(e) => schema_errors.error("Invalid data source schema", e.to_string()),
            }
        }
        let lists = Lists::new(provider.list_resources(), &identities, &mut schema_errors);
        let actions = Actions::new(provider.actions(), &mut schema_errors);
        ProviderService {
            functions: Functions::new(provider.functions()),
            lists,
            actions,
            identities,
            provider: Arc::new(provider),
            provider_schema,
            resources,
            data_sources,
            schema_errors,
            client: RwLock::new(None),
            stop: CancellationToken::new(),
        }
    }

    fn resource(&self, name: &str) -> Result<&Registered<dyn AnyResource<P::Client>>, Diagnostics> {
        self.resources
            .get(name)
            .ok_or_else(|| unknown_type("resource", name))
    }

    fn data_source(
        &self,
        name: &str,
    ) -> Result<&Registered<dyn AnyDataSource<P::Client>>, Diagnostics> {
        self.data_sources
            .get(name)
            .ok_or_else(|| unknown_type("data source", name))
    }

    /// The identity of `state` for a resource that declares one.
    fn identity_of(&self, type_name: &str, state: &Value) -> Option<pb::ResourceIdentityData> {
        self.identities.get(type_name)?.of(state)
    }

    async fn client(&self) -> Result<Arc<P::Client>, Diagnostics> {
        self.client.read().await.clone().ok_or_else(|| {
            let mut diags = Diagnostics::new();
            diags.error(
                "Provider not configured",
                "The provider configuration is not known yet or failed; see the errors above.",
            );
            diags
        })
    }
}

/// The refusal of a move from a type the target does not declare.
fn unsupported_move(
    request: &pb::move_resource_state::Request,
    accepted: &[MoveSource],
) -> Diagnostics {
    let accepted = if accepted.is_empty() {
        "none".to_string()
    } else {
        accepted
            .iter()
            .map(|s| format!("{} ({})", s.type_name, s.provider))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Diagnostics::single_error(
        "Unsupported move",
        format!(
            "{} cannot take the state of {} from {}. It accepts moves from: {accepted}.",
            request.target_type_name, request.source_type_name, request.source_provider_address
        ),
    )
}

fn unknown_type(kind: &str, name: &str) -> Diagnostics {
    let mut diags = Diagnostics::new();
    diags.error(
        format!("Unknown {kind} type"),
        format!("This provider has no {kind} type {name:?}."),
    );
    diags
}

fn decode(dv: Option<pb::DynamicValue>, ty: &Type) -> Result<Value, Diagnostics> {
    let Some(dv) = dv else { return Ok(Value::Null) };
    let result = if !dv.msgpack.is_empty() {
        value::from_msgpack(&dv.msgpack, ty)
    } else {
        value::from_json(&dv.json, ty)
    };
    result.map_err(|e| {
        let mut diags = Diagnostics::new();
        diags.error("Cannot decode a value from Terraform", e.to_string());
        diags
    })
}

fn encode(value: &Value, ty: &Type, diags: &mut Diagnostics) -> Option<pb::DynamicValue> {
    match value::to_msgpack(value, ty) {
        Ok(msgpack) => Some(pb::DynamicValue {
            msgpack,
            json: Vec::new(),
        }),
        Err(e) => {
            diags.error("Cannot encode a value for Terraform", e.to_string());
            None
        }
    }
}

fn path_to_proto(path: &AttrPath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: path
            .0
            .iter()
            .map(|step| pb::attribute_path::Step {
                selector: Some(match step {
                    Step::Attribute(name) => Selector::AttributeName(name.clone()),
                    Step::Key(key) => Selector::ElementKeyString(key.clone()),
                    Step::Index(index) => Selector::ElementKeyInt(*index),
                }),
            })
            .collect(),
    }
}

/// The RPC a handler serves and the resource or data source type it is for, as the
/// span around its work names them (`tf_rpc`, `tf_resource_type`: the keys
/// terraform-plugin-go logs with), so every log line the provider writes while serving
/// it says what it serves.
struct Rpc<'a> {
    name: &'static str,
    type_name: &'a str,
}

impl<'a> Rpc<'a> {
    fn on(name: &'static str, type_name: &'a str) -> Self {
        Rpc { name, type_name }
    }

    fn provider(name: &'static str) -> Rpc<'static> {
        Rpc {
            name,
            type_name: "",
        }
    }
}

/// The one shape of every handler: `work` decodes, calls the provider and encodes,
/// inside the RPC's span, and returns its answer with the diagnostics it gathered. A step
/// that fails with diagnostics (an unknown type, an undecodable value, no configured
/// client) ends the work: the answer is `failed`, the diagnostics are that step's.
/// Failures are always diagnostics, never a gRPC `Status`.
async fn respond<T>(
    rpc: Rpc<'_>,
    failed: T,
    work: impl Future<Output = Result<(T, Diagnostics), Diagnostics>>,
) -> (T, Vec<pb::Diagnostic>) {
    let span = tracing::error_span!("rpc", tf_rpc = rpc.name, tf_resource_type = rpc.type_name);
    let (answer, diags) = match work.instrument(span).await {
        Ok(done) => done,
        Err(diags) => (failed, diags),
    };
    (answer, diags_to_proto(diags))
}

fn diags_to_proto(diags: Diagnostics) -> Vec<pb::Diagnostic> {
    diags
        .into_iter()
        .map(|d: Diagnostic| pb::Diagnostic {
            severity: match d.severity {
                Severity::Error => pb::diagnostic::Severity::Error as i32,
                Severity::Warning => pb::diagnostic::Severity::Warning as i32,
            },
            summary: d.summary,
            detail: d.detail,
            attribute: d.path.as_ref().map(path_to_proto),
        })
        .collect()
}

fn schema_to_proto(schema: &Schema) -> pb::Schema {
    pb::Schema {
        version: schema.version,
        block: Some(block_to_proto(&schema.block, schema.version)),
    }
}

fn block_to_proto(block: &Block, version: i64) -> pb::schema::Block {
    use pb::schema::nested_block::NestingMode;
    pb::schema::Block {
        version,
        attributes: block
            .attributes
            .iter()
            .map(|a| pb::schema::Attribute {
                name: a.name.clone(),
                r#type: a.ty.to_json().to_string().into_bytes(),
                nested_type: None,
                description: describe(&a.description, &a.constraints.describe()),
                required: a.required,
                optional: a.optional,
                computed: a.computed,
                sensitive: a.sensitive,
                description_kind: pb::StringKind::Markdown as i32,
                deprecated: a.deprecated.is_some(),
                write_only: false,
                deprecation_message: a.deprecated.clone().unwrap_or_default(),
            })
            .collect(),
        block_types: block
            .blocks
            .iter()
            .map(|b| pb::schema::NestedBlock {
                type_name: b.name.clone(),
                block: Some(block_to_proto(&b.block, version)),
                nesting: match b.nesting {
                    Nesting::Single => NestingMode::Single,
                    Nesting::List => NestingMode::List,
                    Nesting::Set => NestingMode::Set,
                } as i32,
                min_items: b.min_items,
                max_items: b.max_items,
            })
            .collect(),
        description: block.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: block.deprecated.is_some(),
        deprecation_message: block.deprecated.clone().unwrap_or_default(),
        computed: false,
    }
}

fn describe(description: &str, constraints: &[String]) -> String {
    if constraints.is_empty() {
        description.to_string()
    } else {
        format!("{description} {}", constraints.join(" "))
            .trim()
            .to_string()
    }
}

fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: false,
        move_resource_state: true,
        generate_resource_config: true,
    }
}

#[tonic::async_trait]
impl<P: Provider> pb::provider_server::Provider for ProviderService<P> {
    async fn get_metadata(
        &self,
        _request: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        let mut resources: Vec<_> = self.resources.keys().collect();
        resources.sort();
        let mut data_sources: Vec<_> = self.data_sources.keys().collect();
        data_sources.sort();
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            diagnostics: diags_to_proto(self.schema_errors.clone()),
            resources: resources
                .into_iter()
                .map(|n| pb::get_metadata::ResourceMetadata {
                    type_name: n.to_string(),
                })
                .collect(),
            data_sources: data_sources
                .into_iter()
                .map(|n| pb::get_metadata::DataSourceMetadata {
                    type_name: n.to_string(),
                })
                .collect(),
            functions: self
                .functions
                .names()
                .into_iter()
                .map(|name| pb::get_metadata::FunctionMetadata {
                    name: name.to_string(),
                })
                .collect(),
            list_resources: self.lists.metadata(),
            actions: self
                .actions
                .names()
                .into_iter()
                .map(|name| pb::get_metadata::ActionMetadata {
                    type_name: name.to_string(),
                })
                .collect(),
        }))
    }

    async fn get_provider_schema(
        &self,
        _request: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(schema_to_proto(&self.provider_schema)),
            resource_schemas: self
                .resources
                .iter()
                .map(|(n, (_, s))| (n.to_string(), schema_to_proto(s)))
                .collect(),
            data_source_schemas: self
                .data_sources
                .iter()
                .map(|(n, (_, s))| (n.to_string(), schema_to_proto(s)))
                .collect(),
            functions: self.functions.to_proto(),
            list_resource_schemas: self.lists.schemas(schema_to_proto),
            action_schemas: self.actions.schemas_to_proto(schema_to_proto),
            diagnostics: diags_to_proto(self.schema_errors.clone()),
            provider_meta: Some(pb::Schema {
                version: 0,
                block: Some(pb::schema::Block::default()),
            }),
            server_capabilities: Some(capabilities()),
        }))
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let request = request.into_inner();
        let ((), diagnostics) = respond(Rpc::provider("ValidateProviderConfig"), (), async {
            let config = decode(request.config, &self.provider_schema.value_type())?;
            let mut diags = Diagnostics::new();
            self.provider_schema
                .block
                .validate(&config, &AttrPath::default(), &mut diags);
            match value::from_value::<P::Config>(config) {
                Ok(model) => self.provider.validate(&model, &mut diags),
                Err(e) => diags.error("Invalid provider configuration", e.to_string()),
            }
            Ok(((), diags))
        })
        .await;
        Ok(Response::new(pb::validate_provider_config::Response {
            diagnostics,
        }))
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let request = request.into_inner();
        let rpc = Rpc::on("ValidateResourceConfig", &request.type_name);
        let ((), diagnostics) = respond(rpc, (), async {
            let (resource, schema) = self.resource(&request.type_name)?;
            let config = decode(request.config, &schema.value_type())?;
            Ok(((), resource.validate(schema, config)))
        })
        .await;
        Ok(Response::new(pb::validate_resource_config::Response {
            diagnostics,
        }))
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let request = request.into_inner();
        let rpc = Rpc::on("ValidateDataResourceConfig", &request.type_name);
        let ((), diagnostics) = respond(rpc, (), async {
            let (source, schema) = self.data_source(&request.type_name)?;
            let config = decode(request.config, &schema.value_type())?;
            Ok(((), source.validate(schema, config)))
        })
        .await;
        Ok(Response::new(pb::validate_data_resource_config::Response {
            diagnostics,
        }))
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let request = request.into_inner();
        let rpc = Rpc::on("UpgradeResourceState", &request.type_name);
        let (upgraded_state, diagnostics) = respond(rpc, None, async {
            let (resource, schema) = self.resource(&request.type_name)?;
            let raw = request.raw_state.map(|r| r.json).unwrap_or_default();
            let json = serde_json::from_slice::<serde_json::Value>(&raw).map_err(|e| {
                Diagnostics::single_error("Cannot read the stored state", e.to_string())
            })?;
            let (state, mut diags) = resource.upgrade(schema, request.version, json);
            let encoded = encode(&state, &schema.value_type(), &mut diags);
            Ok((encoded, diags))
        })
        .await;
        Ok(Response::new(pb::upgrade_resource_state::Response {
            upgraded_state,
            diagnostics,
        }))
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let request = request.into_inner();
        let ((), diagnostics) = respond(Rpc::provider("ConfigureProvider"), (), async {
            let config = decode(request.config, &self.provider_schema.value_type())?;
            let model = value::from_value::<P::Config>(config).map_err(|e| {
                Diagnostics::single_error("Invalid provider configuration", e.to_string())
            })?;
            let mut diags = Diagnostics::new();
            let client = self
                .provider
                .configure(
                    model,
                    &request.terraform_version,
                    self.stop.child_token(),
                    &mut diags,
                )
                .await;
            *self.client.write().await = client.map(Arc::new);
            Ok(((), diags))
        })
        .await;
        Ok(Response::new(pb::configure_provider::Response {
            diagnostics,
        }))
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let request = request.into_inner();
        let rpc = Rpc::on("ReadResource", &request.type_name);
        let ((new_state, new_identity), diagnostics) = respond(rpc, (None, None), async {
            let (resource, schema) = self.resource(&request.type_name)?;
            let current = decode(request.current_state, &schema.value_type())?;
            let client = self.client().await?;
            let (state, mut diags) = resource.read(&client, schema, current).await;
            let identity = self.identity_of(&request.type_name, &state);
            let encoded = encode(&state, &schema.value_type(), &mut diags);
            Ok(((encoded, identity), diags))
        })
        .await;
        Ok(Response::new(pb::read_resource::Response {
            new_state,
            diagnostics,
            private: request.private,
            deferred: None,
            new_identity,
        }))
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let request = request.into_inner();
        let rpc = Rpc::on("PlanResourceChange", &request.type_name);
        let prior_identity = request.prior_identity;
        let ((planned_state, requires_replace, planned_identity), diagnostics) =
            respond(rpc, (None, Vec::new(), None), async {
                let (resource, schema) = self.resource(&request.type_name)?;
                let ty = schema.value_type();
                let prior = decode(request.prior_state, &ty)?;
                let updating = !prior.is_null();
                let proposed = decode(request.proposed_new_state, &ty)?;
                let config = decode(request.config, &ty)?;
                let client = self.client.read().await.clone();
                let outcome = resource
                    .plan(client.as_deref(), schema, prior, proposed, config)
                    .await?;
                let mut diags = outcome.diagnostics;
                let replace = outcome.requires_replace.iter().map(path_to_proto).collect();
                // An object being created has no identity until apply; one
                // being updated keeps the identity it has.
                let identity = if updating && !outcome.planned.is_null() {
                    self.identity_of(&request.type_name, &outcome.planned)
                        .or(prior_identity)
                } else {
                    None
                };
                let planned = encode(&outcome.planned, &ty, &mut diags);
                Ok(((planned, replace, identity), diags))
            })
            .await;
        Ok(Response::new(pb::plan_resource_change::Response {
            planned_state,
            requires_replace,
            planned_private: request.prior_private,
            diagnostics,
            deferred: None,
            planned_identity,
        }))
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let request = request.into_inner();
        let rpc = Rpc::on("ApplyResourceChange", &request.type_name);
        let ((new_state, new_identity), diagnostics) = respond(rpc, (None, None), async {
            let (resource, schema) = self.resource(&request.type_name)?;
            let ty = schema.value_type();
            let prior = decode(request.prior_state, &ty)?;
            let planned = decode(request.planned_state, &ty)?;
            let client = self.client().await?;
            let (state, mut diags) = resource.apply(&client, schema, prior, planned).await;
            let identity = self.identity_of(&request.type_name, &state);
            let encoded = encode(&state, &ty, &mut diags);
            Ok(((encoded, identity), diags))
        })
        .await;
        Ok(Response::new(pb::apply_resource_change::Response {
            new_state,
            private: request.planned_private,
            diagnostics,
            new_identity,
        }))
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let request = request.into_inner();
        let rpc = Rpc::on("ImportResourceState", &request.type_name);
        let (imported_resources, diagnostics) = respond(rpc, Vec::new(), async {
            let (resource, schema) = self.resource(&request.type_name)?;
            let id = match (
                &request.identity,
                self.identities.get(request.type_name.as_str()),
            ) {
                (Some(identity), Some(declared)) if request.id.is_empty() => {
                    declared.import_id(identity)?
                }
                _ => request.id.clone(),
            };
            let client = self.client().await?;
            let (state, mut diags) = resource.import(&client, schema, &id).await;
            if state.is_null() {
                return Ok((Vec::new(), diags));
            }
            let identity = self.identity_of(&request.type_name, &state);
            let state = encode(&state, &schema.value_type(), &mut diags);
            let imported = pb::import_resource_state::ImportedResource {
                type_name: request.type_name.clone(),
                state,
                private: Vec::new(),
                identity,
            };
            Ok((vec![imported], diags))
        })
        .await;
        Ok(Response::new(pb::import_resource_state::Response {
            imported_resources,
            diagnostics,
            deferred: None,
        }))
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let request = request.into_inner();
        let rpc = Rpc::on("ReadDataSource", &request.type_name);
        let (state, diagnostics) = respond(rpc, None, async {
            let (source, schema) = self.data_source(&request.type_name)?;
            let config = decode(request.config, &schema.value_type())?;
            let client = self.client().await?;
            let (state, mut diags) = source.read(&client, schema, config).await;
            let encoded = encode(&state, &schema.value_type(), &mut diags);
            Ok((encoded, diags))
        })
        .await;
        Ok(Response::new(pb::read_data_source::Response {
            state,
            diagnostics,
            deferred: None,
        }))
    }

    async fn get_resource_identity_schemas(
        &self,
        _request: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Result<Response<pb::get_resource_identity_schemas::Response>, Status> {
        Ok(Response::new(pb::get_resource_identity_schemas::Response {
            identity_schemas: self
                .identities
                .iter()
                .map(|(name, identity)| (name.to_string(), identity.schema_to_proto()))
                .collect(),
            diagnostics: Vec::new(),
        }))
    }

    /// Identities have one version so far: the stored JSON is read as it is.
    async fn upgrade_resource_identity(
        &self,
        request: Request<pb::upgrade_resource_identity::Request>,
    ) -> Result<Response<pb::upgrade_resource_identity::Response>, Status> {
        let request = request.into_inner();
        let rpc = Rpc::on("UpgradeResourceIdentity", &request.type_name);
        let (upgraded_identity, diagnostics) = respond(rpc, None, async {
            let identity = self
                .identities
                .get(request.type_name.as_str())
                .ok_or_else(|| unknown_type("resource identity", &request.type_name))?;
            let raw = request.raw_identity.map(|r| r.json).unwrap_or_default();
            Ok((identity.read_stored(&raw)?, Diagnostics::new()))
        })
        .await;
        Ok(Response::new(pb::upgrade_resource_identity::Response {
            upgraded_identity,
            diagnostics,
        }))
    }

    async fn get_functions(
        &self,
        _request: Request<pb::get_functions::Request>,
    ) -> Result<Response<pb::get_functions::Response>, Status> {
        Ok(Response::new(pb::get_functions::Response {
            functions: self.functions.to_proto(),
            diagnostics: Vec::new(),
        }))
    }

    async fn call_function(
        &self,
        request: Request<pb::call_function::Request>,
    ) -> Result<Response<pb::call_function::Response>, Status> {
        let request = request.into_inner();
        let span =
            tracing::error_span!("rpc", tf_rpc = "CallFunction", tf_function = %request.name);
        let outcome = span.in_scope(|| self.functions.call(&request.name, request.arguments));
        Ok(Response::new(match outcome {
            Ok(result) => pb::call_function::Response {
                result: Some(result),
                error: None,
            },
            Err(error) => pb::call_function::Response {
                result: None,
                error: Some(functions::error_to_proto(error)),
            },
        }))
    }

    async fn move_resource_state(
        &self,
        request: Request<pb::move_resource_state::Request>,
    ) -> Result<Response<pb::move_resource_state::Response>, Status> {
        let request = request.into_inner();
        let rpc = Rpc::on("MoveResourceState", &request.target_type_name);
        let ((target_state, target_identity), diagnostics) = respond(rpc, (None, None), async {
            let (resource, schema) = self.resource(&request.target_type_name)?;
            let source = moves::find(
                resource.move_sources(),
                &request.source_provider_address,
                &request.source_type_name,
            )
            .ok_or_else(|| unsupported_move(&request, resource.move_sources()))?;
            let raw = request.source_state.as_ref().map(|r| r.json.as_slice());
            let state = serde_json::from_slice::<serde_json::Value>(raw.unwrap_or_default());
            let state = state.map_err(|e| {
                Diagnostics::single_error("Cannot read the moved state", e.to_string())
            })?;
            let moved = MoveRequest {
                source,
                schema_version: request.source_schema_version,
                state,
            };
            let (state, mut diags) = resource.move_state(schema, moved);
            let identity = self.identity_of(&request.target_type_name, &state);
            let encoded = encode(&state, &schema.value_type(), &mut diags);
            Ok(((encoded, identity), diags))
        })
        .await;
        Ok(Response::new(pb::move_resource_state::Response {
            target_state,
            diagnostics,
            target_private: Vec::new(),
            target_identity,
        }))
    }

    type ListResourceStream = EventStream<pb::list_resource::Event>;

    /// The items come as events; a failure is an event with diagnostics,
    /// never a gRPC error.
    async fn list_resource(
        &self,
        request: Request<pb::list_resource::Request>,
    ) -> Result<Response<Self::ListResourceStream>, Status> {
        let request = request.into_inner();
        let rpc = Rpc::on("ListResource", &request.type_name);
        let include_resource = request.include_resource_object;
        let ((items, state_type), diagnostics) = respond(rpc, (Vec::new(), Type::String), async {
            let (list, schema) = self.lists.get(&request.type_name)?;
            let (_, resource_schema) = self.resource(&request.type_name)?;
            let config = decode(request.config, &schema.value_type())?;
            let client = self.client().await?;
            let limit = usize::try_from(request.limit).unwrap_or(0);
            let asked = crate::list::ListRequest {
                include_resource,
                limit,
            };
            let (items, diags) = list.list(&client, schema, config, asked).await;
            Ok(((items, resource_schema.value_type()), diags))
        })
        .await;
        let identity = self.identities.get(request.type_name.as_str());
        let events = list::events(items, identity, &state_type, include_resource, diagnostics);
        let stream = futures::stream::iter(events.into_iter().map(Ok));
        Ok(Response::new(Box::pin(stream)))
    }

    async fn generate_resource_config(
        &self,
        request: Request<pb::generate_resource_config::Request>,
    ) -> Result<Response<pb::generate_resource_config::Response>, Status> {
        let request = request.into_inner();
        let rpc = Rpc::on("GenerateResourceConfig", &request.type_name);
        let (config, diagnostics) = respond(rpc, None, async {
            let (_, schema) = self.resource(&request.type_name)?;
            let ty = schema.value_type();
            let state = decode(request.state, &ty)?;
            let mut diags = Diagnostics::new();
            let config = self.provider.generate_resource_config(
                &request.type_name,
                schema,
                &state,
                &mut diags,
            );
            let encoded = encode(&config, &ty, &mut diags);
            Ok((encoded, diags))
        })
        .await;
        Ok(Response::new(pb::generate_resource_config::Response {
            config,
            diagnostics,
        }))
    }

    async fn validate_list_resource_config(
        &self,
        request: Request<pb::validate_list_resource_config::Request>,
    ) -> Result<Response<pb::validate_list_resource_config::Response>, Status> {
        let request = request.into_inner();
        let rpc = Rpc::on("ValidateListResourceConfig", &request.type_name);
        let ((), diagnostics) = respond(rpc, (), async {
            let (list, schema) = self.lists.get(&request.type_name)?;
            let config = decode(request.config, &schema.value_type())?;
            Ok(((), list.validate(schema, config)))
        })
        .await;
        Ok(Response::new(pb::validate_list_resource_config::Response {
            diagnostics,
        }))
    }

    async fn plan_action(
        &self,
        request: Request<pb::plan_action::Request>,
    ) -> Result<Response<pb::plan_action::Response>, Status> {
        let request = request.into_inner();
        let span = actions::span("PlanAction", &request.action_type);
        let diags = async {
            let (action, schema) = self.actions.get(&request.action_type)?;
            let config = decode(request.config, &schema.value_type())?;
            // The provider configuration may still be unknown: plan without
            // a client then.
            let client = self.client.read().await.clone();
            Ok::<_, Diagnostics>(action.plan(client.as_deref(), schema, config).await)
        }
        .instrument(span)
        .await
        .unwrap_or_else(|diags| diags);
        Ok(Response::new(pb::plan_action::Response {
            diagnostics: diags_to_proto(diags),
            deferred: None,
        }))
    }

    type InvokeActionStream = EventStream<pb::invoke_action::Event>;

    async fn invoke_action(
        &self,
        request: Request<pb::invoke_action::Request>,
    ) -> Result<Response<Self::InvokeActionStream>, Status> {
        let request = request.into_inner();
        let span = actions::span("InvokeAction", &request.action_type);
        let started = async {
            let (action, schema) = self.actions.get(&request.action_type)?;
            let config = decode(request.config, &schema.value_type())?;
            let client = self.client().await?;
            Ok::<_, Diagnostics>(((action.clone(), schema.clone()), client, config))
        }
        .instrument(span)
        .await;
        Ok(Response::new(match started {
            Ok((action, client, config)) => actions::invoke(action, client, config, diags_to_proto),
            Err(diags) => actions::completed_only(diags_to_proto(diags)),
        }))
    }

    async fn validate_action_config(
        &self,
        request: Request<pb::validate_action_config::Request>,
    ) -> Result<Response<pb::validate_action_config::Response>, Status> {
        let request = request.into_inner();
        let span = actions::span("ValidateActionConfig", &request.type_name);
        let diags = async {
            let (action, schema) = self.actions.get(&request.type_name)?;
            let config = decode(request.config, &schema.value_type())?;
            Ok::<_, Diagnostics>(action.validate(schema, config))
        }
        .instrument(span)
        .await
        .unwrap_or_else(|diags| diags);
        Ok(Response::new(pb::validate_action_config::Response {
            diagnostics: diags_to_proto(diags),
        }))
    }

    async fn stop_provider(
        &self,
        _request: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        tracing::info!("StopProvider received: cancelling waits and retries");
        self.stop.cancel();
        Ok(Response::new(pb::stop_provider::Response {
            error: String::new(),
        }))
    }
}
