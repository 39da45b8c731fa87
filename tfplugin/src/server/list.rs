//! List resources on the wire: the provider's list resources by type with
//! their configuration schemas (each checked at start to list a served
//! resource type that declares an identity), and the events of a
//! ListResource answer: one per item, its identity, display name and, when
//! asked, its state; then one carrying the list's diagnostics, if any.

use std::collections::HashMap;
use std::sync::Arc;

use crate::diagnostics::Diagnostics;
use crate::list::{AnyListResource, ListItem};
use crate::proto::tfplugin6 as pb;
use crate::schema::Schema;
use crate::server::identity::Identity;
use crate::value::{self, Type, Value};

/// A registered list resource with its configuration schema.
type Registered<C> = (Arc<dyn AnyListResource<C>>, Schema);

/// The provider's list resources by the type they list.
pub(crate) struct Lists<C> {
    by_type: HashMap<&'static str, Registered<C>>,
}

impl<C> Lists<C> {
    /// Registers `lists`; one whose schema cannot be derived, or whose type
    /// is not a resource with an identity (`identities`), is a schema error.
    pub(crate) fn new(
        lists: Vec<Arc<dyn AnyListResource<C>>>,
        identities: &HashMap<&'static str, Identity>,
        schema_errors: &mut Diagnostics,
    ) -> Self {
        let mut by_type = HashMap::new();
        for list in lists {
            let name = list.type_name();
            if !identities.contains_key(name) {
                schema_errors.error(
                    "Invalid list resource",
                    format!(
                        "{name}: a list resource needs a resource of that type with an identity"
                    ),
                );
                continue;
            }
            match list.schema() {
                Ok(schema) => {
                    by_type.insert(name, (list, schema));
                }
                Err(e) => schema_errors.error("Invalid list resource schema", e.to_string()),
            }
        }
        Lists { by_type }
    }

    /// The list resource of `name`, or the diagnostic that there is none.
    pub(crate) fn get(&self, name: &str) -> Result<&Registered<C>, Diagnostics> {
        self.by_type.get(name).ok_or_else(|| {
            Diagnostics::single_error(
                "Unknown list resource type",
                format!("This provider has no list resource type {name:?}."),
            )
        })
    }

    /// The listed types, sorted (GetMetadata).
    pub(crate) fn metadata(&self) -> Vec<pb::get_metadata::ListResourceMetadata> {
        let mut names: Vec<_> = self.by_type.keys().collect();
        names.sort();
        names
            .into_iter()
            .map(|name| pb::get_metadata::ListResourceMetadata {
                type_name: name.to_string(),
            })
            .collect()
    }

    /// Every configuration schema by type (GetProviderSchema).
    pub(crate) fn schemas(
        &self,
        to_proto: impl Fn(&Schema) -> pb::Schema,
    ) -> HashMap<String, pb::Schema> {
        self.by_type
            .iter()
            .map(|(name, (_, schema))| (name.to_string(), to_proto(schema)))
            .collect()
    }
}

/// The events answering a ListResource call: one per item (an item
/// without a complete identity becomes an error event), then one with
/// `diagnostics` when there are any. Items are only listed for a type with
/// an identity ([`Lists::new`]), so `identity` is `None` only when there
/// are none.
pub(crate) fn events(
    items: Vec<ListItem>,
    identity: Option<&Identity>,
    state_type: &Type,
    include_resource: bool,
    diagnostics: Vec<pb::Diagnostic>,
) -> Vec<pb::list_resource::Event> {
    let mut events: Vec<_> = match identity {
        Some(identity) => items
            .into_iter()
            .map(|item| event(item, identity, state_type, include_resource))
            .collect(),
        None => Vec::new(),
    };
    if !diagnostics.is_empty() {
        events.push(pb::list_resource::Event {
            identity: None,
            display_name: String::new(),
            resource_object: None,
            diagnostic: diagnostics,
        });
    }
    events
}

fn event(
    item: ListItem,
    identity: &Identity,
    state_type: &Type,
    include_resource: bool,
) -> pb::list_resource::Event {
    let given = Value::Object(item.identity);
    let found = match &item.state {
        Some(state) => identity.of(state).or_else(|| identity.of(&given)),
        None => identity.of(&given),
    };
    let mut diagnostic = Vec::new();
    if found.is_none() {
        diagnostic.push(error(
            "List result without an identity",
            format!(
                "{:?} was listed without its identity; this is a bug in the provider.",
                item.display_name
            ),
        ));
    }
    let resource_object = match item.state.filter(|_| include_resource) {
        Some(state) => match value::to_msgpack(&state, state_type) {
            Ok(msgpack) => Some(pb::DynamicValue {
                msgpack,
                json: Vec::new(),
            }),
            Err(e) => {
                diagnostic.push(error(
                    "Provider produced a value that does not fit its schema",
                    e.to_string(),
                ));
                None
            }
        },
        None => None,
    };
    pb::list_resource::Event {
        identity: found,
        display_name: item.display_name,
        resource_object,
        diagnostic,
    }
}

fn error(summary: &str, detail: String) -> pb::Diagnostic {
    pb::Diagnostic {
        severity: pb::diagnostic::Severity::Error as i32,
        summary: summary.to_string(),
        detail,
        attribute: None,
    }
}
