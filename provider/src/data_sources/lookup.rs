//! Lookups by name, so that one configuration serves many tenants: a data
//! source that finds exactly one object of a collection by `id` or by
//! `display_name`, the same way for every kind it serves. Each kind (a
//! [`Lookup`]) gives its collection, its words and its model; [`ByName`]
//! is the data source.

use std::marker::PhantomData;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use tfplugin::{Attr, AttrPath, DataSource, Diagnostics, Model};

use super::{NotOne, exactly_one, given, the_one_id};
use crate::graph::{ApiVersion, GraphClient, NameLookup};
use crate::resources::report;

/// One kind of object a lookup finds.
pub trait Lookup: Send + Sync + 'static {
    /// The data source's model: `id` and `display_name` are its keys.
    type Model: Model;
    /// One object as Graph lists it.
    type Payload: DeserializeOwned + Send;
    /// The data source's type name.
    const TYPE_NAME: &'static str;
    /// The Graph version the collection is read in.
    const VERSION: ApiVersion = ApiVersion::Beta;
    /// The collection, relative to the version.
    const COLLECTION: &'static str;
    /// What one object is called in diagnostics: `group` (its plural adds
    /// an `s`).
    const NOUN: &'static str;

    /// The lookup keys of a configuration: its `id` and `display_name`.
    fn keys(config: &Self::Model) -> (&Attr<String>, &Attr<String>);

    /// The data source's state for an object found.
    fn model(object: Self::Payload) -> Self::Model;
}

/// The data source finding one object of kind `L`.
pub struct ByName<L>(PhantomData<L>);

impl<L> Default for ByName<L> {
    fn default() -> Self {
        ByName(PhantomData)
    }
}

/// Reads the object `id` of kind `L`; one that does not exist is an error.
async fn by_id<L: Lookup>(
    client: &GraphClient,
    id: &str,
    diags: &mut Diagnostics,
) -> Option<L::Payload> {
    let path = format!("{}/{id}", L::COLLECTION);
    match client.get_optional::<L::Payload>(L::VERSION, &path).await {
        Ok(Some(object)) => Some(object),
        Ok(None) => {
            diags.error_at(
                AttrPath::root("id"),
                format!("No {} has this id", L::NOUN),
                format!("No {} with id {id:?} exists in the tenant.", L::NOUN),
            );
            None
        }
        Err(e) => {
            report(diags, &format!("read the {}", L::NOUN), &e);
            None
        }
    }
}

/// Finds the one object of kind `L` named `name`; none or several is an
/// error, the latter naming their ids.
async fn by_name<L: Lookup>(
    client: &GraphClient,
    name: &str,
    diags: &mut Diagnostics,
) -> Option<L::Payload> {
    let lookup = NameLookup {
        version: L::VERSION,
        collection: L::COLLECTION,
        property: "displayName",
        name,
    };
    let found = match client.named(&lookup).await {
        Ok(found) => found,
        Err(e) => {
            report(diags, &format!("list the {}s", L::NOUN), &e);
            return None;
        }
    };
    let ids: Vec<Option<String>> = found
        .iter()
        .map(|o| o.get("id").and_then(|id| id.as_str()).map(str::to_string))
        .collect();
    let matching: Vec<&Option<String>> = ids.iter().collect();
    let not_one = NotOne {
        by: "display_name",
        none_summary: format!("No {} has this name", L::NOUN),
        none_detail: format!("No {} is named {name:?} in the tenant.", L::NOUN),
        several_summary: format!("Several {}s have this name", L::NOUN),
        several_are: format!("{}s are named {name:?}", L::NOUN),
    };
    the_one_id(&matching, not_one, diags)?;
    let object = found.into_iter().next()?;
    match serde_json::from_value(object) {
        Ok(payload) => Some(payload),
        Err(e) => {
            diags.error(
                format!("Cannot read the {}", L::NOUN),
                format!("Graph's answer did not have the expected shape: {e}"),
            );
            None
        }
    }
}

#[async_trait]
impl<L: Lookup> DataSource<GraphClient> for ByName<L> {
    type Model = L::Model;
    const TYPE_NAME: &'static str = L::TYPE_NAME;

    fn validate(&self, config: &L::Model, diags: &mut Diagnostics) {
        let (id, name) = L::keys(config);
        exactly_one(
            &[("id", given(id)), ("display_name", given(name))],
            L::NOUN,
            diags,
        );
    }

    async fn read(
        &self,
        client: &GraphClient,
        config: L::Model,
        diags: &mut Diagnostics,
    ) -> Option<L::Model> {
        let object = match L::keys(&config) {
            (Attr::Known(id), _) => by_id::<L>(client, id, diags).await?,
            (_, Attr::Known(name)) => by_name::<L>(client, name, diags).await?,
            _ => return None,
        };
        Some(L::model(object))
    }
}
