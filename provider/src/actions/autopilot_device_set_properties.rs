//! Action `autopilot_device_set_properties`: writes the group tag and/or
//! display name of a registered Autopilot device (`updateDeviceProperties`),
//! then waits until Autopilot shows them (after an Autopilot sync).

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::{Action, Attr, AttrPath, Diagnostics, Progress};

use super::device_target::{self, Change};
use crate::devices::graph::{self, DeviceProperties};
use crate::devices::sync::Expected;
use crate::devices::validate_device_name;
use crate::graph::GraphClient;
use crate::validate::check_known;

/// Sets the group tag and/or the display name of a registered Autopilot
/// device (at least one of them), then waits until Autopilot shows them (after
/// an Autopilot sync). Name the device with `device_id` or `serial_number`,
/// not both. An empty `group_tag` removes the group tag.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct SetPropertiesModel {
    /// The id of the Autopilot device identity. Set this or `serial_number`.
    #[schemars(extend("x-tf" = "optional"))]
    pub device_id: Attr<String>,
    /// The device's serial number. Set this or `device_id`.
    #[schemars(extend("x-tf" = "optional"))]
    pub serial_number: Attr<String>,
    /// The group tag to write (`""` removes it).
    #[schemars(extend("x-tf" = "optional"))]
    pub group_tag: Attr<String>,
    /// The device name to write: up to 15 letters, digits and hyphens, not only digits.
    #[schemars(extend("x-tf" = "optional"))]
    pub display_name: Attr<String>,
    /// How long to wait for Autopilot to show the change, e.g. `10m`. Default `5m`.
    #[schemars(extend("x-tf" = "optional"))]
    pub timeout: Attr<String>,
}

pub struct AutopilotDeviceSetProperties;

#[async_trait]
impl Action<GraphClient> for AutopilotDeviceSetProperties {
    type Model = SetPropertiesModel;

    fn type_name(&self) -> &'static str {
        "autopilot_device_set_properties"
    }

    fn validate(&self, config: &SetPropertiesModel, diags: &mut Diagnostics) {
        device_target::validate(
            &config.device_id,
            &config.serial_number,
            &config.timeout,
            diags,
        );
        if config.group_tag.is_null() && config.display_name.is_null() {
            diags.error_at(
                AttrPath::root("group_tag"),
                "Nothing to set",
                "Set `group_tag`, `display_name` or both.",
            );
        }
        check_known(
            &config.display_name,
            validate_device_name,
            AttrPath::root("display_name"),
            "Invalid device name",
            diags,
        );
    }

    async fn invoke(
        &self,
        client: &GraphClient,
        config: SetPropertiesModel,
        progress: &Progress,
        diags: &mut Diagnostics,
    ) {
        let (id, serial) = (&config.device_id, &config.serial_number);
        let Some(device) = device_target::locate(client, id, serial, progress, diags).await else {
            return;
        };
        let properties = DeviceProperties {
            group_tag: config.group_tag.known().cloned(),
            display_name: config.display_name.known().cloned(),
        };
        progress.report(format!(
            "Writing {} to {}",
            written_fields(&properties),
            device_target::describe(&device)
        ));
        let write = graph::update_properties(client, &device.id, &properties);
        let change = Change {
            expected: Expected {
                group_tag: properties.group_tag.clone(),
                display_name: properties.display_name.clone(),
                user: None,
            },
            refused: "Cannot set the device properties",
            timeout: &config.timeout,
        };
        device_target::write_then_wait(client, &device, write, change, progress, diags).await;
    }
}

/// `group tag "X" and display name "Y"`, for the progress message.
fn written_fields(properties: &DeviceProperties) -> String {
    let mut fields = Vec::new();
    if let Some(tag) = &properties.group_tag {
        fields.push(format!("group tag {tag:?}"));
    }
    if let Some(name) = &properties.display_name {
        fields.push(format!("display name {name:?}"));
    }
    fields.join(" and ")
}
