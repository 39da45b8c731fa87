//! Runtime settings of a lab instance, changed with `PUT /_lab/settings`.
//!
//! They start from the [`LabConfig`](crate::LabConfig) (CLI flags) and survive `POST /_lab/reset`.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::config::LabConfig;
use crate::graph::PAGINGS;
use crate::graph::collection::Paging;
use crate::sync::Lock;

/// Default and maximum page size of one collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PageSize {
    pub default: usize,
    pub max: usize,
}

/// Throttling budgets (per app per tenant). Defaults are Graph's documented limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThrottleLimits {
    /// Any request to one Intune service family, per window.
    pub intune_requests: u32,
    /// Writes (POST/PUT/PATCH/DELETE) to one Intune service family, per window.
    pub intune_writes: u32,
    pub intune_window_ms: u64,
    /// Directory requests (groups, service principals, users) per window.
    pub directory_requests: u32,
    pub directory_window_ms: u64,
    /// Directory writes per write window.
    pub directory_writes: u32,
    pub directory_write_window_ms: u64,
}

impl Default for ThrottleLimits {
    fn default() -> Self {
        ThrottleLimits {
            intune_requests: 1000,
            intune_writes: 100,
            intune_window_ms: 20_000,
            directory_requests: 3500,
            directory_window_ms: 10_000,
            directory_writes: 3000,
            directory_write_window_ms: 150_000,
        }
    }
}

/// Everything `PUT /_lab/settings` can change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Settings {
    /// How long a new group or service principal stays invisible to reads and refuses owner
    /// changes.
    pub replication_delay_ms: u64,
    /// How long an imported device identity stays `unknown` before it completes or fails.
    pub import_processing_ms: u64,
    /// Whether throttling (429) is enforced.
    pub throttling: bool,
    pub throttle_limits: ThrottleLimits,
    /// When set, the default and maximum page size of every collection.
    pub page_size: Option<usize>,
    /// Per-collection overrides (default and maximum), by collection name.
    pub page_sizes: BTreeMap<String, usize>,
    /// PATCH answers 200 with the entity instead of 204.
    pub patch_returns_entity: bool,
    /// Minimum time between two `windowsAutopilotSettings/sync` calls (429 before).
    pub sync_min_interval_ms: u64,
    /// Complex action results (`setEnrollmentTimeDeviceMembershipTarget`, ...) come as
    /// `{"value": {...}}` (the docs' example) instead of the bare object (OData's rule).
    pub complex_action_results_wrapped: bool,
    /// The request log keeps the JSON body of every Graph POST, PUT and PATCH (off by default:
    /// bodies may carry hardware hashes).
    pub record_request_bodies: bool,
    /// Deployment profile names and descriptions with characters Intune refuses are refused
    /// (on by default, as Intune does; off to seed a profile made before Intune checked them).
    pub profile_text_rules: bool,
    /// How long Intune does not see a new owner of a group: until then
    /// `setEnrollmentTimeDeviceMembershipTarget` reports `firstPartyAppNotAnOwner` for it.
    pub owner_replication_delay_ms: u64,
    /// `setEnrollmentTimeDeviceMembershipTarget` answers 500 to application (app-only) tokens, as
    /// observed in 2025-2026; delegated tokens work. Off by default: Microsoft documents the
    /// application permission as supported.
    pub enrollment_time_target_app_token_fails: bool,
    /// How long a deleted Autopilot device identity stays visible (deletion is asynchronous);
    /// importing its serial number meanwhile ends in 806 `ZtdDeviceAlreadyAssigned`.
    pub device_deletion_delay_ms: u64,
    /// How long after its managed device is deleted an Autopilot registration still shows
    /// `enrolled` (and refuses deletion). 0 (the default): at once.
    pub managed_device_release_delay_ms: u64,
    /// Group tag, display name and assigned user written with `updateDeviceProperties`,
    /// `assignUserToDevice` or `unassignUserFromDevice` show on the device identity only after
    /// the next `windowsAutopilotSettings/sync`.
    pub device_properties_after_sync: bool,
    /// How long after a device became targeted by a deployment profile (registered, or a group
    /// or assignment change) its `deploymentProfileAssignmentStatus` reads `pending` before
    /// `assignedInSync`. 0 (the default): assigned at once.
    pub profile_assignment_delay_ms: u64,
}

