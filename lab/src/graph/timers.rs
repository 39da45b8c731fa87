//! Work the lab finishes later (device deletions, managed device releases, imports): checked
//! before each Graph request, and done in one store write once it is due.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::app::App;
use crate::store::{StoreError, Tenant};

/// Deadlines by object id.
pub type Timers = BTreeMap<String, DateTime<Utc>>;

/// Runs `complete` in one store write when `is_due` finds work due (read first, so that an idle
/// lab never writes), and logs how much it did as `what` (e.g. "managed device releases").
pub fn complete_due(
    app: &App,
    what: &'static str,
    is_due: impl FnOnce(&Tenant) -> bool,
    complete: impl FnOnce(&mut Tenant) -> usize,
) {
    if !app.store.read(is_due) {
        return;
    }
    match app
        .store
        .write(|tenant| Ok::<_, StoreError>(complete(tenant)))
    {
        Ok(completed) => tracing::info!(completed, "{what} completed"),
        Err(error) => tracing::error!(%error, "{what} could not be completed"),
    }
}

/// Completes, with `complete` (which also removes the timer), every object whose deadline in
/// `timers` has passed.
pub fn complete_due_timers(
    app: &App,
    what: &'static str,
    timers: fn(&Tenant) -> &Timers,
    complete: fn(&mut Tenant, &str),
) {
    let now = Utc::now();
    complete_due(
        app,
        what,
        |tenant| timers(tenant).values().any(|until| *until <= now),
        |tenant| {
            let done: Vec<String> = timers(tenant)
                .iter()
                .filter(|(_, until)| **until <= now)
                .map(|(id, _)| id.clone())
                .collect();
            for id in &done {
                complete(tenant, id);
            }
            done.len()
        },
    )
}
