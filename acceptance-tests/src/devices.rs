//! Device registrations in the lab, for tests that need devices registered outside Terraform.

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::Method;
use serde_json::{Value, json};

use crate::{Lab, Terraform};

/// How many imports the lab received (single POSTs and `import` actions on the import records).
pub fn import_posts(lab: &Lab) -> usize {
    lab.requests()
        .iter()
        .filter(|r| {
            r.method == "POST" && r.path.contains("importedWindowsAutopilotDeviceIdentities")
        })
        .count()
}

/// The lab's import records.
pub const IMPORTED: &str = "deviceManagement/importedWindowsAutopilotDeviceIdentities";
/// The lab's registered devices.
pub const IDENTITIES: &str = "deviceManagement/windowsAutopilotDeviceIdentities";

/// The configuration of the device `autopilot_device.x` with `serial` and `hash`, and `extra`
/// HCL lines.
pub fn device_hcl(serial: &str, hash: &str, extra: &str) -> String {
    format!(
        r#"
resource "autopilot_device" "x" {{
  serial_number = "{serial}"
  hardware_hash = "{hash}"
{extra}
}}
"#
    )
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
    STANDARD.encode(&bytes)
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

/// Makes the lab lose its answer to the next POST whose path matches `path` (a regular
/// expression): the lab commits the request, then drops the connection (one fault rule).
pub fn lose_the_next_answer(lab: &Lab, path: &str) {
    set_faults(
        lab,
        &json!({"rules": [{
            "path": path,
            "method": "POST",
            "drop": true,
            "after_commit": true,
            "count": 1,
        }]}),
    );
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

/// The object id of the Microsoft Entra device a registration made (what group members name).
#[track_caller]
pub fn entra_device_id(lab: &Lab, registration: &Value) -> String {
    let device_id = registration["azureActiveDirectoryDeviceId"]
        .as_str()
        .unwrap_or_default();
    lab.objects("devices")
        .iter()
        .find(|d| d["deviceId"] == device_id)
        .and_then(|d| d["id"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no Entra device for {registration}"))
}

/// Destroys the configuration of one device resource and asserts that no registration and no
/// import record is left in the lab.
#[track_caller]
pub fn destroy_leaves_no_device(tf: &Terraform, lab: &Lab) {
    tf.destroy().assert_contains("1 destroyed");
    assert!(registered(lab).is_empty(), "{:#?}", registered(lab));
    assert!(import_records(lab).is_empty());
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
    fn a_hash_is_padded_base64_of_its_length_and_differs_by_seed() {
        let hash = hardware_hash(1, 64);
        let bytes = STANDARD.decode(&hash).expect("valid Base64");
        assert_eq!(bytes.len(), 64);
        assert!(hash.ends_with("=="), "{hash}");
        assert_ne!(hardware_hash(1, 64), hardware_hash(2, 64));
    }
}
