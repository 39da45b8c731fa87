//! Action `autopilot_device_allow_next_enrollment`: unblocks the next
//! Autopilot enrollment of a registered device (`allowNextEnrollment`, beta
//! only), e.g. before a device that was reset goes through Autopilot again.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::{Action, Attr, Diagnostics, Progress};

use super::device_target;
use crate::devices::graph;
use crate::graph::GraphClient;

/// Unblocks the next Autopilot enrollment of a registered device (Graph's
/// `allowNextEnrollment`). Name the device with `device_id` or
/// `serial_number`, not both.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct AllowNextEnrollmentModel {
    /// The id of the Autopilot device identity. Set this or `serial_number`.
    #[schemars(extend("x-tf" = "optional"))]
    pub device_id: Attr<String>,
    /// The device's serial number. Set this or `device_id`.
    #[schemars(extend("x-tf" = "optional"))]
    pub serial_number: Attr<String>,
}

pub struct AutopilotDeviceAllowNextEnrollment;

#[async_trait]
impl Action<GraphClient> for AutopilotDeviceAllowNextEnrollment {
    type Model = AllowNextEnrollmentModel;

    fn type_name(&self) -> &'static str {
        "autopilot_device_allow_next_enrollment"
    }

    fn validate(&self, config: &AllowNextEnrollmentModel, diags: &mut Diagnostics) {
        device_target::validate(&config.device_id, &config.serial_number, &Attr::Null, diags);
    }

    async fn invoke(
        &self,
        client: &GraphClient,
        config: AllowNextEnrollmentModel,
        progress: &Progress,
        diags: &mut Diagnostics,
    ) {
        let (id, serial) = (&config.device_id, &config.serial_number);
        let Some(device) = device_target::locate(client, id, serial, progress, diags).await else {
            return;
        };
        let name = device_target::describe(&device);
        progress.report(format!("Allowing the next Autopilot enrollment of {name}"));
        match graph::allow_next_enrollment(client, &device.id).await {
            Ok(()) => progress.report(format!("The next enrollment of {name} is allowed")),
            Err(e) => diags.error("Cannot allow the next enrollment", e.to_string()),
        }
    }
}
