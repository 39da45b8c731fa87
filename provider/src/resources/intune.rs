//! The shape the Intune-object resources share (deployment profile,
//! Enrollment Status Page, domain join profile, device preparation policy):
//! an object at `{collection}/{id}` with its `/assignments`. One finder reads
//! it, with one meaning of 404 (gone, whichever of the two requests gets
//! it), and the CRUD steps their `Resource` impls have in common live here,
//! so each resource keeps only its model, its mapping and its rules.

use std::collections::BTreeSet;
use std::future::Future;

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tfplugin::{Attr, Diagnostics};

use super::assignments::Assignment;
use super::{create_named, report};
use crate::graph::{ApiVersion, GraphClient, GraphError, NameLookup};

/// What names one kind of Intune object in requests and diagnostics.
pub(crate) struct Kind {
    /// The collection, relative to the beta endpoint.
    pub(crate) collection: &'static str,
    /// The property a create looks the object up by: `displayName`, or
    /// `name` for settings catalog policies.
    pub(crate) name_property: &'static str,
    /// The object as diagnostics name it: "the domain join profile".
    pub(crate) the: &'static str,
    /// The object with the indefinite article: "a domain join profile".
    pub(crate) a: &'static str,
    /// What Graph calls an object of the collection: "device configuration".
    pub(crate) listed_as: &'static str,
}

