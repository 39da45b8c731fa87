//! `wait_for_profile_assignment` on `autopilot_device` and `autopilot_device_csv`: after a create
//! or an update, poll until Intune reports each device's deployment profile as assigned
//! (`assignedInSync`, `assignedOutOfSync` or `assignedUnkownSyncState`, Graph's spelling), within
//! the operation's deadline. Every poll is one fresh listing of the registrations, shared by all
//! the devices waited for (never a GET per device).
//!
//! A device that reads `notAssigned` is checked once against the deployment profiles: the
//! profiles and their assignments are read once per wait, and the device's groups come from its
//! Entra device object's `memberOf`. When no profile targets any of its groups (and none targets
//! all devices), waiting is pointless: it fails at once, naming the device's groups and what each
//! profile targets. A targeted device keeps waiting while Intune works (`pending`, or
//! `notAssigned` before Intune has picked it up); `failed`, or `notAssigned` after Intune had
//! shown it `pending`, ends the wait for that device with what Intune said.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::time::Duration;

use serde::Deserialize;

use super::cache::{DeviceCache, Listing, ListingError};
use super::graph::DeviceIdentity;
use super::ops::{Deadline, Wait};
use super::teardown::{ENTRA_DEVICES, find_entra_device};
use crate::graph::{ApiVersion, GraphClient, GraphError};

/// The deployment profiles, read with their assignments.
pub const PROFILES: &str = "deviceManagement/windowsAutopilotDeploymentProfiles";

/// The statuses that mean a profile is assigned (Graph's spelling, `Unkown` included).
pub const ASSIGNED: [&str; 3] = [
    "assignedInSync",
    "assignedOutOfSync",
    "assignedUnkownSyncState",
];

/// The first pause between two polls; each pause doubles, up to [`LONGEST_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_secs(1);
const LONGEST_PAUSE: Duration = Duration::from_secs(30);

/// Whether `status` says a deployment profile is assigned.
pub fn is_assigned(status: Option<&str>) -> bool {
    status.is_some_and(|s| ASSIGNED.contains(&s))
}

/// A device to wait for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Awaited {
    /// The registration's id.
    pub id: String,
    /// Its serial number, for messages.
    pub serial: String,
}

/// Why the wait for one device ended without an assigned profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssignmentError {
    /// No deployment profile targets the device: the report names its groups and what each
    /// profile targets.
    #[error("no deployment profile targets it.\n{0}")]
    NotTargeted(String),
    /// Intune gave up: `failed`, or `notAssigned` after it had shown the device `pending`.
    #[error("Intune reports its deployment profile assignment as {0}")]
    Failed(String),
    /// Still not assigned when the time ran out; the last status seen.
    #[error("its deployment profile was still not assigned when the time ran out (status {0})")]
    TimedOut(String),
    /// Terraform asked the provider to stop.
    #[error("the provider was asked to stop while waiting")]
    Stopped,
    /// The registration is gone.
    #[error("the registration no longer exists")]
    Gone,
    /// Graph refused or failed a request of the wait.
    #[error("{0}")]
    Graph(String),
}

/// How a wait ended: the registrations as last seen (by id) and the devices whose profile was
/// not assigned, with why.
#[derive(Debug, Default)]
pub struct WaitOutcome {
    pub devices: HashMap<String, DeviceIdentity>,
    pub failures: Vec<(Awaited, AssignmentError)>,
}

impl WaitOutcome {
    /// Whether the failures include a timeout (the message then names the timeout setting).
    pub fn timed_out(&self) -> bool {
        self.failures
            .iter()
            .any(|(_, e)| matches!(e, AssignmentError::TimedOut(_)))
    }

    /// One paragraph per failed device.
    pub fn report(&self) -> String {
        let mut text = String::new();
        for (device, error) in &self.failures {
            let _ = writeln!(text, "Device {} ({}): {error}", device.serial, device.id);
        }
        text.trim_end().to_owned()
    }

