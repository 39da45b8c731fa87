//! What `autopilot_group` declares beside its resource: how `export` finds
//! the tenant's groups and the request bodies the resource sends.

use crate::export::{ExportKind, Listed, Listing, listed, tenant};
use crate::graph::consistency::Reference;
use crate::graph::{ApiVersion, GraphClient};
use crate::list_resources::{Filters, ListDeclaration, by_object_id};
use crate::payloads::{Payload, path};

use super::{COLLECTION, GraphGroup};

/// Groups: every group is listed; `export` keeps the tenant's Autopilot
/// groups and those other kinds reference.
#[rustfmt::skip]
pub const EXPORT: ExportKind = ExportKind::new("groups", "autopilot_group", "group", &[], list_for_export);

/// Its list resource (`terraform query`): the groups `autopilot_group` can
/// manage (plain security groups), by name.
pub const LIST: ListDeclaration = ListDeclaration {
    export: &EXPORT,
    list: Some(list_manageable),
    filters: Filters::Name,
    identity: by_object_id,
};

fn list_manageable(client: &GraphClient) -> Listing<'_> {
    listed(tenant::groups(client), |g| {
        g.is_plain_security_group()
            .then(|| Listed::named(g.id, g.display_name))
    })
}

fn list_for_export(client: &GraphClient) -> Listing<'_> {
    listed(tenant::groups(client), |g| {
        Some(Listed::named(g.id, g.display_name))
    })
}

/// The bodies `autopilot_group` sends.
pub fn payloads() -> Vec<Payload> {
    let groups = path(ApiVersion::V1, COLLECTION);
    let mut bodies = Payload::create_and_update::<GraphGroup>(EXPORT.resource_type, &groups);
    #[rustfmt::skip]
    let references = [
        Payload::of::<Reference>("group-owner-reference", "POST", format!("{groups}/{{id}}/owners/$ref"), "autopilot_group owners (provisioning_client_owner, owner ids)"),
        Payload::of::<Reference>("group-member-reference", "POST", format!("{groups}/{{id}}/members/$ref"), "autopilot_group members (member_ids)"),
    ];
    bodies.extend(references);
    bodies
}
