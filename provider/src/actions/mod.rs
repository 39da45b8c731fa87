//! Actions (Terraform 1.14 and later), run with `terraform apply
//! -invoke=action.<type>.<name>` or from a resource's `lifecycle {
//! action_trigger { ... } }`: the Autopilot sync of the tenant and the
//! actions on one registered Autopilot device. Each is a `tfplugin::Action`;
//! every Graph call goes through `GraphClient` (the permissions are in
//! `graph/permissions.rs`, under `<type>@action`).

mod autopilot_device_allow_next_enrollment;
mod autopilot_device_assign_user;
mod autopilot_device_set_properties;
mod autopilot_device_unassign_user;
mod autopilot_sync;
mod device_action;
mod device_target;

use std::sync::Arc;

use tfplugin::AnyAction;

use crate::graph::GraphClient;

pub(crate) use autopilot_device_allow_next_enrollment::AllowNextEnrollment;
pub(crate) use autopilot_device_assign_user::AssignUserToDevice;
pub(crate) use autopilot_device_set_properties::SetDeviceProperties;
pub(crate) use autopilot_device_unassign_user::UnassignUserFromDevice;
pub use autopilot_sync::AutopilotSync;
pub(crate) use device_action::OnDevice;

/// Every action the provider offers.
pub fn all() -> Vec<Arc<dyn AnyAction<GraphClient>>> {
    vec![
        Arc::new(AutopilotSync),
        Arc::new(OnDevice::<AssignUserToDevice>::default()),
        Arc::new(OnDevice::<UnassignUserFromDevice>::default()),
        Arc::new(OnDevice::<SetDeviceProperties>::default()),
        Arc::new(OnDevice::<AllowNextEnrollment>::default()),
    ]
}
