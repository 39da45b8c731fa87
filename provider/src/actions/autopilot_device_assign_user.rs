//! Action `autopilot_device_assign_user`: assigns a user to a registered
//! Autopilot device (`assignUserToDevice`), then waits until Autopilot shows
//! the assignment (after an Autopilot sync).

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::{Action, Attr, AttrPath, Diagnostics, Progress};

use super::device_target::{self, Change};
use crate::devices::graph::{self, AssignUser};
use crate::devices::sync::Expected;
use crate::devices::validate_upn;
use crate::graph::GraphClient;
use crate::validate::check_known;

/// Assigns a user to a registered Autopilot device, so that the device
/// greets them by name during the out-of-box experience, then waits until
/// Autopilot shows the assignment (after an Autopilot sync). Name the device
/// with `device_id` or `serial_number`, not both.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct AssignUserModel {
    /// The id of the Autopilot device identity. Set this or `serial_number`.
    #[schemars(extend("x-tf" = "optional"))]
    pub device_id: Attr<String>,
    /// The device's serial number. Set this or `device_id`.
    #[schemars(extend("x-tf" = "optional"))]
    pub serial_number: Attr<String>,
    /// The user principal name of the user to assign, e.g. `ana@contoso.com`.
    #[schemars(extend("x-tf" = "required"))]
    pub user_principal_name: Attr<String>,
    /// The name the device greets the user with. The user principal name when unset.
    #[schemars(extend("x-tf" = "optional"))]
    pub addressable_user_name: Attr<String>,
    /// How long to wait for Autopilot to show the assignment, e.g. `10m`. Default `5m`.
    #[schemars(extend("x-tf" = "optional"))]
    pub timeout: Attr<String>,
}

pub struct AutopilotDeviceAssignUser;

#[async_trait]
impl Action<GraphClient> for AutopilotDeviceAssignUser {
    type Model = AssignUserModel;

    fn type_name(&self) -> &'static str {
        "autopilot_device_assign_user"
    }

    fn validate(&self, config: &AssignUserModel, diags: &mut Diagnostics) {
        device_target::validate(
            &config.device_id,
            &config.serial_number,
            &config.timeout,
            diags,
        );
        check_known(
            &config.user_principal_name,
            validate_upn,
            AttrPath::root("user_principal_name"),
            "Invalid user principal name",
            diags,
        );
    }

    async fn invoke(
        &self,
        client: &GraphClient,
        config: AssignUserModel,
        progress: &Progress,
        diags: &mut Diagnostics,
    ) {
        let Some(upn) = config.user_principal_name.known() else {
            return;
        };
        let (id, serial) = (&config.device_id, &config.serial_number);
        let Some(device) = device_target::locate(client, id, serial, progress, diags).await else {
            return;
        };
        let addressable = config.addressable_user_name.known().unwrap_or(upn);
        progress.report(format!(
            "Assigning {upn} to {}",
            device_target::describe(&device)
        ));
        let body = AssignUser::new(upn, addressable);
        let write = graph::assign_user(client, &device.id, &body);
        let change = Change {
            expected: Expected {
                user: Some(Some(upn.clone())),
                ..Default::default()
            },
            refused: "Cannot assign the user",
            timeout: &config.timeout,
        };
        device_target::write_then_wait(client, &device, write, change, progress, diags).await;
    }
}
