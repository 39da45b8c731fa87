//! Action `autopilot_device_unassign_user`: removes the assigned user from
//! a registered Autopilot device (`unassignUserFromDevice`), then waits until
//! Autopilot shows no user (after an Autopilot sync).

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::{Action, Attr, Diagnostics, Progress};

use super::device_target::{self, Change};
use crate::devices::graph;
use crate::devices::sync::Expected;
use crate::graph::GraphClient;

/// Removes the assigned user from a registered Autopilot device, then waits
/// until Autopilot shows no user (after an Autopilot sync). Name the device
/// with `device_id` or `serial_number`, not both.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct UnassignUserModel {
    /// The id of the Autopilot device identity. Set this or `serial_number`.
    #[schemars(extend("x-tf" = "optional"))]
    pub device_id: Attr<String>,
    /// The device's serial number. Set this or `device_id`.
    #[schemars(extend("x-tf" = "optional"))]
    pub serial_number: Attr<String>,
    /// How long to wait for Autopilot to show the change, e.g. `10m`. Default `5m`.
    #[schemars(extend("x-tf" = "optional"))]
    pub timeout: Attr<String>,
}

pub struct AutopilotDeviceUnassignUser;

#[async_trait]
impl Action<GraphClient> for AutopilotDeviceUnassignUser {
    type Model = UnassignUserModel;

    fn type_name(&self) -> &'static str {
        "autopilot_device_unassign_user"
    }

    fn validate(&self, config: &UnassignUserModel, diags: &mut Diagnostics) {
        device_target::validate(
            &config.device_id,
            &config.serial_number,
            &config.timeout,
            diags,
        );
    }

    async fn invoke(
        &self,
        client: &GraphClient,
        config: UnassignUserModel,
        progress: &Progress,
        diags: &mut Diagnostics,
    ) {
        let (id, serial) = (&config.device_id, &config.serial_number);
        let Some(device) = device_target::locate(client, id, serial, progress, diags).await else {
            return;
        };
        progress.report(format!(
            "Removing the assigned user from {}",
            device_target::describe(&device)
        ));
        let change = Change {
            expected: Expected {
                user: Some(None),
                ..Default::default()
            },
            refused: "Cannot remove the assigned user",
            timeout: &config.timeout,
        };
        let write = graph::set_user(client, &device.id, None);
        device_target::write_then_wait(client, &device, write, change, progress, diags).await;
    }
}
