//! The `autopilot_device_csv` model: the schema Terraform sees.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::Attr;

use super::{DEFAULT_DELETE_TIMEOUT, DEFAULT_TIMEOUT};
use crate::resources::timeouts::{timed_model, timeouts_block};

/// The devices of a hardware hash CSV, as `Get-WindowsAutopilotInfo`
/// writes it and the Intune admin center imports it, managed as one set.
/// The CSV is checked at plan time, with line numbers. Devices are imported
/// in chunks of at most 500 rows (Intune's limit per import), so a CSV may
/// have any number of rows. Rows added to the CSV are imported, removed rows
/// are deleted from Autopilot, changed group tags and assigned users are
/// updated in place. With `wait_for_profile_assignment`, create and update
/// wait until Intune has assigned a deployment profile to every device.
///
/// A row whose device is registered in this tenant already (Intune's 806,
/// `ZtdDeviceAlreadyAssigned`, with exactly one registration of that serial
/// number: put there by an OEM, a reseller, another tool or by hand) is
/// adopted, and a warning names each adopted serial number: from then on
/// Terraform manages that registration, and a destroy deletes it.
///
/// A row the service refuses (for example 808, registered in another
/// tenant, or a bad hash) is reported with its line and code and left out
/// of `devices`; every other row lands, and the next plan shows the missing
/// rows as an in-place update. What a pipeline sees:
///
/// - **first apply** (create): a warning, and the apply completes (exit 0),
///   since Terraform would taint a resource whose create reported an error
///   and the next apply would then delete and import again every device. To
///   make the pipeline fail, add a postcondition (Terraform 1.2+), which fails
///   the apply and keeps the devices that landed:
///   `lifecycle { postcondition { condition = length(self.devices) == length(csvdecode(file("hwids.csv"))) error_message = "Some rows were not imported." } }`;
///   `terraform plan -detailed-exitcode` after the apply also exits 2;
/// - **later applies** (update): an error (exit 1); the devices that landed
///   stay in state and the resource is not replaced.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct DeviceCsvModel {
    /// An id for this set of devices (generated).
    #[schemars(extend("x-tf" = "computed,stable"))]
    pub id: Attr<String>,
    /// The CSV text, usually `file("hwids.csv")`. Its header is exactly `Device Serial Number,Windows Product ID,Hardware Hash`, optionally followed by `,Group Tag` and then `,Assigned User`; no quotation marks, no extra columns. Unpadded hashes are padded as Autopilot requires. Sensitive, because it holds hardware hashes.
    #[schemars(extend("x-tf" = "required,sensitive"))]
    pub content: Attr<String>,
    /// A group tag for every device of the CSV; when set it replaces the CSV's `Group Tag` column.
    pub group_tag: Attr<String>,
    /// The devices that are registered, by serial number.
    #[schemars(extend("x-tf" = "computed"))]
    pub devices: Attr<BTreeMap<String, CsvDevice>>,
    /// The serial numbers of the registered devices, sorted: the keys of `devices`, and the resource's identity (Terraform 1.12+: `import { identity = { serial_numbers = [...] } }`). It changes as rows are added or removed.
    #[schemars(extend("x-tf" = "computed"))]
    pub serial_numbers: Attr<Vec<String>>,
    /// On destroy (and for rows removed from the CSV), delete the Intune managed device of each device enrolled in Intune first, wait (within `timeouts.delete`, or `timeouts.update` for removed rows) until Intune no longer shows the registrations enrolled, then delete the registrations: for lab tenants that are rebuilt. Off (the default), enrolled devices are refused. The destroy uses the applied state, so apply the change before destroying. Needs `DeviceManagementManagedDevices.ReadWrite.All`.
    #[schemars(extend("x-tf-default" = false))]
    pub destroy_enrolled: Attr<bool>,
    /// With `destroy_enrolled = true`, also delete each device's Microsoft Entra device object once its registration is gone. Only valid with `destroy_enrolled = true`. Needs `Device.ReadWrite.All`.
    #[schemars(extend("x-tf-default" = false))]
    pub destroy_entra_device: Attr<bool>,
    /// After create and after each update, wait until Intune reports a deployment profile as assigned (`deployment_profile_assignment_status` `assignedInSync`, `assignedOutOfSync` or `assignedUnkownSyncState`) for every device of the CSV, within `timeouts.create` or `timeouts.update`, with one listing of the registrations per poll. A device that no deployment profile targets (none is assigned to its groups, read from its Microsoft Entra device's `memberOf`, nor to all devices) fails fast, naming its groups and what each profile targets; Intune reporting `failed` ends the wait for that device too. On create, a wait that ends with devices whose profile is not assigned is a warning, not an error: Terraform would taint the CSV and the next apply would import every device again. The devices stay in state and the next plan shows an in-place update that waits again, which reports an error if it ends the same way. While it is on, rows whose profile is not assigned always plan that update. Needs `Device.Read.All` besides (the Entra devices and their groups).
    #[schemars(extend("x-tf-default" = false))]
    pub wait_for_profile_assignment: Attr<bool>,
    /// How long operations may take.
    #[schemars(extend("x-tf" = "block"))]
    pub timeouts: Attr<CsvTimeouts>,
}

