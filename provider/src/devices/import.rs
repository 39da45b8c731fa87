//! The import state machine of an `importedWindowsAutopilotDeviceIdentity`
//! and what its errors mean for the person running Terraform.
//!
//! A record starts `unknown` (Graph has not looked at it yet), may pass
//! `pending` or `partial`, and ends `complete`, with `deviceRegistrationId`
//! naming the new `windowsAutopilotDeviceIdentity`, or `error`, with a
//! device error code and name. After `complete` the identity may take a
//! while to appear. The functions here are pure; [`super::ops`] drives them.

use std::fmt;
use std::time::Duration;

use super::deadline::Deadline;
use super::graph::ImportedIdentity;
use crate::graph::GraphError;

/// Where one imported record stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Not processed yet.
    Waiting,
    /// Processed; the registration is the identity with this id (which may
    /// not be visible yet). `None` when Graph named no id.
    Registered(Option<String>),
    /// Refused.
    Failed(ImportFailure),
}

/// A device import the service refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportFailure {
    pub code: i64,
    pub name: String,
}

/// Reads a record's state.
pub fn progress(record: &ImportedIdentity) -> Progress {
    let Some(state) = &record.state else {
        return Progress::Waiting;
    };
    match state.device_import_status.as_deref().unwrap_or("unknown") {
        "complete" => Progress::Registered(
            state
                .device_registration_id
                .clone()
                .filter(|id| !id.is_empty()),
        ),
        "error" => Progress::Failed(ImportFailure {
            code: state.device_error_code.unwrap_or(0),
            name: state.device_error_name.clone().unwrap_or_default(),
        }),
        // unknown, pending, partial, and anything newer: not decided yet.
        _ => Progress::Waiting,
    }
}

/// What the service's verdict means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// 806: registered in this tenant already.
    AlreadyHere,
    /// 808: registered in another tenant.
    OtherTenant,
    /// The same hash was imported twice.
    Duplicated,
    /// 802 and friends: not a usable hardware hash.
    BadHash,
    /// A transient service failure: import again later.
    Transient,
    Other,
}

impl ImportFailure {
    pub fn kind(&self) -> FailureKind {
        match (self.code, self.name.as_str()) {
            (806, _) | (_, "ZtdDeviceAlreadyAssigned") => FailureKind::AlreadyHere,
            (808, _) | (_, "ZtdDeviceAssignedToOtherTenant") => FailureKind::OtherTenant,
            (_, "ZtdDeviceDuplicated") => FailureKind::Duplicated,
            (802, _) | (_, "InvalidZtdHardwareHash" | "ZtdDeviceBadHardwareHash") => {
                FailureKind::BadHash
            }
            (_, "StorageError") => FailureKind::Transient,
            _ => FailureKind::Other,
        }
    }

    /// `806 ZtdDeviceAlreadyAssigned`, or whichever part Graph gave.
    pub fn label(&self) -> String {
        match (self.code, self.name.is_empty()) {
            (0, true) => "an unnamed error".to_string(),
            (0, false) => self.name.clone(),
            (code, true) => format!("error {code}"),
            (code, false) => format!("{code} {}", self.name),
        }
    }

    /// What to do about it. (An 806 whose registration is found by its
    /// serial number never gets here: that device is adopted.)
    pub fn advice(&self) -> String {
        match self.kind() {
            FailureKind::AlreadyHere => "The hardware hash is already registered in this \
                 tenant, but not as exactly one device with this serial number (the \
                 registration carries another serial number, or several carry this one), so \
                 it cannot be adopted. Find the registration in Intune under Devices > Windows \
                 > Enrollment > Devices and bring it under Terraform with `terraform import`, \
                 or delete it first."
                .to_string(),
            FailureKind::OtherTenant => "The device is registered to another tenant. It must be \
                 deregistered there (by that tenant's administrator, or by the reseller or OEM \
                 that registered it) before it can be imported here."
                .to_string(),
            FailureKind::Duplicated => "The same hardware hash was imported more than once; \
                 keep one row per device."
                .to_string(),
            FailureKind::BadHash => "The hardware hash is not a valid Autopilot hash; collect \
                 it again on the device with Get-WindowsAutopilotInfo."
                .to_string(),
            FailureKind::Transient => {
                "The service failed temporarily; run terraform apply again.".to_string()
            }
            FailureKind::Other => "The Autopilot service refused the device; check the code in \
                 the Intune admin center under Devices > Windows > Enrollment > Devices."
                .to_string(),
        }
    }
}