    /// Reports the devices left unassigned after `operation` (`create` or `update`): at
    /// `timeouts.<operation>` when the time ran out, else at `wait_for_profile_assignment`. A
    /// create warns, with `kept` (what stays in state, untainted); an update fails.
    pub fn diagnose(
        &self,
        summary: String,
        kept: &str,
        operation: &str,
        deadline: Deadline,
        diags: &mut tfplugin::Diagnostics,
    ) {
        let mut detail = self.report();
        let timed_out = self.timed_out();
        if timed_out {
            let _ = write!(
                detail,
                "\n\ntimeouts.{operation} ({}) ran out while waiting (wait_for_profile_assignment).",
                crate::graph::deadline::display_duration(deadline.budget())
            );
        }
        let path = if timed_out {
            tfplugin::AttrPath::root("timeouts").attr(operation)
        } else {
            tfplugin::AttrPath::root("wait_for_profile_assignment")
        };
        if operation == "create" {
            let _ = write!(
                detail,
                "\n\n{kept}; the next plan shows an in-place update that waits again."
            );
            diags.warning_at(path, summary, detail);
        } else {
            diags.error_at(path, summary, detail);
        }
    }
}

#[derive(Debug, Deserialize)]
struct AssignmentTarget {
    #[serde(rename = "@odata.type", default)]
    kind: String,
    #[serde(rename = "groupId", default)]
    group_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ProfileAssignment {
    target: AssignmentTarget,
}

#[derive(Debug, Deserialize)]
struct Profile {
    id: String,
    #[serde(rename = "displayName", default)]
    display_name: Option<String>,
    #[serde(default)]
    assignments: Vec<ProfileAssignment>,
}

/// A group an Entra device is a member of.
#[derive(Debug, Clone, Deserialize)]
struct Group {
    id: String,
    #[serde(rename = "displayName", default)]
    display_name: Option<String>,
}

impl Group {
    fn label(&self) -> String {
        match &self.display_name {
            Some(name) => format!("{name} ({})", self.id),
            None => self.id.clone(),
        }
    }
}

/// What the tenant's deployment profiles target.
struct Targeting {
    profiles: Vec<Profile>,
}

impl Targeting {
    async fn read(client: &GraphClient) -> Result<Self, GraphError> {
        let profiles = client
            .list(ApiVersion::Beta, &format!("{PROFILES}?$expand=assignments"))
            .await?;
        Ok(Targeting { profiles })
    }

    /// Whether a profile targets a device in `groups`: included (or all devices) and not
    /// excluded, as Intune decides.
    fn targets(&self, groups: &[Group]) -> bool {
        let ids: HashSet<&str> = groups.iter().map(|g| g.id.as_str()).collect();
        let hits = |profile: &Profile, exclusion: bool| {
            profile.assignments.iter().any(|a| {
                let kind = a.target.kind.as_str();
                if kind.ends_with("exclusionGroupAssignmentTarget") != exclusion {
                    return false;
                }
                kind.ends_with("allDevicesAssignmentTarget")
                    || a.target
                        .group_id
                        .as_deref()
                        .is_some_and(|g| ids.contains(g))
            })
        };
        self.profiles
            .iter()
            .any(|p| hits(p, false) && !hits(p, true))
    }

