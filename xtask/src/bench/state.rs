//! A Terraform state of many `autopilot_device` instances, written directly.
//!
//! Creating 2,000 devices through `terraform apply` would take many minutes (the provider keeps
//! Intune's write budget), so the refresh benchmark registers them through Graph and writes
//! the state Terraform would have written. Its shape comes from one device applied for real:
//! every instance is a copy of that instance (schema version, private data, sensitive paths,
//! nested blocks) with the values that differ per device replaced by the lab's.

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value};

use super::control::BenchDevice;

/// A state holding `targets` as the instances of the one `autopilot_device` resource of
/// `applied` (a `for_each` keyed by serial number), each with its Graph device identity.
///
/// `applied_identity` is the Graph identity of the instance `applied` holds: an attribute whose
/// value there equals the identity's property of the same (camelCase) name takes the target
/// identity's value of that property.
pub(super) fn with_devices(
    applied: &Value,
    applied_identity: &Value,
    targets: &[(BenchDevice, Value)],
) -> Result<Value> {
    let mut state = applied.clone();
    let serial = state.get("serial").and_then(Value::as_u64).unwrap_or(0);
    let resource = &mut single_element_array(&mut state, "resources", "the state")?[0];
    if resource.get("type").and_then(Value::as_str) != Some("autopilot_device") {
        bail!("the state's resource is not an autopilot_device: {resource}");
    }
    let instances = single_element_array(resource, "instances", "the state's resource")?;
    let template = instances[0].clone();
    let attributes = template
        .get("attributes")
        .and_then(Value::as_object)
        .context("the state's instance has no `attributes` object")?;

    let mut built = Vec::with_capacity(targets.len());
    for (device, identity) in targets {
        let mut instance = template.clone();
        if let Some(object) = instance.as_object_mut() {
            object.insert("index_key".into(), Value::String(device.serial.clone()));
            object.insert(
                "attributes".into(),
                Value::Object(device_attributes(
                    attributes,
                    applied_identity,
                    device,
                    identity,
                )?),
            );
        }
        built.push(instance);
    }
    *instances = built;
    if let Some(object) = state.as_object_mut() {
        object.insert("serial".into(), Value::from(serial + 1));
    }
    Ok(state)
}

/// The array `key` of `holder` (`whose`, in errors), which must hold exactly one element.
fn single_element_array<'a>(
    holder: &'a mut Value,
    key: &str,
    whose: &str,
) -> Result<&'a mut Vec<Value>> {
    let array = holder
        .get_mut(key)
        .and_then(Value::as_array_mut)
        .with_context(|| format!("{whose} has no `{key}` array"))?;
    if array.len() != 1 {
        bail!("{whose} holds {} {key}, expected one", array.len());
    }
    Ok(array)
}

fn device_attributes(
    template: &Map<String, Value>,
    applied_identity: &Value,
    device: &BenchDevice,
    identity: &Value,
) -> Result<Map<String, Value>> {
    let id = identity
        .get("id")
        .and_then(Value::as_str)
        .with_context(|| format!("the device identity of {} has no id", device.serial))?;
    let mut out = Map::new();
    for (name, value) in template {
        let replaced = match name.as_str() {
            "id" => Value::String(id.to_string()),
            "serial_number" => Value::String(device.serial.clone()),
            "hardware_hash" => Value::String(device.hash.clone()),
            _ => {
                let property = camel_case(name);
                match (applied_identity.get(&property), identity.get(&property)) {
                    (Some(applied), Some(target)) if applied == value => target.clone(),
                    _ => value.clone(),
                }
            }
        };
        out.insert(name.clone(), replaced);
    }
    Ok(out)
}

/// `deployment_profile_assignment_status` -> `deploymentProfileAssignmentStatus`.
fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn applied() -> Value {
        json!({
            "version": 4, "terraform_version": "1.0.3", "serial": 3, "lineage": "l-1",
            "outputs": {},
            "resources": [{
                "mode": "managed", "type": "autopilot_device", "name": "bench",
                "provider": "provider[\"registry.terraform.io/autopilot-iac/autopilot\"]",
                "instances": [{
                    "index_key": "B-00001", "schema_version": 0,
                    "attributes": {
                        "id": "id-1", "serial_number": "B-00001", "hardware_hash": "AAA=",
                        "group_tag": "BENCH", "enrollment_state": "notContacted",
                        "model": null, "timeouts": null
                    },
                    "sensitive_attributes": [], "private": "eyJ0In0="
                }]
            }]
        })
    }

    fn device(serial: &str, hash: &str) -> BenchDevice {
        BenchDevice {
            serial: serial.into(),
            hash: hash.into(),
            group_tag: "BENCH".into(),
        }
    }

    #[test]
    fn copies_the_applied_instance_with_each_devices_values() -> Result<()> {
        let applied_identity = json!({"id": "id-1", "groupTag": "BENCH", "enrollmentState": "notContacted", "model": "X"});
        let targets = vec![
            (device("B-00001", "AAA="), applied_identity.clone()),
            (
                device("B-00002", "BBB="),
                json!({"id": "id-2", "groupTag": "BENCH", "enrollmentState": "enrolled", "model": "Y"}),
            ),
        ];
        let state = with_devices(&applied(), &applied_identity, &targets)?;
        assert_eq!(state["serial"], 4);
        assert_eq!(state["lineage"], "l-1");
        let instances = state["resources"][0]["instances"]
            .as_array()
            .context("instances")?;
        assert_eq!(instances.len(), 2);
        assert_eq!(instances[0], applied()["resources"][0]["instances"][0]);
        let second = &instances[1];
        assert_eq!(second["index_key"], "B-00002");
        assert_eq!(second["private"], "eyJ0In0=");
        assert_eq!(second["schema_version"], 0);
        let attributes = &second["attributes"];
        assert_eq!(attributes["id"], "id-2");
        assert_eq!(attributes["serial_number"], "B-00002");
        assert_eq!(attributes["hardware_hash"], "BBB=");
        assert_eq!(attributes["enrollment_state"], "enrolled");
        // The applied state kept null where Graph has a value: not a property it mirrors.
        assert_eq!(attributes["model"], Value::Null);
        assert_eq!(attributes["timeouts"], Value::Null);
        Ok(())
    }

    #[test]
    fn refuses_a_state_that_is_not_one_device() {
        let mut two = applied();
        let instance = two["resources"][0]["instances"][0].clone();
        two["resources"][0]["instances"] = json!([instance.clone(), instance]);
        assert!(with_devices(&two, &json!({}), &[]).is_err());
        let mut other = applied();
        other["resources"][0]["type"] = json!("autopilot_group");
        assert!(with_devices(&other, &json!({}), &[]).is_err());
    }

    #[test]
    fn snake_to_camel() {
        assert_eq!(
            camel_case("deployment_profile_assignment_status"),
            "deploymentProfileAssignmentStatus"
        );
        assert_eq!(camel_case("id"), "id");
    }
}
