//! The `autopilot_device` model: the schema Terraform sees.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use tfplugin::Attr;

use super::{DEFAULT_CREATE_TIMEOUT, DEFAULT_DELETE_TIMEOUT, DEFAULT_UPDATE_TIMEOUT};
use crate::resources::timeouts::{timed_model, timeouts_block};

/// A Windows Autopilot device registration: the device's serial number and
/// hardware hash imported into the tenant (as a row of the Intune CSV
/// import would be), with its group tag, assigned user and display name.
/// Create waits until the import is processed and the device is registered;
/// an import the service refuses is an error naming its code. A device
/// registered in this tenant already (Intune's 806, `ZtdDeviceAlreadyAssigned`,
/// with exactly one registration of that serial number: put there by an OEM,
/// a reseller, another tool or by hand) is adopted with a warning naming it:
/// from then on Terraform manages that registration, and a destroy deletes
/// it. Import an existing registration with `terraform import` and its id
/// or serial number. Only devices that are not enrolled in Intune can be
/// deleted, unless `destroy_enrolled` is set (lab rebuilds): then the destroy
/// deletes the Intune managed device first, and with `destroy_entra_device`
/// the Microsoft Entra device object last. With `wait_for_profile_assignment`,
/// create and update wait until Intune has assigned the device's deployment
/// profile, and a device no profile targets is reported at once.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct DeviceModel {
    /// The Autopilot device id (the `windowsAutopilotDeviceIdentity` id).
    #[schemars(extend("x-tf" = "computed,stable"))]
    pub id: Attr<String>,
    /// The device's serial number (`Device Serial Number` in the CSV). Changing it registers another device.
    #[schemars(extend("x-tf" = "required,force_new"), length(min = 1))]
    pub serial_number: Attr<String>,
    /// The hardware hash, Base64 (`Hardware Hash` in the CSV). Unpadded hashes, as devices produce them, are accepted: the provider pads them as Autopilot requires, and a change of padding alone is not a change. Graph never returns the hash, so after `terraform import` the state holds an empty placeholder and the configured hash is taken as is. Changing it registers the device again.
    #[schemars(extend("x-tf" = "required,sensitive,force_new"))]
    pub hardware_hash: Attr<String>,
    /// The Windows product ID (`Windows Product ID` in the CSV), usually unset. Changing it registers the device again.
    #[schemars(extend("x-tf" = "optional,force_new"))]
    pub product_key: Attr<String>,
    /// The group tag (`Group Tag` in the CSV; the Entra device's `[OrderID]` physical id), used by dynamic groups.
    pub group_tag: Attr<String>,
    /// The user principal name of the user assigned to the device, e.g. `ana@contoso.com`.
    pub assigned_user_principal_name: Attr<String>,
    /// The device's name in Autopilot (used when it joins): at most 15 letters, digits and hyphens, not only digits. Left as the service sets it when unset.
    #[schemars(extend("x-tf" = "optional,computed"))]
    pub display_name: Attr<String>,
    /// Whether the device is enrolled in Intune: `unknown`, `enrolled`, `pendingReset`, `failed`, `notContacted` or `blocked`.
    #[schemars(extend("x-tf" = "computed"))]
    pub enrollment_state: Attr<String>,
    /// Whether a deployment profile is assigned, e.g. `notAssigned`, `pending` or `assignedInSync`.
    #[schemars(extend("x-tf" = "computed"))]
    pub deployment_profile_assignment_status: Attr<String>,
    /// The manufacturer, as read from the hardware hash.
    #[schemars(extend("x-tf" = "computed,stable"))]
    pub manufacturer: Attr<String>,
    /// The model, as read from the hardware hash.
    #[schemars(extend("x-tf" = "computed,stable"))]
    pub model: Attr<String>,
    /// Why the deployment profile is or is not assigned, e.g. `none` or `hardwareRequirementsNotMet` (Intune's detailed status).
    #[schemars(extend("x-tf" = "computed"))]
    pub deployment_profile_assignment_detailed_status: Attr<String>,
    /// When Intune assigned the deployment profile (RFC 3339); null while none is.
    #[schemars(extend("x-tf" = "computed"))]
    pub deployment_profile_assigned_date_time: Attr<String>,
    /// When the device last contacted Autopilot (RFC 3339); null while it never has.
    #[schemars(extend("x-tf" = "computed"))]
    pub last_contacted_date_time: Attr<String>,
    /// The id of the Intune managed device, once the device has enrolled; null before.
    #[schemars(extend("x-tf" = "computed"))]
    pub managed_device_id: Attr<String>,
    /// The id (`deviceId`) of the device's Entra device object, once it has one.
    #[schemars(extend("x-tf" = "computed"))]
    pub entra_device_id: Attr<String>,
    /// The purchase order id the device was registered with (by an OEM or reseller), if any.
    #[schemars(extend("x-tf" = "computed"))]
    pub purchase_order_id: Attr<String>,
    /// On destroy of a device enrolled in Intune, delete its Intune managed device first, wait (within `timeouts.delete`) until Intune no longer shows the registration enrolled, then delete the registration: for lab tenants that are rebuilt. Off (the default), the destroy of an enrolled device is refused. The destroy uses the applied state, so apply the change before destroying. Needs `DeviceManagementManagedDevices.ReadWrite.All`.
    #[schemars(extend("x-tf-default" = false))]
    pub destroy_enrolled: Attr<bool>,
    /// With `destroy_enrolled = true`, also delete the device's Microsoft Entra device object (found by its `entra_device_id`) once the registration is gone. Only valid with `destroy_enrolled = true`. Needs `Device.ReadWrite.All`.
    #[schemars(extend("x-tf-default" = false))]
    pub destroy_entra_device: Attr<bool>,
    /// After create and after each update, wait until Intune reports the device's deployment profile as assigned (`deployment_profile_assignment_status` `assignedInSync`, `assignedOutOfSync` or `assignedUnkownSyncState`), within `timeouts.create` or `timeouts.update`, as `Get-WindowsAutopilotInfo -Online -Assign` does before a device ships. A device that no deployment profile targets (none is assigned to its groups, read from its Microsoft Entra device's `memberOf`, nor to all devices) fails fast, naming its groups and what each profile targets; Intune reporting `failed` ends the wait too. On create, a wait that ends without an assigned profile is a warning, not an error: Terraform would taint the device and the next apply would import it again. The registration stays in state and the next plan shows an in-place update that waits again, which reports an error if it ends the same way (`terraform plan -detailed-exitcode` exits 2 meanwhile). While it is on, a device whose profile is not assigned always plans that update. Needs `Device.Read.All` besides (the Entra device and its groups).
    #[schemars(extend("x-tf-default" = false))]
    pub wait_for_profile_assignment: Attr<bool>,
    /// How long operations may take.
    #[schemars(extend("x-tf" = "block"))]
    pub timeouts: Attr<Timeouts>,
}

