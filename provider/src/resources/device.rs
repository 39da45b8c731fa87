//! `autopilot_device`: one Windows Autopilot device registration, imported
//! from its serial number and hardware hash.

mod registration;
pub use registration::{EXPORT, payloads};

use std::time::Duration;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::{Attr, AttrPath, Diagnostics, PlanRequest, Resource};

use super::{report, string_like_prior};
use crate::devices::cache::DeviceCache;
use crate::devices::graph::{self, DeviceIdentity, DeviceProperties, NewDevice};
use crate::devices::ops::{self, Deadline, ImportError, Wait};
use crate::devices::sync::{self, Expected, Shown};
use crate::devices::{hash, parse_duration, validate_device_name, validate_upn};
use crate::graph::GraphClient;

/// How long a create may follow its import when `timeouts.create` is unset.
pub const DEFAULT_CREATE_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// A Windows Autopilot device registration: the device's serial number and
/// hardware hash imported into the tenant (as a row of the Intune CSV
/// import would be), with its group tag, assigned user and display name.
/// Create waits until the import is processed and the device is registered;
/// an import the service refuses is an error naming its code. Import an
/// existing registration with `terraform import` and its id or serial
/// number. Only devices that are not enrolled in Intune can be deleted.
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
    /// How long operations may take.
    #[schemars(extend("x-tf" = "block"))]
    pub timeouts: Attr<Timeouts>,
}

/// How long an update may wait for Autopilot to show what it wrote when
/// `timeouts.update` is unset: a sync may have to wait for Intune's
/// 10-minute rule.
pub const DEFAULT_UPDATE_TIMEOUT: Duration = Duration::from_secs(20 * 60);
/// How long a destroy may wait for Autopilot to finish deleting when
/// `timeouts.delete` is unset.
pub const DEFAULT_DELETE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// Time limits of operations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct Timeouts {
    /// How long a create may wait for the import to be processed and the device to appear, e.g. `"10m"` or `"1h"`. Defaults to `"20m"`; imports in a real tenant usually take 5 to 15 minutes.
    pub create: Attr<String>,
    /// How long an update may wait for Autopilot to show a changed group tag, display name or user: they show after an Autopilot sync, and Intune allows one sync every 10 minutes. Defaults to `"20m"`.
    pub update: Attr<String>,
    /// How long a destroy may wait for Autopilot to finish deleting the registration (deletion is asynchronous; until it ends the serial number cannot be imported again). Defaults to `"10m"`.
    pub delete: Attr<String>,
}

/// The create timeout of a `timeouts` block.
pub fn create_timeout(timeouts: &Attr<Timeouts>, default: Duration) -> Duration {
    timeout(timeouts, |t| &t.create, default)
}

/// One timeout of a `timeouts` block, or `default`.
pub fn timeout(
    timeouts: &Attr<Timeouts>,
    pick: fn(&Timeouts) -> &Attr<String>,
    default: Duration,
) -> Duration {
    timeouts
        .known()
        .and_then(|t| pick(t).known())
        .and_then(|text| parse_duration(text).ok())
        .unwrap_or(default)
}

/// Checks a `timeouts` block's values.
pub fn validate_timeouts(timeouts: &Attr<Timeouts>, diags: &mut Diagnostics) {
    let Some(block) = timeouts.known() else {
        return;
    };
    for (name, value) in [
        ("create", &block.create),
        ("update", &block.update),
        ("delete", &block.delete),
    ] {
        if let Attr::Known(text) = value
            && let Err(reason) = parse_duration(text)
        {
            diags.error_at(
                AttrPath::root("timeouts").attr(name),
                "Invalid timeout",
                reason,
            );
        }
    }
}

/// The resource.
pub struct Device;

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

