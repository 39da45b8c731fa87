//! The traits a provider implements: [`Provider`], [`Resource`] and
//! [`DataSource`], each over typed models, and their type-erased forms that
//! the server drives with raw values.

use std::sync::Arc;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

use crate::action::AnyAction;
use crate::diagnostics::Diagnostics;
use crate::function::Function;
use crate::identity::IdentityAttribute;
use crate::list::AnyListResource;
use crate::moves::{MoveRequest, MoveSource, Moves};
use crate::plan::{self, PlanOutcome};
use crate::schema::{Schema, SchemaError};
use crate::value::{self, CodecError, Value};

/// Bounds every model type meets.
pub trait Model: Serialize + DeserializeOwned + JsonSchema + Send + Sync + 'static {}
impl<T: Serialize + DeserializeOwned + JsonSchema + Send + Sync + 'static> Model for T {}

/// A plan in the making, handed to [`Resource::modify_plan`].
pub struct PlanRequest<'a, M> {
    /// The prior state; `None` when the resource is being created.
    pub prior: Option<&'a M>,
    /// The configuration as written (may hold unknowns).
    pub config: &'a M,
    /// What the generic rules planned: configuration merged with prior
    /// computed values, defaults applied, computed values that will change
    /// marked unknown. Adjust it and return it.
    pub planned: M,
}

/// A managed resource over a typed model. The provider's configured API
/// client `C` is handed to every call that may reach the remote side.
#[async_trait]
pub trait Resource<C: Send + Sync + 'static>: Send + Sync + 'static {
    type Model: Model;

    /// The resource type name, e.g. `autopilot_domain_join_profile`.
    const TYPE_NAME: &'static str;

    fn schema_version(&self) -> i64 {
        0
    }

    /// The state attributes that identify the remote object (resource
    /// identity, Terraform 1.12 and later), in the order an identity import
    /// tries them: the first one given becomes the id passed to
    /// [`import`](Self::import). None by default.
    fn identity(&self) -> &'static [IdentityAttribute] {
        &[]
    }

    /// Checks a configuration offline (values may be unknown: skip those).
    fn validate(&self, _config: &Self::Model, _diags: &mut Diagnostics) {}

    /// Adjusts the planned state; may read the remote side (`client` is
    /// `None` while the provider configuration is unknown).
    async fn modify_plan(
        &self,
        _client: Option<&C>,
        request: PlanRequest<'_, Self::Model>,
        _diags: &mut Diagnostics,
    ) -> Self::Model {
        request.planned
    }

    /// Creates the object. Returns the state to store; return a state
    /// together with errors when the object exists but a later step failed,
    /// so that nothing created is lost.
    async fn create(
        &self,
        client: &C,
        planned: Self::Model,
        diags: &mut Diagnostics,
    ) -> Option<Self::Model>;

    /// Reads the object; `None` when it no longer exists. `None` together
    /// with an error keeps the current state (a failed read never drops the
    /// resource).
    async fn read(
        &self,
        client: &C,
        current: Self::Model,
        diags: &mut Diagnostics,
    ) -> Option<Self::Model>;

    async fn update(
        &self,
        client: &C,
        prior: Self::Model,
        planned: Self::Model,
        diags: &mut Diagnostics,
    ) -> Option<Self::Model>;

    async fn delete(&self, client: &C, prior: Self::Model, diags: &mut Diagnostics);

    /// Builds a state from an import id; Terraform reads it right after.
    async fn import(&self, client: &C, id: &str, diags: &mut Diagnostics) -> Option<Self::Model>;

    /// Migrates a stored state (JSON, in the schema of `version`) to the
    /// current schema version.
    fn upgrade_state(
        &self,
        _version: i64,
        state: serde_json::Value,
        _diags: &mut Diagnostics,
    ) -> serde_json::Value {
        state
    }

    /// What `moved` blocks may move into this resource (MoveResourceState,
    /// Terraform 1.8+): nothing by default.
    fn moves(&self) -> Moves<Self::Model> {
        Moves::NONE
    }
}

/// A data source over a typed model.
#[async_trait]
pub trait DataSource<C: Send + Sync + 'static>: Send + Sync + 'static {
    type Model: Model;

    /// The data source type name, e.g. `autopilot_group`.
    const TYPE_NAME: &'static str;

    fn validate(&self, _config: &Self::Model, _diags: &mut Diagnostics) {}

    async fn read(
        &self,
        client: &C,
        config: Self::Model,
        diags: &mut Diagnostics,
    ) -> Option<Self::Model>;
}

