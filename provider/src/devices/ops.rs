//! Imports driven to their end: submit, follow the import records' state
//! machine, wait for the registrations to appear, clean the records up.
//! Polling is bounded by the resource's timeout; every request goes through
//! the Graph client (which owns retries and throttling).

use std::collections::HashMap;

use super::cache::{DeviceCache, Listing, ListingError};
pub use super::deadline::{Deadline, Wait};
use super::graph::{self, DeviceIdentity, IMPORT_CHUNK, ImportedIdentity, NewDevice};
pub use super::import::ImportError;
use super::import::{Backoff, FailureKind, ImportFailure, Progress, progress};
use super::leftovers::{maybe_committed, recover_records, resume};
use super::run_bounded;
use crate::graph::GraphClient;

/// How many requests of one kind run at once (deletes, updates).
pub const CONCURRENCY: usize = 8;

/// The outcome of importing devices: one result per device, in order,
/// warnings (import records that could not be deleted), and the devices
/// that were registered in the tenant before (adopted, with their results
/// `Ok`).
#[derive(Debug, Default)]
pub struct Imported {
    pub results: Vec<Result<DeviceIdentity, ImportError>>,
    pub warnings: Vec<String>,
    pub adopted: Vec<DeviceIdentity>,
}

/// Imports one device (POST to the collection) and follows it to its end.
pub async fn import_one(client: &GraphClient, device: &NewDevice, deadline: Deadline) -> Imported {
    let cache = DeviceCache::shared();
    let mut stale = Vec::new();
    let resumed = resume(client, &[device], &mut stale).await.pop().flatten();
    let submitted = match resumed {
        Some(record) => Ok(record),
        None => graph::submit_one(client, device).await,
    };
    let record = match submitted {
        Ok(record) => record,
        Err(e) => {
            let adopted = if maybe_committed(&e) {
                recover_records(client, &[device.serial_number.as_str()])
                    .await
                    .pop()
                    .flatten()
            } else {
                None
            };
            match adopted {
                Some(record) => {
                    tracing::info!(record = %record.id, "the import answer was lost; following the record Graph made");
                    record
                }
                None => {
                    return Imported {
                        results: vec![Err(ImportError::Submit(redact(&e.to_string())))],
                        warnings: clean_up(client, stale).await,
                        adopted: Vec::new(),
                    };
                }
            }
        }
    };
    cache.invalidate();
    tracing::info!(record = %record.id, "submitted a device import");
    let decided = follow_one(client, &record, deadline).await;
    let mut adopted = Vec::new();
    let result = match decided {
        Ok(Progress::Registered(id)) => {
            let mut found = await_registrations(
                client,
                vec![(0, id, device.serial_number.clone())],
                deadline,
            )
            .await;
            found
                .pop()
                .map(|(_, r)| r)
                .unwrap_or_else(|| Err(ImportError::TimedOut(deadline.budget())))
        }
        Ok(Progress::Failed(failure)) => {
            let outcome = refusal_or_adoption(client, failure, &device.serial_number, None).await;
            if let Ok(existing) = &outcome {
                adopted.push(existing.clone());
            }
            outcome
        }
        Ok(Progress::Waiting) => Err(ImportError::TimedOut(deadline.budget())),
        Err(e) => Err(e),
    };
    if !keeps_record(&result) {
        stale.push(record.id.clone());
    }
    let warnings = clean_up(client, stale).await;
    Imported {
        results: vec![result],
        warnings,
        adopted,
    }
}

/// Polls one import record until it is decided or the deadline passes.
async fn follow_one(
    client: &GraphClient,
    record: &ImportedIdentity,
    deadline: Deadline,
) -> Result<Progress, ImportError> {
    let mut backoff = Backoff::polling();
    let mut current = progress(record);
    while current == Progress::Waiting {
        if let Some(error) = deadline
            .pause(client, backoff.next_delay())
            .await
            .error(&deadline)
        {
            return Err(error);
        }
        current = match graph::get_import(client, &record.id).await {
            Ok(Some(record)) => progress(&record),
            // The record is gone: the device is looked for by serial number.
            Ok(None) => Progress::Registered(None),
            Err(e) => return Err(ImportError::from_poll(&e, &deadline)),
        };
    }
    Ok(current)
}

