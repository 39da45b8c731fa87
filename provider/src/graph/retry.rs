//! When and how long to wait before sending a request again.
//!
//! Graph asks clients to wait exactly `Retry-After` on 429 (and 503/504 may
//! carry it too); without it, waits grow exponentially with full jitter.
//! Every wait is bounded by the operation's deadline.

use std::time::{Duration, SystemTime};

/// Retry settings of one client.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// The longest an operation (all its attempts and waits) may take.
    pub deadline: Duration,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// Graph sometimes sends `Retry-After: 0`; never retry faster than this.
    pub min_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            deadline: Duration::from_secs(600),
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            min_delay: Duration::from_millis(50),
        }
    }
}

/// Statuses that say "not now": throttled or temporarily unavailable.
pub(super) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 503 | 504)
}

/// Statuses by which Graph says it did not process the request (throttled,
/// or unavailable before doing anything): safe to send again, any method.
pub(super) fn is_not_processed(status: u16) -> bool {
    matches!(status, 429 | 503)
}

/// Whether Graph may or may not have applied a request that failed with
/// `status`: a gateway's 502 or 504, or a 500 without Graph's error body (a
/// proxy's page, an empty body) can come after the change committed.
///
/// A 500 that carries Graph's error body (`graph_error_body`) is the
/// service's own answer: it processed the request and failed it, and the
/// same request gets the same answer again (Intune answers a deployment
/// profile name it refuses with such a 500 every time: KelvinTegelaar/CIPP-API
/// `Test-CIPPAutopilotProfileName.ps1`). It is a decided failure, not
/// resent; Microsoft's Graph SDKs do not retry 500 either (their retry
/// handlers retry 429, 503 and 504 only, e.g. microsoft-graph-client
/// `RetryHandler.ts`).
pub(super) fn is_outcome_unknown(status: u16, graph_error_body: bool) -> bool {
    match status {
        502 | 504 => true,
        500 => !graph_error_body,
        _ => false,
    }
}

/// Reads `Retry-After` as seconds (fractions allowed) or an HTTP date.
pub(super) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let date = httpdate_parse(value)?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

fn httpdate_parse(value: &str) -> Option<SystemTime> {
    // IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
    let parsed = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let secs = u64::try_from(parsed.timestamp()).ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1` (attempt counts from 0).
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>, jitter: f64) -> Duration {
        if let Some(wait) = retry_after {
            return wait.max(self.min_delay);
        }
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt.min(16)));
        let capped = exp.min(self.max_delay);
        // Full jitter: anywhere in [min_delay, capped].
        let jittered = capped.mul_f64(jitter.clamp(0.0, 1.0));
        jittered.max(self.min_delay)
    }
}

/// A fresh jitter factor in [0, 1).
pub(super) fn jitter() -> f64 {
    let bytes = uuid::Uuid::new_v4().as_u128();
    (bytes % 1_000_000) as f64 / 1_000_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_fractions() {
        let now = SystemTime::now();
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("0.25", now),
            Some(Duration::from_millis(250))
        );
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn retry_after_http_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:27 GMT", now),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn retry_after_is_honoured_exactly_but_never_zero() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.delay(5, Some(Duration::from_millis(1500)), 0.5),
            Duration::from_millis(1500)
        );
        assert_eq!(policy.delay(0, Some(Duration::ZERO), 0.5), policy.min_delay);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay(0, None, 1.0), Duration::from_millis(500));
        assert_eq!(policy.delay(3, None, 1.0), Duration::from_secs(4));
        assert_eq!(policy.delay(30, None, 1.0), Duration::from_secs(30));
        assert!(policy.delay(3, None, 0.5) <= Duration::from_secs(2));
    }

    #[test]
    fn throttling_is_not_processed_but_a_gateway_timeout_is_unknown() {
        assert!(is_not_processed(429) && is_not_processed(503));
        assert!(!is_not_processed(504));
        assert!(is_outcome_unknown(504, true) && is_outcome_unknown(500, false));
        assert!(!is_outcome_unknown(429, false) && !is_outcome_unknown(404, false));
    }

    #[test]
    fn a_500_with_graphs_error_body_is_a_decided_failure() {
        assert!(!is_outcome_unknown(500, true));
        assert!(is_outcome_unknown(502, true));
    }
}
