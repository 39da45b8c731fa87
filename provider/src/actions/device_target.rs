//! What the device actions share: the registered Autopilot device they act
//! on, named by `device_id` or `serial_number` (exactly one of them), found
//! before anything is written; the `timeout` of the wait; and the wait
//! itself, until Autopilot shows what was written (after an Autopilot sync,
//! see [`crate::devices::sync`]), with progress messages meanwhile.

use std::collections::HashMap;
use std::time::Duration;

use tfplugin::{Attr, AttrPath, Diagnostics, Progress};
use tokio::time::Instant;

use crate::devices::cache::DeviceCache;
use crate::devices::deadline::Deadline;
use crate::devices::graph::{self, DeviceIdentity};
use crate::devices::sync::{self, Expected, Shown};
use crate::graph::{GraphClient, GraphError};
use crate::resources::timeouts::parse_duration;
use crate::validate::check_known;

/// How long a device action waits for Autopilot to show its change when
/// `timeout` is not set.
pub(super) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// The device an action names, once both attributes are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Target {
    Id(String),
    Serial(String),
}

impl Target {
    /// The target of a configuration that passed [`validate`].
    pub(super) fn of(device_id: &Attr<String>, serial_number: &Attr<String>) -> Option<Target> {
        match (device_id.known(), serial_number.known()) {
            (Some(id), None) => Some(Target::Id(id.clone())),
            (None, Some(serial)) => Some(Target::Serial(serial.clone())),
            _ => None,
        }
    }
}

/// Exactly one of `device_id` and `serial_number`, not empty; a valid
/// `timeout`. Unknown values pass.
pub(super) fn validate(
    device_id: &Attr<String>,
    serial_number: &Attr<String>,
    timeout: &Attr<String>,
    diags: &mut Diagnostics,
) {
    match (device_id, serial_number) {
        (Attr::Null, Attr::Null) => diags.error_at(
            AttrPath::root("device_id"),
            "No device named",
            "Set `device_id` (the Autopilot device identity's id) or `serial_number` to name the device.",
        ),
        (Attr::Known(_), Attr::Known(_)) => diags.error_at(
            AttrPath::root("serial_number"),
            "Two ways of naming the device",
            "Set either `device_id` or `serial_number`, not both.",
        ),
        _ => {}
    }
    for (name, value) in [("device_id", device_id), ("serial_number", serial_number)] {
        check_known(
            value,
            |text| {
                if text.trim().is_empty() {
                    Err(format!("`{name}` is empty"))
                } else {
                    Ok(())
                }
            },
            AttrPath::root(name),
            "Empty device reference",
            diags,
        );
    }
    check_known(
        timeout,
        parse_duration,
        AttrPath::root("timeout"),
        "Invalid timeout",
        diags,
    );
}

/// The wait a configuration allows.
pub(super) fn timeout(timeout: &Attr<String>) -> Duration {
    timeout
        .known()
        .and_then(|text| parse_duration(text).ok())
        .unwrap_or(DEFAULT_TIMEOUT)
}

/// The registered device `target` names; `None` with an error at the
/// attribute's path when there is none (or several with that serial).
pub(super) async fn find(
    client: &GraphClient,
    target: &Target,
    progress: &Progress,
    diags: &mut Diagnostics,
) -> Option<DeviceIdentity> {
    match target {
        Target::Id(id) => {
            progress.report(format!("Looking up the Autopilot device {id}"));
            match graph::get_identity(client, id).await {
                Ok(Some(device)) => Some(device),
                Ok(None) => {
                    diags.error_at(
                        AttrPath::root("device_id"),
                        "No such Autopilot device",
                        format!(
                            "No registered Autopilot device has the id {id:?}; nothing was changed."
                        ),
                    );
                    None
                }
                Err(e) => {
                    diags.error("Cannot read the Autopilot device", e.to_string());
                    None
                }
            }
        }
        Target::Serial(serial) => {
            progress.report(format!(
                "Looking up the Autopilot device with serial number {serial}"
            ));
            let listing = match DeviceCache::shared().fresh_listing(client).await {
                Ok(listing) => listing,
                Err(e) => {
                    diags.error("Cannot list the Autopilot devices", e.to_string());
                    return None;
                }
            };
            match listing.by_serial(serial).as_slice() {
                [device] => Some((*device).clone()),
                [] => {
                    diags.error_at(
                        AttrPath::root("serial_number"),
                        "No such Autopilot device",
                        format!(
                            "No registered Autopilot device has the serial number {serial:?}; nothing was changed."
                        ),
                    );
                    None
                }
                several => {
                    let ids: Vec<&str> = several.iter().map(|d| d.id.as_str()).collect();
                    diags.error_at(
                        AttrPath::root("serial_number"),
                        "Several Autopilot devices have this serial number",
                        format!(
                            "{} devices have the serial number {serial:?} ({}); name one with `device_id`. Nothing was changed.",
                            ids.len(),
                            ids.join(", ")
                        ),
                    );
                    None
                }
            }
        }
    }
}

/// The registered device that a configuration which passed [`validate`]
/// names; `None` while a reference is unknown, and with an error (see
/// [`find`]) when no device answers to it.
pub(super) async fn locate(
    client: &GraphClient,
    device_id: &Attr<String>,
    serial_number: &Attr<String>,
    progress: &Progress,
    diags: &mut Diagnostics,
) -> Option<DeviceIdentity> {
    let target = Target::of(device_id, serial_number)?;
    find(client, &target, progress, diags).await
}

