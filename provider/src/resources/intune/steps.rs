//! The Graph writes the Intune-object resources share: the create by name,
//! the PATCH followed by a reassignment, the `assign` action and the delete.

use std::future::Future;

use serde::Serialize;
use tfplugin::Diagnostics;

use super::template::{Apply, Change, IntuneModel, IntuneResource, fetch, state_id};
use super::{IntunePayload, Kind};
use crate::graph::{ApiVersion, GraphClient, GraphError, NameLookup};
use crate::resources::{create_named, report};

/// `update_object` of an object whose assignments change apart from it:
/// the PATCH of `body`, then [`IntuneResource::reassign`] when the targets
/// changed, then the object as Graph holds it; the prior state when the
/// PATCH failed or the read finds nothing.
pub(crate) async fn update_then_reassign<R, B>(
    resource: &R,
    cx: Apply<'_>,
    change: Change<R::Model>,
    body: &B,
) -> Option<R::Model>
where
    R: IntuneResource,
    B: Serialize + Sync,
{
    let Apply { client, diags } = cx;
    let Change { prior, planned } = change;
    let Some(id) = state_id::<R>(&prior, diags) else {
        return Some(prior);
    };
    let targets = R::targets(&planned);
    let reassign =
        (targets != R::targets(&prior)).then(|| resource.reassign(client, &id, &targets));
    if !patch_then_reassign(client, &R::KIND, &id, body, reassign, diags).await {
        return Some(prior);
    }
    fetch(resource, client, &id, &planned, diags)
        .await
        .or(Some(prior))
}

/// Creates the object `planned` describes by its name (never twice, see
/// [`GraphClient::create`]) and gives Graph's answer with the new id.
pub(crate) async fn create<R, P, B>(
    client: &GraphClient,
    planned: &R::Model,
    body: &B,
    diags: &mut Diagnostics,
) -> Option<(P, String)>
where
    R: IntuneResource,
    P: IntunePayload,
    B: Serialize + Sync,
{
    create_named(
        client,
        &NameLookup {
            version: ApiVersion::Beta,
            collection: R::KIND.collection,
            property: R::KIND.name_property,
            name: planned.object_name().known().map_or("", String::as_str),
        },
        body,
        &R::KIND.the(),
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
        report(diags, &format!("update {}", kind.the()), &e);
        return false;
    }
    if let Some(reassign) = reassign
        && let Err(e) = reassign.await
    {
        report(diags, &format!("update {}'s assignments", kind.the()), &e);
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
            report(diags, &format!("delete {}", kind.the()), &e);
            false
        }
    }
}
