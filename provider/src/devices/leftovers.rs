//! Import records left behind by an earlier run that never finished: a
//! provider killed, or stopped by Terraform, while Intune was still
//! processing its imports.
//!
//! Such a record either still waits for its verdict or already registered
//! the device. Importing the device again would end in 806
//! (`ZtdDeviceAlreadyAssigned`) once the first import lands, so a create
//! follows the leftover record instead of sending a second import.
//!
//! The records present when a provider process first imports are listed
//! once (concurrent creates share that listing) and each is handed out at
//! most once. Records made by this process are never in that snapshot: it
//! is taken before this process submits anything.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use tokio::sync::OnceCell;

use super::cache::DeviceCache;
use super::graph::{self, ImportedIdentity, NewDevice};
use super::hash;
use super::import::{Progress, progress};
use super::per_client::{self, PerClient};
use crate::graph::{GraphClient, GraphError};

type Records = Arc<OnceCell<Mutex<HashMap<String, ImportedIdentity>>>>;

/// The snapshot of leftover import records, per client.
#[derive(Default)]
pub struct Leftovers {
    current: PerClient<Records>,
}

static SHARED: OnceLock<Leftovers> = OnceLock::new();

impl Leftovers {
    /// The process-wide snapshot.
    pub fn shared() -> &'static Leftovers {
        SHARED.get_or_init(Leftovers::default)
    }

    /// Takes, for each device, the leftover record of the same serial
    /// number and hardware hash (the newest when there are several), so
    /// that no other create follows it too. A record for the same serial
    /// with another hash is left alone: it is not this device's import.
    pub async fn take(
        &self,
        client: &GraphClient,
        devices: &[&NewDevice],
    ) -> Vec<Option<ImportedIdentity>> {
        let cell = self.current.get(per_client::key(client));
        let records = cell
            .get_or_init(|| async {
                let listed = match graph::list_imports(client).await {
                    Ok(listed) => listed,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot list import records left by an earlier run; importing as usual");
                        Vec::new()
                    }
                };
                if !listed.is_empty() {
                    tracing::info!(
                        records = listed.len(),
                        "import records left by an earlier run"
                    );
                }
                Mutex::new(last_by_serial(listed))
            })
            .await;
        let mut records = records.lock().unwrap_or_else(PoisonError::into_inner);
        devices
            .iter()
            .map(|device| {
                let key = device.serial_number.to_lowercase();
                let matches = records
                    .get(&key)
                    .is_some_and(|record| same_hash(record, device));
                if matches { records.remove(&key) } else { None }
            })
            .collect()
    }
}

/// The last record listed for each serial number (lower case).
pub(super) fn last_by_serial(records: Vec<ImportedIdentity>) -> HashMap<String, ImportedIdentity> {
    let mut last = HashMap::new();
    for record in records {
        if let Some(serial) = &record.serial_number {
            last.insert(serial.to_lowercase(), record);
        }
    }
    last
}

/// Whether the record imported this device's hash. A record that does not
/// show its hash is taken to be the device's (the serial number matched).
fn same_hash(record: &ImportedIdentity, device: &NewDevice) -> bool {
    match record.hardware_identifier.as_deref() {
        None | Some("") => true,
        Some(listed) => hash::same(listed, &device.hardware_hash),
    }
}

/// For each device, the import record an earlier run left unfinished, to
/// follow instead of importing again. Leftover records that cannot be
/// followed join `stale`, to be deleted.
pub(super) async fn resume(
    client: &GraphClient,
    devices: &[&NewDevice],
    stale: &mut Vec<String>,
) -> Vec<Option<ImportedIdentity>> {
    let mut resumed = Vec::with_capacity(devices.len());
    for leftover in Leftovers::shared().take(client, devices).await {
        resumed.push(match leftover {
            Some(record) => resumable(client, record, stale).await,
            None => None,
        });
    }
    resumed
}

/// Whether a record left by an earlier run can be followed: undecided, or
/// registered as a device that still exists. Anything else is stale and
/// joins `stale`.
async fn resumable(
    client: &GraphClient,
    record: ImportedIdentity,
    stale: &mut Vec<String>,
) -> Option<ImportedIdentity> {
    let usable = match progress(&record) {
        Progress::Waiting => true,
        Progress::Registered(id) => match DeviceCache::shared().listing(client).await {
            Ok(listing) => match (id, &record.serial_number) {
                (Some(id), _) => listing.get(&id).is_some(),
                (None, Some(serial)) => listing.by_serial(serial).len() == 1,
                (None, None) => false,
            },
            Err(_) => false,
        },
        Progress::Failed(_) => false,
    };
    if usable {
        tracing::info!(record = %record.id, "an earlier run's import of this device is unfinished; following it");
        Some(record)
    } else {
        stale.push(record.id.clone());
        None
    }
}

/// Whether a failed request may have been carried out anyway: the answer
/// was lost, or the service failed after receiving it.
pub(super) fn maybe_committed(error: &GraphError) -> bool {
    matches!(error, GraphError::Transport { .. }) || error.status().is_some_and(|s| s >= 500)
}

/// After an import request whose answer was lost: the import records Graph
/// made for these serial numbers (the last one per serial), if any. Imports
/// are not sent twice, since a second import of a device that the first one
/// registered would end in 806.
pub(super) async fn recover_records(
    client: &GraphClient,
    serials: &[&str],
) -> Vec<Option<ImportedIdentity>> {
    let records = match graph::list_imports(client).await {
        Ok(records) => records,
        Err(e) => {
            tracing::warn!(error = %e, "cannot list import records to recover a lost answer");
            return vec![None; serials.len()];
        }
    };
    let mut last = last_by_serial(records);
    serials
        .iter()
        .map(|s| last.remove(&s.to_lowercase()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::graph::ImportState;

    #[test]
    fn lost_answers_may_have_been_committed() {
        let api = |status| GraphError::Api {
            method: "POST".into(),
            path: "x".into(),
            status,
            code: String::new(),
            message: String::new(),
            request_id: None,
        };
        assert!(maybe_committed(&GraphError::Transport {
            url: "u".into(),
            reason: "closed".into()
        }));
        assert!(maybe_committed(&api(500)));
        assert!(!maybe_committed(&api(400)));
    }

    fn record(id: &str, serial: &str, hash: Option<&str>) -> ImportedIdentity {
        ImportedIdentity {
            id: id.into(),
            serial_number: Some(serial.into()),
            hardware_identifier: hash.map(str::to_owned),
            state: Some(ImportState::default()),
        }
    }

    fn device(serial: &str, hash: &str) -> NewDevice {
        NewDevice {
            serial_number: serial.into(),
            product_key: None,
            hardware_hash: hash.into(),
            group_tag: None,
            assigned_user: None,
        }
    }

    #[test]
    fn the_newest_record_of_a_serial_wins_without_case() {
        let last = last_by_serial(vec![
            record("old", "PF1", None),
            record("new", "pf1", None),
            record("other", "PF2", None),
        ]);
        assert_eq!(last.len(), 2);
        assert_eq!(last["pf1"].id, "new");
    }

    #[test]
    fn a_record_of_another_hash_is_not_the_devices() {
        let device = device("PF1", "AAEC");
        assert!(same_hash(&record("r", "PF1", Some("AAEC")), &device));
        assert!(same_hash(&record("r", "PF1", None), &device));
        assert!(!same_hash(&record("r", "PF1", Some("AAED")), &device));
    }
}
