//! `autopilot_device_csv` and Graph: the rows as devices to import, the
//! entries as Graph shows them, and the convergence of the tenant to the
//! CSV (delete removed rows, import new ones, apply tag and user changes).

use std::collections::{BTreeMap, HashMap, HashSet};

use tfplugin::{Attr, AttrPath, Diagnostics};

use super::delete::delete_all;
use super::{CsvDevice, DeviceCsvModel, MAX_LISTED};
use crate::devices::adoption;
use crate::devices::cache::DeviceCache;
use crate::devices::csv::{self, Row};
use crate::devices::graph::{self, DeviceIdentity, DeviceProperties, NewDevice};
use crate::devices::ops::{self, CONCURRENCY, Deadline, ImportError};
use crate::devices::run_bounded;
use crate::devices::sync::{self, Expected, Shown};
use crate::devices::teardown::Teardown;
use crate::graph::GraphClient;
use crate::resources::device::same_spelling;

/// What the configuration wants for one row.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Wanted {
    pub(super) line: usize,
    pub(super) device: NewDevice,
    /// Unknown while the configured `group_tag` is.
    pub(super) group_tag: Attr<String>,
}

impl Wanted {
    pub(super) fn user(&self) -> Attr<String> {
        self.device.assigned_user.clone().into()
    }
}

/// The rows of the configuration by serial number, with `group_tag`
/// applied; `None` when the CSV is not known yet or not valid.
pub(super) fn wanted(
    content: &Attr<String>,
    group_tag: &Attr<String>,
) -> Option<BTreeMap<String, Wanted>> {
    let rows = csv::parse(content.known()?).ok()?;
    Some(
        rows.into_iter()
            .map(|row| {
                let tag = match group_tag {
                    Attr::Known(tag) => Attr::Known(tag.clone()),
                    Attr::Unknown => Attr::Unknown,
                    Attr::Null => row.group_tag.clone().into(),
                };
                let mut device = new_device(&row);
                device.group_tag = tag.known().cloned();
                (
                    row.serial_number.clone(),
                    Wanted {
                        line: row.line,
                        device,
                        group_tag: tag,
                    },
                )
            })
            .collect(),
    )
}

fn new_device(row: &Row) -> NewDevice {
    NewDevice {
        serial_number: row.serial_number.clone(),
        product_key: row.product_key.clone(),
        hardware_hash: row.hardware_hash.clone(),
        group_tag: row.group_tag.clone(),
        assigned_user: row.assigned_user.clone(),
    }
}

/// Prior entries by lower-case serial number.
pub(super) fn by_serial(
    devices: &BTreeMap<String, CsvDevice>,
) -> HashMap<String, (&String, &CsvDevice)> {
    devices
        .iter()
        .map(|(serial, entry)| (serial.to_lowercase(), (serial, entry)))
        .collect()
}

fn non_empty(value: Option<String>) -> Attr<String> {
    value.filter(|v| !v.is_empty()).into()
}

fn same_user(a: &Attr<String>, b: &Attr<String>) -> bool {
    a.known().map(|u| u.to_lowercase()) == b.known().map(|u| u.to_lowercase())
}

/// The entry for a device as Graph shows it.
pub(super) fn entry_from(device: &DeviceIdentity) -> CsvDevice {
    let facts = device.facts();
    CsvDevice {
        id: Attr::Known(device.id.clone()),
        group_tag: non_empty(device.group_tag.clone()),
        assigned_user_principal_name: non_empty(device.user_principal_name.clone()),
        state: Attr::Known(facts.enrollment_state),
        deployment_profile_assignment_status: Attr::Known(
            facts.deployment_profile_assignment_status,
        ),
        deployment_profile_assignment_detailed_status: facts
            .deployment_profile_assignment_detailed_status
            .into(),
        deployment_profile_assigned_date_time: facts.deployment_profile_assigned_date_time.into(),
        last_contacted_date_time: facts.last_contacted_date_time.into(),
        managed_device_id: facts.managed_device_id.into(),
        entra_device_id: facts.entra_device_id.into(),
        manufacturer: facts.manufacturer.into(),
        model: facts.model.into(),
        purchase_order_id: facts.purchase_order_id.into(),
    }
}