    /// The device's groups and what every profile targets, for the fail-fast error.
    fn report(&self, groups: &[Group]) -> String {
        let mut text = String::from("Its groups (from its Entra device's memberOf): ");
        if groups.is_empty() {
            text.push_str("none.");
        } else {
            let labels: Vec<String> = groups.iter().map(Group::label).collect();
            text.push_str(&labels.join(", "));
            text.push('.');
        }
        text.push_str("\nDeployment profiles and what they target:");
        if self.profiles.is_empty() {
            text.push_str(" none (the tenant has no deployment profile).");
        }
        for profile in &self.profiles {
            let name = profile.display_name.as_deref().unwrap_or("(unnamed)");
            let _ = write!(text, "\n  - {name} ({}): ", profile.id);
            let described: Vec<String> = profile
                .assignments
                .iter()
                .map(|a| {
                    let kind = a.target.kind.as_str();
                    let group = a.target.group_id.as_deref().unwrap_or("?");
                    if kind.ends_with("allDevicesAssignmentTarget") {
                        "all devices".to_owned()
                    } else if kind.ends_with("exclusionGroupAssignmentTarget") {
                        format!("not group {group}")
                    } else {
                        format!("group {group}")
                    }
                })
                .collect();
            if described.is_empty() {
                text.push_str("nothing (no assignments)");
            } else {
                text.push_str(&described.join(", "));
            }
        }
        text.push_str(
            "\nAssign a deployment profile to one of the device's groups (or give the device a \
             group tag a targeted dynamic group selects), or set wait_for_profile_assignment = \
             false.",
        );
        text
    }
}

/// The groups of the Entra device whose `deviceId` is `entra_device_id`; `None` while Entra has
/// no such object yet.
async fn groups_of(
    client: &GraphClient,
    entra_device_id: &str,
) -> Result<Option<Vec<Group>>, GraphError> {
    let Some(object_id) = find_entra_device(client, entra_device_id).await? else {
        return Ok(None);
    };
    let groups = client
        .list(
            ApiVersion::V1,
            &format!("{ENTRA_DEVICES}/{object_id}/memberOf?$select=id,displayName"),
        )
        .await?;
    Ok(Some(groups))
}

/// What the wait knows across polls.
#[derive(Default)]
struct Progress {
    targeting: Option<Targeting>,
    /// Devices found targeted (by a status or by the check).
    targeted: HashSet<String>,
    /// Devices Intune showed `pending`.
    seen_pending: HashSet<String>,
}

/// What one device's status means for the wait: `Ok(true)` done, `Ok(false)` keep waiting.
async fn step(
    client: &GraphClient,
    device: &DeviceIdentity,
    progress: &mut Progress,
) -> Result<bool, AssignmentError> {
    let status = device
        .deployment_profile_assignment_status
        .as_deref()
        .unwrap_or("unknown");
    if is_assigned(Some(status)) {
        return Ok(true);
    }
    match status {
        "pending" => {
            progress.seen_pending.insert(device.id.clone());
            progress.targeted.insert(device.id.clone());
            return Ok(false);
        }
        "failed" => return Err(AssignmentError::Failed(status.to_owned())),
        _ if progress.seen_pending.contains(&device.id) => {
            return Err(AssignmentError::Failed(format!(
                "{status} after it was pending"
            )));
        }
        _ => {}
    }
    if progress.targeted.contains(&device.id) {
        return Ok(false);
    }
    let Some(entra_device_id) = device.facts().entra_device_id else {
        return Ok(false);
    };
    let graph = |e: GraphError| AssignmentError::Graph(e.to_string());
    let Some(groups) = groups_of(client, &entra_device_id).await.map_err(graph)? else {
        // Entra has not made the device object yet: look again next poll.
        return Ok(false);
    };
    if progress.targeting.is_none() {
        progress.targeting = Some(Targeting::read(client).await.map_err(graph)?);
    }
    let Some(targeting) = progress.targeting.as_ref() else {
        return Ok(false);
    };
    if targeting.targets(&groups) {
        tracing::info!(device = %device.id, "a deployment profile targets the device; waiting for Intune");
        progress.targeted.insert(device.id.clone());
        Ok(false)
    } else {
        Err(AssignmentError::NotTargeted(targeting.report(&groups)))
    }
}

/// Fails every device still waited for with `error`.
fn fail_all(outcome: &mut WaitOutcome, waiting: Vec<Awaited>, error: &AssignmentError) {
    outcome
        .failures
        .extend(waiting.into_iter().map(|d| (d, error.clone())));
}

async fn fresh_listing(client: &GraphClient) -> Result<std::sync::Arc<Listing>, AssignmentError> {
    DeviceCache::shared()
        .fresh_listing(client)
        .await
        .map_err(|e| match e {
            ListingError::RanOut(_) => AssignmentError::TimedOut("unknown".into()),
            ListingError::Failed(reason) => AssignmentError::Graph(reason),
        })
}

/// Waits, within `deadline`, until every device of `awaited` has an assigned deployment profile
/// (see the module documentation), logging progress.
pub async fn wait_for_assignments(
    client: &GraphClient,
    awaited: Vec<Awaited>,
    deadline: Deadline,
) -> WaitOutcome {
    let mut outcome = WaitOutcome::default();
    let mut progress = Progress::default();
    let mut waiting = awaited;
    let mut pause = FIRST_PAUSE;
    let mut last_status: HashMap<String, String> = HashMap::new();
    tracing::info!(
        devices = waiting.len(),
        "waiting for deployment profile assignment"
    );
    while !waiting.is_empty() {
        let listing = match fresh_listing(client).await {
            Ok(listing) => listing,
            Err(error) => {
                fail_all(&mut outcome, waiting, &error);
                break;
            }
        };
        let mut still = Vec::new();
        for device in waiting {
            let Some(identity) = listing.get(&device.id) else {
                outcome.failures.push((device, AssignmentError::Gone));
                continue;
            };
            outcome.devices.insert(device.id.clone(), identity.clone());
            let status = identity
                .deployment_profile_assignment_status
                .clone()
                .unwrap_or_default();
            last_status.insert(device.id.clone(), status);
            match step(client, identity, &mut progress).await {
                Ok(true) => {}
                Ok(false) => still.push(device),
                Err(error) => outcome.failures.push((device, error)),
            }
        }
        waiting = still;
        if waiting.is_empty() {
            break;
        }
        tracing::info!(
            waiting = waiting.len(),
            pause_secs = pause.as_secs(),
            "deployment profiles not assigned yet"
        );
        match deadline.pause(client, pause).await {
            Wait::Over => pause = (pause * 2).min(LONGEST_PAUSE),
            Wait::Expired => {
                for device in waiting {
                    let status = last_status.get(&device.id).cloned().unwrap_or_default();
                    outcome
                        .failures
                        .push((device, AssignmentError::TimedOut(status)));
                }
                break;
            }
            Wait::Stopped => {
                fail_all(&mut outcome, waiting, &AssignmentError::Stopped);
                break;
            }
        }
    }
    tracing::info!(
        failed = outcome.failures.len(),
        "waiting for deployment profile assignment ended"
    );
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(json: serde_json::Value) -> Profile {
        serde_json::from_value(json).unwrap()
    }

    fn group(id: &str) -> Group {
        Group {
            id: id.into(),
            display_name: Some(format!("{id}-name")),
        }
    }

    #[test]
    fn targeting_follows_includes_excludes_and_all_devices() {
        let included = profile(serde_json::json!({"id": "p1", "displayName": "Kiosk",
            "assignments": [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "g1"}},
                            {"target": {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": "g2"}}]}));
        let targeting = Targeting {
            profiles: vec![included],
        };
        assert!(targeting.targets(&[group("g1")]));
        assert!(!targeting.targets(&[group("g1"), group("g2")]), "excluded");
        assert!(!targeting.targets(&[group("g3")]));
        let report = targeting.report(&[group("g3")]);
        assert!(report.contains("g3-name (g3)"), "{report}");
        assert!(
            report.contains("Kiosk (p1): group g1, not group g2"),
            "{report}"
        );

        let everyone = profile(serde_json::json!({"id": "p2", "displayName": "All",
            "assignments": [{"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}]}));
        let targeting = Targeting {
            profiles: vec![everyone],
        };
        assert!(targeting.targets(&[]));
        assert!(targeting.report(&[]).contains("All (p2): all devices"));
        let none = Targeting { profiles: vec![] };
        assert!(!none.targets(&[group("g1")]));
        assert!(none.report(&[]).contains("no deployment profile"));
    }

    #[test]
    fn assigned_statuses_are_graphs() {
        for status in ASSIGNED {
            assert!(is_assigned(Some(status)));
        }
        for status in ["pending", "notAssigned", "failed", "unknown"] {
            assert!(!is_assigned(Some(status)), "{status}");
        }
        assert!(!is_assigned(None));
    }
}
