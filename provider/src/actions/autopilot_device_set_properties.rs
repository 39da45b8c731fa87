//! Action `autopilot_device_set_properties`: writes the group tag and/or
//! display name of a registered Autopilot device (`updateDeviceProperties`),
//! then waits until Autopilot shows them (after an Autopilot sync).

use async_trait::async_trait;
use tfplugin::{AttrPath, Diagnostics};

use super::device_action::{DeviceAction, device_action_model};
use crate::devices::graph::{self, DeviceIdentity, DeviceProperties};
use crate::devices::sync::Expected;
use crate::devices::validate_device_name;
use crate::graph::{GraphClient, GraphError};
use crate::validate::check_known;

device_action_model! {
    /// Sets the group tag and/or the display name of a registered Autopilot
    /// device (at least one of them), then waits until Autopilot shows them (after
    /// an Autopilot sync). Name the device with `device_id` or `serial_number`,
    /// not both. An empty `group_tag` removes the group tag.
    pub(crate) struct SetPropertiesModel {
        /// The group tag to write (`""` removes it).
        #[schemars(extend("x-tf" = "optional"))]
        pub(crate) group_tag: tfplugin::Attr<String>,
        /// The device name to write: up to 15 letters, digits and hyphens, not only digits.
        #[schemars(extend("x-tf" = "optional"))]
        pub(crate) display_name: tfplugin::Attr<String>,
    }
    timeout
}

pub(crate) struct SetDeviceProperties;

impl SetPropertiesModel {
    fn properties(&self) -> DeviceProperties {
        DeviceProperties {
            group_tag: self.group_tag.known().cloned(),
            display_name: self.display_name.known().cloned(),
        }
    }
}

#[async_trait]
impl DeviceAction for SetDeviceProperties {
    type Model = SetPropertiesModel;
    const TYPE_NAME: &'static str = "autopilot_device_set_properties";
    const REFUSED: &'static str = "Cannot set the device properties";

    fn validate(config: &SetPropertiesModel, diags: &mut Diagnostics) {
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

    fn doing(config: &SetPropertiesModel) -> String {
        format!("Writing {} to", written_fields(&config.properties()))
    }

    async fn write(
        client: &GraphClient,
        device: &DeviceIdentity,
        config: &SetPropertiesModel,
    ) -> Result<(), GraphError> {
        graph::update_properties(client, &device.id, &config.properties()).await
    }

    fn expected(config: &SetPropertiesModel) -> Option<Expected> {
        let properties = config.properties();
        Some(Expected {
            group_tag: properties.group_tag,
            display_name: properties.display_name,
            user: None,
        })
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