impl Settings {
    pub fn from_config(config: &LabConfig) -> Self {
        Settings {
            replication_delay_ms: config.replication_delay_ms,
            import_processing_ms: config.import_processing_ms,
            throttling: config.throttling,
            throttle_limits: ThrottleLimits::default(),
            page_size: config.page_size,
            page_sizes: BTreeMap::new(),
            patch_returns_entity: false,
            sync_min_interval_ms: 600_000,
            complex_action_results_wrapped: false,
            record_request_bodies: false,
            profile_text_rules: true,
            owner_replication_delay_ms: 0,
            enrollment_time_target_app_token_fails: false,
            device_deletion_delay_ms: 3_000,
            managed_device_release_delay_ms: 0,
            device_properties_after_sync: true,
            profile_assignment_delay_ms: 0,
        }
    }

    /// Default and maximum page size of a collection: its own (declared next to its listing)
    /// unless the `page_sizes` or `page_size` setting overrides it.
    pub fn page_size(&self, paging: &Paging) -> PageSize {
        if let Some(size) = self.page_sizes.get(paging.name) {
            return PageSize {
                default: *size,
                max: *size,
            };
        }
        if let Some(size) = self.page_size {
            return PageSize {
                default: size,
                max: size,
            };
        }
        paging.size
    }

    /// The JSON `GET /_lab/settings` returns, with the effective page sizes.
    pub fn to_json(&self) -> Value {
        let mut value = serde_json::to_value(self).unwrap_or(Value::Null);
        let effective: Map<String, Value> = PAGINGS
            .iter()
            .map(|paging| {
                let size = self.page_size(paging);
                (
                    paging.name.to_owned(),
                    serde_json::json!({"default": size.default, "max": size.max}),
                )
            })
            .collect();
        if let Some(map) = value.as_object_mut() {
            map.insert("effective_page_sizes".into(), Value::Object(effective));
        }
        value
    }

    /// Applies a partial update. Unknown keys and wrong types are refused, and nothing changes
    /// then.
    pub fn apply(&mut self, patch: &Map<String, Value>) -> Result<(), String> {
        let mut next = self.clone();
        for (key, value) in patch {
            match key.as_str() {
                "replication_delay_ms" => next.replication_delay_ms = as_u64(key, value)?,
                "import_processing_ms" => next.import_processing_ms = as_u64(key, value)?,
                "sync_min_interval_ms" => next.sync_min_interval_ms = as_u64(key, value)?,
                "throttling" => next.throttling = as_bool(key, value)?,
                "patch_returns_entity" => next.patch_returns_entity = as_bool(key, value)?,
                "complex_action_results_wrapped" => {
                    next.complex_action_results_wrapped = as_bool(key, value)?
                }
                "record_request_bodies" => next.record_request_bodies = as_bool(key, value)?,
                "profile_text_rules" => next.profile_text_rules = as_bool(key, value)?,
                "owner_replication_delay_ms" => {
                    next.owner_replication_delay_ms = as_u64(key, value)?
                }
                "enrollment_time_target_app_token_fails" => {
                    next.enrollment_time_target_app_token_fails = as_bool(key, value)?
                }
                "device_deletion_delay_ms" => next.device_deletion_delay_ms = as_u64(key, value)?,
                "managed_device_release_delay_ms" => {
                    next.managed_device_release_delay_ms = as_u64(key, value)?
                }
                "device_properties_after_sync" => {
                    next.device_properties_after_sync = as_bool(key, value)?
                }
                "profile_assignment_delay_ms" => {
                    next.profile_assignment_delay_ms = as_u64(key, value)?
                }
                "page_size" => {
                    next.page_size = match value {
                        Value::Null => None,
                        other => Some(as_page_size(key, other)?),
                    }
                }
                "page_sizes" => {
                    let Some(map) = value.as_object() else {
                        return Err("page_sizes must be an object {collection: size}".into());
                    };
                    for (collection, size) in map {
                        if !PAGINGS.iter().any(|paging| paging.name == collection) {
                            return Err(format!("page_sizes: unknown collection '{collection}'"));
                        }
                        if size.is_null() {
                            next.page_sizes.remove(collection);
                        } else {
                            next.page_sizes
                                .insert(collection.clone(), as_page_size(collection, size)?);
                        }
                    }
                }
                "throttle_limits" => {
                    let Some(map) = value.as_object() else {
                        return Err("throttle_limits must be an object".into());
                    };
                    let limits = &mut next.throttle_limits;
                    for (name, value) in map {
                        match name.as_str() {
                            "intune_requests" => limits.intune_requests = as_u32(name, value)?,
                            "intune_writes" => limits.intune_writes = as_u32(name, value)?,
                            "intune_window_ms" => limits.intune_window_ms = as_u64(name, value)?,
                            "directory_requests" => {
                                limits.directory_requests = as_u32(name, value)?
                            }
                            "directory_window_ms" => {
                                limits.directory_window_ms = as_u64(name, value)?
                            }
                            "directory_writes" => limits.directory_writes = as_u32(name, value)?,
                            "directory_write_window_ms" => {
                                limits.directory_write_window_ms = as_u64(name, value)?
                            }
                            other => return Err(format!("unknown throttle limit '{other}'")),
                        }
                    }
                }
                "effective_page_sizes" => {}
                other => return Err(format!("unknown setting '{other}'")),
            }
        }
        *self = next;
        Ok(())
    }
}

