//! What `autopilot_device_preparation_policy` declares beside its
//! resource: how `export` lists policies and the request bodies it sends.

use serde::Deserialize;

use crate::export::{ExportKind, Listed, Listing};
use crate::graph::{ApiVersion, GraphClient};
use crate::payloads::{Payload, path, schema_of};

use super::{AssignBody, COLLECTION, MembershipTargets, Policy, is_device_preparation_template};

/// Device preparation policies: the configuration policies made from one
/// of the two device preparation templates.
pub const EXPORT: ExportKind = ExportKind {
    name: "device_preparation_policies",
    resource_type: "autopilot_device_preparation_policy",
    fallback_name: "policy",
    group_id_attributes: &["device_group_id", "include_group_ids"],
    list: list_for_export,
};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PolicySummary {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    template_reference: Option<TemplateReference>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TemplateReference {
    #[serde(default)]
    template_id: Option<String>,
}

fn list_for_export(client: &GraphClient) -> Listing<'_> {
    Box::pin(async move {
        let query = format!("{COLLECTION}?$select=id,name,templateReference");
        Ok(client
            .list::<PolicySummary>(ApiVersion::Beta, &query)
            .await?
            .into_iter()
            .filter(|p| {
                p.template_reference
                    .as_ref()
                    .and_then(|t| t.template_id.as_deref())
                    .is_some_and(is_device_preparation_template)
            })
            .map(|p| Listed::named(p.id, p.name))
            .collect())
    })
}

/// The bodies `autopilot_device_preparation_policy` sends.
pub fn payloads() -> Vec<Payload> {
    let policies = path(ApiVersion::Beta, COLLECTION);
    let policy = format!("{policies}/{{id}}");
    vec![
        Payload {
            name: "device-preparation-policy-create",
            method: "POST",
            path: policies.clone(),
            purpose: "autopilot_device_preparation_policy create",
            schema: Some(schema_of::<Policy>()),
        },
        Payload {
            name: "device-preparation-policy-update",
            method: "PUT",
            path: policy.clone(),
            purpose: "autopilot_device_preparation_policy update (settings are replaced whole)",
            schema: Some(schema_of::<Policy>()),
        },
        Payload {
            name: "device-preparation-policy-set-device-group",
            method: "POST",
            path: format!("{policy}/setEnrollmentTimeDeviceMembershipTarget"),
            purpose: "autopilot_device_preparation_policy device_group_id",
            schema: Some(schema_of::<MembershipTargets<'static>>()),
        },
        Payload {
            name: "device-preparation-policy-retrieve-device-group",
            method: "POST",
            path: format!("{policy}/retrieveEnrollmentTimeDeviceMembershipTarget"),
            purpose: "autopilot_device_preparation_policy read (an action that only reads)",
            schema: None,
        },
        Payload {
            name: "device-preparation-policy-assign",
            method: "POST",
            path: format!("{policy}/assign"),
            purpose: "autopilot_device_preparation_policy include_group_ids (the whole list)",
            schema: Some(schema_of::<AssignBody>()),
        },
    ]
}
