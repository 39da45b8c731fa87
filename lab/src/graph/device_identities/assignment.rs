//! When Intune reports a device's deployment profile as assigned: a device targeted by a
//! profile reads `pending` for `profile_assignment_delay_ms` after it became targeted
//! (registered, or a group or assignment change), then `assignedInSync`; one no profile targets
//! reads `notAssigned`. Which profile targets a device is the one evaluation of
//! [`deployment_profiles::effective_profile`].

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::app::App;
use crate::graph::collection;
use crate::graph::deployment_profiles;
use crate::store::{ProfileAssignment, Tenant};

/// `deploymentProfileAssignedDateTime` of a device no profile is assigned to.
const NEVER: &str = "0001-01-01T00:00:00Z";

/// Writes the assignment status and time of `device` into `map`, as of `now`.
pub(super) fn render_assignment(
    tenant: &Tenant,
    device: &Value,
    map: &mut Map<String, Value>,
    now: DateTime<Utc>,
) {
    let profile = deployment_profiles::effective_profile(tenant, device);
    let Some((profile_id, profile)) = profile.and_then(|id| {
        tenant
            .windows_autopilot_deployment_profiles
            .get(&id)
            .map(|p| (id, p))
    }) else {
        map.insert(
            "deploymentProfileAssignmentStatus".into(),
            json!("notAssigned"),
        );
        map.insert("deploymentProfileAssignedDateTime".into(), json!(NEVER));
        return;
    };
    let tracked = tenant
        .lab
        .profile_assignments
        .get(collection::str_of(device, "id"))
        .filter(|a| a.profile == profile_id);
    let (status, assigned) = match tracked {
        Some(a) if a.assigned_at > now => ("pending", json!(NEVER)),
        Some(a) => (
            "assignedInSync",
            json!(a.assigned_at.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
        ),
        None => (
            "assignedInSync",
            json!(collection::str_of(profile, "createdDateTime")),
        ),
    };
    map.insert("deploymentProfileAssignmentStatus".into(), json!(status));
    map.insert("deploymentProfileAssignedDateTime".into(), assigned);
}

/// The devices whose targeting changed since the last look: their new assignment (`None`: no
/// profile targets them any more).
fn targeting_changes(
    tenant: &Tenant,
    assigned_at: DateTime<Utc>,
) -> Vec<(String, Option<ProfileAssignment>)> {
    tenant
        .windows_autopilot_device_identities
        .values()
        .filter_map(|device| {
            let id = collection::str_of(device, "id");
            let now = deployment_profiles::effective_profile(tenant, device);
            let before = tenant.lab.profile_assignments.get(id);
            match (now, before) {
                (Some(profile), Some(b)) if b.profile == profile => None,
                (Some(profile), _) => Some((
                    id.to_owned(),
                    Some(ProfileAssignment {
                        profile,
                        assigned_at,
                    }),
                )),
                (None, Some(_)) => Some((id.to_owned(), None)),
                (None, None) => None,
            }
        })
        .collect()
}

/// With the delay set back to 0: the assignments still pending complete now.
fn completed_now(tenant: &Tenant, now: DateTime<Utc>) -> Vec<(String, Option<ProfileAssignment>)> {
    tenant
        .lab
        .profile_assignments
        .iter()
        .filter(|(_, a)| a.assigned_at > now)
        .map(|(id, a)| {
            let done = ProfileAssignment {
                profile: a.profile.clone(),
                assigned_at: now,
            };
            (id.clone(), Some(done))
        })
        .collect()
}

/// Notes the devices that became targeted (or stopped being), so that their status reads
/// `pending` for `profile_assignment_delay_ms`. While the delay is 0 there is nothing to note,
/// and assignments still pending from a longer delay complete. Called before each Graph request.
pub(super) fn track_targeting(app: &App) {
    let delay_ms = app.settings.get().profile_assignment_delay_ms;
    let now = Utc::now();
    let changes = if delay_ms == 0 {
        app.store.read(|tenant| completed_now(tenant, now))
    } else {
        let assigned_at =
            now + chrono::Duration::milliseconds(i64::try_from(delay_ms).unwrap_or(i64::MAX / 2));
        app.store
            .read(|tenant| targeting_changes(tenant, assigned_at))
    };
    if changes.is_empty() {
        return;
    }
    let result = app.store.write(|tenant| {
        for (id, assignment) in &changes {
            match assignment {
                Some(a) => {
                    tenant.lab.profile_assignments.insert(id.clone(), a.clone());
                }
                None => {
                    tenant.lab.profile_assignments.remove(id);
                }
            }
        }
        Ok::<_, crate::store::StoreError>(changes.len())
    });
    match result {
        Ok(changed) => tracing::info!(changed, "deployment profile targeting changed"),
        Err(error) => tracing::error!(%error, "deployment profile targeting could not be noted"),
    }
}
