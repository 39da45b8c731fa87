//! `autopilot_device` and Graph: the device to import, the state for an
//! Autopilot identity, and the writes that bring a registration to the
//! plan.

use tfplugin::{Attr, Diagnostics};

use super::DeviceModel;
use crate::devices::graph::{self, DeviceIdentity, DeviceProperties, NewDevice};
use crate::devices::hash;
use crate::devices::ops::Deadline;
use crate::devices::sync::{self, Expected, Shown};
use crate::devices::teardown::flag_or_off;
use crate::graph::GraphClient;
use crate::resources::string_like_prior;

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

impl DeviceModel {
    pub(super) fn new_device(&self) -> Result<NewDevice, String> {
        let hash = self.hardware_hash.known().cloned().unwrap_or_default();
        Ok(NewDevice {
            serial_number: self.serial_number.known().cloned().unwrap_or_default(),
            product_key: self.product_key.known().cloned(),
            hardware_hash: hash::normalize(&hash).map_err(|e| e.to_string())?,
            group_tag: self.group_tag.known().cloned(),
            assigned_user: self.assigned_user_principal_name.known().cloned(),
        })
    }

    /// The state for `device`, keeping what Graph does not return (the
    /// hash, the serial number's spelling) from `base`. With `trust_base`
    /// the configurable properties come from `base` (just written), else
    /// from Graph (a refresh, which must show drift).
    pub(super) fn with_identity(
        base: &DeviceModel,
        device: DeviceIdentity,
        trust_base: bool,
    ) -> DeviceModel {
        let from_graph = |base: &Attr<String>, fresh: Option<String>| {
            if trust_base && base.is_known() {
                base.clone()
            } else if trust_base && base.is_null() {
                Attr::Null
            } else {
                string_like_prior(base, fresh)
            }
        };
        let facts = device.facts();
        DeviceModel {
            id: Attr::Known(device.id),
            serial_number: match &base.serial_number {
                Attr::Known(s) => Attr::Known(s.clone()),
                _ => Attr::Known(device.serial_number.unwrap_or_default()),
            },
            hardware_hash: match &base.hardware_hash {
                Attr::Known(h) => Attr::Known(h.clone()),
                _ => Attr::Known(String::new()),
            },
            product_key: match &base.product_key {
                Attr::Known(p) => Attr::Known(p.clone()),
                _ if base.id.is_known() || trust_base => Attr::Null,
                // Import: what Graph has.
                _ => non_empty(device.product_key).into(),
            },
            group_tag: from_graph(&base.group_tag, device.group_tag),
            assigned_user_principal_name: from_graph(
                &base.assigned_user_principal_name,
                same_spelling(
                    &base.assigned_user_principal_name,
                    device.user_principal_name,
                ),
            ),
            display_name: match (&base.display_name, trust_base) {
                (Attr::Known(name), true) => Attr::Known(name.clone()),
                _ => string_like_prior(&base.display_name, device.display_name),
            },
            enrollment_state: Attr::Known(facts.enrollment_state),
            deployment_profile_assignment_status: Attr::Known(
                facts.deployment_profile_assignment_status,
            ),
            deployment_profile_assignment_detailed_status: facts
                .deployment_profile_assignment_detailed_status
                .into(),
            deployment_profile_assigned_date_time: facts
                .deployment_profile_assigned_date_time
                .into(),
            last_contacted_date_time: facts.last_contacted_date_time.into(),
            managed_device_id: facts.managed_device_id.into(),
            entra_device_id: facts.entra_device_id.into(),
            manufacturer: facts.manufacturer.into(),
            model: facts.model.into(),
            purchase_order_id: facts.purchase_order_id.into(),
            destroy_enrolled: flag_or_off(&base.destroy_enrolled),
            destroy_entra_device: flag_or_off(&base.destroy_entra_device),
            wait_for_profile_assignment: flag_or_off(&base.wait_for_profile_assignment),
            timeouts: base.timeouts.clone(),
        }
    }
}

/// A user principal name from Graph in the prior spelling when it is the
/// same name (UPNs are compared without case), so that a change of case
/// alone is no diff.
pub fn same_spelling(prior: &Attr<String>, fresh: Option<String>) -> Option<String> {
    match (prior, fresh) {
        (Attr::Known(before), Some(now)) if before.eq_ignore_ascii_case(&now) => {
            Some(before.clone())
        }
        (_, fresh) => fresh,
    }
}

/// Writes the properties in which `device` differs from `planned`; returns
/// what the identity shows once Autopilot has applied them (empty when
/// nothing was written).
pub(super) async fn converge(
    client: &GraphClient,
    device: &DeviceIdentity,
    planned: &DeviceModel,
) -> Result<Expected, (&'static str, crate::graph::GraphError)> {
    let mut properties = DeviceProperties::default();
    let want_tag = planned.group_tag.known().cloned().unwrap_or_default();
    if !planned.group_tag.is_unknown() && device.group_tag.clone().unwrap_or_default() != want_tag {
        properties.group_tag = Some(want_tag);
    }
    if let Attr::Known(name) = &planned.display_name
        && device.display_name.as_deref().unwrap_or_default() != name
    {
        properties.display_name = Some(name.clone());
    }
    let mut expected = Expected::default();
    if properties.group_tag.is_some() || properties.display_name.is_some() {
        graph::update_properties(client, &device.id, &properties)
            .await
            .map_err(|e| ("update the device's group tag and display name", e))?;
        expected.group_tag = properties.group_tag;
        expected.display_name = properties.display_name;
    }
    let want_user = planned.assigned_user_principal_name.known();
    let has_user = non_empty(device.user_principal_name.clone());
    if !planned.assigned_user_principal_name.is_unknown()
        && want_user.map(|u| u.to_lowercase()) != has_user.as_ref().map(|u| u.to_lowercase())
    {
        graph::set_user(client, &device.id, want_user.map(String::as_str))
            .await
            .map_err(|e| ("assign the device's user", e))?;
        expected.user = Some(want_user.cloned());
    }
    Ok(expected)
}

/// After writes to a device: asks for an Autopilot sync and waits until the
/// identity shows what was written. The identity as read when it does;
/// `None` (with a warning) when it did not within `deadline`.
pub(super) async fn settle_one(
    client: &GraphClient,
    id: &str,
    written: tokio::time::Instant,
    expected: Expected,
    deadline: Deadline,
    diags: &mut Diagnostics,
) -> Option<DeviceIdentity> {
    let wanted = std::collections::HashMap::from([(id.to_string(), expected)]);
    let reason = match sync::settle(client, written, &wanted, deadline).await {
        Ok(Shown::All(mut seen)) => return seen.remove(id),
        Ok(Shown::NotYet { .. }) => format!("not within {}s", deadline.budget().as_secs()),
        Err(e) => format!("the Autopilot sync failed: {e}"),
    };
    diags.warning(
        "Autopilot does not show the device's changes yet",
        sync::not_shown_detail(1, &reason),
    );
    None
}
