//! Imports driven to their end: submit, follow the import records' state
//! machine, wait for the registrations to appear, clean the records up.
//! Polling is bounded by the resource's timeout; every request goes through
//! the Graph client (which owns retries and throttling).

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use tokio::time::Instant;

use super::cache::{DeviceCache, Listing};
use super::graph::{self, DeviceIdentity, IMPORT_CHUNK, ImportedIdentity, NewDevice};
use super::import::{Backoff, FailureKind, ImportFailure, Progress, progress};
use super::leftovers::{Leftovers, last_by_serial};
use super::run_bounded;
use crate::graph::{GraphClient, GraphError};

/// How many requests of one kind run at once (deletes, updates).
pub const CONCURRENCY: usize = 8;

/// The end of the time an operation may take.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    at: Instant,
    budget: Duration,
}

impl Deadline {
    pub fn after(budget: Duration) -> Self {
        Deadline {
            at: Instant::now() + budget,
            budget,
        }
    }

    /// The whole time allowed, for messages.
    pub fn budget(&self) -> Duration {
        self.budget
    }

    /// `delay`, shortened to end at the deadline; `None` once it has passed.
    fn bounded(&self, delay: Duration) -> Option<Duration> {
        let now = Instant::now();
        (now < self.at).then(|| delay.min(self.at - now))
    }

    /// Waits `delay`, or until the deadline if that is sooner, or until
    /// Terraform asks the provider to stop.
    pub async fn pause(&self, client: &GraphClient, delay: Duration) -> Wait {
        let Some(delay) = self.bounded(delay) else {
            return Wait::Expired;
        };
        match client.pause(delay, "following device imports").await {
            Ok(()) => Wait::Over,
            Err(_) => Wait::Stopped,
        }
    }
}

/// How a wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// The wait is over; go on.
    Over,
    /// The deadline had passed: no wait.
    Expired,
    /// Terraform asked the provider to stop.
    Stopped,
}

impl Wait {
    /// The error for a device still waiting when a wait did not end well.
    fn error(self, deadline: &Deadline) -> Option<ImportError> {
        match self {
            Wait::Over => None,
            Wait::Expired => Some(ImportError::TimedOut(deadline.budget())),
            Wait::Stopped => Some(ImportError::Stopped),
        }
    }
}

/// Why a device did not land.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportError {
    /// Graph refused the import request itself.
    Submit(String),
    /// The service processed the device and refused it.
    Refused {
        failure: ImportFailure,
        /// The registration already in this tenant (806), when found.
        existing_id: Option<String>,
    },
    /// Not processed before the timeout.
    TimedOut(Duration),
    /// Registered as `id`, which did not become readable before the timeout.
    Invisible { id: String, waited: Duration },
    /// Following the import failed.
    Poll(String),
    /// Terraform asked the provider to stop before the import was decided.
    Stopped,
}

impl ImportError {
    /// The code to name in a diagnostic (`806 ZtdDeviceAlreadyAssigned`).
    pub fn code(&self) -> String {
        match self {
            ImportError::Refused { failure, .. } => failure.label(),
            ImportError::Submit(_) => "refused request".into(),
            ImportError::TimedOut(_) | ImportError::Invisible { .. } => "timeout".into(),
            ImportError::Poll(_) => "polling failed".into(),
            ImportError::Stopped => "stopped".into(),
        }
    }

    pub fn kind(&self) -> Option<FailureKind> {
        match self {
            ImportError::Refused { failure, .. } => Some(failure.kind()),
            _ => None,
        }
    }
}

