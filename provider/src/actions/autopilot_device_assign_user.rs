//! Action `autopilot_device_assign_user`: assigns a user to a registered
//! Autopilot device (`assignUserToDevice`), then waits until Autopilot shows
//! the assignment (after an Autopilot sync).

use async_trait::async_trait;
use tfplugin::{AttrPath, Diagnostics};

use super::device_action::{DeviceAction, device_action_model};
use crate::devices::graph::{self, AssignUser, DeviceIdentity};
use crate::devices::sync::Expected;
use crate::devices::validate_upn;
use crate::graph::{GraphClient, GraphError};
use crate::validate::check_known;

device_action_model! {
    /// Assigns a user to a registered Autopilot device, so that the device
    /// greets them by name during the out-of-box experience, then waits until
    /// Autopilot shows the assignment (after an Autopilot sync). Name the device
    /// with `device_id` or `serial_number`, not both.
    pub(crate) struct AssignUserModel {
        /// The user principal name of the user to assign, e.g. `ana@contoso.com`.
        #[schemars(extend("x-tf" = "required"))]
        pub(crate) user_principal_name: tfplugin::Attr<String>,
        /// The name the device greets the user with. The user principal name when unset.
        #[schemars(extend("x-tf" = "optional"))]
        pub(crate) addressable_user_name: tfplugin::Attr<String>,
    }
    timeout
}

pub(crate) struct AssignUserToDevice;

#[async_trait]
impl DeviceAction for AssignUserToDevice {
    type Model = AssignUserModel;
    const TYPE_NAME: &'static str = "autopilot_device_assign_user";
    const REFUSED: &'static str = "Cannot assign the user";

    fn validate(config: &AssignUserModel, diags: &mut Diagnostics) {
        check_known(
            &config.user_principal_name,
            validate_upn,
            AttrPath::root("user_principal_name"),
            "Invalid user principal name",
            diags,
        );
    }

    fn doing(config: &AssignUserModel) -> String {
        let upn = config
            .user_principal_name
            .known()
            .map_or("", String::as_str);
        format!("Assigning {upn} to")
    }

    async fn write(
        client: &GraphClient,
        device: &DeviceIdentity,
        config: &AssignUserModel,
    ) -> Result<(), GraphError> {
        let upn = config
            .user_principal_name
            .known()
            .map_or("", String::as_str);
        let addressable = config
            .addressable_user_name
            .known()
            .map_or(upn, String::as_str);
        graph::assign_user(client, &device.id, &AssignUser::new(upn, addressable)).await
    }

    fn expected(config: &AssignUserModel) -> Option<Expected> {
        Some(Expected {
            user: Some(config.user_principal_name.known().cloned()),
            ..Default::default()
        })
    }
}
