//! The assigned members of an `autopilot_group` (`member_ids`): reading
//! them, binding the first ones when the group is created, and bringing
//! them to the configuration's set afterwards.

use std::collections::BTreeSet;

use tfplugin::Diagnostics;

use super::COLLECTION;
use super::graph::DirectoryObject;
use crate::graph::consistency::is_already_referenced;
use crate::graph::{ApiVersion, GraphClient, GraphError};
use crate::resources::report;

/// Graph binds at most this many owners and members in the request that
/// creates a group.
pub(super) const MAX_BOUND_AT_CREATE: usize = 20;

fn members_path(id: &str) -> String {
    format!("{COLLECTION}/{id}/members")
}

/// The object ids of the members of group `id` (pages of 999, ids only).
/// `fresh`: the group has just been created, so 404s are retried.
pub(super) async fn read(
    client: &GraphClient,
    id: &str,
    fresh: bool,
) -> Result<BTreeSet<String>, GraphError> {
    let path = format!("{}?$select=id&$top=999", members_path(id));
    let members: Vec<DirectoryObject> = if fresh {
        client.list_replicated(ApiVersion::V1, &path).await?
    } else {
        client.list(ApiVersion::V1, &path).await?
    };
    Ok(members
        .into_iter()
        .map(|m| m.id.to_ascii_lowercase())
        .collect())
}

/// The `members@odata.bind` of a create (the first members, at most
/// [`MAX_BOUND_AT_CREATE`]), and the members to add once the group exists.
pub(super) fn split_for_create(
    client: &GraphClient,
    wanted: &BTreeSet<String>,
) -> (Vec<String>, BTreeSet<String>) {
    let bound = wanted
        .iter()
        .take(MAX_BOUND_AT_CREATE)
        .map(|id| client.directory_object_url(ApiVersion::V1, id))
        .collect();
    let rest = wanted.iter().skip(MAX_BOUND_AT_CREATE).cloned().collect();
    (bound, rest)
}

/// Adds `member` to group `id`. `fresh`: the group has just been created,
/// so a 404 is retried while it replicates; otherwise a 404 means the member
/// does not exist. A member already there counts as added.
async fn add(client: &GraphClient, id: &str, member: &str, fresh: bool) -> Result<(), GraphError> {
    let path = members_path(id);
    if fresh {
        return client.add_reference(ApiVersion::V1, &path, member).await;
    }
    let body = client.reference(ApiVersion::V1, member);
    match client
        .post_action(ApiVersion::V1, &format!("{path}/$ref"), &body)
        .await
    {
        Err(e) if is_already_referenced(&e) => Ok(()),
        other => other,
    }
}

/// Brings the members of group `id` from `current` to `wanted`: adds the
/// missing ones, then removes the others. Errors are reported, naming the
/// member; returns whether every change was made.
pub(super) async fn reconcile(
    client: &GraphClient,
    id: &str,
    current: &BTreeSet<String>,
    wanted: &BTreeSet<String>,
    fresh: bool,
    diags: &mut Diagnostics,
) -> bool {
    let mut ok = true;
    for member in wanted.difference(current) {
        if let Err(e) = add(client, id, member, fresh).await {
            let what = if e.is_not_found() {
                format!(
                    "add {member} to the members of the group (no user, group, device or service \
                     principal with that object id exists; check `member_ids`)"
                )
            } else {
                format!("add {member} to the members of the group")
            };
            report(diags, &what, &e);
            ok = false;
        }
    }
    for member in current.difference(wanted) {
        if let Err(e) = client
            .remove_reference(ApiVersion::V1, &members_path(id), member)
            .await
        {
            report(
                diags,
                &format!("remove {member} from the members of the group"),
                &e,
            );
            ok = false;
        }
    }
    ok
}
