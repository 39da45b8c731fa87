//! The order of the tenant's custom Enrollment Status Pages, kept by one
//! process for every ESP it writes.
//!
//! Intune's ESP priorities run from 1 without gaps; a create appends the
//! new ESP after the others, `setPriority` only moves an ESP to a priority
//! another ESP holds (shifting the ones in between), and fast concurrent
//! writes have left tenants with duplicate priorities Graph could not repair
//! (terraprovider/terraform-provider-microsoft365wp
//! `docs/resources/device_enrollment_configuration.md`, "Priorities" and
//! "Delays Between Writes"). Terraform applies each ESP on its own, in any
//! order and up to ten at a time, so an ESP that wants priority 3 may be
//! created while it is the only one.
//!
//! So every ESP write of a process goes through one lock, and the process
//! remembers the priority each ESP it wrote wants (and the creates still on
//! their way). After each write it arranges the whole list: each wanted
//! priority that exists is given to its ESP, and the other ESPs (those
//! Terraform does not manage, or left unset) keep their relative order in
//! the priorities left free. Whatever order Terraform applies them in, the
//! last write leaves every ESP where the configuration wants it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use serde::Deserialize;

use super::enrollment_status_page::{COLLECTION, ODATA_TYPE, PriorityBody, is_default_esp};
use crate::devices::per_client::{self, PerClient};
use crate::graph::{ApiVersion, GraphClient, GraphError};

/// How long a create that wants a priority waits before it takes the lock,
/// so that the creates Terraform starts with it are known before the first
/// one is placed.
pub const GATHER: Duration = Duration::from_millis(250);

/// One process's ESP writes: the lock and the wanted priorities.
#[derive(Default)]
pub struct EspOrder {
    writes: tokio::sync::Mutex<()>,
    wanted: Mutex<Wanted>,
}

#[derive(Default)]
struct Wanted {
    /// The priority each ESP this process wrote wants, and the write's
    /// sequence number (the later write wins a tie).
    by_id: BTreeMap<String, (i64, u64)>,
    /// Creates announced and not finished, with the priority they want.
    pending: BTreeMap<u64, i64>,
    next: u64,
}

static SHARED: OnceLock<PerClient<Arc<EspOrder>>> = OnceLock::new();

/// A create announced to the order: dropped without
/// [`EspOrder::created`], it is forgotten (the create failed).
pub struct Announced {
    order: Arc<EspOrder>,
    token: u64,
    priority: i64,
}

impl Drop for Announced {
    fn drop(&mut self) {
        self.order.wanted().pending.remove(&self.token);
    }
}

/// One custom ESP as the listing shows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Placed {
    pub priority: i64,
    pub id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Listed {
    #[serde(rename = "@odata.type", default)]
    odata_type: Option<String>,
    id: String,
    #[serde(default)]
    priority: Option<i64>,
    #[serde(default)]
    created_date_time: Option<String>,
}

impl EspOrder {
    /// The order of `client`'s process.
    pub fn of(client: &GraphClient) -> Arc<EspOrder> {
        SHARED
            .get_or_init(PerClient::default)
            .get(per_client::key(client))
    }

