//! `wait_for_profile_assignment` on `autopilot_device`: after a create or an update, wait
//! (within the same deadline) until Intune reports the device's deployment profile as assigned
//! ([`crate::devices::assignment_wait`]), and put the status it reached in state.
//!
//! A create that ends without an assigned profile (the time ran out, or no profile targets the
//! device) warns instead of failing: Terraform would taint a created resource that reported an
//! error, and the next apply would then delete the registration and import the device again.
//! The registration stays in state, untainted, and the next plan shows an in-place update that
//! waits again ([`replan_unassigned`]); an update that ends the same way is an error.

use tfplugin::{Attr, Diagnostics};

use super::model::DeviceModel;
use crate::devices::assignment_wait::{self, Awaited};
use crate::devices::ops::Deadline;
use crate::graph::GraphClient;

/// Whether the configuration asks for the wait.
pub(super) fn wanted(model: &DeviceModel) -> bool {
    model.wait_for_profile_assignment.known() == Some(&true)
}

/// With the wait on and a prior state whose profile is not assigned, the assignment attributes
/// are unknown in the plan: an in-place update that waits again.
pub(super) fn replan_unassigned(planned: &mut DeviceModel, prior: &DeviceModel) {
    let assigned = assignment_wait::is_assigned(
        prior
            .deployment_profile_assignment_status
            .known()
            .map(String::as_str),
    );
    if wanted(planned) && !assigned {
        planned.deployment_profile_assignment_status = Attr::Unknown;
        planned.deployment_profile_assignment_detailed_status = Attr::Unknown;
        planned.deployment_profile_assigned_date_time = Attr::Unknown;
    }
}

/// Waits after `operation` (`"create"` or `"update"`) when `planned` asks for it; returns
/// `state` with the assignment attributes the plan left unknown as the wait last saw them.
pub(super) async fn after_write(
    client: &GraphClient,
    planned: &DeviceModel,
    mut state: DeviceModel,
    operation: &'static str,
    deadline: Deadline,
    diags: &mut Diagnostics,
) -> DeviceModel {
    let Some(id) = state.id.known().cloned() else {
        return state;
    };
    if !wanted(planned) {
        return state;
    }
    let serial = state.serial_number.known().cloned().unwrap_or_default();
    let awaited = vec![Awaited {
        id: id.clone(),
        serial: serial.clone(),
    }];
    let outcome = assignment_wait::wait_for_assignments(client, awaited, deadline).await;
    if let Some(device) = outcome.devices.get(&id) {
        let fresh = DeviceModel::with_identity(&state, device.clone(), true);
        let pairs = [
            (
                &planned.deployment_profile_assignment_status,
                &mut state.deployment_profile_assignment_status,
                fresh.deployment_profile_assignment_status,
            ),
            (
                &planned.deployment_profile_assignment_detailed_status,
                &mut state.deployment_profile_assignment_detailed_status,
                fresh.deployment_profile_assignment_detailed_status,
            ),
            (
                &planned.deployment_profile_assigned_date_time,
                &mut state.deployment_profile_assigned_date_time,
                fresh.deployment_profile_assigned_date_time,
            ),
        ];
        for (promised, slot, seen) in pairs {
            if promised.is_unknown() {
                *slot = seen;
            }
        }
    }
    if outcome.failures.is_empty() {
        return state;
    }
    outcome.diagnose(
        format!("The deployment profile of device {serial} is not assigned"),
        "The registration is kept in state (not tainted, so it is not imported again)",
        operation,
        deadline,
        diags,
    );
    state
}