impl DeviceModel {
    /// The attributes only Intune writes (none of them configurable): read
    /// from Graph, never a cause of a diff.
    pub(super) fn intune_facts(&self) -> [&Attr<String>; 10] {
        [
            &self.enrollment_state,
            &self.deployment_profile_assignment_status,
            &self.deployment_profile_assignment_detailed_status,
            &self.deployment_profile_assigned_date_time,
            &self.last_contacted_date_time,
            &self.managed_device_id,
            &self.entra_device_id,
            &self.manufacturer,
            &self.model,
            &self.purchase_order_id,
        ]
    }

    /// [`Self::intune_facts`], to set.
    pub(super) fn intune_facts_mut(&mut self) -> [&mut Attr<String>; 10] {
        [
            &mut self.enrollment_state,
            &mut self.deployment_profile_assignment_status,
            &mut self.deployment_profile_assignment_detailed_status,
            &mut self.deployment_profile_assigned_date_time,
            &mut self.last_contacted_date_time,
            &mut self.managed_device_id,
            &mut self.entra_device_id,
            &mut self.manufacturer,
            &mut self.model,
            &mut self.purchase_order_id,
        ]
    }
}

timeouts_block! {
    /// Time limits of operations. Create, update and delete are bounded by
    /// their settings (or the defaults); a refresh by Graph's own retry limit.
    pub struct Timeouts {
        /// How long a create may wait for the import to be processed and the device to appear, e.g. `"10m"` or `"1h"`. Defaults to `"20m"`; imports in a real tenant usually take 5 to 15 minutes.
        create { bounds: ["create"], default: Some(DEFAULT_CREATE_TIMEOUT) },
        /// How long an update may wait for Autopilot to show a changed group tag, display name or user: they show after an Autopilot sync, and Intune allows one sync every 10 minutes. Defaults to `"20m"`.
        update { bounds: ["update"], default: Some(DEFAULT_UPDATE_TIMEOUT) },
        /// How long a destroy may wait for Autopilot to finish deleting the registration (deletion is asynchronous; until it ends the serial number cannot be imported again). Defaults to `"10m"`.
        delete { bounds: ["delete"], default: Some(DEFAULT_DELETE_TIMEOUT) },
    }
}

timed_model!(DeviceModel => Timeouts);
