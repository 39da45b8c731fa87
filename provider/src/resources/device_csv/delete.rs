//! `autopilot_device_csv`'s deletions: the registrations of removed rows
//! (or of every row, on destroy) deleted, enrolled ones torn down first
//! when the configuration opts in, then one wait until Autopilot has
//! finished deleting them all.

use std::collections::{HashMap, HashSet};

use tfplugin::Attr;

use super::CsvDevice;
use crate::devices::delete::{start_deletion, still_deleting, wait_until_deleted};
use crate::devices::ops::{CONCURRENCY, Deadline};
use crate::devices::run_bounded;
use crate::devices::teardown::{self, Teardown};
use crate::graph::GraphClient;

/// Deletes the registrations of `entries`, then waits once (through the
/// listing) until Autopilot has finished deleting them all, within
/// `deadline`. Returns the entries that could not be deleted, with why.
pub(super) async fn delete_all(
    client: &GraphClient,
    mut entries: Vec<(String, CsvDevice)>,
    teardown: Teardown,
    deadline: Deadline,
) -> Vec<(String, CsvDevice, String)> {
    let mut failed = Vec::new();
    let mut before = Vec::new();
    if teardown.enrolled {
        let ids: Vec<String> = entries
            .iter()
            .filter_map(|(_, e)| e.id.known().cloned())
            .collect();
        let (seen, failures) = teardown::release_enrolled(client, &ids, deadline).await;
        before = seen;
        let failures: HashMap<String, String> = failures.into_iter().collect();
        let (kept, refused): (Vec<_>, Vec<_>) = entries
            .into_iter()
            .partition(|(_, e)| e.id.known().is_none_or(|id| !failures.contains_key(id)));
        entries = kept;
        for (serial, entry) in refused {
            let detail = entry.id.known().and_then(|id| failures.get(id)).cloned();
            failed.push((serial, entry, detail.unwrap_or_default()));
        }
    }
    failed.extend(delete_registrations(client, entries, deadline).await);
    if teardown.entra_device {
        let not_gone: HashSet<String> = failed
            .iter()
            .filter_map(|(_, e, _)| e.id.known().cloned())
            .collect();
        before.retain(|d| !not_gone.contains(&d.id));
        for (id, detail) in teardown::delete_entra_devices(client, &before).await {
            let serial = before
                .iter()
                .find(|d| d.id == id)
                .and_then(|d| d.serial_number.clone());
            let entry = CsvDevice {
                id: Attr::Known(id),
                ..CsvDevice::default()
            };
            // The registration is gone (the next refresh drops the row); the error stays.
            failed.push((serial.unwrap_or_default(), entry, detail));
        }
    }
    failed
}

/// The registrations of `entries` deleted (see [`delete_all`]).
async fn delete_registrations(
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
