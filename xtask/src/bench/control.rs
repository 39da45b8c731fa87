//! What the benchmarks ask of a lab directly: its control API (`/_lab/settings`, `/_lab/faults`,
//! `/_lab/requests`) and the Graph writes that register devices in bulk.
//!
//! No secret or token is ever part of an error message.

use std::time::Duration;

use anyhow::{Context, Result};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use lab_client::Method;
use serde_json::{Value, json};

use crate::lab::LabInfo;

const IMPORT_CHUNK: usize = 500;
pub(super) const IMPORT_PATH: &str =
    "/beta/deviceManagement/importedWindowsAutopilotDeviceIdentities";
pub(super) const IDENTITIES_PATH: &str = "/beta/deviceManagement/windowsAutopilotDeviceIdentities";
/// The header Get-WindowsAutopilotInfo writes (the provider accepts exactly this).
pub(super) const CSV_HEADER: &str =
    "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User";

/// How long one call to the lab may take (a bulk import takes a while).
const CALL_TIMEOUT: Duration = Duration::from_secs(120);

/// A lab's control API and Graph, with a token of its client.
pub(super) struct LabClient {
    lab: lab_client::LabClient,
}

impl LabClient {
    pub(super) fn connect(info: &LabInfo) -> Result<Self> {
        let lab = lab_client::LabClient::new(info, CALL_TIMEOUT);
        lab.token()?;
        Ok(Self { lab })
    }

    /// `GET /_lab/<what>`.
    pub(super) fn get_control(&self, what: &str) -> Result<Value> {
        Ok(self.lab.control(Method::GET, what, None)?)
    }

    pub(super) fn settings(&self, settings: &Value) -> Result<()> {
        self.lab.put_settings(settings)?;
        Ok(())
    }

    pub(super) fn faults(&self, rules: &Value) -> Result<()> {
        Ok(self.lab.set_faults(rules)?)
    }

    pub(super) fn clear_requests(&self) -> Result<()> {
        Ok(self.lab.clear_requests()?)
    }

    /// The request log since it was last cleared.
    pub(super) fn requests(&self) -> Result<Vec<LoggedRequest>> {
        let entries = self.lab.requests()?;
        Ok(entries.iter().map(LoggedRequest::from_json).collect())
    }

    /// The default page size the lab uses for a collection (`effective_page_sizes`).
    pub(super) fn page_size(&self, collection: &str) -> Result<u64> {
        let settings = self.lab.settings()?;
        settings
            .pointer(&format!("/effective_page_sizes/{collection}/default"))
            .and_then(Value::as_u64)
            .with_context(|| format!("GET /_lab/settings: no page size for {collection}"))
    }

    /// A Graph POST with the client's token.
    pub(super) fn post(&self, path: &str, body: &Value) -> Result<Value> {
        let url = self.lab.graph_url(path);
        Ok(self.lab.graph_ok(Method::POST, &url, Some(body))?)
    }

    /// Every item of a Graph collection, following `@odata.nextLink`; also the page count.
    pub(super) fn list(&self, path: &str) -> Result<(Vec<Value>, usize)> {
        Ok(self.lab.graph_list(&self.lab.graph_url(path))?)
    }

    /// Registers devices with Graph's `import` action, in calls of at most 500; returns the
    /// number of calls.
    pub(super) fn import_devices(&self, devices: &[BenchDevice]) -> Result<usize> {
        let mut calls = 0;
        for chunk in devices.chunks(IMPORT_CHUNK) {
            let rows: Vec<Value> = chunk
                .iter()
                .map(|d| {
                    json!({
                        "serialNumber": d.serial,
                        "hardwareIdentifier": d.hash,
                        "groupTag": d.group_tag,
                    })
                })
                .collect();
            self.post(
                &format!("{IMPORT_PATH}/import"),
                &json!({ "importedWindowsAutopilotDeviceIdentities": rows }),
            )?;
            calls += 1;
        }
        Ok(calls)
    }
}

/// A device the benchmarks register: serial number, hardware hash, group tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct BenchDevice {
    pub serial: String,
    pub hash: String,
    pub group_tag: String,
}

impl BenchDevice {
    /// The `index`th (from 1) device of a set whose serial numbers start with `prefix`.
    pub(super) fn numbered(prefix: &str, index: usize, group_tag: &str) -> Self {
        Self {
            serial: format!("{prefix}-{index:05}"),
            hash: hardware_hash(prefix, index),
            group_tag: group_tag.to_string(),
        }
    }
}

/// A CSV file as Get-WindowsAutopilotInfo writes it (CRLF line ends, no product id, no user).
pub(super) fn csv(devices: &[BenchDevice]) -> String {
    let mut text = format!("{CSV_HEADER}\r\n");
    for d in devices {
        text.push_str(&format!("{},,{},{},\r\n", d.serial, d.hash, d.group_tag));
    }
    text
}

/// One entry of `/_lab/requests`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub status: u16,
    /// `<rule id>:<kind>` when a fault rule fired on it.
    pub fault: Option<String>,
}

impl LoggedRequest {
    fn from_json(entry: &Value) -> Self {
        let text = |key: &str| {
            entry
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        Self {
            method: text("method"),
            path: text("path"),
            status: entry
                .get("status")
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok())
                .unwrap_or(0),
            fault: entry
                .get("fault")
                .and_then(Value::as_str)
                .map(str::to_string),
        }
    }

