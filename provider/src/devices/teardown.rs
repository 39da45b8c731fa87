//! Tearing down enrolled devices, for `destroy_enrolled` on `autopilot_device` and
//! `autopilot_device_csv` (lab tenants rebuilt again and again): Autopilot refuses to delete the
//! registration of an enrolled device, so the Intune managed device is deleted first, then the
//! provider waits until Intune lets go of the registration (it no longer shows it enrolled), and
//! only then deletes the registration; `destroy_entra_device` also deletes the Microsoft Entra
//! device object afterwards. That is the removal order Microsoft documents: Intune, then
//! Autopilot, then Entra.

use std::collections::HashSet;
use std::time::Duration;

use serde::Deserialize;
use tfplugin::Attr;

use super::delete::delete_registration;
use super::graph::{self, DeviceIdentity};
use super::ops::{Deadline, Wait};
use crate::graph::{ApiVersion, GraphClient, GraphError};

/// `managedDevices`: devices enrolled in Intune.
pub const MANAGED_DEVICES: &str = "deviceManagement/managedDevices";
/// `devices`: Microsoft Entra device objects (v1.0).
pub const ENTRA_DEVICES: &str = "devices";

/// What a destroy removes besides the registrations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Teardown {
    /// Delete the Intune managed device of an enrolled device first.
    pub enrolled: bool,
    /// Delete the Entra device object too (only with `enrolled`).
    pub entra_device: bool,
}

impl Teardown {
    /// The teardown a resource's `destroy_enrolled` and
    /// `destroy_entra_device` ask for.
    pub fn of(destroy_enrolled: &Attr<bool>, destroy_entra_device: &Attr<bool>) -> Self {
        let enrolled = destroy_enrolled.known() == Some(&true);
        Teardown {
            enrolled,
            entra_device: enrolled && destroy_entra_device.known() == Some(&true),
        }
    }
}

/// An opt-in flag as state holds it: unset (a state from an import, a move
/// or an older provider) reads as its default, off, so that it is no diff.
pub fn flag_or_off(flag: &Attr<bool>) -> Attr<bool> {
    match flag {
        Attr::Null => Attr::Known(false),
        other => other.clone(),
    }
}

/// Deletes an Intune managed device; one already gone counts as deleted.
pub async fn delete_managed_device(client: &GraphClient, id: &str) -> Result<(), GraphError> {
    client
        .delete(ApiVersion::Beta, &format!("{MANAGED_DEVICES}/{id}"))
        .await
}

#[derive(Debug, Deserialize)]
struct EntraDevice {
    id: String,
}

/// The object id of the Entra device whose `deviceId` is `device_id` (what a registration's
/// `azureActiveDirectoryDeviceId` names; `/devices/{id}` takes the object id).
pub async fn find_entra_device(
    client: &GraphClient,
    device_id: &str,
) -> Result<Option<String>, GraphError> {
    let escaped = device_id.replace('\'', "''");
    let found: Vec<EntraDevice> = client
        .list(
            ApiVersion::V1,
            &format!("{ENTRA_DEVICES}?$filter=deviceId eq '{escaped}'&$select=id,deviceId"),
        )
        .await?;
    Ok(found.into_iter().next().map(|d| d.id))
}

/// Deletes an Entra device object by its object id; one already gone counts as deleted.
pub async fn delete_entra_device(client: &GraphClient, object_id: &str) -> Result<(), GraphError> {
    client
        .delete(ApiVersion::V1, &format!("{ENTRA_DEVICES}/{object_id}"))
        .await
}

/// The registrations among `ids` as Graph shows them now: by id for one,
/// from the listing for several.
async fn current(client: &GraphClient, ids: &[String]) -> Result<Vec<DeviceIdentity>, GraphError> {
    if let [id] = ids {
        return Ok(graph::get_identity(client, id).await?.into_iter().collect());
    }
    let wanted: HashSet<&str> = ids.iter().map(String::as_str).collect();
    Ok(graph::list_identities(client)
        .await?
        .into_iter()
        .filter(|d| wanted.contains(d.id.as_str()))
        .collect())
}

