//! What `autopilot_device_preparation_policy` declares beside its
//! resource: how `export` lists policies and the request bodies it sends.

use serde::Deserialize;

use crate::export::{ExportKind, Listed, Listing, listed};
use crate::graph::{ApiVersion, GraphClient};
use crate::list_resources::{Filters, ListDeclaration};
use crate::payloads::{Payload, path};

use super::{AssignBody, COLLECTION, MembershipTargets, Policy, is_device_preparation_template};

/// Device preparation policies: the configuration policies made from one
/// of the two device preparation templates.
#[rustfmt::skip]
pub const EXPORT: ExportKind = ExportKind::new("device_preparation_policies", "autopilot_device_preparation_policy", "policy", &["device_group_id", "include_group_ids"], list_for_export);

/// Its list resource (`terraform query`): by name, by assigned group.
pub const LIST: ListDeclaration = ListDeclaration::by_object_id(&EXPORT, Filters::Intune);

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
    let query = format!("{COLLECTION}?$select=id,name,templateReference");
    let policies = async move { client.list::<PolicySummary>(ApiVersion::Beta, &query).await };
    listed(policies, |p| {
        let template = p.template_reference.and_then(|t| t.template_id);
        let ours = template.is_some_and(|id| is_device_preparation_template(&id));
        ours.then(|| Listed::named(p.id, p.name))
    })
}

/// The bodies `autopilot_device_preparation_policy` sends.
pub fn payloads() -> Vec<Payload> {
    let policies = path(ApiVersion::Beta, COLLECTION);
    let policy = format!("{policies}/{{id}}");
    #[rustfmt::skip]
    let bodies = vec![
        Payload::of::<Policy>("device-preparation-policy-create", "POST", &policies, "autopilot_device_preparation_policy create"),
        Payload::of::<Policy>("device-preparation-policy-update", "PUT", &policy, "autopilot_device_preparation_policy update (settings are replaced whole)"),
        Payload::of::<MembershipTargets<'static>>("device-preparation-policy-set-device-group", "POST", format!("{policy}/setEnrollmentTimeDeviceMembershipTarget"), "autopilot_device_preparation_policy device_group_id"),
        Payload::bodiless("device-preparation-policy-retrieve-device-group", format!("{policy}/retrieveEnrollmentTimeDeviceMembershipTarget"), "autopilot_device_preparation_policy read (an action that only reads)"),
        Payload::of::<AssignBody>("device-preparation-policy-assign", "POST", format!("{policy}/assign"), "autopilot_device_preparation_policy include_group_ids and all_users (the whole list)"),
    ];
    bodies
}
