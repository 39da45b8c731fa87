//! Action `autopilot_device_allow_next_enrollment`: unblocks the next
//! Autopilot enrollment of a registered device (`allowNextEnrollment`, beta
//! only), e.g. before a device that was reset goes through Autopilot again.

use async_trait::async_trait;

use super::device_action::{DeviceAction, device_action_model};
use crate::devices::graph::{self, DeviceIdentity};
use crate::devices::sync::Expected;
use crate::graph::{GraphClient, GraphError};

device_action_model! {
    /// Unblocks the next Autopilot enrollment of a registered device (Graph's
    /// `allowNextEnrollment`). Name the device with `device_id` or
    /// `serial_number`, not both.
    pub(crate) struct AllowNextEnrollmentModel {}
}

pub(crate) struct AllowNextEnrollment;

#[async_trait]
impl DeviceAction for AllowNextEnrollment {
    type Model = AllowNextEnrollmentModel;
    const TYPE_NAME: &'static str = "autopilot_device_allow_next_enrollment";
    const REFUSED: &'static str = "Cannot allow the next enrollment";

    fn doing(_: &AllowNextEnrollmentModel) -> String {
        "Allowing the next Autopilot enrollment of".to_owned()
    }

    async fn write(
        client: &GraphClient,
        device: &DeviceIdentity,
        _: &AllowNextEnrollmentModel,
    ) -> Result<(), GraphError> {
        graph::allow_next_enrollment(client, &device.id).await
    }

    fn expected(_: &AllowNextEnrollmentModel) -> Option<Expected> {
        None
    }

    fn done(device: &str) -> String {
        format!("The next enrollment of {device} is allowed")
    }
}