/// What to do with a kept import record when the device is not wanted after all.
const ABANDONED: &str = "If the device is removed from the configuration instead, Intune may \
     still register it: delete it under Windows Autopilot devices in Intune once it appears.";

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::Submit(e) => write!(f, "Graph refused the import request: {e}"),
            ImportError::Refused {
                failure,
                existing_id,
            } => write!(
                f,
                "the import failed with {}. {}",
                failure.label(),
                failure.advice(existing_id.as_deref())
            ),
            ImportError::TimedOut(waited) => write!(
                f,
                "the import was not processed within {}s. Its import record is kept: the next \
                 apply follows it instead of importing the device again. Run apply again, or \
                 raise the create timeout (`timeouts`). {ABANDONED}",
                waited.as_secs()
            ),
            ImportError::Invisible { id, waited } => write!(
                f,
                "the import completed as Autopilot device {id}, but the device was not readable \
                 within {}s",
                waited.as_secs()
            ),
            ImportError::Poll(e) => write!(f, "following the import failed: {e}"),
            ImportError::Stopped => write!(
                f,
                "Terraform asked the provider to stop before the import was processed. Its \
                 import record is kept: the next apply follows it instead of importing the \
                 device again. {ABANDONED}"
            ),
        }
    }
}

/// The outcome of importing devices: one result per device, in order, and
/// warnings (import records that could not be deleted).
#[derive(Debug, Default)]
pub struct Imported {
    pub results: Vec<Result<DeviceIdentity, ImportError>>,
    pub warnings: Vec<String>,
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
                    };
                }
            }
        }
    };
    cache.invalidate();
    tracing::info!(record = %record.id, "submitted a device import");
    let decided = follow_one(client, &record, deadline).await;
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
            Err(refusal(client, failure, &device.serial_number, None).await)
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
            Err(e) => return Err(ImportError::Poll(e.to_string())),
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
    let cache = DeviceCache::shared();
    let mut results: Vec<Option<Result<DeviceIdentity, ImportError>>> = vec![None; devices.len()];
    // Record id -> device index, while undecided.
    let mut pending: HashMap<String, usize> = HashMap::new();
    // Every record followed: (record id, device index).
    let mut record_ids: Vec<(String, usize)> = Vec::new();
    let mut stale = Vec::new();
    let wanted: Vec<&NewDevice> = devices.iter().collect();
    let resumed = resume(client, &wanted, &mut stale).await;
    let mut indices: Vec<usize> = Vec::with_capacity(devices.len());
    for (i, resumed) in resumed.into_iter().enumerate() {
        match resumed {
            Some(record) => {
                record_ids.push((record.id.clone(), i));
                pending.insert(record.id, i);
            }
            None => indices.push(i),
        }
    }
    if !pending.is_empty() {
        tracing::info!(
            devices = pending.len(),
            "following imports an earlier run left unfinished instead of importing again"
        );
    }
    for chunk in indices.chunks(IMPORT_CHUNK) {
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
                        Some(i) => {
                            record_ids.push((record.id.clone(), i));
                            pending.insert(record.id, i);
                        }
                        None => {
                            tracing::warn!(record = %record.id, "import answer for a device not sent")
                        }
                    }
                }
                for i in unmatched.into_values() {
                    set(
                        &mut results,
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
                        Some(record) => {
                            record_ids.push((record.id.clone(), i));
                            pending.insert(record.id, i);
                        }
                        None => set(&mut results, i, Err(ImportError::Submit(message.clone()))),
                    }
                }
            }
        }
    }
    if !record_ids.is_empty() {
        cache.invalidate();
        tracing::info!(
            records = record_ids.len(),
            "submitted device imports; following them"
        );
    }

    let mut registered: Vec<(usize, Option<String>, String)> = Vec::new();
    let mut refused: Vec<(usize, ImportFailure)> = Vec::new();
    let mut backoff = Backoff::polling();
    while !pending.is_empty() {
        if let Some(error) = deadline
            .pause(client, backoff.next_delay())
            .await
            .error(&deadline)
        {
            for (_, i) in pending.drain() {
                set(&mut results, i, Err(error.clone()));
            }
            break;
        }
        let listed = match graph::list_imports(client).await {
            Ok(listed) => listed,
            Err(e) => {
                let message = e.to_string();
                for (_, i) in pending.drain() {
                    set(&mut results, i, Err(ImportError::Poll(message.clone())));
                }
                break;
            }
        };
        let listed: HashMap<&str, &ImportedIdentity> =
            listed.iter().map(|r| (r.id.as_str(), r)).collect();
        pending.retain(|record_id, &mut i| {
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

    for (i, outcome) in await_registrations(client, registered, deadline).await {
        set(&mut results, i, outcome);
    }
    if !refused.is_empty() {
        let listing = cache.listing(client).await.ok();
        for (i, failure) in refused {
            let serial = devices
                .get(i)
                .map(|d| d.serial_number.as_str())
                .unwrap_or_default();
            let error = refusal(client, failure, serial, listing.as_deref()).await;
            set(&mut results, i, Err(error));
        }
    }
    let results: Vec<Result<DeviceIdentity, ImportError>> = results
        .into_iter()
        .map(|r| r.unwrap_or(Err(ImportError::TimedOut(deadline.budget()))))
        .collect();
    stale.extend(
        record_ids
            .into_iter()
            .filter(|(_, i)| !results.get(*i).is_some_and(keeps_record))
            .map(|(id, _)| id),
    );
    let warnings = clean_up(client, stale).await;
    Imported { results, warnings }
}

/// Whether an import's record stays for the next apply to follow: the
/// import was not decided when this run gave up on it, and importing the
/// device again would collide with it once it lands.
fn keeps_record(result: &Result<DeviceIdentity, ImportError>) -> bool {
    matches!(result, Err(ImportError::TimedOut(_) | ImportError::Stopped))
}

/// For each device, the import record an earlier run left unfinished, to
/// follow instead of importing again. Leftover records that cannot be
/// followed join `stale`, to be deleted.
async fn resume(
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
fn maybe_committed(error: &GraphError) -> bool {
    matches!(error, GraphError::Transport { .. }) || error.status().is_some_and(|s| s >= 500)
}

/// After an import request whose answer was lost: the import records Graph
/// made for these serial numbers (the last one per serial), if any. Imports
/// are not sent twice, since a second import of a device that the first one
/// registered would end in 806.
async fn recover_records(client: &GraphClient, serials: &[&str]) -> Vec<Option<ImportedIdentity>> {
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

fn set<T>(slots: &mut [Option<T>], i: usize, value: T) {
    if let Some(slot) = slots.get_mut(i) {
        *slot = Some(value);
    }
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
        let listing: Result<Option<std::sync::Arc<Listing>>, String> = match single {
            Some(id) => match graph::get_identity(client, &id).await {
                Ok(Some(device)) => {
                    if let Some((i, _, _)) = waiting.pop() {
                        done.push((i, Ok(device)));
                    }
                    continue;
                }
                Ok(None) => Ok(None),
                Err(e) => Err(e.to_string()),
            },
            None => cache.fresh_listing(client).await.map(Some),
        };
        let listing = match listing {
            Ok(listing) => listing,
            Err(e) => {
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
    }
    done
}

/// The error for a refused device; for 806 it names the registration that
/// is already in the tenant.
async fn refusal(
    client: &GraphClient,
    failure: ImportFailure,
    serial: &str,
    listing: Option<&Listing>,
) -> ImportError {
    let existing_id = if failure.kind() == FailureKind::AlreadyHere {
        let owned;
        let listing = match listing {
            Some(listing) => Some(listing),
            None => {
                owned = DeviceCache::shared().listing(client).await.ok();
                owned.as_deref()
            }
        };
        listing.and_then(|l| match l.by_serial(serial).as_slice() {
            [only] => Some(only.id.clone()),
            _ => None,
        })
    } else {
        None
    };
    ImportError::Refused {
        failure,
        existing_id,
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
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn deadline_bounds_pauses() {
        let deadline = Deadline::after(Duration::from_secs(3));
        assert_eq!(
            deadline.bounded(Duration::from_secs(1)),
            Some(Duration::from_secs(1))
        );
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(
            deadline.bounded(Duration::from_secs(5)),
            Some(Duration::from_secs(1))
        );
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(deadline.bounded(Duration::from_secs(5)), None);
    }

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

    #[test]
    fn errors_name_code_and_advice() {
        let error = ImportError::Refused {
            failure: ImportFailure {
                code: 808,
                name: "ZtdDeviceAssignedToOtherTenant".into(),
            },
            existing_id: None,
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