/// Imports many devices: chunks of at most 500 with the `import` action,
/// then one listing of the import records per polling round, then one
/// listing of the identities per round until every registration is
/// readable.
pub async fn import_many(
    client: &GraphClient,
    devices: &[NewDevice],
    deadline: Deadline,
) -> Imported {
    let mut batch = Batch::new(devices);
    let mut stale = Vec::new();
    let to_submit = batch.resume_earlier(client, &mut stale).await;
    batch.submit(client, &to_submit).await;
    let (registered, refused) = batch.follow(client, deadline).await;
    for (i, outcome) in await_registrations(client, registered, deadline).await {
        batch.settle(i, outcome);
    }
    batch.explain_refusals(client, refused).await;
    batch.finish(client, deadline, stale).await
}

/// The bookkeeping of [`import_many`]: what became of each device, and
/// the import records followed.
struct Batch<'d> {
    devices: &'d [NewDevice],
    results: Vec<Option<Result<DeviceIdentity, ImportError>>>,
    /// Record id -> device index, while undecided.
    pending: HashMap<String, usize>,
    /// Every record followed: (record id, device index).
    record_ids: Vec<(String, usize)>,
    /// The registrations found in the tenant already (806), adopted.
    adopted: Vec<DeviceIdentity>,
}

impl<'d> Batch<'d> {
    fn new(devices: &'d [NewDevice]) -> Self {
        Batch {
            devices,
            results: vec![None; devices.len()],
            pending: HashMap::new(),
            record_ids: Vec::new(),
            adopted: Vec::new(),
        }
    }

    /// Follows `record` for device `i`.
    fn track(&mut self, record: ImportedIdentity, i: usize) {
        self.record_ids.push((record.id.clone(), i));
        self.pending.insert(record.id, i);
    }

    /// Device `i` came to `outcome`.
    fn settle(&mut self, i: usize, outcome: Result<DeviceIdentity, ImportError>) {
        if let Some(slot) = self.results.get_mut(i) {
            *slot = Some(outcome);
        }
    }