/// A write to one device that Autopilot shows after a sync.
pub(super) struct Change<'a> {
    /// What the device shows once the write is visible.
    pub(super) expected: Expected,
    /// The error's summary when Graph refuses the write.
    pub(super) refused: &'a str,
    /// The configured `timeout` of the wait.
    pub(super) timeout: &'a Attr<String>,
}

/// Sends `write` (a request changing `device`), then waits until Autopilot
/// shows the change ([`wait_until_shown`]); a refused write is an error
/// and nothing is waited for.
pub(super) async fn write_then_wait(
    client: &GraphClient,
    device: &DeviceIdentity,
    write: impl Future<Output = Result<(), GraphError>>,
    change: Change<'_>,
    progress: &Progress,
    diags: &mut Diagnostics,
) {
    let written = Instant::now();
    if let Err(e) = write.await {
        diags.error(change.refused, e.to_string());
        return;
    }
    let timeout = timeout(change.timeout);
    wait_until_shown(
        client,
        device,
        written,
        change.expected,
        timeout,
        progress,
        diags,
    )
    .await;
}

/// A human name for `device` in messages.
pub(super) fn describe(device: &DeviceIdentity) -> String {
    match device.serial_number.as_deref().filter(|s| !s.is_empty()) {
        Some(serial) => format!("{serial} ({})", device.id),
        None => device.id.clone(),
    }
}

/// After a write made at `written`: asks for the Autopilot sync that makes
/// it show and waits, within `timeout`, until `device` shows `expected`.
/// When it does not show in time, or Intune refuses the sync because the
/// last one was less than 10 minutes ago, the write stands: a warning says
/// when it will show.
pub(super) async fn wait_until_shown(
    client: &GraphClient,
    device: &DeviceIdentity,
    written: Instant,
    expected: Expected,
    timeout: Duration,
    progress: &Progress,
    diags: &mut Diagnostics,
) {
    DeviceCache::shared().invalidate();
    let name = describe(device);
    progress.report(format!(
        "Asking for an Autopilot sync and waiting (up to {}s) until {name} shows the change",
        timeout.as_secs()
    ));
    let wanted = HashMap::from([(device.id.clone(), expected)]);
    match sync::settle(client, written, &wanted, Deadline::after(timeout)).await {
        Ok(Shown::All(_)) => progress.report(format!("{name} shows the change")),
        Ok(Shown::NotYet { .. }) => {
            let reason = format!("not within {}s", timeout.as_secs());
            progress.report(format!("{name} does not show the change yet ({reason})"));
            diags.warning("Change not shown yet", sync::not_shown_detail(1, &reason));
        }
        Err(e) if e.status() == Some(429) => {
            progress.report(format!(
                "Intune refused the Autopilot sync (one per 10 minutes); {name} shows the change after the next sync"
            ));
            diags.warning(
                "Change written; it shows after the next Autopilot sync",
                format!(
                    "The change to {name} was accepted, but Intune allows one Autopilot sync per 10 minutes and refused this one: {e}"
                ),
            );
        }
        Err(e) => report_after_write(&name, &e, diags),
    }
}

fn report_after_write(name: &str, error: &GraphError, diags: &mut Diagnostics) {
    diags.warning(
        "Change written; waiting for it failed",
        format!(
            "The change to {name} was accepted; waiting for Autopilot to show it failed: {error}"
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths_of(device_id: &Attr<String>, serial_number: &Attr<String>) -> Vec<String> {
        let mut diags = Diagnostics::new();
        validate(device_id, serial_number, &Attr::Null, &mut diags);
        diags
            .into_iter()
            .map(|d| format!("{}: {:?}", d.summary, d.path))
            .collect()
    }

    fn known(text: &str) -> Attr<String> {
        Attr::Known(text.into())
    }

    #[test]
    fn exactly_one_device_reference_and_unknowns_pass() {
        assert_eq!(paths_of(&known("d1"), &Attr::Null), Vec::<String>::new());
        assert_eq!(paths_of(&Attr::Null, &known("SN1")), Vec::<String>::new());
        assert_eq!(paths_of(&Attr::Unknown, &Attr::Null), Vec::<String>::new());
        assert_eq!(
            paths_of(&Attr::Unknown, &Attr::Unknown),
            Vec::<String>::new()
        );
        assert_eq!(
            paths_of(&Attr::Null, &Attr::Null),
            vec![format!(
                "No device named: {:?}",
                Some(AttrPath::root("device_id"))
            )]
        );
        assert_eq!(
            paths_of(&known("d1"), &known("SN1")),
            vec![format!(
                "Two ways of naming the device: {:?}",
                Some(AttrPath::root("serial_number"))
            )]
        );
        assert_eq!(
            paths_of(&Attr::Null, &known(" ")),
            vec![format!(
                "Empty device reference: {:?}",
                Some(AttrPath::root("serial_number"))
            )]
        );
        assert_eq!(
            Target::of(&Attr::Null, &known("SN1")),
            Some(Target::Serial("SN1".into()))
        );
    }

    #[test]
    fn the_timeout_is_read_like_terraform_durations() {
        let mut diags = Diagnostics::new();
        validate(&known("d1"), &Attr::Null, &known("soon"), &mut diags);
        assert!(diags.has_errors());
        assert_eq!(timeout(&known("90s")), Duration::from_secs(90));
        assert_eq!(timeout(&Attr::Null), DEFAULT_TIMEOUT);
    }
}
