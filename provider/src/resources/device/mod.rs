//! `autopilot_device`: one Windows Autopilot device registration, imported
//! from its serial number and hardware hash.

mod graph;
mod model;
mod registration;
#[cfg(test)]
mod tests;
mod validate;
mod wait;

pub use registration::{EXPORT, LIST, payloads};

use std::time::Duration;

use async_trait::async_trait;
use tfplugin::{Attr, AttrPath, Diagnostics, PlanRequest, Resource};

pub use self::graph::same_spelling;
use self::graph::{converge, settle_one};
pub use self::model::{DeviceModel, Timeouts};
use super::{read_after_update, report};
use crate::devices::adoption;
use crate::devices::cache::DeviceCache;
use crate::devices::graph::{self as devices_graph, DeviceIdentity};
use crate::devices::hash;
use crate::devices::ops::{self, Deadline, ImportError};
use crate::devices::teardown::{self, Teardown};
use crate::graph::GraphClient;
use crate::resources::timeouts::timeout;

/// How long a create may follow its import when `timeouts.create` is unset.
pub const DEFAULT_CREATE_TIMEOUT: Duration = Duration::from_secs(20 * 60);
/// How long an update may wait for Autopilot to show what it wrote when
/// `timeouts.update` is unset: a sync may have to wait for Intune's
/// 10-minute rule.
pub const DEFAULT_UPDATE_TIMEOUT: Duration = Duration::from_secs(20 * 60);
/// How long a destroy may wait for Autopilot to finish deleting when
/// `timeouts.delete` is unset.
pub const DEFAULT_DELETE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// The resource.
pub struct Device;

/// The state after an update that left `device` as Graph shows it: values
/// the plan already promised stay as planned.
fn promised_state(planned: &DeviceModel, device: DeviceIdentity) -> DeviceModel {
    let mut state = DeviceModel::with_identity(planned, device, true);
    for (slot, promised) in state
        .intune_facts_mut()
        .into_iter()
        .zip(planned.intune_facts())
    {
        if !promised.is_unknown() {
            *slot = promised.clone();
        }
    }
    state
}

#[async_trait]
impl Resource<GraphClient> for Device {
    type Model = DeviceModel;
    const TYPE_NAME: &'static str = "autopilot_device";

