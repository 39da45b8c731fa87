//! `autopilot_device_csv`: every device of a `Get-WindowsAutopilotInfo` CSV,
//! imported in chunks and tracked as one set.

mod registration;
pub use registration::{EXPORT, payloads};

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::{Attr, AttrPath, Diagnostics, PlanRequest, Resource};

use super::device::{
    DEFAULT_DELETE_TIMEOUT, same_spelling, start_deletion, still_deleting, wait_until_deleted,
};
use crate::devices::cache::DeviceCache;
use crate::devices::csv::{self, MAX_REPORTED, Row};
use crate::devices::graph::{self, DeviceIdentity, DeviceProperties, NewDevice};
use crate::devices::ops::{self, CONCURRENCY, Deadline, ImportError};
use crate::devices::sync::{self, Expected, Shown};
use crate::devices::{parse_duration, run_bounded};
use crate::graph::GraphClient;

/// How long a create or update may follow its imports when unset.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// At most this many failed rows are listed one by one in a diagnostic.
const MAX_LISTED: usize = 50;

/// The devices of a hardware hash CSV, as `Get-WindowsAutopilotInfo`
/// writes it and the Intune admin center imports it, managed as one set.
/// The CSV is checked at plan time, with line numbers. Devices are imported
/// in chunks of at most 500 rows (Intune's limit per import), so a CSV may
/// have any number of rows. Rows added to the CSV are imported, removed rows
/// are deleted from Autopilot, changed group tags and assigned users are
/// updated in place.
///
/// A row the service refuses (for example 806, already registered in this
/// tenant, or 808, registered in another tenant) is reported with its line
/// and code and left out of `devices`; every other row lands, and the next
/// apply retries only the rows that are missing. On the first apply the
/// refused rows are warnings, so that the devices that landed are not
/// replaced by the next apply (Terraform replaces a resource whose create
/// reported an error); on later applies they are errors.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct DeviceCsvModel {
    /// An id for this set of devices (generated).
    #[schemars(extend("x-tf" = "computed,stable"))]
    pub id: Attr<String>,
    /// The CSV text, usually `file("hwids.csv")`. Its header is exactly `Device Serial Number,Windows Product ID,Hardware Hash`, optionally followed by `,Group Tag` and then `,Assigned User`; no quotation marks, no extra columns. Unpadded hashes are padded as Autopilot requires. Sensitive, because it holds hardware hashes.
    #[schemars(extend("x-tf" = "required,sensitive"))]
    pub content: Attr<String>,
    /// A group tag for every device of the CSV; when set it replaces the CSV's `Group Tag` column.
    pub group_tag: Attr<String>,
    /// The devices that are registered, by serial number.
    #[schemars(extend("x-tf" = "computed"))]
    pub devices: Attr<BTreeMap<String, CsvDevice>>,
    /// How long operations may take.
    #[schemars(extend("x-tf" = "block"))]
    pub timeouts: Attr<CsvTimeouts>,
}

/// One registered device of the CSV.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct CsvDevice {
    /// The Autopilot device id.
    pub id: Attr<String>,
    /// The device's group tag.
    pub group_tag: Attr<String>,
    /// The user assigned to the device.
    pub assigned_user_principal_name: Attr<String>,
    /// The device's enrollment state, e.g. `notContacted` or `enrolled`.
    pub state: Attr<String>,
}

/// Time limits of operations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct CsvTimeouts {
    /// How long the first apply may wait for the imports, e.g. `"30m"` (the default).
    pub create: Attr<String>,
    /// How long a later apply may wait for the imports of added rows, and for Autopilot to show changed group tags and users (they show after an Autopilot sync; Intune allows one every 10 minutes), e.g. `"30m"` (the default).
    pub update: Attr<String>,
    /// How long a destroy may wait for Autopilot to finish deleting the registrations (deletion is asynchronous), e.g. `"10m"` (the default).
    pub delete: Attr<String>,
}

/// The resource.
pub struct DeviceCsv;

/// What the configuration wants for one row.
#[derive(Debug, Clone, PartialEq)]
struct Wanted {
    line: usize,
    device: NewDevice,
    /// Unknown while the configured `group_tag` is.
    group_tag: Attr<String>,
}

impl Wanted {
    fn user(&self) -> Attr<String> {
        self.device.assigned_user.clone().into()
    }
}

