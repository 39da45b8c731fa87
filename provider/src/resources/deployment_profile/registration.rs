//! What `autopilot_deployment_profile` declares beside its resource: how
//! `export` lists profiles and the request bodies the resource sends.

use crate::export::{ExportKind, Listed, Listing};
use crate::graph::{ApiVersion, GraphClient};
use crate::payloads::{Payload, narrowed_odata_type, path, schema_of};
use crate::resources::lints::{ENTRA_PROFILE, HYBRID_PROFILE, PROFILE_COLLECTION};

use super::{AssignmentBody, LocaleBody, ProfilePayload, list_profiles};

/// Deployment profiles, Entra and hybrid join alike.
pub const EXPORT: ExportKind = ExportKind {
    name: "deployment_profiles",
    resource_type: "autopilot_deployment_profile",
    fallback_name: "profile",
    group_id_attributes: &["include_group_ids", "exclude_group_ids"],
    list: list_for_export,
};

fn list_for_export(client: &GraphClient) -> Listing<'_> {
    Box::pin(async move {
        Ok(list_profiles(client)
            .await?
            .into_iter()
            .filter_map(|p| Some(Listed::named(p.id?, p.display_name)))
            .collect())
    })
}

/// The bodies `autopilot_deployment_profile` sends.
pub fn payloads() -> Vec<Payload> {
    let profiles = path(ApiVersion::Beta, PROFILE_COLLECTION);
    let profile = format!("{profiles}/{{id}}");
    let write = |name, method, path: &str, purpose, odata_type| Payload {
        name,
        method,
        path: path.to_string(),
        purpose,
        schema: Some(narrowed_odata_type(
            schema_of::<ProfilePayload>(),
            odata_type,
        )),
    };
    vec![
        write(
            "deployment-profile-create-entra",
            "POST",
            &profiles,
            "autopilot_deployment_profile create, join_type = entra",
            ENTRA_PROFILE,
        ),
        write(
            "deployment-profile-create-hybrid",
            "POST",
            &profiles,
            "autopilot_deployment_profile create, join_type = hybrid",
            HYBRID_PROFILE,
        ),
        write(
            "deployment-profile-update-entra",
            "PATCH",
            &profile,
            "autopilot_deployment_profile update, join_type = entra",
            ENTRA_PROFILE,
        ),
        write(
            "deployment-profile-update-hybrid",
            "PATCH",
            &profile,
            "autopilot_deployment_profile update, join_type = hybrid",
            HYBRID_PROFILE,
        ),
        Payload {
            name: "deployment-profile-locale",
            method: "PATCH",
            path: profile.clone(),
            purpose: "autopilot_deployment_profile create, when Graph ignored the locale",
            schema: Some(schema_of::<LocaleBody<'static>>()),
        },
        Payload {
            name: "deployment-profile-assignment",
            method: "POST",
            path: format!("{profile}/assignments"),
            purpose: "autopilot_deployment_profile assignments, one per new target",
            schema: Some(schema_of::<AssignmentBody<'static>>()),
        },
    ]
}