/// Deletes the managed device of each enrolled registration among `ids` and
/// waits, within `deadline`, until Intune no longer shows any of them
/// enrolled. Returns the registrations as they were before (their Entra
/// device ids, for [`delete_entra_devices`]) and the failures by
/// registration id.
pub async fn release_enrolled(
    client: &GraphClient,
    ids: &[String],
    deadline: Deadline,
) -> (Vec<DeviceIdentity>, Vec<(String, String)>) {
    let before = match current(client, ids).await {
        Ok(devices) => devices,
        Err(e) => {
            let reason = format!("reading the device before deleting it failed: {e}");
            return (Vec::new(), failed_all(ids, &reason));
        }
    };
    let mut failures = Vec::new();
    let mut waiting = Vec::new();
    for device in before.iter().filter(|d| d.is_enrolled()) {
        let Some(managed) = device.facts().managed_device_id else {
            failures.push((
                device.id.clone(),
                format!(
                    "Autopilot device {} shows enrolled but names no Intune managed device to delete; \
                     delete it in Intune (Devices > Windows), then run the destroy again.",
                    device.id
                ),
            ));
            continue;
        };
        tracing::info!(registration = %device.id, managed_device = %managed, "deleting the Intune managed device");
        match delete_managed_device(client, &managed).await {
            Ok(()) => waiting.push(device.id.clone()),
            Err(e) => failures.push((
                device.id.clone(),
                format!("Deleting Intune managed device {managed} failed: {e}"),
            )),
        }
    }
    if !waiting.is_empty() {
        failures.extend(wait_until_released(client, waiting, deadline).await);
    }
    (before, failures)
}

fn failed_all(ids: &[String], reason: &str) -> Vec<(String, String)> {
    ids.iter()
        .map(|id| (id.clone(), reason.to_owned()))
        .collect()
}

/// Waits until none of `ids` shows enrolled any more; the failures by id.
async fn wait_until_released(
    client: &GraphClient,
    mut ids: Vec<String>,
    deadline: Deadline,
) -> Vec<(String, String)> {
    let mut delay = Duration::from_millis(500);
    loop {
        let still: HashSet<String> = match current(client, &ids).await {
            Ok(devices) => devices
                .into_iter()
                .filter(DeviceIdentity::is_enrolled)
                .map(|d| d.id)
                .collect(),
            Err(e) => {
                let reason =
                    format!("reading the device after deleting its managed device failed: {e}");
                return failed_all(&ids, &reason);
            }
        };
        ids.retain(|id| still.contains(id));
        if ids.is_empty() {
            return Vec::new();
        }
        tracing::info!(
            waiting = ids.len(),
            "waiting for Intune to release the registrations"
        );
        match deadline.pause(client, delay).await {
            Wait::Over => delay = (delay * 2).min(Duration::from_secs(15)),
            Wait::Expired => {
                let reason = format!(
                    "The Intune managed device was deleted, but Intune still showed the registration \
                     enrolled after {}s. Run the destroy again, or raise `timeouts.delete`.",
                    deadline.budget().as_secs()
                );
                return failed_all(&ids, &reason);
            }
            Wait::Stopped => {
                return failed_all(
                    &ids,
                    "Stopped while waiting for Intune to release the registration.",
                );
            }
        }
    }
}

/// Deletes the Entra device objects of `devices` (by their Entra device
/// ids); the failures by registration id.
pub async fn delete_entra_devices(
    client: &GraphClient,
    devices: &[DeviceIdentity],
) -> Vec<(String, String)> {
    let mut failures = Vec::new();
    for device in devices {
        let Some(device_id) = device.facts().entra_device_id else {
            continue;
        };
        let outcome = match find_entra_device(client, &device_id).await {
            Ok(Some(object_id)) => {
                tracing::info!(%device_id, %object_id, "deleting the Entra device");
                delete_entra_device(client, &object_id).await
            }
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = outcome {
            failures.push((
                device.id.clone(),
                format!(
                    "The registration is deleted, but deleting Entra device {device_id} failed: {e}"
                ),
            ));
        }
    }
    failures
}

/// Destroys one registration: with `teardown.enrolled` its managed device
/// first (and the wait for Intune to let go), then the registration (see
/// [`delete_registration`]), then with `teardown.entra_device` its Entra
/// device object. The first failure, as the diagnostic's detail.
pub async fn destroy_one(
    client: &GraphClient,
    id: &str,
    known_enrolled: bool,
    teardown: Teardown,
    deadline: Deadline,
) -> Result<(), String> {
    let ids = [id.to_owned()];
    let mut before = Vec::new();
    if teardown.enrolled {
        let (seen, failures) = release_enrolled(client, &ids, deadline).await;
        if let Some((_, detail)) = failures.into_iter().next() {
            return Err(detail);
        }
        before = seen;
    }
    delete_registration(client, id, known_enrolled, deadline).await?;
    if teardown.entra_device
        && let Some((_, detail)) = delete_entra_devices(client, &before)
            .await
            .into_iter()
            .next()
    {
        return Err(detail);
    }
    Ok(())
}