/// The rows of the configuration by serial number, with `group_tag`
/// applied; `None` when the CSV is not known yet or not valid.
fn wanted(content: &Attr<String>, group_tag: &Attr<String>) -> Option<BTreeMap<String, Wanted>> {
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
fn by_serial(devices: &BTreeMap<String, CsvDevice>) -> HashMap<String, (&String, &CsvDevice)> {
    devices
        .iter()
        .map(|(serial, entry)| (serial.to_lowercase(), (serial, entry)))
        .collect()
}

/// The planned `devices`: rows already registered keep their id and state,
/// new rows are unknown until imported.
fn plan_devices(
    wanted: &BTreeMap<String, Wanted>,
    prior: &BTreeMap<String, CsvDevice>,
) -> BTreeMap<String, CsvDevice> {
    let prior = by_serial(prior);
    wanted
        .iter()
        .map(|(serial, want)| {
            let entry = match prior.get(&serial.to_lowercase()) {
                Some((_, before)) if before.id.is_known() => CsvDevice {
                    id: before.id.clone(),
                    group_tag: want.group_tag.clone(),
                    assigned_user_principal_name: want.user(),
                    state: before.state.clone(),
                },
                _ => CsvDevice {
                    id: Attr::Unknown,
                    group_tag: want.group_tag.clone(),
                    assigned_user_principal_name: want.user(),
                    state: Attr::Unknown,
                },
            };
            (serial.clone(), entry)
        })
        .collect()
}

/// The serial numbers of the registered devices the plan drops: rows gone from the CSV.
fn deregistered(
    wanted: &BTreeMap<String, Wanted>,
    prior: &BTreeMap<String, CsvDevice>,
) -> Vec<String> {
    let kept: std::collections::HashSet<String> =
        wanted.keys().map(|serial| serial.to_lowercase()).collect();
    prior
        .keys()
        .filter(|serial| !kept.contains(&serial.to_lowercase()))
        .cloned()
        .collect()
}

/// What the deregistration warning says: Terraform's summary counts this as a change, not a
/// destroy, so the serial numbers are spelled out.
fn deregistration_detail(serials: &[String]) -> String {
    let count = serials.len();
    let devices = if count == 1 { "device" } else { "devices" };
    format!(
        "{count} {devices} no longer in the CSV will be deleted from Windows Autopilot when this plan \
         is applied: {}. Terraform shows this as an in-place update of the CSV resource (\"0 to \
         destroy\"), but each of these registrations is gone afterwards, and registering the device \
         again takes its hardware hash. Devices enrolled in Intune are refused; put a row back in the \
         CSV to keep its device.",
        serials.join(", ")
    )
}

fn non_empty(value: Option<String>) -> Attr<String> {
    value.filter(|v| !v.is_empty()).into()
}

fn same_user(a: &Attr<String>, b: &Attr<String>) -> bool {
    a.known().map(|u| u.to_lowercase()) == b.known().map(|u| u.to_lowercase())
}

/// The entry for a device as Graph shows it.
fn entry_from(device: &DeviceIdentity) -> CsvDevice {
    CsvDevice {
        id: Attr::Known(device.id.clone()),
        group_tag: non_empty(device.group_tag.clone()),
        assigned_user_principal_name: non_empty(device.user_principal_name.clone()),
        state: Attr::Known(
            device
                .enrollment_state
                .clone()
                .unwrap_or_else(|| "unknown".into()),
        ),
    }
}

/// An entry as Graph shows it now, the user in the prior spelling when it
/// is the same user.
fn refreshed(prior: &CsvDevice, device: &DeviceIdentity) -> CsvDevice {
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

/// Deletes the registrations of `entries`, then waits once (through the
/// listing) until Autopilot has finished deleting them all, within
/// `deadline`. Returns the entries that could not be deleted, with why.
async fn delete_all(
    client: &GraphClient,
    entries: Vec<(String, CsvDevice)>,
    deadline: Deadline,
) -> Vec<(String, CsvDevice, String)> {
    let started = run_bounded(entries, CONCURRENCY, |(serial, entry)| async move {
        let outcome = match entry.id.known() {
            Some(id) => {
                let enrolled = entry.state.known().map(String::as_str) == Some("enrolled");
                start_deletion(client, id, enrolled).await
            }
            None => Ok(()),
        };
        (serial, entry, outcome)
    })
    .await;
    let mut failed = Vec::new();
    let mut deleting = Vec::new();
    for (serial, entry, outcome) in started {
        match (outcome, entry.id.known().cloned()) {
            (Err(detail), _) => failed.push((serial, entry, detail)),
            (Ok(()), Some(id)) => deleting.push((serial, entry, id)),
            (Ok(()), None) => {}
        }
    }
    if deleting.is_empty() {
        return failed;
    }
    let ids: Vec<String> = deleting.iter().map(|(_, _, id)| id.clone()).collect();
    match wait_until_deleted(client, &ids, deadline).await {
        Ok(left) => {
            for (serial, entry, id) in deleting {
                if left.contains(&id) {
                    let detail = still_deleting(&id, deadline);
                    failed.push((serial, entry, detail));
                }
            }
        }
        Err(reason) => {
            for (serial, entry, _) in deleting {
                failed.push((serial, entry, reason.clone()));
            }
        }
    }
    failed
}

/// One refused row, for the report.
struct Refused {
    line: usize,
    serial: String,
    error: ImportError,
}

fn report_refused(refused: &[Refused], as_error: bool, diags: &mut Diagnostics) {
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
    let detail = format!(
        "{}\n\nThe devices that were imported are in state; the next apply retries only the rows that are missing.",
        lines.join("\n")
    );
    let path = AttrPath::root("content");
    if as_error {
        diags.error_at(path, summary, detail);
    } else {
        diags.warning_at(path, summary, detail);
    }
}

impl DeviceCsv {
    /// Brings the tenant to the configuration: deletes removed rows,
    /// imports new ones, updates changed tags and users. Returns the
    /// devices that are registered afterwards.
    async fn converge(
        &self,
        client: &GraphClient,
        prior: &BTreeMap<String, CsvDevice>,
        planned: &DeviceCsvModel,
        deadline: Deadline,
        creating: bool,
        diags: &mut Diagnostics,
    ) -> BTreeMap<String, CsvDevice> {
        let cache = DeviceCache::shared();
        let Some(wanted) = wanted(&planned.content, &planned.group_tag) else {
            diags.error_at(
                AttrPath::root("content"),
                "Invalid hardware hash CSV",
                "The CSV could not be read; run terraform plan to see why.",
            );
            return prior.clone();
        };
        let wanted_serials: HashSet<String> = wanted.keys().map(|s| s.to_lowercase()).collect();
        let prior_by_serial = by_serial(prior);
        let mut result: BTreeMap<String, CsvDevice> = BTreeMap::new();

        // 1. Rows removed from the CSV: delete their registrations.
        let removed: Vec<(String, CsvDevice)> = prior
            .iter()
            .filter(|(serial, _)| !wanted_serials.contains(&serial.to_lowercase()))
            .map(|(s, e)| (s.clone(), e.clone()))
            .collect();
        for (serial, entry, detail) in delete_all(client, removed, deadline).await {
            diags.error_at(
                AttrPath::root("content"),
                format!("Cannot delete Autopilot device {serial}, removed from the CSV"),
                detail,
            );
            result.insert(serial, entry);
        }

        // 2. Rows already registered: update what changed.
        let mut changes = Vec::new();
        let mut to_import: Vec<(&String, &Wanted)> = Vec::new();
        for (serial, want) in &wanted {
            match prior_by_serial.get(&serial.to_lowercase()) {
                Some((_, before)) if before.id.is_known() => {
                    let tag_changed = before.group_tag != want.group_tag;
                    let user_changed =
                        !same_user(&before.assigned_user_principal_name, &want.user());
                    let entry = CsvDevice {
                        id: before.id.clone(),
                        group_tag: want.group_tag.clone(),
                        assigned_user_principal_name: want.user(),
                        state: before.state.clone(),
                    };
                    if (tag_changed || user_changed)
                        && let Some(id) = before.id.known()
                    {
                        changes.push(Change {
                            serial: serial.clone(),
                            line: want.line,
                            id: id.clone(),
                            tag: tag_changed.then(|| want.group_tag.known().cloned()),
                            user: user_changed.then(|| want.device.assigned_user.clone()),
                        });
                    }
                    result.insert(serial.clone(), entry);
                }
                _ => to_import.push((serial, want)),
            }
        }

        // 3. New rows: import them.
        let mut refused = Vec::new();
        if !to_import.is_empty() {
            let devices: Vec<NewDevice> = to_import.iter().map(|(_, w)| w.device.clone()).collect();
            let imported = ops::import_many(client, &devices, deadline).await;
            for warning in imported.warnings {
                diags.warning("Import records left behind", warning);
            }
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
                            changes.push(Change {
                                serial: (*serial).clone(),
                                line: want.line,
                                id: device.id.clone(),
                                tag: tag_differs.then(|| want.group_tag.known().cloned()),
                                user: user_differs.then(|| want.device.assigned_user.clone()),
                            });
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
        }

        // 4. Tag and user changes; Autopilot shows them after a sync.
        if !changes.is_empty() {
            let written = tokio::time::Instant::now();
            let outcomes = run_bounded(changes, CONCURRENCY, |change| async move {
                let outcome = apply_change(client, &change).await;
                (change, outcome)
            })
            .await;
            cache.invalidate();
            let expected: HashMap<String, Expected> = outcomes
                .iter()
                .filter(|(_, outcome)| outcome.is_ok())
                .map(|(change, _)| (change.id.clone(), expected_after(change)))
                .collect();
            if !expected.is_empty() {
                let reason = match sync::settle(client, written, &expected, deadline).await {
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
        report_refused(&refused, !creating, diags);
        result
    }

    fn state(
        planned: &DeviceCsvModel,
        id: String,
        devices: BTreeMap<String, CsvDevice>,
    ) -> DeviceCsvModel {
        DeviceCsvModel {
            id: Attr::Known(id),
            content: planned.content.clone(),
            group_tag: planned.group_tag.clone(),
            devices: Attr::Known(devices),
            timeouts: planned.timeouts.clone(),
        }
    }
}

fn timeout(timeouts: &Attr<CsvTimeouts>, pick: fn(&CsvTimeouts) -> &Attr<String>) -> Duration {
    timeouts
        .known()
        .and_then(|t| pick(t).known())
        .and_then(|text| parse_duration(text).ok())
        .unwrap_or(DEFAULT_TIMEOUT)
}

#[async_trait]
impl Resource<GraphClient> for DeviceCsv {
    type Model = DeviceCsvModel;

    fn type_name(&self) -> &'static str {
        "autopilot_device_csv"
    }

    fn validate(&self, config: &DeviceCsvModel, diags: &mut Diagnostics) {
        if let Attr::Known(content) = &config.content {
            match csv::parse(content) {
                Err(problems) => {
                    for problem in problems.iter().take(MAX_REPORTED) {
                        diags.error_at(
                            AttrPath::root("content"),
                            format!("Invalid hardware hash CSV: line {}", problem.line),
                            problem.to_string(),
                        );
                    }
                    if problems.len() > MAX_REPORTED {
                        diags.error_at(
                            AttrPath::root("content"),
                            "Invalid hardware hash CSV",
                            format!(
                                "... and {} more problems on other lines.",
                                problems.len() - MAX_REPORTED
                            ),
                        );
                    }
                }
                Ok(rows) => {
                    if let Attr::Known(tag) = &config.group_tag {
                        let overridden: Vec<String> = rows
                            .iter()
                            .filter(|r| r.group_tag.as_ref().is_some_and(|t| t != tag))
                            .map(|r| r.line.to_string())
                            .collect();
                        if !overridden.is_empty() {
                            diags.warning_at(
                                AttrPath::root("group_tag"),
                                "`group_tag` replaces the CSV's Group Tag column",
                                format!(
                                    "Every device gets the group tag {tag:?}, although the CSV gives another one on line(s) {}.",
                                    overridden.iter().take(20).cloned().collect::<Vec<_>>().join(", ")
                                ),
                            );
                        }
                    }
                }
            }
        }
        if let Attr::Known(tag) = &config.group_tag
            && tag.trim().is_empty()
        {
            diags.error_at(
                AttrPath::root("group_tag"),
                "Empty group tag",
                "Leave `group_tag` unset to use the CSV's Group Tag column.",
            );
        }
        if let Attr::Known(timeouts) = &config.timeouts {
            for (name, value) in [("create", &timeouts.create), ("update", &timeouts.update)] {
                if let Attr::Known(text) = value
                    && let Err(reason) = parse_duration(text)
                {
                    diags.error_at(
                        AttrPath::root("timeouts").attr(name),
                        "Invalid timeout",
                        reason,
                    );
                }
            }
        }
    }

    async fn modify_plan(
        &self,
        _client: Option<&GraphClient>,
        request: PlanRequest<'_, DeviceCsvModel>,
        diags: &mut Diagnostics,
    ) -> DeviceCsvModel {
        let mut planned = request.planned;
        let Some(prior) = request.prior else {
            // Create: the devices are known once imported.
            planned.devices = Attr::Unknown;
            return planned;
        };
        let Some(wanted) = wanted(&request.config.content, &request.config.group_tag) else {
            planned.devices = Attr::Unknown;
            return planned;
        };
        let before = prior.devices.known().cloned().unwrap_or_default();
        let devices = plan_devices(&wanted, &before);
        let leaving = deregistered(&wanted, &before);
        if !leaving.is_empty() {
            diags.warning_at(
                AttrPath::root("content"),
                "Devices will be deregistered from Windows Autopilot",
                deregistration_detail(&leaving),
            );
        }
        // After `terraform import` the state holds no CSV; keep that
        // placeholder while the devices match.
        if prior.content.known().is_some_and(String::is_empty) && devices == before {
            planned.content = prior.content.clone();
        }
        planned.devices = Attr::Known(devices);
        planned
    }

    async fn create(
        &self,
        client: &GraphClient,
        planned: DeviceCsvModel,
        diags: &mut Diagnostics,
    ) -> Option<DeviceCsvModel> {
        let deadline = Deadline::after(timeout(&planned.timeouts, |t| &t.create));
        let rows = wanted(&planned.content, &planned.group_tag).map_or(0, |w| w.len());
        let devices = self
            .converge(client, &BTreeMap::new(), &planned, deadline, true, diags)
            .await;
        if devices.is_empty() && rows > 0 {
            // Nothing landed: fail the create (there is nothing to keep).
            diags.error_at(
                AttrPath::root("content"),
                "No device of the CSV was imported",
                "See the warnings above for each row.",
            );
            return None;
        }
        Some(Self::state(
            &planned,
            uuid::Uuid::new_v4().to_string(),
            devices,
        ))
    }

    async fn read(
        &self,
        client: &GraphClient,
        current: DeviceCsvModel,
        diags: &mut Diagnostics,
    ) -> Option<DeviceCsvModel> {
        let Attr::Known(devices) = &current.devices else {
            return Some(current);
        };
        let cache = DeviceCache::shared();
        let listing = match cache.listing(client).await {
            Ok(listing) => listing,
            Err(e) => {
                diags.error("Cannot list the Autopilot devices", e);
                return Some(current);
            }
        };
        let mut fresh = BTreeMap::new();
        let mut misses = Vec::new();
        for (serial, entry) in devices {
            let Some(id) = entry.id.known() else { continue };
            match listing.get(id) {
                Some(device) => {
                    fresh.insert(serial.clone(), refreshed(entry, device));
                }
                None => misses.push((serial.clone(), entry.clone(), id.clone())),
            }
        }
        // Not in the listing (newer than it, or gone): read by id.
        let looked_up = run_bounded(misses, CONCURRENCY, |(serial, entry, id)| async move {
            (serial, entry, graph::get_identity(client, &id).await)
        })
        .await;
        for (serial, entry, outcome) in looked_up {
            match outcome {
                Ok(Some(device)) => {
                    let entry = refreshed(&entry, &device);
                    fresh.insert(serial, entry);
                }
                Ok(None) => tracing::info!(%serial, "device of the CSV no longer registered"),
                Err(e) => {
                    diags.error(
                        format!("Cannot read Autopilot device {serial}"),
                        e.to_string(),
                    );
                    fresh.insert(serial, entry);
                }
            }
        }
        let mut state = current;
        state.devices = Attr::Known(fresh);
        Some(state)
    }

    async fn update(
        &self,
        client: &GraphClient,
        prior: DeviceCsvModel,
        planned: DeviceCsvModel,
        diags: &mut Diagnostics,
    ) -> Option<DeviceCsvModel> {
        let deadline = Deadline::after(timeout(&planned.timeouts, |t| &t.update));
        let before = prior.devices.known().cloned().unwrap_or_default();
        let devices = self
            .converge(client, &before, &planned, deadline, false, diags)
            .await;
        let id = prior
            .id
            .known()
            .cloned()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        Some(Self::state(&planned, id, devices))
    }

    async fn delete(&self, client: &GraphClient, prior: DeviceCsvModel, diags: &mut Diagnostics) {
        let devices = prior.devices.known().cloned().unwrap_or_default();
        let deadline = Deadline::after(
            prior
                .timeouts
                .known()
                .and_then(|t| t.delete.known())
                .and_then(|text| parse_duration(text).ok())
                .unwrap_or(DEFAULT_DELETE_TIMEOUT),
        );
        for (serial, _, detail) in delete_all(client, devices.into_iter().collect(), deadline).await
        {
            diags.error(format!("Cannot delete Autopilot device {serial}"), detail);
        }
    }

    async fn import(
        &self,
        client: &GraphClient,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<DeviceCsvModel> {
        let listing = match DeviceCache::shared().listing(client).await {
            Ok(listing) => listing,
            Err(e) => {
                diags.error("Cannot list the Autopilot devices", e);
                return None;
            }
        };
        let mut devices = BTreeMap::new();
        if let Some(tag) = id.strip_prefix("tag:") {
            for device in listing.devices() {
                if device
                    .group_tag
                    .as_deref()
                    .is_some_and(|t| t.eq_ignore_ascii_case(tag))
                    && let Some(serial) = &device.serial_number
                {
                    devices.insert(serial.clone(), entry_from(device));
                }
            }
        } else {
            for key in id.split(',').map(str::trim).filter(|k| !k.is_empty()) {
                let found = match listing.get(key) {
                    Some(device) => Some(device),
                    None => match listing.by_serial(key).as_slice() {
                        [only] => Some(*only),
                        [] => None,
                        _ => {
                            diags.error(
                                "Several Autopilot devices have this serial number",
                                format!("{key:?} matches several registrations; name it by id."),
                            );
                            return None;
                        }
                    },
                };
                match found {
                    Some(device) => {
                        let serial = device
                            .serial_number
                            .clone()
                            .unwrap_or_else(|| key.to_string());
                        devices.insert(serial, entry_from(device));
                    }
                    None => {
                        diags.error(
                            "Cannot import an Autopilot device that does not exist",
                            format!("No Autopilot device has the id or serial number {key:?}."),
                        );
                        return None;
                    }
                }
            }
        }
        if devices.is_empty() {
            diags.error(
                "Nothing to import",
                "Give a comma-separated list of serial numbers or device ids, or `tag:<group tag>`.",
            );
            return None;
        }
        Some(DeviceCsvModel {
            id: Attr::Known(uuid::Uuid::new_v4().to_string()),
            content: Attr::Known(String::new()),
            group_tag: Attr::Null,
            devices: Attr::Known(devices),
            timeouts: Attr::Null,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User";

    fn content(rows: &[&str]) -> Attr<String> {
        Attr::Known(format!("{HEADER}\n{}\n", rows.join("\n")))
    }

    fn entry(id: &str, tag: Option<&str>, state: &str) -> CsvDevice {
        CsvDevice {
            id: Attr::Known(id.into()),
            group_tag: tag.map(str::to_string).into(),
            assigned_user_principal_name: Attr::Null,
            state: Attr::Known(state.into()),
        }
    }

    #[test]
    fn schema_derives() {
        let schema = tfplugin::Schema::of::<DeviceCsvModel>(0).expect("schema");
        let content = schema.block.attribute("content").expect("content");
        assert!(content.required && content.sensitive);
        let devices = schema.block.attribute("devices").expect("devices");
        assert!(devices.computed && !devices.optional);
        assert_eq!(
            devices.ty.to_string(),
            tfplugin::Type::map(tfplugin::Type::Object(BTreeMap::from([
                (
                    "assigned_user_principal_name".to_string(),
                    tfplugin::Type::String
                ),
                ("group_tag".to_string(), tfplugin::Type::String),
                ("id".to_string(), tfplugin::Type::String),
                ("state".to_string(), tfplugin::Type::String),
            ])))
            .to_string()
        );
    }

    #[test]
    fn group_tag_replaces_the_column() {
        let rows = content(&["SN1,,QUJD,A,", "SN2,,QUJE,,"]);
        let w = wanted(&rows, &Attr::Null).expect("valid");
        assert_eq!(w["SN1"].group_tag, Attr::Known("A".into()));
        assert_eq!(w["SN2"].group_tag, Attr::Null);
        let w = wanted(&rows, &Attr::Known("ALL".into())).expect("valid");
        assert_eq!(w["SN2"].device.group_tag.as_deref(), Some("ALL"));
        let w = wanted(&rows, &Attr::Unknown).expect("valid");
        assert_eq!(w["SN1"].group_tag, Attr::Unknown);
        assert!(wanted(&Attr::Unknown, &Attr::Null).is_none());
    }

    #[test]
    fn plan_keeps_ids_and_marks_new_rows_unknown() {
        let prior = BTreeMap::from([
            ("SN1".to_string(), entry("d1", Some("A"), "notContacted")),
            ("SN9".to_string(), entry("d9", None, "notContacted")),
        ]);
        let w = wanted(&content(&["sn1,,QUJD,B,", "SN2,,QUJE,,"]), &Attr::Null).expect("valid");
        let planned = plan_devices(&w, &prior);
        assert_eq!(planned.keys().collect::<Vec<_>>(), ["SN2", "sn1"]);
        assert_eq!(planned["sn1"].id, Attr::Known("d1".into()));
        assert_eq!(planned["sn1"].group_tag, Attr::Known("B".into()));
        assert_eq!(planned["sn1"].state, Attr::Known("notContacted".into()));
        assert_eq!(planned["SN2"].id, Attr::Unknown);
        assert_eq!(planned["SN2"].group_tag, Attr::Null);
    }

    #[test]
    fn rows_gone_from_the_csv_are_the_deregistrations() {
        let prior = BTreeMap::from([
            ("SN1".to_string(), entry("d1", Some("A"), "notContacted")),
            ("SN9".to_string(), entry("d9", None, "notContacted")),
            ("SN8".to_string(), entry("d8", None, "notContacted")),
        ]);
        let w = wanted(&content(&["sn1,,QUJD,B,", "SN2,,QUJE,,"]), &Attr::Null).expect("valid");
        assert_eq!(deregistered(&w, &prior), ["SN8", "SN9"]);
        let detail = deregistration_detail(&deregistered(&w, &prior));
        assert!(
            detail.starts_with("2 devices no longer in the CSV"),
            "{detail}"
        );
        assert!(detail.contains(": SN8, SN9."), "{detail}");
        assert!(deregistered(&w, &BTreeMap::new()).is_empty());
    }

    #[test]
    fn unchanged_rows_plan_no_change() {
        let prior = BTreeMap::from([("SN1".to_string(), entry("d1", Some("A"), "notContacted"))]);
        let w = wanted(&content(&["SN1,,QUJD,A,"]), &Attr::Null).expect("valid");
        assert_eq!(plan_devices(&w, &prior), prior);
    }

    #[test]
    fn validation_names_lines() {
        let mut diags = Diagnostics::new();
        let model = DeviceCsvModel {
            content: content(&["SN1,,QUJD,,", "SN1,,QUJE,,", "SN3,,QU!D,,"]),
            ..Default::default()
        };
        DeviceCsv.validate(&model, &mut diags);
        let summaries: Vec<String> = diags.iter().map(|d| d.summary.clone()).collect();
        assert_eq!(
            summaries,
            [
                "Invalid hardware hash CSV: line 3",
                "Invalid hardware hash CSV: line 4"
            ]
        );
        assert!(
            diags
                .iter()
                .all(|d| d.path == Some(AttrPath::root("content")))
        );
    }

    #[test]
    fn refused_rows_are_listed_by_line_and_code() {
        let refused = vec![Refused {
            line: 7,
            serial: "SN7".into(),
            error: ImportError::Refused {
                failure: crate::devices::import::ImportFailure {
                    code: 806,
                    name: "ZtdDeviceAlreadyAssigned".into(),
                },
                existing_id: Some("d7".into()),
            },
        }];
        let mut diags = Diagnostics::new();
        report_refused(&refused, false, &mut diags);
        let d = diags.iter().next().expect("one diagnostic");
        assert_eq!(d.severity, tfplugin::Severity::Warning);
        assert!(d.summary.contains("lines 7"), "{}", d.summary);
        assert!(
            d.detail
                .contains("line 7 (serial number SN7): 806 ZtdDeviceAlreadyAssigned"),
            "{}",
            d.detail
        );
    }
}
