//! Data source `autopilot_devices`: the tenant's registered Autopilot
//! devices, filtered by group tag, serial number prefix and enrollment
//! state. It reads the per-process listing that device resources share, so
//! it costs one paged listing however many devices there are.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::{Attr, AttrPath, DataSource, Diagnostics};

use crate::devices::cache::DeviceCache;
use crate::devices::graph::DeviceIdentity;
use crate::graph::GraphClient;

/// The values of Graph's `enrollmentState`.
pub const ENROLLMENT_STATES: [&str; 6] = [
    "unknown",
    "enrolled",
    "pendingReset",
    "failed",
    "notContacted",
    "blocked",
];

/// The tenant's Windows Autopilot devices, optionally filtered; every
/// filter that is set must match. Sorted by serial number.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(extend("x-tf-fields" = "computed"))]
pub struct DevicesDataModel {
    /// An id made of the filters.
    pub id: Attr<String>,
    /// Only devices with this group tag (compared without case).
    #[schemars(extend("x-tf" = "optional"))]
    pub group_tag: Attr<String>,
    /// Only devices whose serial number starts with this (compared without case).
    #[schemars(extend("x-tf" = "optional"))]
    pub serial_number_prefix: Attr<String>,
    /// Only devices in this enrollment state: `unknown`, `enrolled`, `pendingReset`, `failed`, `notContacted` or `blocked`.
    #[schemars(extend("x-tf" = "optional"))]
    pub enrollment_state: Attr<String>,
    /// The ids of the matching devices, in the order of `devices`.
    pub ids: Attr<Vec<String>>,
    /// The matching devices.
    pub devices: Attr<Vec<DeviceEntry>>,
}

/// One registered Autopilot device.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct DeviceEntry {
    /// The Autopilot device id.
    pub id: Attr<String>,
    /// The serial number.
    pub serial_number: Attr<String>,
    /// The group tag.
    pub group_tag: Attr<String>,
    /// The assigned user.
    pub assigned_user_principal_name: Attr<String>,
    /// The display name.
    pub display_name: Attr<String>,
    /// The enrollment state.
    pub enrollment_state: Attr<String>,
    /// The deployment profile assignment status.
    pub deployment_profile_assignment_status: Attr<String>,
    /// The manufacturer.
    pub manufacturer: Attr<String>,
    /// The model.
    pub model: Attr<String>,
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
    /// The purchase order id the device was registered with, if any.
    pub purchase_order_id: Attr<String>,
}

fn text(value: &Option<String>) -> Attr<String> {
    value.clone().filter(|v| !v.is_empty()).into()
}

impl DeviceEntry {
    fn from_graph(device: &DeviceIdentity) -> Self {
        let facts = device.facts();
        DeviceEntry {
            id: Attr::Known(device.id.clone()),
            serial_number: text(&device.serial_number),
            group_tag: text(&device.group_tag),
            assigned_user_principal_name: text(&device.user_principal_name),
            display_name: text(&device.display_name),
            enrollment_state: Attr::Known(facts.enrollment_state),
            deployment_profile_assignment_status: Attr::Known(
                facts.deployment_profile_assignment_status,
            ),
            manufacturer: facts.manufacturer.into(),
            model: facts.model.into(),
            deployment_profile_assignment_detailed_status: facts
                .deployment_profile_assignment_detailed_status
                .into(),
            deployment_profile_assigned_date_time: facts
                .deployment_profile_assigned_date_time
                .into(),
            last_contacted_date_time: facts.last_contacted_date_time.into(),
            managed_device_id: facts.managed_device_id.into(),
            entra_device_id: facts.entra_device_id.into(),
            purchase_order_id: facts.purchase_order_id.into(),
        }
    }
}

/// The filters of a configuration.
#[derive(Debug, Default)]
struct Filter {
    group_tag: Option<String>,
    serial_prefix: Option<String>,
    state: Option<String>,
}

impl Filter {
    fn of(config: &DevicesDataModel) -> Self {
        Filter {
            group_tag: config.group_tag.known().map(|t| t.to_lowercase()),
            serial_prefix: config
                .serial_number_prefix
                .known()
                .map(|p| p.to_lowercase()),
            state: config.enrollment_state.known().cloned(),
        }
    }

    fn matches(&self, device: &DeviceIdentity) -> bool {
        let lower = |v: &Option<String>| v.as_deref().unwrap_or_default().to_lowercase();
        self.group_tag
            .as_ref()
            .is_none_or(|t| lower(&device.group_tag) == *t)
            && self
                .serial_prefix
                .as_ref()
                .is_none_or(|p| lower(&device.serial_number).starts_with(p.as_str()))
            && self
                .state
                .as_ref()
                .is_none_or(|s| device.enrollment_state.as_deref().unwrap_or("unknown") == s)
    }

