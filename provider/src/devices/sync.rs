//! Device properties after a write: Autopilot shows a group tag, display
//! name or assigned user written with `updateDeviceProperties` or
//! `assignUserToDevice` on the device identity only after an Autopilot sync
//! ("After setting the name, you need to initiate a sync (Invoke-AutopilotSync)
//! in order to see the name in the Intune object", Microsoft's
//! WindowsAutopilotIntune module, Set-AutopilotDevice). So after writing, a
//! resource asks for a sync and waits until the identity shows what it wrote,
//! within its timeout: the state it keeps is then what a refresh reads, and
//! the next plan is empty.
//!
//! Intune allows one manual sync per 10 minutes and answers a sync asked for
//! sooner with 429 and `Retry-After` (microsoftgraph/microsoft-graph-docs
//! #9691); the Graph client waits that out like any 429, within its retry
//! deadline. One sync serves every write made before it started: the
//! resources of one run share it (per Graph client), after a short pause that
//! lets the writes of parallel resources land first.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::time::Instant;

use super::graph::{self, DeviceIdentity};
use super::ops::{Deadline, Wait};
use super::per_client::{self, PerClient};
use crate::graph::{GraphClient, GraphError};

/// How long to let the writes of other resources of the same run land
/// before asking for the sync that covers them all.
const SETTLE: Duration = Duration::from_secs(1);
/// Waits between reads of identities that do not show the writes yet.
const FIRST_POLL: Duration = Duration::from_millis(500);
const MAX_POLL: Duration = Duration::from_secs(15);

/// When this client last started a sync.
#[derive(Default)]
struct Syncs {
    last_started: tokio::sync::Mutex<Option<Instant>>,
}

fn syncs(client: &GraphClient) -> Arc<Syncs> {
    static SLOT: OnceLock<PerClient<Arc<Syncs>>> = OnceLock::new();
    SLOT.get_or_init(PerClient::default)
        .get(per_client::key(client))
}

/// Makes sure an Autopilot sync starts after `written` (the time of the
/// first write it must cover). A sync another resource started after that
/// serves as well.
pub async fn sync_after(client: &GraphClient, written: Instant) -> Result<(), GraphError> {
    let syncs = syncs(client);
    client
        .pause(
            SETTLE,
            "letting the device writes of this run land before the Autopilot sync",
        )
        .await?;
    let mut last = syncs.last_started.lock().await;
    if matches!(*last, Some(started) if started >= written) {
        return Ok(());
    }
    let started = Instant::now();
    graph::sync(client).await?;
    tracing::info!("Autopilot sync started");
    *last = Some(started);
    Ok(())
}

/// What a device identity shows once a write has been applied: `None`
/// where nothing was written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expected {
    pub group_tag: Option<String>,
    pub display_name: Option<String>,
    /// `Some(None)`: no user assigned.
    pub user: Option<Option<String>>,
}

impl Expected {
    pub fn is_empty(&self) -> bool {
        self.group_tag.is_none() && self.display_name.is_none() && self.user.is_none()
    }

    /// Whether `device` shows every value written (empty and absent are the
    /// same; user principal names are compared without case).
    pub fn shown_by(&self, device: &DeviceIdentity) -> bool {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        let tag_ok = self
            .group_tag
            .as_ref()
            .is_none_or(|tag| text(&device.group_tag) == *tag);
        let name_ok = self
            .display_name
            .as_ref()
            .is_none_or(|name| text(&device.display_name) == *name);
        let user_ok = self.user.as_ref().is_none_or(|user| {
            text(user).to_lowercase() == text(&device.user_principal_name).to_lowercase()
        });
        tag_ok && name_ok && user_ok
    }
}

/// How waiting for written properties ended.
#[derive(Debug)]
pub enum Shown {
    /// Every identity shows what was written: the identities as read.
    All(HashMap<String, DeviceIdentity>),
    /// The deadline passed, or Terraform asked to stop: the ids of the
    /// identities that do not show it yet, with those that do.
    NotYet {
        missing: Vec<String>,
        seen: HashMap<String, DeviceIdentity>,
    },
}

/// Asks for a sync covering writes made since `written`, then reads the
/// identities until each shows what was written to it, or `deadline`.
/// A single identity is read by id; several through the listing.
pub async fn settle(
    client: &GraphClient,
    written: Instant,
    expected: &HashMap<String, Expected>,
    deadline: Deadline,
) -> Result<Shown, GraphError> {
    sync_after(client, written).await?;
    let mut seen: HashMap<String, DeviceIdentity> = HashMap::new();
    let mut delay = FIRST_POLL;
    loop {
        let missing: Vec<&String> = expected
            .iter()
            .filter(|(id, want)| !seen.get(*id).is_some_and(|d| want.shown_by(d)))
            .map(|(id, _)| id)
            .collect();
        if missing.is_empty() {
            return Ok(Shown::All(seen));
        }
        if let [id] = missing.as_slice() {
            if let Some(device) = graph::get_identity(client, id).await? {
                seen.insert(device.id.clone(), device);
            }
        } else {
            for device in graph::list_identities(client).await? {
                if expected.contains_key(&device.id) {
                    seen.insert(device.id.clone(), device);
                }
            }
        }
        let still: Vec<String> = expected
            .iter()
            .filter(|(id, want)| !seen.get(*id).is_some_and(|d| want.shown_by(d)))
            .map(|(id, _)| id.clone())
            .collect();
        if still.is_empty() {
            return Ok(Shown::All(seen));
        }
        match deadline.pause(client, delay).await {
            Wait::Over => delay = (delay * 2).min(MAX_POLL),
            Wait::Expired | Wait::Stopped => {
                return Ok(Shown::NotYet {
                    missing: still,
                    seen,
                });
            }
        }
    }
}

/// The warning when the written values do not show yet.
pub fn not_shown_detail(count: usize, reason: &str) -> String {
    format!(
        "{count} Autopilot device(s) do not show the group tag, display name or user written to them yet ({reason}). \
         Autopilot shows such changes after an Autopilot sync (Intune allows one every 10 minutes); the state \
         keeps the values written, and a plan shows them as a change until the devices show them."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(tag: &str, name: &str, user: &str) -> DeviceIdentity {
        DeviceIdentity {
            id: "d1".into(),
            group_tag: Some(tag.into()),
            display_name: Some(name.into()),
            user_principal_name: Some(user.into()),
            ..Default::default()
        }
    }

    #[test]
    fn expected_values_are_compared_like_autopilot() {
        let want = Expected {
            group_tag: Some("SITE-B".into()),
            display_name: None,
            user: Some(Some("Ana@Contoso.com".into())),
        };
        assert!(want.shown_by(&device("SITE-B", "x", "ana@contoso.com")));
        assert!(!want.shown_by(&device("SITE-A", "x", "ana@contoso.com")));
        assert!(!want.shown_by(&device("SITE-B", "x", "")));
        let cleared = Expected {
            group_tag: Some(String::new()),
            user: Some(None),
            ..Default::default()
        };
        assert!(cleared.shown_by(&DeviceIdentity::default()));
        assert!(Expected::default().is_empty());
        assert!(Expected::default().shown_by(&device("a", "b", "c")));
    }
}