/// The waits between polls: `first`, doubling, at most `max`.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    pub fn new(first: Duration, max: Duration) -> Self {
        Backoff { next: first, max }
    }

    /// The polling of import records and identities: quick at first (the
    /// lab, and small imports, finish in moments), then every 15 s (real
    /// imports take minutes; Microsoft's own script polls every 30 s).
    pub fn polling() -> Self {
        Backoff::new(Duration::from_millis(200), Duration::from_secs(15))
    }

    pub fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = self.next.saturating_mul(2).min(self.max);
        delay
    }
}

/// Why a device did not land.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportError {
    /// Graph refused the import request itself.
    Submit(String),
    /// The service processed the device and refused it.
    Refused { failure: ImportFailure },
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
    /// A poll of an import that failed: the operation's timeout running
    /// out is a timeout (the record is kept for the next apply to follow);
    /// anything else is a failure to follow it.
    pub(crate) fn from_poll(error: &GraphError, deadline: &Deadline) -> ImportError {
        match error {
            GraphError::TimedOut { .. } => ImportError::TimedOut(deadline.budget()),
            _ => ImportError::Poll(error.to_string()),
        }
    }
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
            ImportError::Refused { failure } => write!(
                f,
                "the import failed with {}. {}",
                failure.label(),
                failure.advice()
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

#[cfg(test)]
mod tests {
    use super::super::graph::ImportState;
    use super::*;

    fn record(status: &str, id: Option<&str>, code: i64, name: Option<&str>) -> ImportedIdentity {
        ImportedIdentity {
            id: "imp-1".into(),
            serial_number: Some("SN1".into()),
            state: Some(ImportState {
                device_import_status: Some(status.into()),
                device_registration_id: id.map(str::to_string),
                device_error_code: Some(code),
                device_error_name: name.map(str::to_string),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn states_map_to_progress() {
        assert_eq!(
            progress(&record("unknown", None, 0, None)),
            Progress::Waiting
        );
        assert_eq!(
            progress(&record("pending", Some(""), 0, None)),
            Progress::Waiting
        );
        assert_eq!(
            progress(&record("partial", None, 0, None)),
            Progress::Waiting
        );
        assert_eq!(
            progress(&record("complete", Some("dev-1"), 0, None)),
            Progress::Registered(Some("dev-1".into()))
        );
        assert_eq!(
            progress(&record("complete", Some(""), 0, None)),
            Progress::Registered(None)
        );
        let failed = progress(&record(
            "error",
            Some(""),
            806,
            Some("ZtdDeviceAlreadyAssigned"),
        ));
        assert_eq!(
            failed,
            Progress::Failed(ImportFailure {
                code: 806,
                name: "ZtdDeviceAlreadyAssigned".into()
            })
        );
        let mut no_state = record("unknown", None, 0, None);
        no_state.state = None;
        assert_eq!(progress(&no_state), Progress::Waiting);
    }

    #[test]
    fn failures_explain_themselves() {
        let here = ImportFailure {
            code: 806,
            name: "ZtdDeviceAlreadyAssigned".into(),
        };
        assert_eq!(here.kind(), FailureKind::AlreadyHere);
        assert_eq!(here.label(), "806 ZtdDeviceAlreadyAssigned");
        let advice = here.advice();
        assert!(
            advice.contains("cannot be adopted") && advice.contains("terraform import"),
            "{advice}"
        );
        let other = ImportFailure {
            code: 808,
            name: String::new(),
        };
        assert_eq!(other.kind(), FailureKind::OtherTenant);
        assert_eq!(other.label(), "error 808");
        assert!(other.advice().contains("deregistered there"));
        let by_name = ImportFailure {
            code: 0,
            name: "ZtdDeviceAssignedToOtherTenant".into(),
        };
        assert_eq!(by_name.kind(), FailureKind::OtherTenant);
        assert_eq!(
            ImportFailure {
                code: 0,
                name: "StorageError".into()
            }
            .kind(),
            FailureKind::Transient
        );
        assert_eq!(
            ImportFailure {
                code: 802,
                name: String::new()
            }
            .kind(),
            FailureKind::BadHash
        );
    }

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let mut b = Backoff::new(Duration::from_millis(200), Duration::from_secs(1));
        let delays: Vec<u128> = (0..5).map(|_| b.next_delay().as_millis()).collect();
        assert_eq!(delays, [200, 400, 800, 1000, 1000]);
    }
}