    fn wanted(&self) -> std::sync::MutexGuard<'_, Wanted> {
        self.wanted.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes the lock every ESP write of the process holds.
    pub async fn lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.writes.lock().await
    }

    /// Announces a create that wants `priority`.
    pub fn announce(self: &Arc<Self>, priority: i64) -> Announced {
        let mut wanted = self.wanted();
        wanted.next += 1;
        let token = wanted.next;
        wanted.pending.insert(token, priority);
        Announced {
            order: self.clone(),
            token,
            priority,
        }
    }

    /// The announced create made the ESP `id`.
    pub fn created(&self, announced: Announced, id: &str) {
        self.want(id, announced.priority);
        drop(announced);
    }

    /// The ESP `id` wants `priority`.
    pub fn want(&self, id: &str, priority: i64) {
        let mut wanted = self.wanted();
        wanted.next += 1;
        let sequence = wanted.next;
        wanted.by_id.insert(id.to_string(), (priority, sequence));
    }

    /// The ESP `id` is being deleted.
    pub fn forget(&self, id: &str) {
        self.wanted().by_id.remove(id);
    }

    /// How many announced creates have not finished.
    pub fn pending_creates(&self) -> usize {
        self.wanted().pending.len()
    }

    /// The custom ESPs with their priorities, in priority order.
    pub async fn current(client: &GraphClient) -> Result<Vec<Placed>, GraphError> {
        let listed: Vec<Listed> = client.list(ApiVersion::Beta, COLLECTION).await?;
        let mut esps: Vec<(i64, String, String)> = listed
            .into_iter()
            .filter(|l| l.odata_type.as_deref() == Some(ODATA_TYPE) && !is_default_esp(&l.id))
            .map(|l| {
                (
                    l.priority.unwrap_or(0),
                    l.created_date_time.unwrap_or_default(),
                    l.id,
                )
            })
            .collect();
        esps.sort();
        Ok(esps
            .into_iter()
            .map(|(priority, _, id)| Placed { priority, id })
            .collect())
    }

    /// Moves the custom ESPs (with `setPriority`) to the order
    /// [`target_order`] gives for the wanted priorities; call it holding
    /// [`lock`](Self::lock). Returns the order Graph should now hold.
    pub async fn arrange(&self, client: &GraphClient) -> Result<Vec<Placed>, GraphError> {
        let current = Self::current(client).await?;
        let wanted = self.wanted().by_id.clone();
        let target = target_order(&current, &wanted);
        for (position, id) in moves(&current, &target) {
            let priority = current[position].priority;
            tracing::info!(%id, priority, "moving the Enrollment Status Page");
            set_priority(client, &id, priority).await?;
        }
        Ok(target)
    }

    /// Moves the ESP `id` after every other one, so that deleting it
    /// leaves no gap: Intune never gives a freed priority again. Call it
    /// holding [`lock`](Self::lock).
    pub async fn move_last(client: &GraphClient, id: &str) -> Result<(), GraphError> {
        let current = Self::current(client).await?;
        match current.last() {
            Some(last) if last.id != id && current.iter().any(|p| p.id == id) => {
                set_priority(client, id, last.priority).await
            }
            _ => Ok(()),
        }
    }
}

/// `setPriority` on one ESP.
pub async fn set_priority(client: &GraphClient, id: &str, priority: i64) -> Result<(), GraphError> {
    client
        .post_action(
            ApiVersion::Beta,
            &format!("{COLLECTION}/{id}/setPriority"),
            &PriorityBody { priority },
        )
        .await
}

/// The order the ESPs should have: the priorities stay the ones Graph
/// holds (`setPriority` only moves an ESP to one of them); each ESP with a
/// wanted priority among them gets it (the later write wins a tie); the
/// others fill the remaining ones in order of their wanted priority (ESPs
/// wanting one that does not exist) or their current one (ESPs nobody
/// wants anywhere, which so keep their relative order).
pub fn target_order(current: &[Placed], wanted: &BTreeMap<String, (i64, u64)>) -> Vec<Placed> {
    let mut slots: Vec<Option<String>> = vec![None; current.len()];
    let mut managed: Vec<(&str, i64, u64)> = current
        .iter()
        .filter_map(|p| {
            wanted
                .get(&p.id)
                .map(|(priority, sequence)| (p.id.as_str(), *priority, *sequence))
        })
        .collect();
    managed.sort_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2)));
    let mut rest: Vec<(i64, u8, usize, &str)> = Vec::new();
    for (id, priority, _) in &managed {
        match current
            .iter()
            .position(|p| p.priority == *priority)
            .filter(|i| slots[*i].is_none())
        {
            Some(i) => slots[i] = Some((*id).to_string()),
            None => rest.push((*priority, 0, 0, id)),
        }
    }
    for (position, placed) in current.iter().enumerate() {
        if !wanted.contains_key(&placed.id) {
            rest.push((placed.priority, 1, position, &placed.id));
        }
    }
    rest.sort();
    let mut rest = rest.into_iter().map(|(_, _, _, id)| id.to_string());
    current
        .iter()
        .zip(slots)
        .map(|(placed, slot)| Placed {
            priority: placed.priority,
            id: slot.or_else(|| rest.next()).unwrap_or_default(),
        })
        .collect()
}

