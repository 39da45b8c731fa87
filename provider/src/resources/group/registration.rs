//! What `autopilot_group` declares beside its resource: how `export` finds
//! the tenant's groups and the request bodies the resource sends.

use crate::export::{ExportKind, Listed, Listing, tenant};
use crate::graph::consistency::Reference;
use crate::graph::{ApiVersion, GraphClient};
use crate::payloads::{Payload, path, schema_of};

use super::{COLLECTION, GraphGroup};

/// Groups: every group is listed; `export` keeps the tenant's Autopilot
/// groups and those other kinds reference.
pub const EXPORT: ExportKind = ExportKind {
    name: "groups",
    resource_type: "autopilot_group",
    fallback_name: "group",
    group_id_attributes: &[],
    list: list_for_export,
};

fn list_for_export(client: &GraphClient) -> Listing<'_> {
    Box::pin(async move {
        Ok(tenant::groups(client)
            .await?
            .into_iter()
            .map(|g| Listed::named(g.id, g.display_name))
            .collect())
    })
}

/// The bodies `autopilot_group` sends.
pub fn payloads() -> Vec<Payload> {
    let groups = path(ApiVersion::V1, COLLECTION);
    vec![
        Payload {
            name: "group-create",
            method: "POST",
            path: groups.clone(),
            purpose: "autopilot_group create",
            schema: Some(schema_of::<GraphGroup>()),
        },
        Payload {
            name: "group-update",
            method: "PATCH",
            path: format!("{groups}/{{id}}"),
            purpose: "autopilot_group update",
            schema: Some(schema_of::<GraphGroup>()),
        },
        Payload {
            name: "group-owner-reference",
            method: "POST",
            path: format!("{groups}/{{id}}/owners/$ref"),
            purpose: "autopilot_group owners (provisioning_client_owner, owner ids)",
            schema: Some(schema_of::<Reference>()),
        },
    ]
}
