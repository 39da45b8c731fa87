//! Device registrations in the lab, for tests that need devices registered outside Terraform.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::Lab;

/// The lab's import records.
pub const IMPORTED: &str = "deviceManagement/importedWindowsAutopilotDeviceIdentities";
/// The lab's registered devices.
pub const IDENTITIES: &str = "deviceManagement/windowsAutopilotDeviceIdentities";

/// Standard Base64 with padding, for building hardware hashes.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A hardware hash unique to `seed`, `len` bytes long, padded Base64.
pub fn hardware_hash(seed: u64, len: usize) -> String {
    let mut state = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    let bytes: Vec<u8> = (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as u8
        })
        .collect();
    base64(&bytes)
}

/// `PUT <graph_url>/_lab/<what>` with a JSON body; panics unless the lab accepts it.
fn control_put(lab: &Lab, what: &str, body: &Value) {
    lab.control()
        .control(Method::PUT, what, Some(body))
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Marks serial numbers as registered in another tenant (`PUT /_lab/foreign_devices`).
pub fn set_foreign(lab: &Lab, serials: &[&str]) {
    control_put(
        lab,
        "foreign_devices",
        &json!({ "serial_numbers": serials }),
    );
}

/// Sets a device identity's enrollment state as Intune would once it enrolls
/// (`PUT /_lab/devices/{id}/enrollment`).
pub fn set_enrollment(lab: &Lab, id: &str, state: &str) {
    control_put(
        lab,
        &format!("devices/{id}/enrollment"),
        &json!({ "enrollment_state": state, "managed_device_id": if state == "enrolled" {
            Value::from("7ab1ab00-0000-4000-8000-0000000ed001")
        } else {
            Value::Null
        } }),
    );
}

/// Replaces the lab's fault rules (`PUT /_lab/faults`).
pub fn set_faults(lab: &Lab, rules: &Value) {
    lab.control()
        .set_faults(rules)
        .unwrap_or_else(|e| panic!("{e}"));
}

/// How often each fault rule fired (`GET /_lab/faults`), in rule order.
pub fn faults_fired(lab: &Lab) -> Vec<u64> {
    lab.control()
        .faults_fired()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Registers a device outside Terraform (an import through Graph, followed to its end, its
/// import record deleted) and returns the new device identity.
pub fn register(lab: &Lab, serial: &str, hash: &str, group_tag: &str) -> Value {
    let record = lab.graph_post(
        IMPORTED,
        &json!({
            "@odata.type": "#microsoft.graph.importedWindowsAutopilotDeviceIdentity",
            "serialNumber": serial,
            "hardwareIdentifier": hash,
            "groupTag": group_tag,
        }),
    );
    let record_id = record["id"]
        .as_str()
        .expect("an import record id")
        .to_string();
    let started = Instant::now();
    loop {
        let record = lab.graph_get(&format!("{IMPORTED}/{record_id}"));
        match record["state"]["deviceImportStatus"].as_str() {
            Some("complete") => {
                let id = record["state"]["deviceRegistrationId"]
                    .as_str()
                    .expect("a registration id")
                    .to_string();
                lab.graph_delete(&format!("{IMPORTED}/{record_id}"));
                return lab.graph_get(&format!("{IDENTITIES}/{id}"));
            }
            Some("error") => panic!("registering {serial} failed: {record}"),
            _ if started.elapsed() > Duration::from_secs(30) => {
                panic!("registering {serial} did not finish: {record}")
            }
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// The registered devices (`windowsAutopilotDeviceIdentities`) as the lab stores them.
pub fn registered(lab: &Lab) -> Vec<Value> {
    lab.objects("windowsAutopilotDeviceIdentities")
}

/// The import records the lab still holds.
pub fn import_records(lab: &Lab) -> Vec<Value> {
    lab.objects("importedWindowsAutopilotDeviceIdentities")
}

/// A device identity read through Graph (beta), or `None` on 404.
pub fn identity(lab: &Lab, id: &str) -> Option<Value> {
    let response = lab.graph(Method::GET, &format!("{IDENTITIES}/{id}"), None);
    match response.status {
        404 => None,
        200 => Some(response.body),
        other => panic!("GET {IDENTITIES}/{id} -> {other}: {}", response.body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_ne!(hardware_hash(1, 64), hardware_hash(2, 64));
    }
}
