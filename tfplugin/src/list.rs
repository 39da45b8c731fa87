//! List resources (protocol 6.10, Terraform 1.14 and later): what a
//! `list` block of a `.tfquery.hcl` file asks for. A list resource finds the
//! remote objects of one managed resource type that its configuration (the
//! block's `config { ... }`, its filters) selects, and gives each as its
//! resource identity, a name for people and, when asked, the whole state
//! `terraform import` and a refresh would store, from which `terraform query
//! -generate-config-out` writes configuration and `import` blocks.
//!
//! The list resource of a type carries that type's name; the type must
//! declare a resource identity ([`crate::Resource::identity`]), since the
//! identity is what every result is imported by.

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::action::schema_checked;
use crate::diagnostics::Diagnostics;
use crate::resource::Model;
use crate::schema::{Schema, SchemaError};
use crate::value::{self, Value};

/// One remote object a list found.
#[derive(Debug, Clone, PartialEq)]
pub struct ListItem {
    /// What people see for it in `terraform query`'s output.
    pub display_name: String,
    /// Its identity attributes by name (at least those the identity
    /// requires); unused when `state` is given, whose identity wins.
    pub identity: BTreeMap<String, Value>,
    /// The full state of the managed resource, when the request asked for
    /// it (`include_resource = true`).
    pub state: Option<Value>,
}

/// What a list is asked for besides its configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListRequest {
    /// Whether each item must carry the resource's full state.
    pub include_resource: bool,
    /// At most this many items are wanted (the `list` block's `limit`).
    pub limit: usize,
}

/// A list resource over a typed configuration model (its filters). The
/// provider's configured client `C` is handed to [`list`](Self::list).
#[async_trait]
pub trait ListResource<C: Send + Sync + 'static>: Send + Sync + 'static {
    /// The filters a `config` block takes; its schema is derived from it
    /// like a resource's.
    type Config: Model;

    /// The managed resource type it lists, e.g. `autopilot_group`.
    fn type_name(&self) -> &'static str;

    /// Checks a configuration offline (values may be unknown: skip those).
    fn validate(&self, _config: &Self::Config, _diags: &mut Diagnostics) {}

    /// The objects `config` selects, at most `request.limit` of them. A
    /// failure is an error in `diags`; items found before it are kept.
    async fn list(
        &self,
        client: &C,
        config: Self::Config,
        request: ListRequest,
        diags: &mut Diagnostics,
    ) -> Vec<ListItem>;
}

/// A list resource seen through raw values; implemented for every
/// [`ListResource`].
#[async_trait]
pub trait AnyListResource<C>: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Result<Schema, SchemaError>;
    fn validate(&self, schema: &Schema, config: Value) -> Diagnostics;
    async fn list(
        &self,
        client: &C,
        schema: &Schema,
        config: Value,
        request: ListRequest,
    ) -> (Vec<ListItem>, Diagnostics);
}

/// The schema's rules, then the typed model and the list's own checks.
fn checked<C: Send + Sync + 'static, L: ListResource<C>>(
    list: &L,
    schema: &Schema,
    config: Value,
    diags: &mut Diagnostics,
) -> Option<L::Config> {
    // A `list` block without a `config` block: every filter unset.
    let config = schema_checked(schema, config, diags)?;
    match value::from_value::<L::Config>(config) {
        Ok(model) => {
            list.validate(&model, diags);
            (!diags.has_errors()).then_some(model)
        }
        Err(e) => {
            diags.error("Cannot read the list configuration", e.to_string());
            None
        }
    }
}

#[async_trait]
impl<C: Send + Sync + 'static, L: ListResource<C>> AnyListResource<C> for L {
    fn type_name(&self) -> &'static str {
        ListResource::type_name(self)
    }

    fn schema(&self) -> Result<Schema, SchemaError> {
        Schema::of::<L::Config>(0)
    }

    fn validate(&self, schema: &Schema, config: Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        checked(self, schema, config, &mut diags);
        diags
    }

    async fn list(
        &self,
        client: &C,
        schema: &Schema,
        config: Value,
        request: ListRequest,
    ) -> (Vec<ListItem>, Diagnostics) {
        let mut diags = Diagnostics::new();
        let Some(config) = checked(self, schema, config, &mut diags) else {
            return (Vec::new(), diags);
        };
        let mut items = ListResource::list(self, client, config, request, &mut diags).await;
        items.truncate(request.limit);
        (items, diags)
    }
}
