//! Action `autopilot_device_unassign_user`: removes the assigned user from
//! a registered Autopilot device (`unassignUserFromDevice`), then waits until
//! Autopilot shows no user (after an Autopilot sync).

use async_trait::async_trait;

use super::device_action::{DeviceAction, device_action_model};
use crate::devices::graph::{self, DeviceIdentity};
use crate::devices::sync::Expected;
use crate::graph::{GraphClient, GraphError};

device_action_model! {
    /// Removes the assigned user from a registered Autopilot device, then waits
    /// until Autopilot shows no user (after an Autopilot sync). Name the device
    /// with `device_id` or `serial_number`, not both.
    pub(crate) struct UnassignUserModel {}
    timeout
}

pub(crate) struct UnassignUserFromDevice;

#[async_trait]
impl DeviceAction for UnassignUserFromDevice {
    type Model = UnassignUserModel;
    const TYPE_NAME: &'static str = "autopilot_device_unassign_user";
    const REFUSED: &'static str = "Cannot remove the assigned user";

    fn doing(_: &UnassignUserModel) -> String {
        "Removing the assigned user from".to_owned()
    }

    async fn write(
        client: &GraphClient,
        device: &DeviceIdentity,
        _: &UnassignUserModel,
    ) -> Result<(), GraphError> {
        graph::set_user(client, &device.id, None).await
    }

    fn expected(_: &UnassignUserModel) -> Option<Expected> {
        Some(Expected {
            user: Some(None),
            ..Default::default()
        })
    }
}