    /// The serial number of device `i`.
    fn serial(&self, i: usize) -> &'d str {
        self.devices
            .get(i)
            .map(|d| d.serial_number.as_str())
            .unwrap_or_default()
    }

    /// Follows the records an earlier run left unfinished; returns the
    /// indices of the devices still to submit.
    async fn resume_earlier(
        &mut self,
        client: &GraphClient,
        stale: &mut Vec<String>,
    ) -> Vec<usize> {
        let wanted: Vec<&NewDevice> = self.devices.iter().collect();
        let resumed = resume(client, &wanted, stale).await;
        let mut indices: Vec<usize> = Vec::with_capacity(self.devices.len());
        for (i, resumed) in resumed.into_iter().enumerate() {
            match resumed {
                Some(record) => self.track(record, i),
                None => indices.push(i),
            }
        }
        if !self.pending.is_empty() {
            tracing::info!(
                devices = self.pending.len(),
                "following imports an earlier run left unfinished instead of importing again"
            );
        }
        indices
    }

    /// Submits the devices at `indices`, in chunks Intune accepts.
    async fn submit(&mut self, client: &GraphClient, indices: &[usize]) {
        for chunk in indices.chunks(IMPORT_CHUNK) {
            self.submit_chunk(client, chunk).await;
        }
        if !self.record_ids.is_empty() {
            DeviceCache::shared().invalidate();
            tracing::info!(
                records = self.record_ids.len(),
                "submitted device imports; following them"
            );
        }
    }

    /// Submits one chunk and tracks the record made for each device; a
    /// device without one has failed (unless its records are recovered
    /// after a lost answer).
    async fn submit_chunk(&mut self, client: &GraphClient, chunk: &[usize]) {
        let devices = self.devices;
        let batch: Vec<&NewDevice> = chunk.iter().filter_map(|&i| devices.get(i)).collect();
        match graph::submit_chunk(client, &batch).await {
            Ok(records) => {
                let mut unmatched: HashMap<String, usize> = chunk
                    .iter()
                    .filter_map(|&i| Some((devices.get(i)?.serial_number.to_lowercase(), i)))
                    .collect();
                for record in records {
                    let index = record
                        .serial_number
                        .as_deref()
                        .map(str::to_lowercase)
                        .and_then(|serial| unmatched.remove(&serial));
                    match index {
                        Some(i) => self.track(record, i),
                        None => {
                            tracing::warn!(record = %record.id, "import answer for a device not sent")
                        }
                    }
                }
                for i in unmatched.into_values() {
                    self.settle(
                        i,
                        Err(ImportError::Submit(
                            "Graph's answer to the import had no record for this device".into(),
                        )),
                    );
                }
            }
            Err(e) => {
                let message = redact(&e.to_string());
                let serials: Vec<&str> = batch.iter().map(|d| d.serial_number.as_str()).collect();
                let recovered = if maybe_committed(&e) {
                    recover_records(client, &serials).await
                } else {
                    vec![None; chunk.len()]
                };
                for (&i, record) in chunk.iter().zip(recovered) {
                    match record {
                        Some(record) => self.track(record, i),
                        None => self.settle(i, Err(ImportError::Submit(message.clone()))),
                    }
                }
            }
        }
    }

    /// Polls the import records until each is decided or the deadline
    /// passes. Returns the registrations to wait for `(index, id, serial)`
    /// and the refusals.
    async fn follow(
        &mut self,
        client: &GraphClient,
        deadline: Deadline,
    ) -> (
        Vec<(usize, Option<String>, String)>,
        Vec<(usize, ImportFailure)>,
    ) {
        let mut registered: Vec<(usize, Option<String>, String)> = Vec::new();
        let mut refused: Vec<(usize, ImportFailure)> = Vec::new();
        let mut backoff = Backoff::polling();
        while !self.pending.is_empty() {
            if let Some(error) = deadline
                .pause(client, backoff.next_delay())
                .await
                .error(&deadline)
            {
                self.give_up(|| error.clone());
                break;
            }
            let listed = match graph::list_imports(client).await {
                Ok(listed) => listed,
                Err(e) => {
                    let error = ImportError::from_poll(&e, &deadline);
                    self.give_up(|| error.clone());
                    break;
                }
            };
            let listed: HashMap<&str, &ImportedIdentity> =
                listed.iter().map(|r| (r.id.as_str(), r)).collect();
            let devices = self.devices;
            self.pending.retain(|record_id, &mut i| {
                let serial = devices
                    .get(i)
                    .map(|d| d.serial_number.clone())
                    .unwrap_or_default();
                match listed.get(record_id.as_str()).map(|r| progress(r)) {
                    Some(Progress::Waiting) => true,
                    Some(Progress::Registered(id)) => {
                        registered.push((i, id, serial));
                        false
                    }
                    Some(Progress::Failed(failure)) => {
                        refused.push((i, failure));
                        false
                    }
                    // Gone from the collection: looked for by serial number.
                    None => {
                        registered.push((i, None, serial));
                        false
                    }
                }
            });
        }
        (registered, refused)
    }

    /// Every record still undecided ends with `error`.
    fn give_up(&mut self, error: impl Fn() -> ImportError) {
        let undecided: Vec<usize> = self.pending.drain().map(|(_, i)| i).collect();
        for i in undecided {
            self.settle(i, Err(error()));
        }
    }

    /// Turns each refusal into the error that explains it, or into the
    /// adoption of the registration already in the tenant.
    async fn explain_refusals(
        &mut self,
        client: &GraphClient,
        refused: Vec<(usize, ImportFailure)>,
    ) {
        if refused.is_empty() {
            return;
        }
        let listing = DeviceCache::shared().listing(client).await.ok();
        for (i, failure) in refused {
            let serial = self.serial(i);
            let outcome = refusal_or_adoption(client, failure, serial, listing.as_deref()).await;
            if let Ok(existing) = &outcome {
                self.adopted.push(existing.clone());
            }
            self.settle(i, outcome);
        }
    }

    /// The results (a device with none timed out), after deleting the
    /// records not kept for the next apply.
    async fn finish(
        self,
        client: &GraphClient,
        deadline: Deadline,
        mut stale: Vec<String>,
    ) -> Imported {
        let results: Vec<Result<DeviceIdentity, ImportError>> = self
            .results
            .into_iter()
            .map(|r| r.unwrap_or(Err(ImportError::TimedOut(deadline.budget()))))
            .collect();
        stale.extend(
            self.record_ids
                .into_iter()
                .filter(|(_, i)| !results.get(*i).is_some_and(keeps_record))
                .map(|(id, _)| id),
        );
        let warnings = clean_up(client, stale).await;
        Imported {
            results,
            warnings,
            adopted: self.adopted,
        }
    }
}

