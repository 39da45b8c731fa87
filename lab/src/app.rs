//! State shared by every handler of one lab instance.

use std::collections::HashMap;
use std::sync::Arc;

use crate::sync::Lock;
use std::time::{Duration, Instant};

use crate::auth::assertion::AssertionTrust;
use crate::auth::device_code::DeviceCodes;
use crate::auth::tokens::TokenStore;
use crate::clock::Clock;
use crate::config::LabConfig;
use crate::faults::Faults;
use crate::request_log::RequestLog;
use crate::settings::SharedSettings;
use crate::store::Store;
use crate::throttle::Throttle;

/// One emulated tenant and everything around it.
#[derive(Debug)]
pub struct App {
    pub config: LabConfig,
    /// `http://127.0.0.1:PORT`, no trailing slash; base of `@odata.context` and `@odata.nextLink`.
    pub graph_url: String,
    pub store: Store,
    pub tokens: TokenStore,
    pub log: RequestLog,
    pub clock: Clock,
    pub settings: SharedSettings,
    pub throttle: Throttle,
    pub faults: Faults,
    pub replication: Replication,
    /// Application roles granted to the client.
    pub roles: Vec<String>,
    /// Certificates and federated credentials registered on the client.
    pub trust: AssertionTrust,
    /// Device codes handed out and the refresh tokens of signed-in users.
    pub device_codes: DeviceCodes,
}

pub type SharedApp = Arc<App>;

/// Directory objects that have not replicated yet: invisible to reads until their instant.
#[derive(Debug, Default)]
pub struct Replication {
    pending: Lock<HashMap<String, Instant>>,
}

impl Replication {
    /// Hides `id` for `delay` (nothing when the delay is zero).
    pub fn created(&self, id: &str, delay: Duration) {
        if delay.is_zero() {
            return;
        }
        self.pending
            .lock()
            .insert(id.to_owned(), Instant::now() + delay);
    }

    /// Whether `id` is visible (replicated) now.
    pub fn visible(&self, id: &str) -> bool {
        let mut pending = self.pending.lock();
        match pending.get(id) {
            None => true,
            Some(until) if *until <= Instant::now() => {
                pending.remove(id);
                true
            }
            Some(_) => false,
        }
    }

    pub fn clear(&self) {
        self.pending.lock().clear();
    }
}
