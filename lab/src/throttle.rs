//! Throttling as Graph documents it: budgets per app per tenant, counted over sliding windows.
//!
//! * Each Intune service family (device enrollment, device configuration, configuration
//!   policies, Autopilot, apps, scripts) has its own budget: 1,000 requests and 100 writes per
//!   20 s per app per tenant.
//! * The directory (groups, service principals, users) has one budget: 3,500 requests per 10 s
//!   and 3,000 writes per 150 s per app per tenant (the "S" tenant size).
//!
//! Refused requests do not count against the budget, so a client that waits `Retry-After` gets
//! through.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use crate::settings::ThrottleLimits;
use crate::sync::Lock;

/// The budget a request draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// An Intune service family, by name (`deviceEnrollment`, `deviceConfiguration`, ...).
    Intune(&'static str),
    Directory,
}

impl Family {
    pub fn name(self) -> &'static str {
        match self {
            Family::Intune(name) => name,
            Family::Directory => "directory",
        }
    }
}

/// (app id, family, writes only) to the instants counted in the current window.
type Windows = HashMap<(String, &'static str, bool), VecDeque<Instant>>;

#[derive(Debug, Default)]
pub struct Throttle {
    windows: Lock<Windows>,
}

impl Throttle {
    /// Admits the request (and counts it) or says how long to wait.
    pub fn admit(
        &self,
        app_id: &str,
        family: Family,
        write: bool,
        limits: &ThrottleLimits,
        now: Instant,
    ) -> Result<(), Duration> {
        let mut budgets: Vec<(bool, u32, Duration)> = Vec::with_capacity(2);
        match family {
            Family::Intune(_) => {
                let window = Duration::from_millis(limits.intune_window_ms);
                budgets.push((false, limits.intune_requests, window));
                if write {
                    budgets.push((true, limits.intune_writes, window));
                }
            }
            Family::Directory => {
                budgets.push((
                    false,
                    limits.directory_requests,
                    Duration::from_millis(limits.directory_window_ms),
                ));
                if write {
                    budgets.push((
                        true,
                        limits.directory_writes,
                        Duration::from_millis(limits.directory_write_window_ms),
                    ));
                }
            }
        }
        let mut windows = self.windows.lock();
        let mut wait = Duration::ZERO;
        for (is_write, limit, window) in &budgets {
            let log = windows
                .entry((app_id.to_owned(), family.name(), *is_write))
                .or_default();
            while log
                .front()
                .is_some_and(|t| now.duration_since(*t) >= *window)
            {
                log.pop_front();
            }
            let limit = usize::try_from(*limit).unwrap_or(usize::MAX);
            if log.len() >= limit {
                // The (len - limit)th entry has to leave the window first.
                let until = log
                    .get(log.len() - limit)
                    .map(|t| (*t + *window).saturating_duration_since(now))
                    .unwrap_or(*window);
                wait = wait.max(until);
            }
        }
        if !wait.is_zero() || budgets.iter().any(|(_, limit, _)| *limit == 0) {
            return Err(wait.max(Duration::from_millis(1)));
        }
        for (is_write, _, _) in &budgets {
            windows
                .entry((app_id.to_owned(), family.name(), *is_write))
                .or_default()
                .push_back(now);
        }
        Ok(())
    }

    /// Forgets every counted request.
    pub fn clear(&self) {
        self.windows.lock().clear();
    }
}

/// `Retry-After` in whole seconds, rounded up, at least 1.
pub fn retry_after_seconds(wait: Duration) -> u64 {
    let millis = wait.as_millis();
    u64::try_from(millis.div_ceil(1000))
        .unwrap_or(u64::MAX)
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_have_their_own_budget_and_refusals_do_not_count() {
        let limits = ThrottleLimits {
            intune_requests: 5,
            intune_writes: 2,
            intune_window_ms: 1000,
            ..ThrottleLimits::default()
        };
        let t = Throttle::default();
        let start = Instant::now();
        let family = Family::Intune("autopilot");
        assert!(t.admit("app", family, true, &limits, start).is_ok());
        assert!(t.admit("app", family, true, &limits, start).is_ok());
        let wait = t.admit("app", family, true, &limits, start).unwrap_err();
        assert_eq!(wait, Duration::from_millis(1000));
        // Reads still pass until the request budget is used.
        for _ in 0..3 {
            assert!(t.admit("app", family, false, &limits, start).is_ok());
        }
        assert!(t.admit("app", family, false, &limits, start).is_err());
        // Another family and another app have their own budgets.
        assert!(
            t.admit("app", Family::Intune("apps"), true, &limits, start)
                .is_ok()
        );
        assert!(t.admit("other", family, true, &limits, start).is_ok());
        // After the window the budget is back.
        let later = start + Duration::from_millis(1000);
        assert!(t.admit("app", family, true, &limits, later).is_ok());
        assert_eq!(retry_after_seconds(Duration::from_millis(1001)), 2);
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
    }
}
