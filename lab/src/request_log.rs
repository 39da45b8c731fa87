//! The log of Graph and token requests served, exposed at `/_lab/requests`.

use crate::sync::Lock;
use std::collections::VecDeque;

use serde::Serialize;

/// At most this many entries are kept; the oldest are dropped first.
pub const MAX_ENTRIES: usize = 100_000;

/// One served request.
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    pub method: String,
    /// The raw (not percent-decoded) path.
    pub path: String,
    /// The raw query string, or `null`.
    pub query: Option<String>,
    pub status: u16,
    pub duration_ms: u64,
    pub request_id: String,
    pub client_request_id: String,
    /// Arrival time, `2025-02-13T10:21:18.1234567Z`.
    pub time: String,
    /// `<rule id>:<status|status_after_commit|drop>` when a fault rule fired.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
    /// The JSON body of a Graph POST, PUT or PATCH, recorded only with the
    /// `record_request_bodies` setting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
}

#[derive(Debug, Default)]
pub struct RequestLog {
    entries: Lock<VecDeque<LogEntry>>,
}

impl RequestLog {
    pub fn push(&self, entry: LogEntry) {
        let mut entries = self.entries.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    /// All entries in arrival order.
    pub fn entries(&self) -> Vec<LogEntry> {
        self.entries.lock().iter().cloned().collect()
    }

    pub fn clear(&self) {
        self.entries.lock().clear();
    }
}
