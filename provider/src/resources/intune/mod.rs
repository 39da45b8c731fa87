//! The shape the Intune-object resources share (deployment profile,
//! Enrollment Status Page, domain join profile, device preparation policy):
//! an object at `{collection}/{id}` with its `/assignments`. One finder reads
//! it, with one meaning of 404 (gone, whichever of the two requests gets
//! it). [`template`] turns a resource's hooks into its `Resource` impl and
//! [`steps`] holds the Graph writes they share, so each resource keeps only
//! its model, its mapping and its rules.

mod steps;
mod template;

use std::collections::BTreeSet;

use serde::de::DeserializeOwned;
use tfplugin::{Attr, Diagnostics};

pub(crate) use steps::{assign, create, delete_by_id, patch_then_reassign, update_then_reassign};
pub(crate) use template::{
    Apply, Change, Check, Done, GraphResult, IntuneModel, IntuneResource, Lookup, fetch, import,
    intune_resource, plan, read, state_id,
};

use super::assignments::Assignment;
use super::report;
use crate::graph::{ApiVersion, GraphClient, GraphError};

/// What names one kind of Intune object in requests and diagnostics.
pub(crate) struct Kind {
    /// The collection, relative to the beta endpoint.
    pub(crate) collection: &'static str,
    /// The property a create looks the object up by: `displayName`, or
    /// `name` for settings catalog policies.
    pub(crate) name_property: &'static str,
    /// The object as diagnostics name it, without article: "domain join
    /// profile".
    pub(crate) noun: &'static str,
    /// What Graph calls an object of the collection: "device configuration".
    pub(crate) listed_as: &'static str,
}

impl Kind {
    /// The kind of the `noun` objects of `collection`, which Graph lists as
    /// `listed_as` and names by `displayName`.
    pub(crate) const fn named(
        noun: &'static str,
        collection: &'static str,
        listed_as: &'static str,
    ) -> Kind {
        Kind {
            collection,
            name_property: "displayName",
            noun,
            listed_as,
        }
    }

    /// The same kind, its objects named by `property` instead.
    pub(crate) const fn by(self, property: &'static str) -> Kind {
        Kind {
            name_property: property,
            ..self
        }
    }

    /// The object as diagnostics name it: "the domain join profile".
    pub(crate) fn the(&self) -> String {
        format!("the {}", self.noun)
    }

    /// The object with the indefinite article: "an Enrollment Status Page".
    pub(crate) fn a(&self) -> String {
        let article = if self
            .noun
            .starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U'])
        {
            "an"
        } else {
            "a"
        };
        format!("{article} {}", self.noun)
    }

    /// The object's path, relative to the beta endpoint.
    pub(crate) fn path(&self, id: &str) -> String {
        format!("{}/{id}", self.collection)
    }

    /// For a collection holding several `@odata.type`s: why the object `id`,
    /// of type `actual`, is not of the kind's type `wanted`; `None` when it is.
    pub(crate) fn wrong_odata_type(
        &self,
        id: &str,
        actual: &str,
        wanted: &str,
    ) -> Option<ReadError> {
        (actual != wanted).then(|| ReadError::Unreadable {
            summary: format!("Not {}", self.a()),
            detail: format!("The {} {id} is a {actual}, not a {wanted}.", self.listed_as),
        })
    }
}

/// Why an object could not be read as the resource's kind.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReadError {
    /// Graph refused or failed the request (boxed: `GraphError` is large).
    #[error(transparent)]
    Graph(Box<GraphError>),
    /// The object exists but is of another kind, or holds values this
    /// provider cannot represent.
    #[error("{summary}: {detail}")]
    Unreadable { summary: String, detail: String },
}

impl From<GraphError> for ReadError {
    fn from(error: GraphError) -> Self {
        ReadError::Graph(Box::new(error))
    }
}

impl ReadError {
    /// Reports the failure: Graph's as "Cannot {action}", the others as
    /// they are worded.
    pub(crate) fn report(&self, diags: &mut Diagnostics, action: &str) {
        match self {
            ReadError::Graph(e) => report(diags, action, e),
            ReadError::Unreadable { summary, detail } => diags.error(summary, detail),
        }
    }
}

/// A Graph object of an Intune collection, as this crate reads it.
pub(crate) trait IntunePayload: DeserializeOwned + Send {
    /// The object's id, when Graph gave one.
    fn id(&self) -> Option<String>;

    /// Why the object at the resource's path is not of its kind (the
    /// collections hold several kinds); `None` when it is.
    fn wrong_kind(&self, _id: &str) -> Option<ReadError> {
        None
    }
}

/// `role_scope_tag_ids` as Graph takes it: `None` (Intune's default, `["0"]`)
/// when unset.
pub(crate) fn scope_tags_to_graph(tags: &Attr<BTreeSet<String>>) -> Option<Vec<String>> {
    tags.known().map(|ids| ids.iter().cloned().collect())
}

/// `roleScopeTagIds` as the state holds it: an empty set when Graph gave none.
fn scope_tags_from_graph(tags: Option<Vec<String>>) -> Attr<BTreeSet<String>> {
    Attr::Known(tags.unwrap_or_default().into_iter().collect())
}

/// `roleScopeTagIds` read back into a state shaped like `prior`: Intune
/// stores an empty list as the `Default` tag (`["0"]`), so a configuration
/// of `[]` keeps reading `[]` while Graph says `["0"]`.
pub(crate) fn scope_tags_like_prior(
    tags: Option<Vec<String>>,
    prior: &Attr<BTreeSet<String>>,
) -> Attr<BTreeSet<String>> {
    let read = scope_tags_from_graph(tags);
    let only_default = matches!(&read, Attr::Known(ids) if ids.len() == 1 && ids.contains("0"));
    match prior {
        Attr::Known(wanted) if wanted.is_empty() && only_default => Attr::Known(BTreeSet::new()),
        _ => read,
    }
}

/// The plan-time rule of `role_scope_tag_ids`: every known id looks like an
/// Intune scope tag id (a number).
pub(crate) fn validate_scope_tags(tags: &Attr<BTreeSet<String>>, diags: &mut Diagnostics) {
    for id in tags.known().into_iter().flatten() {
        if let Err(reason) = crate::validate::scope_tag_id(id) {
            diags.error_at(
                tfplugin::AttrPath::root("role_scope_tag_ids"),
                "Invalid scope tag id in `role_scope_tag_ids`",
                reason,
            );
        }
    }
}

/// Reads the object `id` of `collection` and its assignments; `Ok(None)`
/// when it does not exist, including when it is deleted between the two
/// requests (the `/assignments` answer is 404).
pub(crate) async fn find_with_assignments<P: IntunePayload>(
    client: &GraphClient,
    collection: &str,
    id: &str,
) -> Result<Option<(P, Vec<Assignment>)>, ReadError> {
    let path = format!("{collection}/{id}");
    let Some(object) = client.get_optional::<P>(ApiVersion::Beta, &path).await? else {
        return Ok(None);
    };
    if let Some(problem) = object.wrong_kind(id) {
        return Err(problem);
    }
    match client
        .list::<Assignment>(ApiVersion::Beta, &format!("{path}/assignments"))
        .await
    {
        Ok(assignments) => Ok(Some((object, assignments))),
        // Deleted between the two requests.
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e.into()),
    }
}