/// An entry as Graph shows it now, the user in the prior spelling when it
/// is the same user.
pub(super) fn refreshed(prior: &CsvDevice, device: &DeviceIdentity) -> CsvDevice {
    let mut entry = entry_from(device);
    entry.assigned_user_principal_name = non_empty(same_spelling(
        &prior.assigned_user_principal_name,
        device.user_principal_name.clone(),
    ));
    entry
}

/// A change to one registered device's tag and user.
struct Change {
    serial: String,
    line: usize,
    id: String,
    tag: Option<Option<String>>,
    user: Option<Option<String>>,
}

impl Change {
    /// The change of `want`'s group tag (`tag`) and user (`user`) on
    /// device `id`.
    fn of(serial: &str, want: &Wanted, id: &str, tag: bool, user: bool) -> Self {
        Change {
            serial: serial.to_string(),
            line: want.line,
            id: id.to_string(),
            tag: tag.then(|| want.group_tag.known().cloned()),
            user: user.then(|| want.device.assigned_user.clone()),
        }
    }
}

/// What the identity shows once a change is applied.
fn expected_after(change: &Change) -> Expected {
    Expected {
        group_tag: change
            .tag
            .as_ref()
            .map(|tag| tag.clone().unwrap_or_default()),
        display_name: None,
        user: change.user.clone(),
    }
}

async fn apply_change(client: &GraphClient, change: &Change) -> Result<(), String> {
    if let Some(tag) = &change.tag {
        let properties = DeviceProperties {
            group_tag: Some(tag.clone().unwrap_or_default()),
            display_name: None,
        };
        graph::update_properties(client, &change.id, &properties)
            .await
            .map_err(|e| format!("updating the group tag failed: {e}"))?;
    }
    if let Some(user) = &change.user {
        graph::set_user(client, &change.id, user.as_deref())
            .await
            .map_err(|e| format!("assigning the user failed: {e}"))?;
    }
    Ok(())
}

/// Why a first apply with refused rows still completes, and how a pipeline
/// makes it fail (Terraform 1.2+): a postcondition fails the apply without
/// tainting the resource.
const CREATE_STAYS_COMPLETE: &str = "\n\nTerraform reports this apply as complete: had the \
     create returned an error, Terraform would taint the resource and the next apply would delete \
     and import again every device of the CSV. To make a pipeline fail here instead, give the \
     resource a postcondition (Terraform 1.2 and later), which fails the apply and keeps the \
     imported devices:\n\n  lifecycle {\n    postcondition {\n      condition     = \
     length(self.devices) == length(csvdecode(file(\"hwids.csv\")))\n      error_message = \
     \"Some rows of hwids.csv were not imported.\"\n    }\n  }";

/// One refused row, for the report.
pub(super) struct Refused {
    pub(super) line: usize,
    pub(super) serial: String,
    pub(super) error: ImportError,
}

pub(super) fn report_refused(refused: &[Refused], as_error: bool, diags: &mut Diagnostics) {
    if refused.is_empty() {
        return;
    }
    let mut lines: Vec<String> = refused
        .iter()
        .take(MAX_LISTED)
        .map(|r| {
            format!(
                "line {} (serial number {}): {}: {}",
                r.line,
                r.serial,
                r.error.code(),
                r.error
            )
        })
        .collect();
    if refused.len() > MAX_LISTED {
        lines.push(format!("... and {} more rows", refused.len() - MAX_LISTED));
    }
    let summary = format!(
        "{} device(s) of the CSV were not imported (lines {})",
        refused.len(),
        refused
            .iter()
            .take(10)
            .map(|r| r.line.to_string())
            .collect::<Vec<_>>()
            .join(", ")
            + if refused.len() > 10 { ", ..." } else { "" }
    );
    let mut detail = format!(
        "{}\n\nThe devices that were imported are in state; the next plan shows the missing rows \
         as an in-place update, and the next apply retries only them.",
        lines.join("\n")
    );
    let path = AttrPath::root("content");
    if as_error {
        diags.error_at(path, summary, detail);
    } else {
        detail.push_str(CREATE_STAYS_COMPLETE);
        diags.warning_at(path, summary, detail);
    }
}

