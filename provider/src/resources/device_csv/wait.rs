//! `wait_for_profile_assignment` on `autopilot_device_csv`: after a create or an update, wait
//! (within the same deadline) until Intune reports a deployment profile assigned for every
//! registered row, with one shared listing per poll ([`crate::devices::assignment_wait`]).
//!
//! As for `autopilot_device`, a create that ends with rows whose profile is not assigned warns
//! (an error would taint the whole CSV and the next apply would import every device again); the
//! next plan shows those rows' assignment status as unknown, an in-place update that waits
//! again, and an update that ends the same way is an error.

use std::collections::BTreeMap;

use tfplugin::{Attr, Diagnostics};

use super::model::{CsvDevice, DeviceCsvModel};
use crate::devices::assignment_wait::{self, Awaited};
use crate::devices::ops::Deadline;
use crate::graph::GraphClient;

/// Whether the configuration asks for the wait.
fn wanted(model: &DeviceCsvModel) -> bool {
    model.wait_for_profile_assignment.known() == Some(&true)
}

/// With the wait on, the rows whose profile is not assigned plan their assignment attributes
/// as unknown: an in-place update that waits again.
pub(super) fn replan_unassigned(
    planned: &DeviceCsvModel,
    devices: &mut BTreeMap<String, CsvDevice>,
) {
    if !wanted(planned) {
        return;
    }
    for row in devices.values_mut() {
        let status = row.deployment_profile_assignment_status.known();
        if row.id.is_known() && !assignment_wait::is_assigned(status.map(String::as_str)) {
            row.deployment_profile_assignment_status = Attr::Unknown;
            row.deployment_profile_assignment_detailed_status = Attr::Unknown;
            row.deployment_profile_assigned_date_time = Attr::Unknown;
        }
    }
}

/// The planned row of `serial`, when the plan knew the rows.
fn planned_row<'a>(planned: &'a DeviceCsvModel, serial: &str) -> Option<&'a CsvDevice> {
    planned.devices.known().and_then(|rows| rows.get(serial))
}

/// Waits after `operation` (`"create"` or `"update"`) when `planned` asks for it, and updates
/// the assignment attributes of the rows the plan left unknown (every row on create).
pub(super) async fn after_write(
    client: &GraphClient,
    planned: &DeviceCsvModel,
    devices: &mut BTreeMap<String, CsvDevice>,
    operation: &'static str,
    deadline: Deadline,
    diags: &mut Diagnostics,
) {
    if !wanted(planned) {
        return;
    }
    let awaited: Vec<Awaited> = devices
        .iter()
        .filter_map(|(serial, row)| {
            row.id.known().map(|id| Awaited {
                id: id.clone(),
                serial: serial.clone(),
            })
        })
        .collect();
    let outcome = assignment_wait::wait_for_assignments(client, awaited, deadline).await;
    for (serial, row) in devices.iter_mut() {
        let Some(device) = row.id.known().and_then(|id| outcome.devices.get(id)) else {
            continue;
        };
        // Rows whose status the plan promised keep it (they were assigned already).
        let open = planned_row(planned, serial)
            .is_none_or(|p| p.deployment_profile_assignment_status.is_unknown());
        if !open {
            continue;
        }
        let facts = device.facts();
        row.deployment_profile_assignment_status =
            Attr::Known(facts.deployment_profile_assignment_status);
        row.deployment_profile_assignment_detailed_status =
            facts.deployment_profile_assignment_detailed_status.into();
        row.deployment_profile_assigned_date_time =
            facts.deployment_profile_assigned_date_time.into();
    }
    if outcome.failures.is_empty() {
        return;
    }
    let count = outcome.failures.len();
    let summary = format!(
        "{count} device{} of the CSV without an assigned deployment profile",
        if count == 1 { "" } else { "s" }
    );
    outcome.diagnose(
        summary,
        "The devices are kept in state (not tainted, so they are not imported again)",
        operation,
        deadline,
        diags,
    );
}
