//! Deleting Autopilot registrations, for `autopilot_device` and
//! `autopilot_device_csv`: Autopilot deletes asynchronously and refuses
//! enrolled devices, so a delete starts the deletion, explains a refusal,
//! and waits until the registration is gone.

use std::time::Duration;

use super::cache::DeviceCache;
use super::graph::{self, DeviceIdentity};
use super::ops::{Deadline, Wait};
use crate::graph::GraphClient;

/// Error text for a device that cannot be deleted because it is enrolled.
pub fn enrolled_detail(device: &DeviceIdentity) -> String {
    let serial = device.serial_number.as_deref().unwrap_or("?");
    let managed = device
        .managed_device_id
        .as_deref()
        .filter(|m| !m.is_empty())
        .map(|m| format!(" (Intune managed device {m})"))
        .unwrap_or_default();
    format!(
        "Autopilot device {} (serial number {serial}) is enrolled in Intune{managed}. Only devices \
         that are not enrolled can be removed from Autopilot: delete or retire the device in Intune \
         first (Devices > Windows), then run terraform again, or set `destroy_enrolled = true` on the \
         resource (apply it, then destroy) to have Terraform delete the Intune managed device first. \
         The full removal order is Intune, then Autopilot, then the Microsoft Entra device.",
        device.id
    )
}

/// Deletes a registration and waits until Autopilot has finished deleting
/// it ("Windows Autopilot device deletion can take a few minutes to
/// complete", Microsoft's add-devices documentation), so that the serial
/// number can be imported again at once (a destroy followed by an apply);
/// within `deadline`. An enrolled device is refused with an explanation
/// rather than Graph's bare error.
pub async fn delete_registration(
    client: &GraphClient,
    id: &str,
    known_enrolled: bool,
    deadline: Deadline,
) -> Result<(), String> {
    start_deletion(client, id, known_enrolled).await?;
    let ids = [id.to_string()];
    match wait_until_deleted(client, &ids, deadline).await {
        Ok(left) if left.is_empty() => Ok(()),
        Ok(_) => Err(still_deleting(id, deadline)),
        Err(reason) => Err(reason),
    }
}

/// Asks Autopilot to delete a registration (it deletes asynchronously).
pub async fn start_deletion(
    client: &GraphClient,
    id: &str,
    known_enrolled: bool,
) -> Result<(), String> {
    let cache = DeviceCache::shared();
    if known_enrolled
        && let Ok(Some(device)) = graph::get_identity(client, id).await
        && device.is_enrolled()
    {
        return Err(enrolled_detail(&device));
    }
    let result = graph::delete_identity(client, id).await;
    cache.invalidate();
    match result {
        Ok(()) => Ok(()),
        Err(e) => match graph::get_identity(client, id).await {
            Ok(Some(device)) if device.is_enrolled() => Err(enrolled_detail(&device)),
            _ => Err(e.to_string()),
        },
    }
}

/// Waits until none of `ids` is registered any more (one read per round:
/// by id for one device, the listing for several), or `deadline`; returns
/// the ids still there.
pub async fn wait_until_deleted(
    client: &GraphClient,
    ids: &[String],
    deadline: Deadline,
) -> Result<Vec<String>, String> {
    let mut delay = Duration::from_millis(500);
    loop {
        let left: Vec<String> = if let [id] = ids {
            match graph::get_identity(client, id).await {
                Ok(None) => Vec::new(),
                Ok(Some(_)) => vec![id.clone()],
                Err(e) => return Err(format!("reading the device after deleting it failed: {e}")),
            }
        } else {
            let listed: std::collections::HashSet<String> = graph::list_identities(client)
                .await
                .map_err(|e| format!("listing the devices after deleting them failed: {e}"))?
                .into_iter()
                .map(|d| d.id)
                .collect();
            ids.iter()
                .filter(|id| listed.contains(*id))
                .cloned()
                .collect()
        };
        if left.is_empty() {
            DeviceCache::shared().invalidate();
            return Ok(left);
        }
        match deadline.pause(client, delay).await {
            Wait::Over => delay = (delay * 2).min(Duration::from_secs(15)),
            Wait::Expired => return Ok(left),
            Wait::Stopped => {
                return Err(
                    "Stopped while Autopilot was deleting the device; the deletion goes on.".into(),
                );
            }
        }
    }
}

/// The error for a deletion Autopilot had not finished within the timeout.
pub fn still_deleting(id: &str, deadline: Deadline) -> String {
    format!(
        "Autopilot accepted the deletion of device {id} but had not finished it within {}s (deletion \
         is asynchronous and can take a few minutes). Run the destroy again, or raise `timeouts.delete`.",
        deadline.budget().as_secs()
    )
}