/// Brings the tenant to the configuration: deletes removed rows, imports
/// new ones, updates changed tags and users. Returns the devices that are
/// registered afterwards.
pub(super) async fn converge(
    client: &GraphClient,
    prior: &BTreeMap<String, CsvDevice>,
    planned: &DeviceCsvModel,
    deadline: Deadline,
    creating: bool,
    diags: &mut Diagnostics,
) -> BTreeMap<String, CsvDevice> {
    let Some(wanted) = wanted(&planned.content, &planned.group_tag) else {
        diags.error_at(
            AttrPath::root("content"),
            "Invalid hardware hash CSV",
            "The CSV could not be read; run terraform plan to see why.",
        );
        return prior.clone();
    };
    let teardown = Teardown::of(&planned.destroy_enrolled, &planned.destroy_entra_device);
    let mut result = delete_removed_rows(client, prior, &wanted, teardown, deadline, diags).await;
    let (mut changes, to_import) = keep_registered_rows(prior, &wanted, &mut result);
    let refused = import_new_rows(
        client,
        &to_import,
        deadline,
        &mut changes,
        &mut result,
        diags,
    )
    .await;
    apply_changes(client, changes, deadline, &mut result, diags).await;
    report_refused(&refused, !creating, diags);
    result
}

/// Step 1 of [`converge`], rows removed from the CSV: deletes their
/// registrations. Returns the entries of the devices that could not be
/// deleted, which stay in state.
async fn delete_removed_rows(
    client: &GraphClient,
    prior: &BTreeMap<String, CsvDevice>,
    wanted: &BTreeMap<String, Wanted>,
    teardown: Teardown,
    deadline: Deadline,
    diags: &mut Diagnostics,
) -> BTreeMap<String, CsvDevice> {
    let wanted_serials: HashSet<String> = wanted.keys().map(|s| s.to_lowercase()).collect();
    let mut result: BTreeMap<String, CsvDevice> = BTreeMap::new();
    let removed: Vec<(String, CsvDevice)> = prior
        .iter()
        .filter(|(serial, _)| !wanted_serials.contains(&serial.to_lowercase()))
        .map(|(s, e)| (s.clone(), e.clone()))
        .collect();
    for (serial, entry, detail) in delete_all(client, removed, teardown, deadline).await {
        diags.error_at(
            AttrPath::root("content"),
            format!("Cannot delete Autopilot device {serial}, removed from the CSV"),
            detail,
        );
        result.insert(serial, entry);
    }
    result
}

/// Step 2, rows already registered: their entries go to `result`, and what
/// changed to the returned changes. Also returns the rows to import.
fn keep_registered_rows<'w>(
    prior: &BTreeMap<String, CsvDevice>,
    wanted: &'w BTreeMap<String, Wanted>,
    result: &mut BTreeMap<String, CsvDevice>,
) -> (Vec<Change>, Vec<(&'w String, &'w Wanted)>) {
    let prior_by_serial = by_serial(prior);
    let mut changes = Vec::new();
    let mut to_import: Vec<(&String, &Wanted)> = Vec::new();
    for (serial, want) in wanted {
        match prior_by_serial.get(&serial.to_lowercase()) {
            Some((_, before)) if before.id.is_known() => {
                let tag_changed = before.group_tag != want.group_tag;
                let user_changed = !same_user(&before.assigned_user_principal_name, &want.user());
                let entry = CsvDevice {
                    group_tag: want.group_tag.clone(),
                    assigned_user_principal_name: want.user(),
                    ..(*before).clone()
                };
                if (tag_changed || user_changed)
                    && let Some(id) = before.id.known()
                {
                    changes.push(Change::of(serial, want, id, tag_changed, user_changed));
                }
                result.insert(serial.clone(), entry);
            }
            _ => to_import.push((serial, want)),
        }
    }
    (changes, to_import)
}

