//! List resources for `terraform query` (Terraform 1.14 and later): one per
//! managed type with a resource identity, declared beside the resource
//! (`LIST` in its `registration.rs`) and gathered by the registry.
//!
//! A list finds objects exactly as `export` does: the kind's own paged
//! listing (`ExportKind::list`) gives ids and names, and every object whose
//! state is needed (a filter on it, or `include_resource`) is read through
//! its resource's own `import` then `read` (`export::read_one`). So the
//! state `terraform query -generate-config-out` writes configuration from
//! is the state `terraform import` and a refresh store, and the two ways of
//! generating configuration cannot disagree.
//!
//! - `filters`: the `config { ... }` models (the schemas) and what they keep.

pub mod filters;

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::sync::Arc;

use async_trait::async_trait;
use futures::StreamExt;
use tfplugin::{
    AnyListResource, AnyResource, Diagnostics, ListItem, ListRequest, ListResource, Model, Schema,
    Value,
};

use crate::export::render::Exported;
use crate::export::{self, ExportKind, Kind, Listed, Listing};
use crate::graph::GraphClient;
use crate::registry;
pub use filters::Filters;

/// How many objects a list reads at the same time (as `export` does).
const CONCURRENT_READS: usize = 8;

/// What a resource type declares to be listed: the filters its `list`
/// block takes, and its identity from a listed object (before any read).
#[derive(Debug)]
pub struct ListDeclaration {
    /// The kind whose listing finds the objects.
    pub export: &'static ExportKind,
    /// The objects the resource can manage; the kind's listing when `None`
    /// (groups narrow it: `export` chooses among every group).
    pub list: Option<for<'a> fn(&'a GraphClient) -> Listing<'a>>,
    /// The filters of its `config` block.
    pub filters: Filters,
    /// The identity attributes of a listed object.
    pub identity: fn(&Listed) -> Vec<(&'static str, String)>,
}

impl ListDeclaration {
    /// The objects of `export`'s listing, filtered by `filters` and known
    /// by their Graph object id.
    pub const fn by_object_id(export: &'static ExportKind, filters: Filters) -> Self {
        ListDeclaration {
            export,
            list: None,
            filters,
            identity: by_object_id,
        }
    }
}

/// The identity of an object known by its Graph object id.
pub fn by_object_id(listed: &Listed) -> Vec<(&'static str, String)> {
    vec![("id", listed.id.clone())]
}

/// What a `config` block's model does: the checks beyond its schema, and
/// which objects it keeps.
pub trait Filter: Model {
    /// Checks beyond the schema's (values may be unknown: skip those).
    fn validate(&self, _diags: &mut Diagnostics) {}
    /// Whether the object's listing entry alone may keep it (its names).
    fn keeps_listed(&self, listed: &Listed) -> bool;
    /// Whether a filter needs each object's state.
    fn needs_state(&self) -> bool;
    /// Whether the object's state keeps it.
    fn keeps_state(&self, state: &Value) -> bool;
}

/// The list resource of one type, with filters `F`.
pub struct ListOf<F> {
    declaration: &'static ListDeclaration,
    resource: Arc<dyn AnyResource<GraphClient>>,
    schema: Schema,
    filters: PhantomData<fn() -> F>,
}

impl<F: Filter> ListOf<F> {
    fn erased(
        declaration: &'static ListDeclaration,
        resource: Arc<dyn AnyResource<GraphClient>>,
    ) -> Option<Arc<dyn AnyListResource<GraphClient>>> {
        let schema = match resource.schema() {
            Ok(schema) => schema,
            Err(e) => {
                tracing::error!(resource_type = resource.type_name(), error = %e, "no list resource: the resource schema fails");
                return None;
            }
        };
        Some(Arc::new(ListOf::<F> {
            declaration,
            resource,
            schema,
            filters: PhantomData,
        }))
    }