    fn id(&self) -> String {
        format!(
            "group_tag={};serial_number_prefix={};enrollment_state={}",
            self.group_tag.as_deref().unwrap_or("*"),
            self.serial_prefix.as_deref().unwrap_or("*"),
            self.state.as_deref().unwrap_or("*")
        )
    }
}

/// The matching devices, sorted by serial number then id.
fn select<'a>(
    devices: impl Iterator<Item = &'a DeviceIdentity>,
    filter: &Filter,
) -> Vec<&'a DeviceIdentity> {
    let mut selected: Vec<&DeviceIdentity> = devices.filter(|d| filter.matches(d)).collect();
    selected.sort_by(|a, b| {
        (a.serial_number.as_deref().unwrap_or_default(), &a.id)
            .cmp(&(b.serial_number.as_deref().unwrap_or_default(), &b.id))
    });
    selected
}

pub struct DevicesData;

#[async_trait]
impl DataSource<GraphClient> for DevicesData {
    type Model = DevicesDataModel;
    const TYPE_NAME: &'static str = "autopilot_devices";

    fn validate(&self, config: &DevicesDataModel, diags: &mut Diagnostics) {
        if let Attr::Known(state) = &config.enrollment_state
            && !ENROLLMENT_STATES.contains(&state.as_str())
        {
            diags.error_at(
                AttrPath::root("enrollment_state"),
                "Invalid value for `enrollment_state`",
                format!(
                    "{state:?} is not one of: {}.",
                    ENROLLMENT_STATES
                        .iter()
                        .map(|s| format!("`{s}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
    }

    async fn read(
        &self,
        client: &GraphClient,
        config: DevicesDataModel,
        diags: &mut Diagnostics,
    ) -> Option<DevicesDataModel> {
        // A fresh listing: a data source is read once per run, often right
        // after devices were imported in the same apply, and must not answer
        // from a listing taken before those imports finished.
        let listing = match DeviceCache::shared().fresh_listing(client).await {
            Ok(listing) => listing,
            Err(e) => {
                diags.error("Cannot list the Autopilot devices", e.to_string());
                return None;
            }
        };
        let filter = Filter::of(&config);
        let selected = select(listing.devices(), &filter);
        Some(DevicesDataModel {
            id: Attr::Known(filter.id()),
            ids: Attr::Known(selected.iter().map(|d| d.id.clone()).collect()),
            devices: Attr::Known(selected.into_iter().map(DeviceEntry::from_graph).collect()),
            ..config
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(id: &str, serial: &str, tag: Option<&str>, state: &str) -> DeviceIdentity {
        DeviceIdentity {
            id: id.into(),
            serial_number: Some(serial.into()),
            group_tag: tag.map(str::to_string),
            enrollment_state: Some(state.into()),
            ..Default::default()
        }
    }

    #[test]
    fn filters_combine() {
        let devices = [
            device("3", "PF-B", Some("SITE-A"), "notContacted"),
            device("1", "PF-A", Some("site-a"), "enrolled"),
            device("2", "XX-C", Some("SITE-A"), "notContacted"),
            device("4", "PF-D", None, "notContacted"),
        ];
        let ids = |filter: Filter| -> Vec<String> {
            select(devices.iter(), &filter)
                .iter()
                .map(|d| d.id.clone())
                .collect()
        };
        assert_eq!(ids(Filter::default()), ["1", "3", "4", "2"]);
        assert_eq!(
            ids(Filter {
                group_tag: Some("site-a".into()),
                ..Default::default()
            }),
            ["1", "3", "2"]
        );
        assert_eq!(
            ids(Filter {
                group_tag: Some("site-a".into()),
                serial_prefix: Some("pf-".into()),
                state: Some("notContacted".into()),
            }),
            ["3"]
        );
    }

    #[test]
    fn schema_derives_and_validates() {
        let schema = tfplugin::Schema::of::<DevicesDataModel>(0).expect("schema");
        assert!(schema.block.attribute("devices").expect("devices").computed);
        let mut diags = Diagnostics::new();
        DevicesData.validate(
            &DevicesDataModel {
                enrollment_state: Attr::Known("Enrolled".into()),
                ..Default::default()
            },
            &mut diags,
        );
        assert!(diags.has_errors());
    }
}
