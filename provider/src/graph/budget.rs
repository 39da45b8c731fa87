//! Client-side request budgets, so the provider stays under Graph's
//! documented per-app limits by itself instead of collecting 429s.
//!
//! Intune (deviceManagement, deviceAppManagement): 1,000 requests and 100
//! writes per 20 seconds per app per tenant. Directory (groups, service
//! principals, users): a separate budget. Each is a sliding window over
//! send times, kept a little below the published figure so that network
//! jitter cannot push the server's count over it.

use std::collections::VecDeque;
use std::time::Duration;

use reqwest::Method;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// Which Graph service a path is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Bucket {
    Intune,
    Directory,
    Other,
}

impl Bucket {
    pub(super) fn of(path: &str) -> Bucket {
        let first = path
            .trim_start_matches('/')
            .split(['/', '?', '('])
            .next()
            .unwrap_or_default();
        match first.to_ascii_lowercase().as_str() {
            "devicemanagement" | "deviceappmanagement" => Bucket::Intune,
            "groups" | "serviceprincipals" | "users" | "directoryobjects" | "applications" => {
                Bucket::Directory
            }
            _ => Bucket::Other,
        }
    }
}

/// At most `limit` events in any `period`.
struct Window {
    limit: usize,
    period: Duration,
    sent: VecDeque<Instant>,
}

impl Window {
    fn new(limit: usize, period: Duration) -> Self {
        Window {
            limit,
            period,
            sent: VecDeque::with_capacity(limit),
        }
    }

    /// How long until one more event fits (zero: it fits now).
    fn wait(&mut self, now: Instant) -> Duration {
        while self
            .sent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.period)
        {
            self.sent.pop_front();
        }
        if self.sent.len() < self.limit {
            Duration::ZERO
        } else {
            self.sent.front().map_or(Duration::ZERO, |oldest| {
                self.period - now.duration_since(*oldest)
            })
        }
    }
}

/// The budgets of one client (one app in one tenant).
pub(super) struct Budgets {
    intune_all: Mutex<Window>,
    intune_writes: Mutex<Window>,
    directory: Mutex<Window>,
}

impl Default for Budgets {
    fn default() -> Self {
        let period = Duration::from_secs(20);
        Budgets {
            // 95% of 1,000 and of 100 per 20 s.
            intune_all: Mutex::new(Window::new(950, period)),
            intune_writes: Mutex::new(Window::new(95, period)),
            // Directory writes and reads share one budget here.
            directory: Mutex::new(Window::new(2_500, Duration::from_secs(10))),
        }
    }
}

fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A request counted against the budgets, to be [settled](Budgets::settle)
/// once its answer is in.
#[derive(Debug, Clone, Copy)]
pub(super) struct Spent {
    at: Instant,
    bucket: Bucket,
    write: bool,
}

impl Budgets {
    fn windows(&self, bucket: Bucket, write: bool) -> Vec<&Mutex<Window>> {
        match bucket {
            Bucket::Intune if write => vec![&self.intune_all, &self.intune_writes],
            Bucket::Intune => vec![&self.intune_all],
            Bucket::Directory => vec![&self.directory],
            Bucket::Other => Vec::new(),
        }
    }

    /// Waits until the request fits every budget it counts against, then
    /// records it.
    pub(super) async fn acquire(&self, method: &Method, path: &str) -> Spent {
        let bucket = Bucket::of(path);
        let write = is_write(method);
        let windows = self.windows(bucket, write);
        loop {
            let mut guards = Vec::with_capacity(windows.len());
            for window in &windows {
                guards.push(window.lock().await);
            }
            let now = Instant::now();
            let wait = guards
                .iter_mut()
                .map(|g| g.wait(now))
                .max()
                .unwrap_or(Duration::ZERO);
            if wait.is_zero() {
                for guard in &mut guards {
                    guard.sent.push_back(now);
                }
                return Spent {
                    at: now,
                    bucket,
                    write,
                };
            }
            drop(guards);
            tracing::debug!(
                wait_ms = wait.as_millis() as u64,
                path,
                "client-side budget full; waiting"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// Moves a request's mark from when it was sent to when its answer
    /// came. Graph counts a request when it arrives, which on a busy
    /// machine or network can be well after it was sent: counting from the
    /// answer keeps the client's window at least as full as Graph's.
    pub(super) async fn settle(&self, spent: Spent) {
        let now = Instant::now();
        for window in self.windows(spent.bucket, spent.write) {
            let mut window = window.lock().await;
            if let Some(mark) = window.sent.iter_mut().find(|t| **t == spent.at) {
                *mark = now;
                window.sent.make_contiguous().sort();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_buckets() {
        assert_eq!(
            Bucket::of("deviceManagement/deviceConfigurations"),
            Bucket::Intune
        );
        assert_eq!(Bucket::of("/groups/abc/owners/$ref"), Bucket::Directory);
        assert_eq!(
            Bucket::of("servicePrincipals(appId='x')"),
            Bucket::Directory
        );
        assert_eq!(Bucket::of("$batch"), Bucket::Other);
    }

    #[tokio::test(start_paused = true)]
    async fn slow_answers_keep_their_requests_in_the_window_longer() {
        let budgets = Budgets::default();
        let start = Instant::now();
        let mut spent = Vec::new();
        for _ in 0..95 {
            spent.push(budgets.acquire(&Method::POST, "deviceManagement/x").await);
        }
        // Every answer comes 5 s after its request was sent: Graph may have
        // counted them as late as that.
        tokio::time::advance(Duration::from_secs(5)).await;
        for s in spent {
            budgets.settle(s).await;
        }
        budgets.acquire(&Method::POST, "deviceManagement/x").await;
        assert_eq!(
            Instant::now().duration_since(start),
            Duration::from_secs(25),
            "the 96th write waits for the window counted from the answers"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn writes_beyond_the_budget_wait_for_the_window() {
        let budgets = Budgets::default();
        let start = Instant::now();
        for _ in 0..95 {
            budgets.acquire(&Method::POST, "deviceManagement/x").await;
        }
        assert_eq!(Instant::now(), start, "the first 95 writes go at once");
        budgets.acquire(&Method::POST, "deviceManagement/x").await;
        assert_eq!(
            Instant::now().duration_since(start),
            Duration::from_secs(20)
        );
        // Reads were not held back by the write budget's wait beyond their own.
        // (Marks are settled by the client after each answer.)
        budgets.acquire(&Method::GET, "deviceManagement/x").await;
        assert_eq!(
            Instant::now().duration_since(start),
            Duration::from_secs(20)
        );
    }
}
