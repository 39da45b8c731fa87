//! `/deviceManagement/windowsAutopilotDeploymentProfiles` (beta only): Entra join
//! (`azureADWindowsAutopilotDeploymentProfile`) and hybrid join
//! (`activeDirectoryWindowsAutopilotDeploymentProfile`) profiles, their group assignments (one
//! POST or DELETE per assignment), `assign` (devices) and `assignedDevices`.

use super::GraphRequest;
use super::assignments;
use super::collection::{IntuneBackend, Listing, Paging};
use super::schema::StructuredType;
use crate::app::App;
use crate::errors::GraphError;
use crate::graph::GraphResult;
use crate::store::{Collection, Tenant};

mod devices;
mod handlers;
mod rules;
mod types;

pub use devices::*;
use handlers::*;
pub use rules::*;
pub use types::*;

/// Path of the collection under the version prefix.
pub const COLLECTION_PATH: &str = "deviceManagement/windowsAutopilotDeploymentProfiles";

/// At most this many profiles per tenant (Autopilot documentation).
pub const MAX_PROFILES: usize = 350;

/// The derived types (beta only; the collection itself is beta only).
pub static DERIVED: &[&StructuredType] = &[&AZURE_AD_PROFILE, &ACTIVE_DIRECTORY_PROFILE];

/// Target types a profile can be assigned to (profiles target devices, not users).
const SUPPORTED_TARGETS: &[&StructuredType] = &[
    &assignments::GROUP_TARGET,
    &assignments::EXCLUSION_GROUP_TARGET,
    &assignments::ALL_DEVICES_TARGET,
];

/// Longest `displayName` and `description` (Graph's property descriptions).
const MAX_DISPLAY_NAME: usize = 200;
const MAX_DESCRIPTION: usize = 1500;

/// The Intune backend behind the collection, named in wrapped errors.
static INTUNE: IntuneBackend = IntuneBackend {
    path: "DeviceEnrollmentFE/StatelessDeviceEnrollmentFEService/deviceManagement/windowsAutopilotDeploymentProfiles",
};

fn profile_assignments(tenant: &Tenant) -> &Collection {
    &tenant.windows_autopilot_deployment_profile_assignments
}

fn profiles_mut(tenant: &mut Tenant) -> &mut Collection {
    &mut tenant.windows_autopilot_deployment_profiles
}

/// What the profiles are called in the log.
const NOUN: &str = "deployment profile";

/// The `assignments` navigation of a profile.
static ASSIGNMENTS: assignments::Navigation = assignments::Navigation {
    collection_path: COLLECTION_PATH,
    paging: &PAGING,
    assignment_type: &PROFILE_ASSIGNMENT,
    targets: SUPPORTED_TARGETS,
    parents: |tenant| &tenant.windows_autopilot_deployment_profiles,
    assignments: profile_assignments,
    assignments_mut: |tenant| &mut tenant.windows_autopilot_deployment_profile_assignments,
    noun: NOUN,
    backend: &INTUNE,
};

/// Routes the segments after `windowsAutopilotDeploymentProfiles`.
pub fn route(app: &App, request: &GraphRequest, rest: &[String]) -> GraphResult {
    let method = &request.method;
    match rest {
        [] => crate::graph::list_or_create(app, request, list, create),
        [id] => crate::graph::read_update_delete(app, request, id, get, update, delete),
        [id, action] if super::is_action(action, "assign") => by_method!(method,
            POST => assign_devices(app, request, id),
        ),
        [id, nav] if nav.eq_ignore_ascii_case("assignments") => by_method!(method,
            GET => ASSIGNMENTS.list(app, request, id),
            POST => create_assignment(app, request, id),
        ),
        [id, nav, assignment_id] if nav.eq_ignore_ascii_case("assignments") => by_method!(method,
            GET => ASSIGNMENTS.get(app, request, id, assignment_id),
            DELETE => delete_assignment(app, id, assignment_id),
        ),
        [id, nav] if nav.eq_ignore_ascii_case("assignedDevices") => by_method!(method,
            GET => list_assigned_devices(app, request, id),
        ),
        [_, nav, _, extra, ..] if nav.eq_ignore_ascii_case("assignments") => {
            Err(GraphError::segment_not_found(extra))
        }
        [_, other, ..] => Err(GraphError::segment_not_found(other)),
    }
}

/// Page size of the listing: Intune clamps `$top` to the maximum.
pub static PAGING: Paging = Paging::new("windowsAutopilotDeploymentProfiles", 1000, 1000);

/// How the collection is listed and read.
fn listing() -> Listing<'static> {
    Listing {
        derived: DERIVED,
        expandable: &["assignments"],
        ..Listing::plain(&PAGING, COLLECTION_PATH.to_owned(), &DEPLOYMENT_PROFILE)
    }
}

fn list(app: &App, request: &GraphRequest) -> GraphResult {
    ASSIGNMENTS.list_owners(app, request, &listing())
}

fn get(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    ASSIGNMENTS.get_owner(app, request, &listing(), id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, json};

    #[test]
    fn device_name_templates() {
        for good in [
            "CORP-%SERIAL%",
            "AP-%RAND:5%",
            "A1",
            "%RAND:15%",
            "abc-def-ghi-jkl",
        ] {
            assert!(check_device_name_template(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "12345",
            "CORP_01",
            "CORP %SERIAL%",
            "ABCDEFGHIJ-%RAND:6%",
            "%RAND:0%",
            "%RAND:3",
            "ABCDEFGHIJKLMNOP",
        ] {
            assert!(check_device_name_template(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn oobe_blocks_mirror() {
        let mut given = Map::new();
        given.insert(
            "outOfBoxExperienceSetting".into(),
            json!({"eulaHidden": true, "userType": "standard"}),
        );
        mirror_oobe(&mut given);
        assert_eq!(given["outOfBoxExperienceSettings"]["hideEULA"], true);
        assert_eq!(given["outOfBoxExperienceSettings"]["userType"], "standard");
        assert_eq!(given["outOfBoxExperienceSettings"]["hideEscapeLink"], false);
        assert_eq!(
            given["outOfBoxExperienceSetting"]["deviceUsageType"],
            "singleUser"
        );
        let mut given = Map::new();
        given.insert(
            "outOfBoxExperienceSettings".into(),
            json!({"skipKeyboardSelectionPage": true}),
        );
        mirror_oobe(&mut given);
        assert_eq!(
            given["outOfBoxExperienceSetting"]["keyboardSelectionPageSkipped"],
            true
        );
    }
}