/// Whether an import's record stays for the next apply to follow: the
/// import was not decided when this run gave up on it, and importing the
/// device again would collide with it once it lands.
fn keeps_record(result: &Result<DeviceIdentity, ImportError>) -> bool {
    matches!(result, Err(ImportError::TimedOut(_) | ImportError::Stopped))
}

/// Graph quotes a payload value it cannot read (`Cannot convert the literal
/// '...'`); hardware hashes must not reach diagnostics or logs.
pub fn redact(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find("literal '") {
        let (head, tail) = rest.split_at(start + "literal '".len());
        out.push_str(head);
        match tail.find('\'') {
            Some(end) => {
                out.push_str("(redacted)");
                rest = &tail[end..];
            }
            None => {
                out.push_str("(redacted)");
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Waits until each registration `(index, id, serial)` is readable: by id
/// when Graph named it, else by serial number. One listing per round.
async fn await_registrations(
    client: &GraphClient,
    mut waiting: Vec<(usize, Option<String>, String)>,
    deadline: Deadline,
) -> Vec<(usize, Result<DeviceIdentity, ImportError>)> {
    let cache = DeviceCache::shared();
    let mut done = Vec::new();
    let mut backoff = Backoff::polling();
    while !waiting.is_empty() {
        // A single device is read by id; many share a listing.
        let single = match waiting.as_slice() {
            [(_, Some(id), _)] => Some(id.clone()),
            _ => None,
        };
        let listing: Result<Option<std::sync::Arc<Listing>>, ListingError> = match single {
            Some(id) => match graph::get_identity(client, &id).await {
                Ok(Some(device)) => {
                    if let Some((i, _, _)) = waiting.pop() {
                        done.push((i, Ok(device)));
                    }
                    continue;
                }
                Ok(None) => Ok(None),
                Err(e) => Err(ListingError::from(&e)),
            },
            None => cache.fresh_listing(client).await.map(Some),
        };
        let listing = match listing {
            Ok(listing) => listing,
            // The operation's timeout ran out: as when the wait below ends.
            Err(ListingError::RanOut(_)) => {
                give_up_waiting(&mut waiting, &mut done, Wait::Expired, deadline);
                break;
            }
            Err(ListingError::Failed(e)) => {
                for (i, _, _) in waiting.drain(..) {
                    done.push((i, Err(ImportError::Poll(e.clone()))));
                }
                break;
            }
        };
        if let Some(listing) = listing {
            waiting.retain(|(i, id, serial)| {
                let found = match id {
                    Some(id) => listing.get(id).cloned(),
                    None => match listing.by_serial(serial).as_slice() {
                        [only] => Some((*only).clone()),
                        _ => None,
                    },
                };
                match found {
                    Some(device) => {
                        done.push((*i, Ok(device)));
                        false
                    }
                    None => true,
                }
            });
        }
        if waiting.is_empty() {
            break;
        }
        let wait = deadline.pause(client, backoff.next_delay()).await;
        if wait != Wait::Over {
            give_up_waiting(&mut waiting, &mut done, wait, deadline);
        }
    }
    done
}

/// Every device still awaited ends as the wait did: stopped, or (the time
/// ran out) registered but not readable, or not known to be registered.
fn give_up_waiting(
    waiting: &mut Vec<(usize, Option<String>, String)>,
    done: &mut Vec<(usize, Result<DeviceIdentity, ImportError>)>,
    wait: Wait,
    deadline: Deadline,
) {
    for (i, id, _) in waiting.drain(..) {
        let error = match (wait, id) {
            (Wait::Stopped, _) => ImportError::Stopped,
            (_, Some(id)) => ImportError::Invisible {
                id,
                waited: deadline.budget(),
            },
            (_, None) => ImportError::TimedOut(deadline.budget()),
        };
        done.push((i, Err(error)));
    }
}

/// What a refused import comes to. An 806 (`ZtdDeviceAlreadyAssigned`: the
/// hash is registered in this tenant already) with exactly one registration
/// of the serial number in the tenant is that device, registered before (by
/// an OEM, a reseller, another tool or by hand): it is adopted, the
/// idempotent outcome, and the caller tells the user. Any other refusal is
/// the error that explains it.
async fn refusal_or_adoption(
    client: &GraphClient,
    failure: ImportFailure,
    serial: &str,
    listing: Option<&Listing>,
) -> Result<DeviceIdentity, ImportError> {
    if failure.kind() != FailureKind::AlreadyHere {
        return Err(ImportError::Refused { failure });
    }
    let owned;
    let listing = match listing {
        Some(listing) => Some(listing),
        None => {
            owned = DeviceCache::shared().listing(client).await.ok();
            owned.as_deref()
        }
    };
    match listing.map(|l| l.by_serial(serial)).as_deref() {
        Some([existing]) => {
            tracing::info!(id = %existing.id, "the device was registered before: adopting the registration");
            Ok((*existing).clone())
        }
        _ => Err(ImportError::Refused { failure }),
    }
}

/// Deletes import records (they are only the means of an import); a record
/// that cannot be deleted is a warning, not a failure.
async fn clean_up(client: &GraphClient, record_ids: Vec<String>) -> Vec<String> {
    let failed: Vec<String> = run_bounded(record_ids, CONCURRENCY, |id| async move {
        graph::delete_import(client, &id)
            .await
            .err()
            .map(|e| format!("{id}: {e}"))
    })
    .await
    .into_iter()
    .flatten()
    .collect();
    match failed.as_slice() {
        [] => Vec::new(),
        [first, ..] => vec![format!(
            "{} import record(s) could not be deleted; they are harmless and can be removed in \
             Intune. First failure: {first}",
            failed.len()
        )],
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn kept_records_say_what_happens_next() {
        for error in [
            ImportError::TimedOut(Duration::from_secs(2)),
            ImportError::Stopped,
        ] {
            let text = error.to_string();
            assert!(text.contains("the next apply follows it"), "{text}");
            assert!(text.contains("Intune may still register it"), "{text}");
        }
    }

    #[test]
    fn literals_are_redacted() {
        assert_eq!(
            redact("Cannot convert the literal 'QUJD' to the expected type 'Edm.Binary'."),
            "Cannot convert the literal '(redacted)' to the expected type 'Edm.Binary'."
        );
        assert_eq!(redact("no literal here"), "no literal here");
        assert_eq!(redact("literal 'unterminated"), "literal '(redacted)");
    }

    #[test]
    fn errors_name_code_and_advice() {
        let error = ImportError::Refused {
            failure: ImportFailure {
                code: 808,
                name: "ZtdDeviceAssignedToOtherTenant".into(),
            },
        };
        assert_eq!(error.code(), "808 ZtdDeviceAssignedToOtherTenant");
        let text = error.to_string();
        assert!(
            text.contains("808 ZtdDeviceAssignedToOtherTenant") && text.contains("another tenant"),
            "{text}"
        );
        assert_eq!(error.kind(), Some(FailureKind::OtherTenant));
    }
}