    /// A Graph request (`/beta/...` or `/v1.0/...`), as opposed to the token endpoint.
    pub(super) fn is_graph(&self) -> bool {
        self.path.starts_with("/beta/") || self.path.starts_with("/v1.0/")
    }

    pub(super) fn is_token(&self) -> bool {
        self.path.ends_with("/oauth2/v2.0/token")
    }

    /// The `import` action on imported device identities.
    pub(super) fn is_device_import(&self) -> bool {
        self.method == "POST"
            && self
                .path
                .contains("importedWindowsAutopilotDeviceIdentities/")
            && (self.path.ends_with("/import") || self.path.ends_with("/microsoft.graph.import"))
    }

    /// Answered with a status a client retries (429, 503, 504), or dropped by a fault rule.
    pub(super) fn is_retryable_failure(&self) -> bool {
        matches!(self.status, 429 | 503 | 504)
            || self.fault.as_deref().is_some_and(|f| f.ends_with(":drop"))
    }
}

/// What a request log says about one Terraform command.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct RequestCounts {
    pub graph: usize,
    pub token: usize,
    /// Graph requests answered 429/503/504 or dropped (each costs the client a retry).
    pub retried: usize,
    /// Requests a fault rule fired on.
    pub injected: usize,
    pub throttled: usize,
    pub unavailable: usize,
    pub dropped: usize,
    pub imports: usize,
}

impl RequestCounts {
    pub(super) fn of(log: &[LoggedRequest]) -> Self {
        let mut counts = Self::default();
        for r in log {
            if r.is_token() {
                counts.token += 1;
            }
            if !r.is_graph() {
                continue;
            }
            counts.graph += 1;
            counts.retried += usize::from(r.is_retryable_failure());
            counts.injected += usize::from(r.fault.is_some());
            counts.throttled += usize::from(r.status == 429);
            counts.unavailable += usize::from(matches!(r.status, 503 | 504));
            counts.dropped += usize::from(r.fault.as_deref().is_some_and(|f| f.ends_with(":drop")));
            counts.imports += usize::from(r.is_device_import());
        }
        counts
    }
}

/// A distinct, valid hardware hash per prefix and index: padded Base64 of 16 bytes.
pub(super) fn hardware_hash(prefix: &str, index: usize) -> String {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&(index as u64).to_be_bytes());
    let tag = prefix.as_bytes();
    for (i, b) in bytes[8..].iter_mut().enumerate() {
        *b = tag.get(i).copied().unwrap_or(b'#');
    }
    STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_the_base64_of_its_index_and_prefix() {
        let bytes = STANDARD
            .decode(hardware_hash("AB", 7))
            .expect("valid Base64");
        assert_eq!(bytes[..8], 7u64.to_be_bytes());
        assert_eq!(&bytes[8..], b"AB######");
    }

    #[test]
    fn hashes_differ_by_index_and_prefix() {
        assert_ne!(hardware_hash("A", 1), hardware_hash("A", 2));
        assert_ne!(hardware_hash("A", 1), hardware_hash("B", 1));
        assert!(hardware_hash("A", 1).ends_with("=="));
        assert_eq!(BenchDevice::numbered("CSV", 7, "T").serial, "CSV-00007");
    }

    #[test]
    fn csv_has_the_exact_header_and_one_line_per_device() {
        let devices = [
            BenchDevice::numbered("CSV", 1, "BENCH"),
            BenchDevice::numbered("CSV", 2, "BENCH"),
        ];
        let text = csv(&devices);
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[0], CSV_HEADER);
        assert_eq!(lines.len(), 4, "{text:?}");
        assert_eq!(lines[1], format!("CSV-00001,,{},BENCH,", devices[0].hash));
        assert_eq!(lines[3], "");
    }

    #[test]
    fn counts_graph_token_import_and_retried_requests() {
        let entry = |method: &str, path: &str, status: u16, fault: Option<&str>| LoggedRequest {
            method: method.into(),
            path: path.into(),
            status,
            fault: fault.map(str::to_string),
        };
        let log = [
            entry("POST", "/tenant/oauth2/v2.0/token", 200, None),
            entry("POST", &format!("{IMPORT_PATH}/import"), 200, None),
            entry(
                "POST",
                &format!("{IMPORT_PATH}/import"),
                429,
                Some("r1:status"),
            ),
            entry("GET", IDENTITIES_PATH, 503, Some("r2:status")),
            entry("POST", "/beta/groups", 201, Some("r0:drop")),
            entry("GET", "/v1.0/groups/x", 404, None),
            entry("GET", "/beta/groups", 429, None),
        ];
        let counts = RequestCounts::of(&log);
        assert_eq!(
            counts,
            RequestCounts {
                graph: 6,
                token: 1,
                retried: 4,
                injected: 3,
                throttled: 2,
                unavailable: 1,
                dropped: 1,
                imports: 2,
            }
        );
    }

    #[test]
    fn reads_log_entries_with_and_without_faults() {
        let entry = LoggedRequest::from_json(&json!({
            "method": "GET", "path": "/beta/groups", "query": null, "status": 429,
            "duration_ms": 1, "fault": "throttled:status"
        }));
        assert_eq!(entry.status, 429);
        assert_eq!(entry.fault.as_deref(), Some("throttled:status"));
        assert!(entry.is_graph() && entry.is_retryable_failure());
        let plain =
            LoggedRequest::from_json(&json!({"method": "GET", "path": "/beta/x", "status": 200}));
        assert_eq!(plain.fault, None);
        assert!(!plain.is_retryable_failure());
    }
}
