//! One module per resource type, plus what several of them share.

pub mod assignment_filter;
pub mod assignments;
pub mod corporate_identifier_csv;
pub mod deployment_profile;
pub mod device;
pub mod device_csv;
pub mod device_preparation_policy;
pub mod domain_join_profile;
pub mod enrollment_status_page;
pub mod esp_order;
pub mod group;
pub(crate) mod intune;
pub mod lints;
pub mod moves;
pub mod scope_tag;
pub mod settings_catalog;
pub mod timeouts;

use std::collections::BTreeSet;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tfplugin::{Attr, Diagnostics, IdentityAttribute};

use crate::graph::{Created, GraphClient, GraphError, NameLookup};

/// The resource identity (Terraform 1.12+) of a resource whose Graph object
/// id is its Terraform id: `import { to = ..., identity = { id = "..." } }`.
pub const OBJECT_ID_IDENTITY: &[IdentityAttribute] = &[IdentityAttribute::required(
    "id",
    "The Graph object id: the id `terraform import` takes.",
)];

/// Reports a Graph failure as an error diagnostic saying what was attempted.
/// A timeout that ran out ([`GraphError::TimedOut`]) is reported at its
/// attribute, `timeouts.<operation>`.
pub fn report(diags: &mut Diagnostics, action: &str, error: &GraphError) {
    match error {
        GraphError::TimedOut {
            operation, budget, ..
        } => timeouts::report_timed_out(diags, action, operation, *budget, error.to_string()),
        _ => diags.error(format!("Cannot {action}"), error.to_string()),
    }
}

/// Creates the object `what` (e.g. "the group") by its name through
/// [`GraphClient::create`], which never makes it twice, and returns Graph's
/// answer with the new id. A failure, or an answer without an id, is
/// reported as "Cannot create {what}" and gives `None`.
pub async fn create_named<B: Serialize, T: DeserializeOwned>(
    client: &GraphClient,
    lookup: &NameLookup<'_>,
    body: &B,
    what: &str,
    id_of: impl FnOnce(&T) -> Option<String>,
    diags: &mut Diagnostics,
) -> Option<(T, String)> {
    let created: T = match client.create(lookup, body).await {
        Ok(Created {
            object,
            taken_over: Some(id),
        }) => {
            diags.warning(
                format!("Took over {what} {id}, left by an interrupted apply"),
                format!(
                    "An object named \"{}\" with exactly the settings of this configuration was already \
                     in the tenant and no create of this run made it: the create of an earlier apply \
                     that was interrupted (killed, or its answer lost) before Terraform saved it. \
                     Terraform now manages object {id} instead of creating a duplicate; `terraform \
                     destroy` deletes it.",
                    lookup.name
                ),
            );
            object
        }
        Ok(Created { object, .. }) => object,
        Err(e) => {
            report(diags, &format!("create {what}"), &e);
            return None;
        }
    };
    let Some(id) = id_of(&created) else {
        diags.error(
            format!("Cannot create {what}"),
            "Graph answered without an id.",
        );
        return None;
    };
    tracing::info!(%id, collection = lookup.collection, "created {what}");
    Some((created, id))
}

/// A set read from Graph, shaped like the prior value so an unset
/// attribute does not turn into an empty set (and a perpetual diff).
pub fn set_like_prior(
    prior: &Attr<BTreeSet<String>>,
    fresh: BTreeSet<String>,
) -> Attr<BTreeSet<String>> {
    if fresh.is_empty() && !matches!(prior, Attr::Known(p) if p.is_empty()) {
        Attr::Null
    } else {
        Attr::Known(fresh)
    }
}

/// A string read from Graph, shaped like the prior value: Graph often
/// answers `""` or `null` for an unset string, and either must not turn an
/// unset attribute into a perpetual diff.
pub fn string_like_prior(prior: &Attr<String>, fresh: Option<String>) -> Attr<String> {
    match fresh {
        Some(s) if !s.is_empty() => Attr::Known(s),
        _ if matches!(prior, Attr::Known(p) if p.is_empty()) => Attr::Known(String::new()),
        _ => Attr::Null,
    }
}

/// Refuses, at plan time, a resource the client's cloud does not offer:
/// US Government (GCC High, DoD) tenants have only Autopilot device
/// preparation — no classic profiles, hybrid join, self-deploying or
/// pre-provisioning.
pub fn refuse_in_government_cloud(
    client: Option<&crate::graph::GraphClient>,
    resource: &str,
    diags: &mut Diagnostics,
) {
    use crate::config::Cloud;
    let Some(client) = client else { return };
    if matches!(client.cloud(), Cloud::Usgovernment | Cloud::Usgovernmentdod) {
        diags.error(
            format!("`{resource}` is not available in US Government clouds"),
            "GCC High and DoD tenants have only Windows Autopilot device preparation (v2): classic \
             deployment profiles, hybrid join, self-deploying and pre-provisioning do not exist there. \
             Use autopilot_device_preparation_policy with an autopilot_group owned by the Intune \
             Provisioning Client instead.",
        );
    }
}

/// The state after an update, from the read that followed it: the object
/// `named` (e.g. "Group {id}") gone is an error that drops it; a failed
/// read keeps `prior`, as Terraform must not lose the object.
pub(crate) fn read_after_update<M>(
    read: Result<Option<M>, GraphError>,
    what: &str,
    named: &str,
    prior: M,
    diags: &mut Diagnostics,
) -> Option<M> {
    match read {
        Ok(Some(state)) => Some(state),
        Ok(None) => {
            diags.error(
                format!("The {what} disappeared"),
                format!("{named} was deleted while it was being updated."),
            );
            None
        }
        Err(e) => {
            report(diags, &format!("read the {what} after updating it"), &e);
            Some(prior)
        }
    }
}