/// One registered device of the CSV.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct CsvDevice {
    /// The Autopilot device id.
    pub id: Attr<String>,
    /// The device's group tag.
    pub group_tag: Attr<String>,
    /// The user assigned to the device.
    pub assigned_user_principal_name: Attr<String>,
    /// The device's enrollment state, e.g. `notContacted` or `enrolled`.
    pub state: Attr<String>,
    /// Whether a deployment profile is assigned, e.g. `notAssigned`, `pending` or `assignedInSync`.
    pub deployment_profile_assignment_status: Attr<String>,
    /// Why the deployment profile is or is not assigned (Intune's detailed status).
    pub deployment_profile_assignment_detailed_status: Attr<String>,
    /// When Intune assigned the deployment profile (RFC 3339); null while none is.
    pub deployment_profile_assigned_date_time: Attr<String>,
    /// When the device last contacted Autopilot (RFC 3339); null while it never has.
    pub last_contacted_date_time: Attr<String>,
    /// The id of the Intune managed device, once the device has enrolled.
    pub managed_device_id: Attr<String>,
    /// The id of the device's Entra device object, once it has one.
    pub entra_device_id: Attr<String>,
    /// The manufacturer, as read from the hardware hash.
    pub manufacturer: Attr<String>,
    /// The model, as read from the hardware hash.
    pub model: Attr<String>,
    /// The purchase order id the device was registered with, if any.
    pub purchase_order_id: Attr<String>,
}

impl DeviceCsvModel {
    /// Sets `devices` and, with it, `serial_numbers` (known exactly when the
    /// devices are).
    pub(super) fn set_devices(&mut self, devices: Attr<BTreeMap<String, CsvDevice>>) {
        self.serial_numbers = match &devices {
            Attr::Known(devices) => Attr::Known(devices.keys().cloned().collect()),
            Attr::Null => Attr::Null,
            Attr::Unknown => Attr::Unknown,
        };
        self.devices = devices;
    }
}

impl CsvDevice {
    /// A row still to import: what Intune will know about it is unknown.
    pub(super) fn to_import() -> Self {
        CsvDevice {
            id: Attr::Unknown,
            group_tag: Attr::Unknown,
            assigned_user_principal_name: Attr::Unknown,
            state: Attr::Unknown,
            deployment_profile_assignment_status: Attr::Unknown,
            deployment_profile_assignment_detailed_status: Attr::Unknown,
            deployment_profile_assigned_date_time: Attr::Unknown,
            last_contacted_date_time: Attr::Unknown,
            managed_device_id: Attr::Unknown,
            entra_device_id: Attr::Unknown,
            manufacturer: Attr::Unknown,
            model: Attr::Unknown,
            purchase_order_id: Attr::Unknown,
        }
    }
}

timeouts_block! {
    /// Time limits of operations. Create, update and delete are bounded by
    /// their settings (or the defaults); a refresh by Graph's own retry limit.
    pub struct CsvTimeouts {
        /// How long the first apply may wait for the imports, e.g. `"30m"` (the default).
        create { bounds: ["create"], default: Some(DEFAULT_TIMEOUT) },
        /// How long a later apply may wait for the imports of added rows, and for Autopilot to show changed group tags and users (they show after an Autopilot sync; Intune allows one every 10 minutes), e.g. `"30m"` (the default).
        update { bounds: ["update"], default: Some(DEFAULT_TIMEOUT) },
        /// How long a destroy may wait for Autopilot to finish deleting the registrations (deletion is asynchronous), e.g. `"10m"` (the default).
        delete { bounds: ["delete"], default: Some(DEFAULT_DELETE_TIMEOUT) },
    }
}

timed_model!(DeviceCsvModel => CsvTimeouts);
