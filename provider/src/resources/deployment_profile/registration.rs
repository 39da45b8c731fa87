//! What `autopilot_deployment_profile` declares beside its resource: how
//! `export` lists profiles and the request bodies the resource sends.

use crate::export::{ExportKind, Listed, Listing, listed};
use crate::graph::{ApiVersion, GraphClient};
use crate::list_resources::{Filters, ListDeclaration};
use crate::payloads::{Payload, narrowed_odata_type, path, schema_of};
use crate::resources::lints::{ENTRA_PROFILE, HYBRID_PROFILE, PROFILE_COLLECTION};

use super::{AssignmentBody, LocaleBody, ProfilePayload, list_profiles};

/// Deployment profiles, Entra and hybrid join alike.
#[rustfmt::skip]
pub const EXPORT: ExportKind = ExportKind::new("deployment_profiles", "autopilot_deployment_profile", "profile", &["include_group_ids", "exclude_group_ids"], list_for_export);

/// Its list resource (`terraform query`): by name, by assigned group, by join type.
pub const LIST: ListDeclaration =
    ListDeclaration::by_object_id(&EXPORT, Filters::DeploymentProfile);

fn list_for_export(client: &GraphClient) -> Listing<'_> {
    listed(list_profiles(client), |p| {
        Some(Listed::named(p.id?, p.display_name))
    })
}

/// The bodies `autopilot_deployment_profile` sends.
pub fn payloads() -> Vec<Payload> {
    let profiles = path(ApiVersion::Beta, PROFILE_COLLECTION);
    let profile = format!("{profiles}/{{id}}");
    let join = |odata_type| {
        Some(narrowed_odata_type(
            schema_of::<ProfilePayload>(),
            odata_type,
        ))
    };
    #[rustfmt::skip]
    let bodies = vec![
        Payload::with_schema("deployment-profile-create-entra", "POST", &profiles, "autopilot_deployment_profile create, join_type = entra", join(ENTRA_PROFILE)),
        Payload::with_schema("deployment-profile-create-hybrid", "POST", &profiles, "autopilot_deployment_profile create, join_type = hybrid", join(HYBRID_PROFILE)),
        Payload::with_schema("deployment-profile-update-entra", "PATCH", &profile, "autopilot_deployment_profile update, join_type = entra", join(ENTRA_PROFILE)),
        Payload::with_schema("deployment-profile-update-hybrid", "PATCH", &profile, "autopilot_deployment_profile update, join_type = hybrid", join(HYBRID_PROFILE)),
        Payload::of::<LocaleBody<'static>>("deployment-profile-locale", "PATCH", &profile, "autopilot_deployment_profile create, when Graph ignored the locale"),
        Payload::of::<AssignmentBody<'static>>("deployment-profile-assignment", "POST", format!("{profile}/assignments"), "autopilot_deployment_profile assignments, one per new target"),
    ];
    bodies
}