/// The provider: its configuration model, how it builds its client, and the
/// resources and data sources it offers.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    type Config: Model;
    type Client: Send + Sync + 'static;

    /// The provider's type name (`autopilot`), the prefix of every resource.
    fn type_name(&self) -> &'static str;

    fn validate(&self, _config: &Self::Config, _diags: &mut Diagnostics) {}

    /// Builds the client from the configuration. Called once per Terraform
    /// run per process, and again on reattach. `stop` is cancelled when
    /// Terraform sends StopProvider (the user pressed Ctrl-C): the client
    /// should then stop waiting and retrying, and let requests already on
    /// the wire finish so that their results reach the state.
    async fn configure(
        &self,
        config: Self::Config,
        terraform_version: &str,
        stop: CancellationToken,
        diags: &mut Diagnostics,
    ) -> Option<Self::Client>;

    fn resources(&self) -> Vec<Arc<dyn AnyResource<Self::Client>>>;

    fn data_sources(&self) -> Vec<Arc<dyn AnyDataSource<Self::Client>>>;

    /// Provider-defined functions (Terraform 1.8 and later); none by default.
    fn functions(&self) -> Vec<Arc<dyn Function>> {
        Vec::new()
    }

    /// The configuration `terraform query -generate-config-out` writes for a
    /// listed object's `state` (Terraform 1.14 and later): by default
    /// [`crate::generate::config_from_state`]. `diags` may explain what the
    /// user still has to fill in.
    fn generate_resource_config(
        &self,
        _type_name: &str,
        schema: &Schema,
        state: &Value,
        _diags: &mut Diagnostics,
    ) -> Value {
        crate::generate::config_from_state(&schema.block, state)
    }

    /// List resources (Terraform 1.14 and later, `terraform query`), each
    /// named after a resource type that declares an identity; none by default.
    fn list_resources(&self) -> Vec<Arc<dyn AnyListResource<Self::Client>>> {
        Vec::new()
    }

    /// Actions (Terraform 1.14 and later); none by default.
    fn actions(&self) -> Vec<Arc<dyn AnyAction<Self::Client>>> {
        Vec::new()
    }
}

/// A resource seen through raw values; implemented for every [`Resource`].
#[async_trait]
pub trait AnyResource<C>: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Result<Schema, SchemaError>;
    fn identity(&self) -> &'static [IdentityAttribute];
    fn validate(&self, schema: &Schema, config: Value) -> Diagnostics;
    async fn plan(
        &self,
        client: Option<&C>,
        schema: &Schema,
        prior: Value,
        proposed: Value,
        config: Value,
    ) -> Result<PlanOutcome, Diagnostics>;
    async fn apply(
        &self,
        client: &C,
        schema: &Schema,
        prior: Value,
        planned: Value,
    ) -> (Value, Diagnostics);
    async fn read(&self, client: &C, schema: &Schema, current: Value) -> (Value, Diagnostics);
    async fn import(&self, client: &C, schema: &Schema, id: &str) -> (Value, Diagnostics);
    fn upgrade(
        &self,
        schema: &Schema,
        version: i64,
        state: serde_json::Value,
    ) -> (Value, Diagnostics);
    fn move_sources(&self) -> &'static [MoveSource];
    fn move_state(&self, schema: &Schema, request: MoveRequest<'_>) -> (Value, Diagnostics);
}

/// A data source seen through raw values; implemented for every [`DataSource`].
#[async_trait]
pub trait AnyDataSource<C>: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Result<Schema, SchemaError>;
    fn validate(&self, schema: &Schema, config: Value) -> Diagnostics;
    async fn read(&self, client: &C, schema: &Schema, config: Value) -> (Value, Diagnostics);
}

pub(crate) fn decode<M: Model>(value: Value, what: &str, diags: &mut Diagnostics) -> Option<M> {
    match value::from_value(value) {
        Ok(model) => Some(model),
        Err(e) => {
            diags.error(format!("Cannot read the {what}"), e.to_string());
            None
        }
    }
}

fn encode<M: Model>(model: Option<&M>, schema: &Schema, diags: &mut Diagnostics) -> Value {
    let Some(model) = model else {
        return Value::Null;
    };
    match value::to_value(model, &schema.value_type()) {
        Ok(v) => v,
        Err(e) => {
            diags.error(
                "Provider produced a value that does not fit its schema",
                e.to_string(),
            );
            Value::Null
        }
    }
}