impl DeviceModel {
    fn new_device(&self) -> Result<NewDevice, String> {
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
    fn with_identity(base: &DeviceModel, device: DeviceIdentity, trust_base: bool) -> DeviceModel {
        let from_graph = |base: &Attr<String>, fresh: Option<String>| {
            if trust_base && base.is_known() {
                base.clone()
            } else if trust_base && base.is_null() {
                Attr::Null
            } else {
                string_like_prior(base, fresh)
            }
        };
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
            enrollment_state: Attr::Known(
                device.enrollment_state.unwrap_or_else(|| "unknown".into()),
            ),
            deployment_profile_assignment_status: Attr::Known(
                device
                    .deployment_profile_assignment_status
                    .unwrap_or_else(|| "unknown".into()),
            ),
            manufacturer: non_empty(device.manufacturer).into(),
            model: non_empty(device.model).into(),
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
async fn converge(
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
async fn settle_one(
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

/// Error text for a device that cannot be deleted because it is enrolled.
pub fn enrolled_detail(device: &DeviceIdentity) -> String {
    let serial = device.serial_number.as_deref().unwrap_or("?");
    let managed = device
        .managed_device_id
        .as_deref()
        .filter(|m| !m.is_empty())
        .map(|m| format!(" (Intune managed device {m})"))
        .unwrap_or_default();
    format!(
        "Autopilot device {} (serial number {serial}) is enrolled in Intune{managed}. Only devices \
         that are not enrolled can be removed from Autopilot: delete or retire the device in Intune \
         first (Devices > Windows), then run terraform again. The full removal order is Intune, then \
         Autopilot, then the Microsoft Entra device.",
        device.id
    )
}

/// Deletes a registration and waits until Autopilot has finished deleting
/// it ("Windows Autopilot device deletion can take a few minutes to
/// complete", Microsoft's add-devices documentation), so that the serial
/// number can be imported again at once (a destroy followed by an apply);
/// within `deadline`. An enrolled device is refused with an explanation
/// rather than Graph's bare error.
pub async fn delete_registration(
    client: &GraphClient,
    id: &str,
    known_enrolled: bool,
    deadline: Deadline,
) -> Result<(), String> {
    start_deletion(client, id, known_enrolled).await?;
    let ids = [id.to_string()];
    match wait_until_deleted(client, &ids, deadline).await {
        Ok(left) if left.is_empty() => Ok(()),
        Ok(_) => Err(still_deleting(id, deadline)),
        Err(reason) => Err(reason),
    }
}

/// Asks Autopilot to delete a registration (it deletes asynchronously).
pub async fn start_deletion(
    client: &GraphClient,
    id: &str,
    known_enrolled: bool,
) -> Result<(), String> {
    let cache = DeviceCache::shared();
    if known_enrolled
        && let Ok(Some(device)) = graph::get_identity(client, id).await
        && device.is_enrolled()
    {
        return Err(enrolled_detail(&device));
    }
    let result = graph::delete_identity(client, id).await;
    cache.invalidate();
    match result {
        Ok(()) => Ok(()),
        Err(e) => match graph::get_identity(client, id).await {
            Ok(Some(device)) if device.is_enrolled() => Err(enrolled_detail(&device)),
            _ => Err(e.to_string()),
        },
    }
}

/// Waits until none of `ids` is registered any more (one read per round:
/// by id for one device, the listing for several), or `deadline`; returns
/// the ids still there.
pub async fn wait_until_deleted(
    client: &GraphClient,
    ids: &[String],
    deadline: Deadline,
) -> Result<Vec<String>, String> {
    let mut delay = Duration::from_millis(500);
    loop {
        let left: Vec<String> = if let [id] = ids {
            match graph::get_identity(client, id).await {
                Ok(None) => Vec::new(),
                Ok(Some(_)) => vec![id.clone()],
                Err(e) => return Err(format!("reading the device after deleting it failed: {e}")),
            }
        } else {
            let listed: std::collections::HashSet<String> = graph::list_identities(client)
                .await
                .map_err(|e| format!("listing the devices after deleting them failed: {e}"))?
                .into_iter()
                .map(|d| d.id)
                .collect();
            ids.iter()
                .filter(|id| listed.contains(*id))
                .cloned()
                .collect()
        };
        if left.is_empty() {
            DeviceCache::shared().invalidate();
            return Ok(left);
        }
        match deadline.pause(client, delay).await {
            Wait::Over => delay = (delay * 2).min(Duration::from_secs(15)),
            Wait::Expired => return Ok(left),
            Wait::Stopped => {
                return Err(
                    "Stopped while Autopilot was deleting the device; the deletion goes on.".into(),
                );
            }
        }
    }
}

/// The error for a deletion Autopilot had not finished within the timeout.
pub fn still_deleting(id: &str, deadline: Deadline) -> String {
    format!(
        "Autopilot accepted the deletion of device {id} but had not finished it within {}s (deletion \
         is asynchronous and can take a few minutes). Run the destroy again, or raise `timeouts.delete`.",
        deadline.budget().as_secs()
    )
}

#[async_trait]
impl Resource<GraphClient> for Device {
    type Model = DeviceModel;

    fn type_name(&self) -> &'static str {
        "autopilot_device"
    }

    fn validate(&self, config: &DeviceModel, diags: &mut Diagnostics) {
        if let Attr::Known(serial) = &config.serial_number
            && (serial.trim() != serial || serial.contains(','))
        {
            diags.error_at(
                AttrPath::root("serial_number"),
                "Invalid serial number",
                format!("{serial:?} has surrounding spaces or a comma; use the serial number exactly as the device reports it."),
            );
        }
        if let Attr::Known(text) = &config.hardware_hash
            && let Err(e) = hash::check(text)
        {
            diags.error_at(
                AttrPath::root("hardware_hash"),
                "Invalid hardware hash",
                format!("{e}. Use the `Hardware Hash` column of the CSV that Get-WindowsAutopilotInfo writes."),
            );
        }
        if let Attr::Known(user) = &config.assigned_user_principal_name
            && let Err(reason) = validate_upn(user)
        {
            diags.error_at(
                AttrPath::root("assigned_user_principal_name"),
                "Invalid user principal name",
                reason,
            );
        }
        if let Attr::Known(name) = &config.display_name
            && let Err(reason) = validate_device_name(name)
        {
            diags.error_at(
                AttrPath::root("display_name"),
                "Invalid device name",
                reason,
            );
        }
        validate_timeouts(&config.timeouts, diags);
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
            planned.enrollment_state = prior.enrollment_state.clone();
            planned.deployment_profile_assignment_status =
                prior.deployment_profile_assignment_status.clone();
            planned.manufacturer = prior.manufacturer.clone();
            planned.model = prior.model.clone();
        }
        planned
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
        let deadline = Deadline::after(create_timeout(&planned.timeouts, DEFAULT_CREATE_TIMEOUT));
        let mut imported = ops::import_one(client, &device, deadline).await;
        for warning in imported.warnings.drain(..) {
            diags.warning("Import record left behind", warning);
        }
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
                for attr in [
                    &mut state.enrollment_state,
                    &mut state.deployment_profile_assignment_status,
                    &mut state.manufacturer,
                    &mut state.model,
                    &mut state.display_name,
                ] {
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
        Some(DeviceModel::with_identity(&planned, identity, true))
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
        let settled = if expected.is_empty() {
            None
        } else {
            let deadline = Deadline::after(timeout(
                &planned.timeouts,
                |t| &t.update,
                DEFAULT_UPDATE_TIMEOUT,
            ));
            settle_one(client, &id, written, expected, deadline, diags).await
        };
        let read = match settled {
            Some(device) => Ok(Some(device)),
            None => graph::get_identity(client, &id).await,
        };
        match read {
            Ok(Some(device)) => {
                let mut state = DeviceModel::with_identity(&planned, device, true);
                // Values the plan already promised stay as planned.
                for (slot, promised) in [
                    (&mut state.enrollment_state, &planned.enrollment_state),
                    (
                        &mut state.deployment_profile_assignment_status,
                        &planned.deployment_profile_assignment_status,
                    ),
                    (&mut state.manufacturer, &planned.manufacturer),
                    (&mut state.model, &planned.model),
                ] {
                    if !promised.is_unknown() {
                        *slot = promised.clone();
                    }
                }
                Some(state)
            }
            Ok(None) => {
                diags.error(
                    "The Autopilot device disappeared",
                    format!("Autopilot device {id} was deleted while it was being updated."),
                );
                None
            }
            Err(e) => {
                report(diags, "read the Autopilot device after updating it", &e);
                Some(prior)
            }
        }
    }

    async fn delete(&self, client: &GraphClient, prior: DeviceModel, diags: &mut Diagnostics) {
        let Some(id) = prior.id.known() else { return };
        let enrolled = prior.enrollment_state.known().map(String::as_str) == Some("enrolled");
        let deadline = Deadline::after(timeout(
            &prior.timeouts,
            |t| &t.delete,
            DEFAULT_DELETE_TIMEOUT,
        ));
        if let Err(detail) = delete_registration(client, id, enrolled, deadline).await {
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
                        diags.error("Cannot list the Autopilot devices", e);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> DeviceModel {
        DeviceModel {
            serial_number: Attr::Known("SN1".into()),
            hardware_hash: Attr::Known("QUI".into()),
            ..Default::default()
        }
    }

    fn errors(model: &DeviceModel) -> Vec<String> {
        let mut diags = Diagnostics::new();
        Device.validate(model, &mut diags);
        diags
            .iter()
            .filter(|d| d.severity == tfplugin::Severity::Error)
            .filter_map(|d| d.path.as_ref().map(ToString::to_string))
            .collect()
    }

    #[test]
    fn schema_derives() {
        let schema = tfplugin::Schema::of::<DeviceModel>(0).expect("schema");
        let hash = schema.block.attribute("hardware_hash").expect("hash");
        assert!(hash.required && hash.sensitive && hash.force_new);
        let serial = schema.block.attribute("serial_number").expect("serial");
        assert!(serial.required && serial.force_new);
        let id = schema.block.attribute("id").expect("id");
        assert!(id.computed && id.stable);
        let timeouts = schema
            .block
            .blocks
            .iter()
            .find(|b| b.name == "timeouts")
            .expect("timeouts block");
        assert_eq!(timeouts.nesting, tfplugin::schema::Nesting::Single);
        assert!(timeouts.block.attribute("create").is_some());
    }

    #[test]
    fn validation_names_the_attribute() {
        assert!(errors(&config()).is_empty());
        let mut bad = config();
        bad.hardware_hash = Attr::Known("not base64!".into());
        bad.assigned_user_principal_name = Attr::Known("ana".into());
        bad.display_name = Attr::Known("kiosk_1".into());
        bad.timeouts = Attr::Known(Timeouts {
            create: Attr::Known("ten minutes".into()),
            ..Timeouts::default()
        });
        assert_eq!(
            errors(&bad),
            [
                "hardware_hash",
                "assigned_user_principal_name",
                "display_name",
                "timeouts.create"
            ]
        );
        let mut unknown = config();
        unknown.hardware_hash = Attr::Unknown;
        assert!(errors(&unknown).is_empty());
    }

    #[tokio::test]
    async fn padding_alone_is_not_a_change() {
        let mut prior = config();
        prior.id = Attr::Known("d1".into());
        let mut now = config();
        now.hardware_hash = Attr::Known("QUI=".into());
        let planned = Device
            .modify_plan(
                None,
                PlanRequest {
                    prior: Some(&prior),
                    config: &now,
                    planned: now.clone(),
                },
                &mut Diagnostics::new(),
            )
            .await;
        assert_eq!(planned.hardware_hash, Attr::Known("QUI".into()));
        // A real change stays a change.
        now.hardware_hash = Attr::Known("QUJD".into());
        let planned = Device
            .modify_plan(
                None,
                PlanRequest {
                    prior: Some(&prior),
                    config: &now,
                    planned: now.clone(),
                },
                &mut Diagnostics::new(),
            )
            .await;
        assert_eq!(planned.hardware_hash, Attr::Known("QUJD".into()));
        // After import the placeholder accepts the configured hash.
        prior.hardware_hash = Attr::Known(String::new());
        let planned = Device
            .modify_plan(
                None,
                PlanRequest {
                    prior: Some(&prior),
                    config: &now,
                    planned: now.clone(),
                },
                &mut Diagnostics::new(),
            )
            .await;
        assert_eq!(planned.hardware_hash, Attr::Known(String::new()));
    }

    #[test]
    fn enrolled_devices_are_explained() {
        let device = DeviceIdentity {
            id: "d1".into(),
            serial_number: Some("SN1".into()),
            enrollment_state: Some("enrolled".into()),
            managed_device_id: Some("m1".into()),
            ..Default::default()
        };
        let text = enrolled_detail(&device);
        assert!(
            text.contains("enrolled in Intune (Intune managed device m1)"),
            "{text}"
        );
        assert!(text.contains("Intune, then Autopilot"), "{text}");
    }

    #[test]
    fn user_case_alone_is_no_change() {
        let prior = Attr::Known("Ana@Contoso.com".to_string());
        assert_eq!(
            same_spelling(&prior, Some("ana@contoso.com".into())),
            Some("Ana@Contoso.com".into())
        );
        assert_eq!(
            same_spelling(&prior, Some("bob@contoso.com".into())),
            Some("bob@contoso.com".into())
        );
        assert_eq!(same_spelling(&prior, None), None);
    }

    #[test]
    fn state_from_graph() {
        let device = DeviceIdentity {
            id: "d1".into(),
            serial_number: Some("SN1".into()),
            group_tag: Some(String::new()),
            user_principal_name: Some("ana@contoso.com".into()),
            enrollment_state: Some("notContacted".into()),
            manufacturer: Some("Contoso".into()),
            ..Default::default()
        };
        // Import: everything from Graph, the hash a placeholder.
        let imported = DeviceModel::with_identity(&DeviceModel::default(), device.clone(), false);
        assert_eq!(imported.serial_number, Attr::Known("SN1".into()));
        assert_eq!(imported.hardware_hash, Attr::Known(String::new()));
        assert_eq!(imported.group_tag, Attr::Null);
        assert_eq!(
            imported.assigned_user_principal_name,
            Attr::Known("ana@contoso.com".into())
        );
        assert_eq!(
            imported.enrollment_state,
            Attr::Known("notContacted".into())
        );
        assert_eq!(imported.model, Attr::Null);
        // Refresh: drift shows.
        let mut current = config();
        current.group_tag = Attr::Known("SITE-A".into());
        let refreshed = DeviceModel::with_identity(&current, device, false);
        assert_eq!(refreshed.group_tag, Attr::Null);
        assert_eq!(refreshed.hardware_hash, Attr::Known("QUI".into()));
    }
}

#[cfg(test)]
mod plan_with_terraform_1_0 {
    use super::*;
    use tfplugin::AnyResource;

    #[tokio::test]
    async fn a_removed_timeouts_block_plans_null() {
        let schema = AnyResource::<GraphClient>::schema(&Device).expect("schema");
        let ty = schema.value_type();
        let prior = serde_json::json!({"id":"d1","serial_number":"SN1","hardware_hash":"QUI","product_key":null,"group_tag":"A","assigned_user_principal_name":null,"display_name":null,"enrollment_state":"notContacted","deployment_profile_assignment_status":"notAssigned","manufacturer":null,"model":null,"timeouts":{"create":"2m"}});
        let config = serde_json::json!({"id":null,"serial_number":"SN1","hardware_hash":"QUI","product_key":null,"group_tag":"B","assigned_user_principal_name":null,"display_name":null,"enrollment_state":null,"deployment_profile_assignment_status":null,"manufacturer":null,"model":null,"timeouts":null});
        let proposed = serde_json::json!({"id":"d1","serial_number":"SN1","hardware_hash":"QUI","product_key":null,"group_tag":"B","assigned_user_principal_name":null,"display_name":null,"enrollment_state":"notContacted","deployment_profile_assignment_status":"notAssigned","manufacturer":null,"model":null,"timeouts":{"create":null}});
        let v = |j: serde_json::Value| {
            tfplugin::value::from_json(j.to_string().as_bytes(), &ty).expect("value")
        };
        let out = AnyResource::plan(&Device, None, &schema, v(prior), v(proposed), v(config))
            .await
            .unwrap_or_else(|d| panic!("{d:?}"));
        assert_eq!(
            out.planned.attr("timeouts"),
            Some(&tfplugin::Value::Null),
            "{:?}",
            out.planned
        );
    }
}
