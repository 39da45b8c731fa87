//! Time as the lab reports it.

use chrono::{DateTime, Duration, Utc};

use crate::sync::Lock;

/// A wall clock that never returns the same instant twice, so `lastModifiedDateTime` always moves
/// forward on a change even when two requests land in the same tick. It is also the one place to
/// add a time offset for "time travel" later.
#[derive(Debug)]
pub struct Clock {
    last: Lock<DateTime<Utc>>,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            last: Lock::new(DateTime::<Utc>::MIN_UTC),
        }
    }
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        let mut last = self.last.lock();
        let mut now = Utc::now();
        if now <= *last {
            // Graph timestamps carry 100 ns ticks.
            now = *last + Duration::nanoseconds(100);
        }
        *last = now;
        now
    }
}

/// `2025-02-13T10:21:18.1234567Z`: the DateTimeOffset form Intune returns (7 fractional digits).
pub fn graph_timestamp(t: DateTime<Utc>) -> String {
    format!(
        "{}.{:07}Z",
        t.format("%Y-%m-%dT%H:%M:%S"),
        t.timestamp_subsec_nanos() / 100
    )
}

/// `2025-02-13T10:21:18`: the `innerError.date` form (no fraction, no zone suffix).
pub fn inner_error_date(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// `2025-02-13 10:21:18Z`: the `timestamp` form of Entra token errors.
pub fn entra_timestamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn formats() {
        let t = Utc.with_ymd_and_hms(2025, 2, 13, 10, 21, 18).unwrap()
            + Duration::nanoseconds(123_456_789);
        assert_eq!(graph_timestamp(t), "2025-02-13T10:21:18.1234567Z");
        assert_eq!(inner_error_date(t), "2025-02-13T10:21:18");
        assert_eq!(entra_timestamp(t), "2025-02-13 10:21:18Z");
    }

    #[test]
    fn strictly_increasing() {
        let clock = Clock::default();
        let a = clock.now();
        let b = clock.now();
        assert!(b > a);
    }
}