/// The `setPriority` calls that turn `current` into `target`, in order:
/// (position in `current`, ESP id). Filling the positions from the first,
/// each move only shifts ESPs at later positions, as `setPriority` does.
pub fn moves(current: &[Placed], target: &[Placed]) -> Vec<(usize, String)> {
    let mut order: Vec<&str> = current.iter().map(|p| p.id.as_str()).collect();
    let mut out = Vec::new();
    for (position, wanted) in target.iter().enumerate() {
        if order.get(position) == Some(&wanted.id.as_str()) {
            continue;
        }
        let Some(from) = order.iter().position(|id| *id == wanted.id) else {
            continue;
        };
        let moved = order.remove(from);
        order.insert(position, moved);
        out.push((position, wanted.id.clone()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placed(list: &[(i64, &str)]) -> Vec<Placed> {
        list.iter()
            .map(|(priority, id)| Placed {
                priority: *priority,
                id: (*id).to_string(),
            })
            .collect()
    }

    fn wants(list: &[(&str, i64)]) -> BTreeMap<String, (i64, u64)> {
        list.iter()
            .enumerate()
            .map(|(i, (id, p))| ((*id).to_string(), (*p, i as u64)))
            .collect()
    }

    fn ids(list: &[Placed]) -> Vec<&str> {
        list.iter().map(|p| p.id.as_str()).collect()
    }

    /// Applies the moves as Intune's `setPriority` does.
    fn apply(current: &[Placed], moves: &[(usize, String)]) -> Vec<String> {
        let mut order: Vec<String> = current.iter().map(|p| p.id.clone()).collect();
        for (position, id) in moves {
            let from = order.iter().position(|o| o == id).expect("present");
            let moved = order.remove(from);
            order.insert(*position, moved);
        }
        order
    }

    #[test]
    fn created_in_reverse_order_ends_in_the_wanted_order() {
        // C (3) was created first, then B (2), then A (1): each append.
        let current = placed(&[(1, "c"), (2, "b"), (3, "a")]);
        let target = target_order(&current, &wants(&[("a", 1), ("b", 2), ("c", 3)]));
        assert_eq!(ids(&target), ["a", "b", "c"]);
        let moves = moves(&current, &target);
        assert_eq!(apply(&current, &moves), ["a", "b", "c"]);
        assert_eq!(moves.len(), 2);
    }

    #[test]
    fn an_unreachable_priority_waits_at_the_end() {
        // Only C exists yet; it wants 3.
        let current = placed(&[(1, "c")]);
        let target = target_order(&current, &wants(&[("c", 3)]));
        assert_eq!(target, placed(&[(1, "c")]));
        // A (1) arrives: C stays after it.
        let current = placed(&[(1, "c"), (2, "a")]);
        let target = target_order(&current, &wants(&[("c", 3), ("a", 1)]));
        assert_eq!(ids(&target), ["a", "c"]);
    }

    #[test]
    fn others_keep_their_relative_order_in_the_free_priorities() {
        let current = placed(&[(1, "u1"), (2, "x"), (3, "u2"), (4, "y")]);
        let target = target_order(&current, &wants(&[("y", 1), ("x", 3)]));
        assert_eq!(ids(&target), ["y", "u1", "x", "u2"]);
        assert_eq!(
            apply(&current, &moves(&current, &target)),
            ["y", "u1", "x", "u2"]
        );
    }

    #[test]
    fn a_reorder_swaps_and_the_later_write_wins_a_tie() {
        let current = placed(&[(1, "a"), (2, "b"), (3, "c")]);
        let target = target_order(&current, &wants(&[("a", 3), ("b", 1), ("c", 2)]));
        assert_eq!(ids(&target), ["b", "c", "a"]);
        assert_eq!(apply(&current, &moves(&current, &target)), ["b", "c", "a"]);
        // Both want 1: "b" was written later.
        let target = target_order(&current, &wants(&[("a", 1), ("b", 1)]));
        assert_eq!(ids(&target), ["b", "a", "c"]);
    }

    #[test]
    fn gaps_are_kept_and_a_missing_priority_takes_the_nearest() {
        // Priority 1 was deleted elsewhere: Intune never gives it again.
        let current = placed(&[(2, "a"), (3, "b"), (4, "c")]);
        let target = target_order(&current, &wants(&[("c", 1)]));
        assert_eq!(target, placed(&[(2, "c"), (3, "a"), (4, "b")]));
    }

    #[test]
    fn nothing_to_do_means_no_moves() {
        let current = placed(&[(1, "a"), (2, "b")]);
        let target = target_order(&current, &wants(&[("a", 1)]));
        assert!(moves(&current, &target).is_empty());
    }
}
