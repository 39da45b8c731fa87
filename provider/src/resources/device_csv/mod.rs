//! `autopilot_device_csv`: every device of a `Get-WindowsAutopilotInfo` CSV,
//! imported in chunks and tracked as one set.

mod delete;
mod graph;
mod model;
mod registration;
#[cfg(test)]
mod tests;
mod validate;
mod wait;

pub use registration::{EXPORT, payloads};

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use tfplugin::{Attr, AttrPath, Diagnostics, PlanRequest, Resource};

use self::delete::delete_all;
use self::graph::{Wanted, by_serial, converge, entry_from, refreshed, wanted};
pub use self::model::{CsvDevice, CsvTimeouts, DeviceCsvModel};
use super::device::DEFAULT_DELETE_TIMEOUT;
use crate::devices::cache::DeviceCache;
use crate::devices::graph as devices_graph;
use crate::devices::ops::{CONCURRENCY, Deadline};
use crate::devices::run_bounded;
use crate::devices::teardown::{Teardown, flag_or_off};
use crate::graph::GraphClient;
use crate::resources::timeouts::timeout;

/// How long a create or update may follow its imports when unset.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// At most this many failed rows are listed one by one in a diagnostic.
const MAX_LISTED: usize = 50;

/// The resource.
pub struct DeviceCsv;

impl DeviceCsv {
    /// The state after a create or an update that left `devices`
    /// registered.
    fn state(
        planned: &DeviceCsvModel,
        id: String,
        devices: BTreeMap<String, CsvDevice>,
    ) -> DeviceCsvModel {
        let mut state = DeviceCsvModel {
            id: Attr::Known(id),
            content: planned.content.clone(),
            group_tag: planned.group_tag.clone(),
            destroy_enrolled: flag_or_off(&planned.destroy_enrolled),
            destroy_entra_device: flag_or_off(&planned.destroy_entra_device),
            wait_for_profile_assignment: flag_or_off(&planned.wait_for_profile_assignment),
            timeouts: planned.timeouts.clone(),
            ..DeviceCsvModel::default()
        };
        state.set_devices(Attr::Known(devices));
        state
    }
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
                // What Intune knows stays as read: only a refresh changes it.
                Some((_, before)) if before.id.is_known() => CsvDevice {
                    group_tag: want.group_tag.clone(),
                    assigned_user_principal_name: want.user(),
                    ..(*before).clone()
                },
                _ => CsvDevice {
                    group_tag: want.group_tag.clone(),
                    assigned_user_principal_name: want.user(),
                    ..CsvDevice::to_import()
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

#[async_trait]
impl Resource<GraphClient> for DeviceCsv {
    type Model = DeviceCsvModel;
    const TYPE_NAME: &'static str = "autopilot_device_csv";

    /// The serial numbers of the devices it registers. Unlike other
    /// identities it changes as rows are added or removed; Terraform 1.12+
    /// stores the identity each apply returns. An identity import takes the
    /// listed devices, like `terraform import` of the serial numbers joined
    /// by commas.
    fn identity(&self) -> &'static [tfplugin::IdentityAttribute] {
        const IDENTITY: [tfplugin::IdentityAttribute; 1] = [tfplugin::IdentityAttribute::required(
            "serial_numbers",
            "The serial numbers of the registered devices, sorted.",
        )];
        &IDENTITY
    }

    fn validate(&self, config: &DeviceCsvModel, diags: &mut Diagnostics) {
        validate::config(config, diags);
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
            planned.set_devices(Attr::Unknown);
            return planned;
        };
        let Some(wanted) = wanted(&request.config.content, &request.config.group_tag) else {
            planned.set_devices(Attr::Unknown);
            return planned;
        };
        let before = prior.devices.known().cloned().unwrap_or_default();
        let mut devices = plan_devices(&wanted, &before);
        wait::replan_unassigned(&planned, &mut devices);
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
        planned.set_devices(Attr::Known(devices));
        planned
    }

    async fn create(
        &self,
        client: &GraphClient,
        planned: DeviceCsvModel,
        diags: &mut Diagnostics,
    ) -> Option<DeviceCsvModel> {
        let deadline = Deadline::after(timeout(&planned.timeouts, "create", DEFAULT_TIMEOUT));
        let rows = wanted(&planned.content, &planned.group_tag).map_or(0, |w| w.len());
        let mut devices = converge(client, &BTreeMap::new(), &planned, deadline, true, diags).await;
        if devices.is_empty() && rows > 0 {
            // Nothing landed: fail the create (there is nothing to keep).
            diags.error_at(
                AttrPath::root("content"),
                "No device of the CSV was imported",
                "See the warnings above for each row.",
            );
            return None;
        }
        wait::after_write(client, &planned, &mut devices, "create", deadline, diags).await;
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
                diags.error("Cannot list the Autopilot devices", e.to_string());
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
            (
                serial,
                entry,
                devices_graph::get_identity(client, &id).await,
            )
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
        state.set_devices(Attr::Known(fresh));
        for flag in [
            &mut state.destroy_enrolled,
            &mut state.destroy_entra_device,
            &mut state.wait_for_profile_assignment,
        ] {
            *flag = flag_or_off(flag);
        }
        Some(state)
    }

    async fn update(
        &self,
        client: &GraphClient,
        prior: DeviceCsvModel,
        planned: DeviceCsvModel,
        diags: &mut Diagnostics,
    ) -> Option<DeviceCsvModel> {
        let deadline = Deadline::after(timeout(&planned.timeouts, "update", DEFAULT_TIMEOUT));
        let before = prior.devices.known().cloned().unwrap_or_default();
        let mut devices = converge(client, &before, &planned, deadline, false, diags).await;
        if !diags.has_errors() {
            wait::after_write(client, &planned, &mut devices, "update", deadline, diags).await;
        }
        let id = prior
            .id
            .known()
            .cloned()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        Some(Self::state(&planned, id, devices))
    }

    async fn delete(&self, client: &GraphClient, prior: DeviceCsvModel, diags: &mut Diagnostics) {
        let devices = prior.devices.known().cloned().unwrap_or_default();
        let deadline = Deadline::after(timeout(&prior.timeouts, "delete", DEFAULT_DELETE_TIMEOUT));
        let teardown = Teardown::of(&prior.destroy_enrolled, &prior.destroy_entra_device);
        let devices = devices.into_iter().collect();
        for (serial, _, detail) in delete_all(client, devices, teardown, deadline).await {
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
                diags.error("Cannot list the Autopilot devices", e.to_string());
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
        let mut state = DeviceCsvModel {
            id: Attr::Known(uuid::Uuid::new_v4().to_string()),
            content: Attr::Known(String::new()),
            group_tag: Attr::Null,
            destroy_enrolled: Attr::Known(false),
            destroy_entra_device: Attr::Known(false),
            wait_for_profile_assignment: Attr::Known(false),
            timeouts: Attr::Null,
            ..DeviceCsvModel::default()
        };
        state.set_devices(Attr::Known(devices));
        Some(state)
    }
}