    fn item(&self, listed: &Listed, state: Option<Value>) -> ListItem {
        let display_name = match &listed.also_known_as {
            Some(other) if !listed.label.is_empty() => format!("{} ({other})", listed.label),
            Some(other) => other.clone(),
            None if listed.label.is_empty() => listed.id.clone(),
            None => listed.label.clone(),
        };
        ListItem {
            display_name,
            identity: (self.declaration.identity)(listed)
                .into_iter()
                .map(|(name, value)| (name.to_string(), Value::String(value)))
                .collect::<BTreeMap<_, _>>(),
            state,
        }
    }
}

#[async_trait]
impl<F: Filter> ListResource<GraphClient> for ListOf<F> {
    type Config = F;

    fn type_name(&self) -> &'static str {
        self.declaration.export.resource_type
    }

    fn validate(&self, config: &F, diags: &mut Diagnostics) {
        config.validate(diags);
    }

    async fn list(
        &self,
        client: &GraphClient,
        config: F,
        request: ListRequest,
        diags: &mut Diagnostics,
    ) -> Vec<ListItem> {
        let kind = self.declaration.export;
        let list = self.declaration.list.unwrap_or(kind.list);
        let listed = match list(client).await {
            Ok(listed) => listed,
            Err(e) => {
                crate::resources::report(diags, &format!("list the tenant's {}", kind.name), &e);
                return Vec::new();
            }
        };
        let listed = listed.into_iter().filter(|l| config.keeps_listed(l));
        if !config.needs_state() && !request.include_resource {
            return listed
                .take(request.limit)
                .map(|l| self.item(&l, None))
                .collect();
        }
        let reads = futures::stream::iter(listed)
            .map(|l| async move {
                let state =
                    export::read_one(client, self.resource.as_ref(), &self.schema, &l.id).await;
                (l, state)
            })
            .buffered(CONCURRENT_READS);
        futures::pin_mut!(reads);
        let mut items = Vec::new();
        while items.len() < request.limit {
            let Some((listed, state)) = reads.next().await else {
                break;
            };
            match state {
                Ok(state) if config.keeps_state(&state) => {
                    let state = request.include_resource.then_some(state);
                    items.push(self.item(&listed, state));
                }
                Ok(_) => {}
                Err(reason) => diags.warning(
                    format!("{} {:?} not listed", kind.resource_type, listed.label),
                    format!("Cannot read {}: {reason}", listed.id),
                ),
            }
        }
        items
    }
}

/// Every list resource: the declared types of the registry, each with its
/// resource (whose import and read give the states).
pub fn all() -> Vec<Arc<dyn AnyListResource<GraphClient>>> {
    let resources: BTreeMap<&str, Arc<dyn AnyResource<GraphClient>>> = registry::managed_types()
        .into_iter()
        .map(|m| (m.resource.type_name(), m.resource))
        .collect();
    registry::list_types()
        .into_iter()
        .filter_map(|declaration| {
            let resource = resources.get(declaration.export.resource_type)?.clone();
            declaration.filters.list_resource(declaration, resource)
        })
        .collect()
}

/// The configuration `terraform query -generate-config-out` writes for a
/// listed state: [`export::render::configuration`], the export's choices;
/// for a type `export` does not write, the generic rule. What the user
/// must still do (fill in a hardware hash) comes as warnings.
pub fn generated_config(
    type_name: &str,
    schema: &Schema,
    state: &Value,
    diags: &mut Diagnostics,
) -> Value {
    let Ok(kind) = type_name.parse::<Kind>() else {
        return tfplugin::generate::config_from_state(&schema.block, state);
    };
    let object = Exported {
        kind,
        id: String::new(),
        label: String::new(),
        name: String::new(),
        value: state.clone(),
    };
    let (config, notes) = export::render::configuration(&object, &schema.block, state);
    for note in notes {
        diags.warning(format!("Generated {type_name}: to review"), note);
    }
    config
}
