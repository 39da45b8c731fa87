//! The deadline of the resource operation a request belongs to: a
//! resource's `timeouts.create` (or read, update, delete) set around the
//! operation by [`within`], and honoured by every request, retry, budget
//! wait and pause of the client while it runs. Past the deadline the client
//! sends nothing more and answers [`GraphError::TimedOut`] naming the
//! timeout, so the resource reports it at `timeouts.<operation>`.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use super::GraphError;

/// The time one resource operation may take.
#[derive(Debug, Clone, Copy)]
pub struct OperationDeadline {
    /// The timeout's name in the `timeouts` block: `create`, `read`,
    /// `update` or `delete`.
    pub operation: &'static str,
    /// The whole time allowed, for messages.
    pub budget: Duration,
    at: Instant,
}

impl OperationDeadline {
    /// A deadline `budget` from now.
    pub fn after(operation: &'static str, budget: Duration) -> Self {
        OperationDeadline {
            operation,
            budget,
            at: Instant::now() + budget,
        }
    }

    /// The instant it passes.
    pub fn at(&self) -> Instant {
        self.at
    }

    /// Whether waiting `wait` from now would end past the deadline.
    pub fn exceeded_by(&self, wait: Duration) -> bool {
        Instant::now() + wait > self.at
    }

    /// The error for `what` (e.g. "GET deviceManagement/...") refused
    /// because the deadline passed or would pass.
    pub fn error(&self, what: impl Into<String>) -> GraphError {
        GraphError::TimedOut {
            operation: self.operation,
            budget: self.budget,
            what: what.into(),
        }
    }
}

/// The deadline of the operation running, and whether it has refused a
/// request or a wait.
struct Scope {
    deadline: OperationDeadline,
    refused: Arc<AtomicBool>,
}

tokio::task_local! {
    static CURRENT: Scope;
}

/// How an operation run [`within`] its deadline ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Nothing was refused for lack of time.
    InTime,
    /// The deadline passed, or a request or wait was refused because it
    /// would have ended past it.
    RanOut,
}

/// Runs `operation` with `deadline` in force for every Graph request it
/// makes (in this task), and says whether the time ran out.
pub async fn within<F: Future>(deadline: OperationDeadline, operation: F) -> (F::Output, Ended) {
    let refused = Arc::new(AtomicBool::new(false));
    let scope = Scope {
        deadline,
        refused: refused.clone(),
    };
    let output = CURRENT.scope(scope, operation).await;
    let ended = if refused.load(Ordering::Relaxed) || deadline.exceeded_by(Duration::ZERO) {
        Ended::RanOut
    } else {
        Ended::InTime
    };
    (output, ended)
}

/// The deadline in force, if the current operation has one.
pub fn current() -> Option<OperationDeadline> {
    CURRENT.try_with(|scope| scope.deadline).ok()
}

/// The error for `what`, refused for lack of time by the deadline in
/// force (`None` without one); the operation is marked as having run out.
pub(super) fn refuse(what: impl Into<String>) -> Option<GraphError> {
    CURRENT
        .try_with(|scope| {
            scope.refused.store(true, Ordering::Relaxed);
            scope.deadline.error(what)
        })
        .ok()
}

/// Whether the deadline in force, if any, has passed.
pub fn has_run_out() -> bool {
    current().is_some_and(|deadline| deadline.exceeded_by(Duration::ZERO))
}

/// `Err(TimedOut)` when waiting `wait` for `what` would end past the
/// deadline in force.
pub(super) fn check(wait: Duration, what: impl FnOnce() -> String) -> Result<(), GraphError> {
    match current() {
        Some(deadline) if deadline.exceeded_by(wait) => {
            Err(refuse(what()).unwrap_or_else(|| deadline.error("")))
        }
        _ => Ok(()),
    }
}

/// A duration as a `timeouts` block writes it: `90s` as `1m30s`.
pub fn display_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    let (hours, minutes, seconds) = (seconds / 3_600, seconds / 60 % 60, seconds % 60);
    let mut text = String::new();
    if hours > 0 {
        text.push_str(&format!("{hours}h"));
    }
    if minutes > 0 {
        text.push_str(&format!("{minutes}m"));
    }
    if seconds > 0 || text.is_empty() {
        text.push_str(&format!("{seconds}s"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_deadline_holds_only_within_its_operation() {
        assert!(current().is_none());
        let deadline = OperationDeadline::after("create", Duration::from_secs(5));
        let (_, ended) = within(deadline, async {
            assert!(check(Duration::from_secs(4), String::new).is_ok());
            tokio::time::advance(Duration::from_secs(2)).await;
            let refused = check(Duration::from_secs(4), || "waiting".into());
            assert!(matches!(
                refused,
                Err(GraphError::TimedOut {
                    operation: "create",
                    ..
                })
            ));
        })
        .await;
        assert_eq!(
            ended,
            Ended::RanOut,
            "a refused wait is the time running out"
        );
        assert!(check(Duration::from_secs(3_600), String::new).is_ok());
        let (_, ended) = within(deadline_after(5), async {
            assert!(check(Duration::from_secs(1), String::new).is_ok());
        })
        .await;
        assert_eq!(ended, Ended::InTime);
    }

    fn deadline_after(seconds: u64) -> OperationDeadline {
        OperationDeadline::after("read", Duration::from_secs(seconds))
    }

    #[test]
    fn durations_display_as_written() {
        assert_eq!(display_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(display_duration(Duration::from_secs(3_600)), "1h");
        assert_eq!(display_duration(Duration::ZERO), "0s");
    }
}