/// A typed model field cannot hold a collection with some unknown elements
/// (`include_group_ids = [azuread_group.x.id, "..."]`), so such an attribute
/// is shown to the model as wholly unknown...
pub(crate) fn collapse_partial_unknowns(value: &Value) -> Value {
    match value {
        Value::Object(attrs) => Value::Object(
            attrs
                .iter()
                .map(|(name, v)| {
                    let v = if v.is_wholly_known() {
                        v.clone()
                    } else {
                        Value::Unknown
                    };
                    (name.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// ...and the partly known value goes back into the plan wherever the model
/// left it unknown, because Terraform requires the plan to equal the
/// configuration for non-computed attributes.
fn restore_partial_unknowns(planned: &mut Value, original: &Value) {
    let (Value::Object(planned), Value::Object(original)) = (planned, original) else {
        return;
    };
    for (name, slot) in planned.iter_mut() {
        if let Some(before) = original.get(name)
            && slot.is_unknown()
            && !before.is_unknown()
            && !before.is_wholly_known()
        {
            *slot = before.clone();
        }
    }
}

fn codec_diag(e: &CodecError) -> Diagnostics {
    Diagnostics::single_error("Invalid value", e.to_string())
}

#[async_trait]
impl<C: Send + Sync + 'static, R: Resource<C>> AnyResource<C> for R {
    fn type_name(&self) -> &'static str {
        R::TYPE_NAME
    }

    fn schema(&self) -> Result<Schema, SchemaError> {
        Schema::of::<R::Model>(self.schema_version())
    }

    fn identity(&self) -> &'static [IdentityAttribute] {
        Resource::identity(self)
    }

    fn validate(&self, schema: &Schema, config: Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        schema
            .block
            .validate(&config, &Default::default(), &mut diags);
        if diags.has_errors() {
            // The schema rules already named the attribute; a generic
            // "cannot read" error on top would only add noise.
            return diags;
        }
        let config = collapse_partial_unknowns(&config);
        if let Some(model) = decode::<R::Model>(config, "configuration", &mut diags) {
            Resource::validate(self, &model, &mut diags);
        }
        diags
    }

    async fn plan(
        &self,
        client: Option<&C>,
        schema: &Schema,
        prior: Value,
        proposed: Value,
        config: Value,
    ) -> Result<PlanOutcome, Diagnostics> {
        if proposed.is_null() {
            return Ok(PlanOutcome::destroy());
        }
        let mut diags = Diagnostics::new();
        schema
            .block
            .validate(&config, &Default::default(), &mut diags);
        if diags.has_errors() {
            return Err(diags);
        }
        let generic = plan::plan_generic(&schema.block, &prior, proposed, &config);
        let planned = collapse_partial_unknowns(&generic);
        let config = collapse_partial_unknowns(&config);
        let prior_model = if prior.is_null() {
            None
        } else {
            Some(
                decode::<R::Model>(prior.clone(), "prior state", &mut diags)
                    .ok_or_else(|| diags.clone())?,
            )
        };
        let config_model =
            decode::<R::Model>(config, "configuration", &mut diags).ok_or_else(|| diags.clone())?;
        Resource::validate(self, &config_model, &mut diags);
        if diags.has_errors() {
            return Err(diags);
        }
        let planned_model =
            decode::<R::Model>(planned, "plan", &mut diags).ok_or_else(|| diags.clone())?;
        let request = PlanRequest {
            prior: prior_model.as_ref(),
            config: &config_model,
            planned: planned_model,
        };
        let planned_model = self.modify_plan(client, request, &mut diags).await;
        if diags.has_errors() {
            return Err(diags);
        }
        let mut planned =
            value::to_value(&planned_model, &schema.value_type()).map_err(|e| codec_diag(&e))?;
        restore_partial_unknowns(&mut planned, &generic);
        let requires_replace = plan::requires_replace(&schema.block, &prior, &planned);
        Ok(PlanOutcome {
            planned,
            requires_replace,
            diagnostics: diags,
        })
    }

    async fn apply(
        &self,
        client: &C,
        schema: &Schema,
        prior: Value,
        planned: Value,
    ) -> (Value, Diagnostics) {
        let mut diags = Diagnostics::new();
        let result = match (prior.is_null(), planned.is_null()) {
            (_, true) => {
                let kept = prior.clone();
                if let Some(prior) = decode::<R::Model>(prior, "prior state", &mut diags) {
                    self.delete(client, prior, &mut diags).await;
                }
                if diags.has_errors() {
                    // The object still exists: keep it in state.
                    return (kept, diags);
                }
                None
            }
            (true, false) => match decode::<R::Model>(planned, "plan", &mut diags) {
                Some(planned) => self.create(client, planned, &mut diags).await,
                None => None,
            },
            (false, false) => {
                let prior = decode::<R::Model>(prior, "prior state", &mut diags);
                let planned = decode::<R::Model>(planned, "plan", &mut diags);
                match (prior, planned) {
                    (Some(prior), Some(planned)) => {
                        self.update(client, prior, planned, &mut diags).await
                    }
                    _ => None,
                }
            }
        };
        let state = encode(result.as_ref(), schema, &mut diags);
        if !state.is_wholly_known() {
            diags.error(
                "Provider left a value unknown after apply",
                format!(
                    "{} returned a state with unknown values; this is a bug in the provider.",
                    self.type_name()
                ),
            );
        }
        (state, diags)
    }

    async fn read(&self, client: &C, schema: &Schema, current: Value) -> (Value, Diagnostics) {
        let mut diags = Diagnostics::new();
        let kept = current.clone();
        let Some(current) = decode::<R::Model>(current, "state", &mut diags) else {
            return (kept, diags);
        };
        let fresh = Resource::read(self, client, current, &mut diags).await;
        if fresh.is_none() && diags.has_errors() {
            // A read that failed is not a read that found nothing: the
            // resource stays in state.
            return (kept, diags);
        }
        let state = encode(fresh.as_ref(), schema, &mut diags);
        (state, diags)
    }

    async fn import(&self, client: &C, schema: &Schema, id: &str) -> (Value, Diagnostics) {
        let mut diags = Diagnostics::new();
        let imported = Resource::import(self, client, id, &mut diags).await;
        let state = encode(imported.as_ref(), schema, &mut diags);
        (state, diags)
    }

    fn upgrade(
        &self,
        schema: &Schema,
        version: i64,
        state: serde_json::Value,
    ) -> (Value, Diagnostics) {
        let mut diags = Diagnostics::new();
        let mut state = self.upgrade_state(version, state, &mut diags);
        // Attributes the current schema no longer has are dropped, not fatal.
        if let serde_json::Value::Object(attrs) = &mut state {
            attrs.retain(|name, _| {
                schema.block.attribute(name).is_some()
                    || schema.block.blocks.iter().any(|b| &b.name == name)
            });
        }
        let bytes = state.to_string();
        match value::from_json(bytes.as_bytes(), &schema.value_type()) {
            Ok(v) => (v, diags),
            Err(e) => {
                diags.error("Cannot upgrade the stored state", e.to_string());
                (Value::Null, diags)
            }
        }
    }

    fn move_sources(&self) -> &'static [MoveSource] {
        Resource::moves(self).sources
    }

    fn move_state(&self, schema: &Schema, request: MoveRequest<'_>) -> (Value, Diagnostics) {
        let mut diags = Diagnostics::new();
        let source = request.source.type_name;
        let moved = (Resource::moves(self).map)(&request, &mut diags);
        if moved.is_none() && !diags.has_errors() {
            diags.error(
                "Cannot move the resource",
                format!("{} cannot take this state of {source}.", self.type_name()),
            );
        }
        let state = encode(moved.as_ref(), schema, &mut diags);
        (state, diags)
    }
}

#[async_trait]
impl<C: Send + Sync + 'static, D: DataSource<C>> AnyDataSource<C> for D {
    fn type_name(&self) -> &'static str {
        D::TYPE_NAME
    }

    fn schema(&self) -> Result<Schema, SchemaError> {
        Schema::of::<D::Model>(0)
    }

    fn validate(&self, schema: &Schema, config: Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        schema
            .block
            .validate(&config, &Default::default(), &mut diags);
        if let Some(model) = decode::<D::Model>(config, "configuration", &mut diags) {
            DataSource::validate(self, &model, &mut diags);
        }
        diags
    }

    async fn read(&self, client: &C, schema: &Schema, config: Value) -> (Value, Diagnostics) {
        let mut diags = Diagnostics::new();
        schema
            .block
            .validate(&config, &Default::default(), &mut diags);
        let Some(model) = decode::<D::Model>(config, "configuration", &mut diags) else {
            return (Value::Null, diags);
        };
        DataSource::validate(self, &model, &mut diags);
        if diags.has_errors() {
            return (Value::Null, diags);
        }
        let state = DataSource::read(self, client, model, &mut diags).await;
        let state = encode(state.as_ref(), schema, &mut diags);
        (state, diags)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn partly_unknown_collections_survive_typed_planning() {
        let ids = Value::set(vec![Value::Unknown, Value::String("a".into())]);
        let original = Value::Object(BTreeMap::from([
            ("ids".to_string(), ids),
            ("name".to_string(), Value::String("n".into())),
        ]));
        let collapsed = collapse_partial_unknowns(&original);
        assert_eq!(collapsed.attr("ids"), Some(&Value::Unknown));
        assert_eq!(collapsed.attr("name"), Some(&Value::String("n".into())));
        let mut planned = collapsed;
        restore_partial_unknowns(&mut planned, &original);
        assert_eq!(planned, original);
    }
}