impl Kind {
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
            summary: format!("Not {}", self.a),
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
pub(crate) fn scope_tags_from_graph(tags: Option<Vec<String>>) -> Attr<BTreeSet<String>> {
    Attr::Known(tags.unwrap_or_default().into_iter().collect())
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

/// A resource whose object lives in an Intune collection: what the shared
/// CRUD steps need from it.
#[async_trait]
pub(crate) trait IntuneResource: Send + Sync {
    type Model: Default + Send + Sync;

    /// The collection and the nouns of the diagnostics.
    const KIND: Kind;

    /// The id the model holds, when known.
    fn id_of(model: &Self::Model) -> Option<&String>;

    /// Why the object `id` must not be imported (summary, detail): asked
    /// before it is read (`found` is `None`) and after.
    fn import_refusal(_id: &str, _found: Option<&Self::Model>) -> Option<(String, String)> {
        None
    }

    /// Reads the object `id` into a model shaped like `prior`; `Ok(None)`
    /// when it is gone. `warnings` takes what a refresh should tell the
    /// user (given on reads only, not after writes).
    async fn find(
        &self,
        client: &GraphClient,
        id: &str,
        prior: &Self::Model,
        warnings: Option<&mut Diagnostics>,
    ) -> Result<Option<Self::Model>, ReadError>;
}

/// Reads the object after a write; a failure is reported ("Cannot read
/// the …") and gives `None`, as does an object that is gone.
pub(crate) async fn fetch<R: IntuneResource>(
    resource: &R,
    client: &GraphClient,
    id: &str,
    prior: &R::Model,
    diags: &mut Diagnostics,
) -> Option<R::Model> {
    match resource.find(client, id, prior, None).await {
        Ok(found) => found,
        Err(e) => {
            e.report(diags, &format!("read {}", R::KIND.the));
            None
        }
    }
}

/// `Resource::read`: the object as Graph holds it, `None` when it is gone
/// (a failure is reported, and the erased layer keeps the state).
pub(crate) async fn read<R: IntuneResource>(
    resource: &R,
    client: &GraphClient,
    current: R::Model,
    diags: &mut Diagnostics,
) -> Option<R::Model> {
    let id = R::id_of(&current)?.clone();
    match resource
        .find(client, &id, &current, Some(&mut *diags))
        .await
    {
        Ok(found) => found,
        Err(e) => {
            e.report(diags, &format!("read {}", R::KIND.the));
            None
        }
    }
}

/// `Resource::import` of an existing id, with one message for an id that
/// does not exist.
pub(crate) async fn import<R: IntuneResource>(
    resource: &R,
    client: &GraphClient,
    id: &str,
    diags: &mut Diagnostics,
) -> Option<R::Model> {
    let refused = |found: Option<&R::Model>, diags: &mut Diagnostics| {
        R::import_refusal(id, found)
            .map(|(summary, detail)| diags.error(summary, detail))
            .is_some()
    };
    if refused(None, diags) {
        return None;
    }
    let found = fetch(resource, client, id, &R::Model::default(), diags).await;
    if found
        .as_ref()
        .is_some_and(|found| refused(Some(found), diags))
    {
        return None;
    }
    if found.is_none() && !diags.has_errors() {
        diags.error(
            format!("Cannot import {} that does not exist", R::KIND.a),
            format!(
                "No {} with id {id:?} exists in the tenant.",
                R::KIND.listed_as
            ),
        );
    }
    found
}

/// The id an update works on; without one the update is refused ("The
/// state has no id.") and the caller keeps the prior state.
pub(crate) fn state_id<R: IntuneResource>(
    prior: &R::Model,
    diags: &mut Diagnostics,
) -> Option<String> {
    let id = R::id_of(prior).cloned();
    if id.is_none() {
        diags.error(
            format!("Cannot update {}", R::KIND.the),
            "The state has no id.",
        );
    }
    id
}

/// `Resource::update` of an object whose assignments change apart from it:
/// the PATCH of `body`, then `reassign` (given the id; `None` when the
/// assignments stay), then the object as Graph holds it; the prior state
/// when the PATCH failed or the read finds nothing.
pub(crate) async fn update_then_reassign<R, B, F>(
    resource: &R,
    client: &GraphClient,
    prior: R::Model,
    planned: R::Model,
    body: &B,
    reassign: impl FnOnce(String) -> Option<F>,
    diags: &mut Diagnostics,
) -> Option<R::Model>
where
    R: IntuneResource,
    B: Serialize + Sync,
    F: Future<Output = Result<(), GraphError>>,
{
    let Some(id) = state_id::<R>(&prior, diags) else {
        return Some(prior);
    };
    if !patch_then_reassign(client, &R::KIND, &id, body, reassign(id.clone()), diags).await {
        return Some(prior);
    }
    fetch(resource, client, &id, &planned, diags)
        .await
        .or(Some(prior))
}

/// Creates the object by its name (never twice, see
/// [`GraphClient::create`]) and gives Graph's answer with the new id.
pub(crate) async fn create<P: IntunePayload, B: Serialize + Sync>(
    client: &GraphClient,
    kind: &Kind,
    name: &Attr<String>,
    body: &B,
    diags: &mut Diagnostics,
) -> Option<(P, String)> {
    create_named(
        client,
        &NameLookup {
            version: ApiVersion::Beta,
            collection: kind.collection,
            property: kind.name_property,
            name: name.known().map_or("", String::as_str),
        },
        body,
        kind.the,
        IntunePayload::id,
        diags,
    )
    .await
}

/// PATCHes the object, then runs `reassign` when the assignments changed.
/// `false` when the PATCH failed (the caller keeps the prior state); a
/// failed reassignment is reported and the update goes on.
pub(crate) async fn patch_then_reassign<B, F>(
    client: &GraphClient,
    kind: &Kind,
    id: &str,
    body: &B,
    reassign: Option<F>,
    diags: &mut Diagnostics,
) -> bool
where
    B: Serialize + Sync,
    F: Future<Output = Result<(), GraphError>>,
{
    if let Err(e) = client.patch(ApiVersion::Beta, &kind.path(id), body).await {
        report(diags, &format!("update {}", kind.the), &e);
        return false;
    }
    if let Some(reassign) = reassign
        && let Err(e) = reassign.await
    {
        report(diags, &format!("update {}'s assignments", kind.the), &e);
    }
    true
}

/// Posts the object's `assign` action, which replaces all its assignments.
pub(crate) async fn assign<B: Serialize + Sync>(
    client: &GraphClient,
    kind: &Kind,
    id: &str,
    body: &B,
) -> Result<(), GraphError> {
    client
        .post_action(ApiVersion::Beta, &format!("{}/assign", kind.path(id)), body)
        .await
}

/// Deletes the object; `false` (with the failure reported) when Graph
/// refused.
pub(crate) async fn delete_by_id(
    client: &GraphClient,
    kind: &Kind,
    id: &str,
    diags: &mut Diagnostics,
) -> bool {
    match client.delete(ApiVersion::Beta, &kind.path(id)).await {
        Ok(()) => true,
        Err(e) => {
            report(diags, &format!("delete {}", kind.the), &e);
            false
        }
    }
}

/// The `impl Resource<GraphClient>` of an Intune-object resource: the type
/// name, `validate` (the given rule function), and `read` and `import`
/// through [`read`] and [`import`], which are the same for all of them;
/// the methods given (`modify_plan`, `create`, `update`, `delete`) follow.
macro_rules! intune_resource {
    ($resource:ty, $model:ty, $type_name:literal, $validate:path, { $($methods:tt)* }) => {
        #[async_trait::async_trait]
        impl tfplugin::Resource<$crate::graph::GraphClient> for $resource {
            type Model = $model;

            fn type_name(&self) -> &'static str {
                $type_name
            }

            fn identity(&self) -> &'static [tfplugin::IdentityAttribute] {
                $crate::resources::OBJECT_ID_IDENTITY
            }

            fn validate(&self, config: &$model, diags: &mut tfplugin::Diagnostics) {
                $validate(config, diags);
            }

            async fn read(
                &self,
                client: &$crate::graph::GraphClient,
                current: $model,
                diags: &mut tfplugin::Diagnostics,
            ) -> Option<$model> {
                $crate::resources::intune::read(self, client, current, diags).await
            }

            async fn import(
                &self,
                client: &$crate::graph::GraphClient,
                id: &str,
                diags: &mut tfplugin::Diagnostics,
            ) -> Option<$model> {
                $crate::resources::intune::import(self, client, id, diags).await
            }

            $($methods)*
        }
    };
}
pub(crate) use intune_resource;