/// Step 3, new rows: imports them. Devices that landed go to `result` (with a
/// change when the service did not take their tag or user); returns the
/// rows the service refused.
async fn import_new_rows(
    client: &GraphClient,
    to_import: &[(&String, &Wanted)],
    deadline: Deadline,
    changes: &mut Vec<Change>,
    result: &mut BTreeMap<String, CsvDevice>,
    diags: &mut Diagnostics,
) -> Vec<Refused> {
    let mut refused = Vec::new();
    if to_import.is_empty() {
        return refused;
    }
    let devices: Vec<NewDevice> = to_import.iter().map(|(_, w)| w.device.clone()).collect();
    let imported = ops::import_many(client, &devices, deadline).await;
    for warning in imported.warnings {
        diags.warning("Import records left behind", warning);
    }
    adoption::warn_adopted(
        &imported.adopted,
        |serial| {
            to_import
                .iter()
                .find(|(s, _)| s.eq_ignore_ascii_case(serial))
                .map(|(_, want)| want.line)
        },
        AttrPath::root("content"),
        diags,
    );
    for ((serial, want), outcome) in to_import.iter().zip(imported.results) {
        match outcome {
            Ok(device) => {
                // The import carries tag and user; converge if the
                // service did not take them.
                let graph_tag = non_empty(device.group_tag.clone());
                let graph_user = non_empty(device.user_principal_name.clone());
                let tag_differs = graph_tag != want.group_tag;
                let user_differs = !same_user(&graph_user, &want.user());
                if tag_differs || user_differs {
                    changes.push(Change::of(
                        serial,
                        want,
                        &device.id,
                        tag_differs,
                        user_differs,
                    ));
                }
                let mut entry = entry_from(&device);
                entry.group_tag = want.group_tag.clone();
                entry.assigned_user_principal_name = want.user();
                result.insert((*serial).clone(), entry);
            }
            Err(ImportError::Invisible { id, waited }) => {
                // Registered: keep it, so that it is not imported
                // again; the next refresh reads it.
                diags.warning_at(
                    AttrPath::root("content"),
                    format!(
                        "Autopilot device {serial} (line {}) is not readable yet",
                        want.line
                    ),
                    format!(
                        "The import completed as Autopilot device {id}, which did not become readable within {}s. It is kept in state.",
                        waited.as_secs()
                    ),
                );
                result.insert(
                    (*serial).clone(),
                    CsvDevice {
                        id: Attr::Known(id),
                        group_tag: want.group_tag.clone(),
                        assigned_user_principal_name: want.user(),
                        state: Attr::Known("unknown".into()),
                        ..CsvDevice::default()
                    },
                );
            }
            Err(error) => refused.push(Refused {
                line: want.line,
                serial: (*serial).clone(),
                error,
            }),
        }
    }
    refused
}

/// Step 4, tag and user changes; Autopilot shows them after a sync. A change
/// that fails is an error, and its entry shows what Graph holds now.
async fn apply_changes(
    client: &GraphClient,
    changes: Vec<Change>,
    deadline: Deadline,
    result: &mut BTreeMap<String, CsvDevice>,
    diags: &mut Diagnostics,
) {
    if changes.is_empty() {
        return;
    }
    let written = tokio::time::Instant::now();
    let outcomes = run_bounded(changes, CONCURRENCY, |change| async move {
        let outcome = apply_change(client, &change).await;
        (change, outcome)
    })
    .await;
    DeviceCache::shared().invalidate();
    let expected: HashMap<String, Expected> = outcomes
        .iter()
        .filter(|(_, outcome)| outcome.is_ok())
        .map(|(change, _)| (change.id.clone(), expected_after(change)))
        .collect();
    await_changes_shown(client, written, &expected, deadline, diags).await;
    for (change, outcome) in outcomes {
        if let Err(reason) = outcome {
            diags.error_at(
                AttrPath::root("content"),
                format!(
                    "Cannot update Autopilot device {} (line {})",
                    change.serial, change.line
                ),
                reason,
            );
            // State shows what Graph holds now.
            if let Ok(Some(device)) = graph::get_identity(client, &change.id).await
                && let Some(entry) = result.get_mut(&change.serial)
            {
                *entry = entry_from(&device);
            }
        }
    }
}

/// Waits until Autopilot shows the `expected` changes; a warning when it
/// does not within `deadline`.
async fn await_changes_shown(
    client: &GraphClient,
    written: tokio::time::Instant,
    expected: &HashMap<String, Expected>,
    deadline: Deadline,
    diags: &mut Diagnostics,
) {
    if expected.is_empty() {
        return;
    }
    let reason = match sync::settle(client, written, expected, deadline).await {
        Ok(Shown::All(_)) => None,
        Ok(Shown::NotYet { missing, .. }) => Some((
            missing.len(),
            format!("not within {}s", deadline.budget().as_secs()),
        )),
        Err(e) => Some((expected.len(), format!("the Autopilot sync failed: {e}"))),
    };
    if let Some((count, reason)) = reason {
        diags.warning_at(
            AttrPath::root("content"),
            "Autopilot does not show the devices' changes yet",
            sync::not_shown_detail(count, &reason),
        );
    }
}
