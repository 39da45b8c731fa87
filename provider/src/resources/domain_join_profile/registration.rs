//! What `autopilot_domain_join_profile` declares beside its resource: how
//! `export` lists domain join profiles and the request bodies it sends.

use serde::Deserialize;

use crate::export::{ExportKind, Listed, Listing};
use crate::graph::{ApiVersion, GraphClient};
use crate::payloads::{Payload, path, schema_of};

use super::{AssignBody, COLLECTION, DomainJoinConfiguration, ODATA_TYPE};

/// Domain join profiles: the device configurations of their type.
pub const EXPORT: ExportKind = ExportKind {
    name: "domain_join_profiles",
    resource_type: "autopilot_domain_join_profile",
    fallback_name: "domain_join",
    group_id_attributes: &["include_group_ids", "exclude_group_ids"],
    list: list_for_export,
};

/// A device configuration as the listing needs it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Named {
    id: String,
    #[serde(default, rename = "@odata.type")]
    odata_type: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
}

fn list_for_export(client: &GraphClient) -> Listing<'_> {
    Box::pin(async move {
        Ok(client
            .list::<Named>(ApiVersion::Beta, COLLECTION)
            .await?
            .into_iter()
            .filter(|c| c.odata_type.as_deref() == Some(ODATA_TYPE))
            .map(|c| Listed::named(c.id, c.display_name))
            .collect())
    })
}

/// The bodies `autopilot_domain_join_profile` sends.
pub fn payloads() -> Vec<Payload> {
    let configs = path(ApiVersion::Beta, COLLECTION);
    vec![
        Payload {
            name: "domain-join-profile-create",
            method: "POST",
            path: configs.clone(),
            purpose: "autopilot_domain_join_profile create",
            schema: Some(schema_of::<DomainJoinConfiguration>()),
        },
        Payload {
            name: "domain-join-profile-update",
            method: "PATCH",
            path: format!("{configs}/{{id}}"),
            purpose: "autopilot_domain_join_profile update",
            schema: Some(schema_of::<DomainJoinConfiguration>()),
        },
        Payload {
            name: "domain-join-profile-assign",
            method: "POST",
            path: format!("{configs}/{{id}}/assign"),
            purpose: "autopilot_domain_join_profile assignments (the whole list)",
            schema: Some(schema_of::<AssignBody>()),
        },
    ]
}