    /// The registration's id and its serial number (either is what
    /// `terraform import` takes): an identity import uses the id when given,
    /// else the serial number.
    fn identity(&self) -> &'static [tfplugin::IdentityAttribute] {
        const IDENTITY: &[tfplugin::IdentityAttribute] = &[
            tfplugin::IdentityAttribute::optional("id", "The Autopilot device identity's id."),
            tfplugin::IdentityAttribute::optional(
                "serial_number",
                "The device's serial number, unique among a tenant's Autopilot devices.",
            ),
        ];
        IDENTITY
    }

    fn validate(&self, config: &DeviceModel, diags: &mut Diagnostics) {
        validate::config(config, diags);
    }

    async fn modify_plan(
        &self,
        _client: Option<&GraphClient>,
        request: PlanRequest<'_, DeviceModel>,
        _diags: &mut Diagnostics,
    ) -> DeviceModel {
        let mut planned = request.planned;
        let Some(prior) = request.prior else {
            return planned;
        };
        // The same hash with other padding, or a hash after `terraform
        // import` (state holds an empty placeholder): no change.
        if let (Attr::Known(before), Attr::Known(now)) =
            (&prior.hardware_hash, &request.config.hardware_hash)
            && (before.is_empty() || hash::same(before, now))
        {
            planned.hardware_hash = prior.hardware_hash.clone();
        }
        // Serial numbers are compared without case, as Autopilot does.
        if let (Attr::Known(before), Attr::Known(now)) =
            (&prior.serial_number, &request.config.serial_number)
            && before.eq_ignore_ascii_case(now)
        {
            planned.serial_number = prior.serial_number.clone();
        }
        // The generic rules saw the hash or serial number "change" and
        // marked the computed values unknown; when nothing Graph holds
        // changes after all, they keep their prior values.
        let config = request.config;
        let writes = planned.group_tag != prior.group_tag
            || planned.assigned_user_principal_name != prior.assigned_user_principal_name
            || (!config.display_name.is_null() && planned.display_name != prior.display_name);
        let replaces = planned.serial_number != prior.serial_number
            || planned.hardware_hash != prior.hardware_hash
            || planned.product_key != prior.product_key;
        if !writes && !replaces {
            if config.display_name.is_null() {
                planned.display_name = prior.display_name.clone();
            }
            for (slot, before) in planned
                .intune_facts_mut()
                .into_iter()
                .zip(prior.intune_facts())
            {
                *slot = before.clone();
            }
        }
        wait::replan_unassigned(&mut planned, prior);
        planned
    }

    fn moves(&self) -> tfplugin::Moves<DeviceModel> {
        tfplugin::Moves::new(super::moves::DEVICE, super::moves::device)
    }

    async fn create(
        &self,
        client: &GraphClient,
        planned: DeviceModel,
        diags: &mut Diagnostics,
    ) -> Option<DeviceModel> {
        let device = match planned.new_device() {
            Ok(device) => device,
            Err(reason) => {
                diags.error_at(
                    AttrPath::root("hardware_hash"),
                    "Invalid hardware hash",
                    reason,
                );
                return None;
            }
        };
        let serial = device.serial_number.clone();
        let deadline =
            Deadline::after(timeout(&planned.timeouts, "create", DEFAULT_CREATE_TIMEOUT));
        let mut imported = ops::import_one(client, &device, deadline).await;
        for warning in imported.warnings.drain(..) {
            diags.warning("Import record left behind", warning);
        }
        adoption::warn_adopted(
            &imported.adopted,
            |_| None,
            AttrPath::root("serial_number"),
            diags,
        );
        let identity = match imported.results.pop() {
            Some(Ok(identity)) => identity,
            Some(Err(ImportError::Invisible { id, waited })) => {
                diags.error(
                    format!("Device {serial} was registered but is not readable yet"),
                    format!(
                        "The import completed as Autopilot device {id}, which did not become readable within {}s. \
                         It is kept in state (tainted); the next apply replaces it.",
                        waited.as_secs()
                    ),
                );
                let mut state = planned.clone();
                state.id = Attr::Known(id);
                let display_name = &mut state.display_name;
                if display_name.is_unknown() {
                    *display_name = Attr::Null;
                }
                for attr in state.intune_facts_mut() {
                    if attr.is_unknown() {
                        *attr = Attr::Null;
                    }
                }
                return Some(state);
            }
            Some(Err(error)) => {
                diags.error(
                    format!("Cannot register device {serial}: {}", error.code()),
                    error.to_string(),
                );
                return None;
            }
            None => {
                diags.error(
                    format!("Cannot register device {serial}"),
                    "The import produced no outcome.",
                );
                return None;
            }
        };
        tracing::info!(id = %identity.id, "registered Autopilot device");
        let cache = DeviceCache::shared();
        let written = tokio::time::Instant::now();
        let identity = match converge(client, &identity, &planned).await {
            Ok(expected) if expected.is_empty() => identity,
            Ok(expected) => {
                cache.invalidate();
                match settle_one(client, &identity.id, written, expected, deadline, diags).await {
                    Some(fresh) => fresh,
                    None => identity,
                }
            }
            Err((action, e)) => {
                report(diags, action, &e);
                // The registration exists: keep it (Terraform taints it).
                return Some(DeviceModel::with_identity(&planned, identity, false));
            }
        };
        let state = DeviceModel::with_identity(&planned, identity, true);
        Some(wait::after_write(client, &planned, state, "create", deadline, diags).await)
    }

    async fn read(
        &self,
        client: &GraphClient,
        current: DeviceModel,
        diags: &mut Diagnostics,
    ) -> Option<DeviceModel> {
        let id = current.id.known().cloned()?;
        match DeviceCache::shared().lookup(client, &id).await {
            Ok(Some(device)) => Some(DeviceModel::with_identity(&current, device, false)),
            Ok(None) => None,
            Err(e) => {
                report(diags, "read the Autopilot device", &e);
                // A failed read must not drop the resource from state.
                Some(current)
            }
        }
    }

    async fn update(
        &self,
        client: &GraphClient,
        prior: DeviceModel,
        planned: DeviceModel,
        diags: &mut Diagnostics,
    ) -> Option<DeviceModel> {
        let Some(id) = prior.id.known().cloned() else {
            diags.error("Cannot update the Autopilot device", "The state has no id.");
            return Some(prior);
        };
        let cache = DeviceCache::shared();
        // What the prior state says Graph holds; only differences are written.
        let as_prior = DeviceIdentity {
            id: id.clone(),
            group_tag: prior.group_tag.known().cloned(),
            display_name: prior.display_name.known().cloned(),
            user_principal_name: prior.assigned_user_principal_name.known().cloned(),
            ..Default::default()
        };
        let written = tokio::time::Instant::now();
        let converged = converge(client, &as_prior, &planned).await;
        cache.invalidate();
        let expected = match converged {
            Ok(expected) => expected,
            Err((action, e)) => {
                report(diags, action, &e);
                return Some(prior);
            }
        };
        let deadline =
            Deadline::after(timeout(&planned.timeouts, "update", DEFAULT_UPDATE_TIMEOUT));
        let settled = if expected.is_empty() {
            None
        } else {
            settle_one(client, &id, written, expected, deadline, diags).await
        };
        let read = match settled {
            Some(device) => Ok(Some(device)),
            None => devices_graph::get_identity(client, &id).await,
        };
        let read = read.map(|found| found.map(|device| promised_state(&planned, device)));
        let state = read_after_update(
            read,
            "Autopilot device",
            &format!("Autopilot device {id}"),
            prior,
            diags,
        )?;
        if diags.has_errors() {
            return Some(state);
        }
        Some(wait::after_write(client, &planned, state, "update", deadline, diags).await)
    }

    async fn delete(&self, client: &GraphClient, prior: DeviceModel, diags: &mut Diagnostics) {
        let Some(id) = prior.id.known() else { return };
        let enrolled = prior.enrollment_state.known().map(String::as_str) == Some("enrolled");
        let deadline = Deadline::after(timeout(&prior.timeouts, "delete", DEFAULT_DELETE_TIMEOUT));
        let teardown = Teardown::of(&prior.destroy_enrolled, &prior.destroy_entra_device);
        if let Err(detail) = teardown::destroy_one(client, id, enrolled, teardown, deadline).await {
            let serial = prior.serial_number.known().cloned().unwrap_or_default();
            diags.error(format!("Cannot delete Autopilot device {serial}"), detail);
        }
    }

    async fn import(
        &self,
        client: &GraphClient,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<DeviceModel> {
        let cache = DeviceCache::shared();
        let id = id.trim();
        let by_id = if uuid::Uuid::parse_str(id).is_ok() {
            match cache.lookup(client, id).await {
                Ok(found) => found,
                Err(e) => {
                    report(diags, "read the Autopilot device", &e);
                    return None;
                }
            }
        } else {
            None
        };
        let device = match by_id {
            Some(device) => device,
            None => {
                let listing = match cache.listing(client).await {
                    Ok(listing) => listing,
                    Err(e) => {
                        diags.error("Cannot list the Autopilot devices", e.to_string());
                        return None;
                    }
                };
                match listing.by_serial(id).as_slice() {
                    [only] => (*only).clone(),
                    [] => {
                        diags.error(
                            "Cannot import an Autopilot device that does not exist",
                            format!("No Autopilot device has the id or serial number {id:?}."),
                        );
                        return None;
                    }
                    several => {
                        let ids: Vec<&str> = several.iter().map(|d| d.id.as_str()).collect();
                        diags.error(
                            "Several Autopilot devices have this serial number",
                            format!(
                                "The serial number {id:?} belongs to {} registrations ({}); import one of them by id.",
                                ids.len(),
                                ids.join(", ")
                            ),
                        );
                        return None;
                    }
                }
            }
        };
        Some(DeviceModel::with_identity(
            &DeviceModel::default(),
            device,
            false,
        ))
    }
}
