//! The time an operation on devices may take: a deadline from the
//! resource's timeout, and waits that end at it or when Terraform asks the
//! provider to stop.

use std::time::Duration;

use tokio::time::Instant;

use super::import::ImportError;
use crate::graph::{GraphClient, GraphError};

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
            // The operation's timeout (the same time, or shorter) ran out.
            Err(GraphError::TimedOut { .. }) => Wait::Expired,
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
    pub(crate) fn error(self, deadline: &Deadline) -> Option<ImportError> {
        match self {
            Wait::Over => None,
            Wait::Expired => Some(ImportError::TimedOut(deadline.budget())),
            Wait::Stopped => Some(ImportError::Stopped),
        }
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
}