fn as_u64(key: &str, value: &Value) -> Result<u64, String> {
    value
        .as_u64()
        .ok_or_else(|| format!("{key} must be a non-negative integer"))
}

fn as_u32(key: &str, value: &Value) -> Result<u32, String> {
    value
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| format!("{key} must be a non-negative 32-bit integer"))
}

fn as_bool(key: &str, value: &Value) -> Result<bool, String> {
    value
        .as_bool()
        .ok_or_else(|| format!("{key} must be true or false"))
}

fn as_page_size(key: &str, value: &Value) -> Result<usize, String> {
    value
        .as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .filter(|n| *n >= 1)
        .ok_or_else(|| format!("{key} must be a positive integer"))
}

/// The settings behind a lock.
#[derive(Debug)]
pub struct SharedSettings {
    inner: Lock<Settings>,
}

impl SharedSettings {
    pub fn new(settings: Settings) -> Self {
        SharedSettings {
            inner: Lock::new(settings),
        }
    }

    /// A copy of the current settings.
    pub fn get(&self) -> Settings {
        self.inner.lock().clone()
    }

    pub fn update(&self, patch: &Map<String, Value>) -> Result<Settings, String> {
        let mut settings = self.inner.lock();
        settings.apply(patch)?;
        Ok(settings.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn page_sizes_and_updates() {
        let mut s = Settings::from_config(&LabConfig::default());
        let groups = &crate::graph::directory::GROUPS_PAGING;
        let users = &crate::graph::directory::USERS_PAGING;
        assert_eq!(
            s.page_size(groups),
            PageSize {
                default: 100,
                max: 999
            }
        );
        s.apply(json!({"page_sizes": {"groups": 3}}).as_object().unwrap())
            .unwrap();
        assert_eq!(s.page_size(groups), PageSize { default: 3, max: 3 });
        s.apply(json!({"page_size": 7}).as_object().unwrap())
            .unwrap();
        assert_eq!(s.page_size(users).default, 7);
        assert_eq!(s.page_size(groups).default, 3);
        let before = s.clone();
        assert!(
            s.apply(json!({"throttling": false, "nope": 1}).as_object().unwrap())
                .is_err()
        );
        assert_eq!(s, before, "a refused update changes nothing");
        assert!(
            s.apply(json!({"page_size": 0}).as_object().unwrap())
                .is_err()
        );
    }
}
