//! The tenant's data: typed collections of Graph objects, and their persistence.
//!
//! Objects are kept as the JSON the lab returns on the wire (`serde_json::Value`), keyed by id.
//! Each collection keeps insertion order (it is the listing order) and gives every item a
//! sequence number, which paging uses as a stable cursor: deleting or adding objects between two
//! page requests never skips or repeats an item.
//!
//! Adding a Graph collection means adding one field to [`Tenant`]; the state file, the
//! `/_lab/objects` dump and `/_lab/reset` pick it up through serde.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::MutexGuard;

use chrono::{DateTime, Utc};
use indexmap::IndexMap;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::sync::Lock;

/// Version of the state file layout, written into the file.
pub const STATE_FORMAT_VERSION: u32 = 1;

/// Failures loading or saving the tenant.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot read state file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("state file {path} is not a valid autopilot-lab state: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("state file {path} has format version {found}, this lab understands {expected}")]
    Version {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
    #[error("cannot write state file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot serialize the tenant: {0}")]
    Serialize(serde_json::Error),
}

#[derive(Debug, Clone)]
struct Item {
    seq: u64,
    value: Value,
}

/// One Graph collection: objects keyed by their `id`, in insertion order.
#[derive(Debug, Clone, Default)]
pub struct Collection {
    items: IndexMap<String, Item>,
    next_seq: u64,
}

impl Collection {
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn get(&self, id: &str) -> Option<&Value> {
        self.items.get(id).map(|item| &item.value)
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut Value> {
        self.items.get_mut(id).map(|item| &mut item.value)
    }

    pub fn contains(&self, id: &str) -> bool {
        self.items.contains_key(id)
    }

    /// Inserts a new object at the end, or replaces an existing one in place.
    pub fn insert(&mut self, id: String, value: Value) {
        if let Some(item) = self.items.get_mut(&id) {
            item.value = value;
            return;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.items.insert(id, Item { seq, value });
    }

    /// Removes an object, keeping the order of the others.
    pub fn remove(&mut self, id: &str) -> Option<Value> {
        self.items.shift_remove(id).map(|item| item.value)
    }

    /// Keeps only the objects for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&Value) -> bool) {
        self.items.retain(|_, item| keep(&item.value));
    }

    /// The objects in listing order.
    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.items.values().map(|item| &item.value)
    }

    /// The objects in listing order with their paging cursor.
    pub fn values_with_cursor(&self) -> impl Iterator<Item = (u64, &Value)> {
        self.items.values().map(|item| (item.seq, &item.value))
    }

    pub fn clear(&mut self) {
        self.items.clear();
    }
}

impl Serialize for Collection {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.values())
    }
}

impl<'de> Deserialize<'de> for Collection {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let values = Vec::<Value>::deserialize(deserializer)?;
        let mut collection = Collection::default();
        for value in values {
            let id = value
                .get("id")
                .and_then(Value::as_str)
                .ok_or_else(|| D::Error::custom("every stored object needs a string `id`"))?
                .to_owned();
            if collection.contains(&id) {
                return Err(D::Error::custom(format!("duplicate object id {id}")));
            }
            collection.insert(id, value);
        }
        Ok(collection)
    }
}

/// Everything the emulated tenant holds. One field per Graph collection.
///
/// Child objects (such as assignments) live in their own collection with a pointer to their
/// parent (`sourceId`), so each collection stays flat and generic. Relations Graph does not
/// expose as objects (group owners, pending imports, ...) live in [`LabState`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    /// `/deviceManagement/deviceConfigurations` (today: `windowsDomainJoinConfiguration`).
    #[serde(default)]
    pub device_configurations: Collection,
    /// `deviceConfigurationAssignment`s of every device configuration; `sourceId` is the parent.
    #[serde(default)]
    pub device_configuration_assignments: Collection,
    /// `/deviceManagement/windowsAutopilotDeploymentProfiles`.
    #[serde(default)]
    pub windows_autopilot_deployment_profiles: Collection,
    /// Their assignments; the parent is `_profileId` (Intune returns `sourceId: null`).
    #[serde(default)]
    pub windows_autopilot_deployment_profile_assignments: Collection,
    /// `/deviceManagement/deviceEnrollmentConfigurations` (ESPs, including the default one).
    #[serde(default)]
    pub device_enrollment_configurations: Collection,
    /// `enrollmentConfigurationAssignment`s; `sourceId` is the parent.
    #[serde(default)]
    pub enrollment_configuration_assignments: Collection,
    /// `/deviceManagement/configurationPolicies` (device preparation); `settings` kept inline.
    #[serde(default)]
    pub configuration_policies: Collection,
    /// `deviceManagementConfigurationPolicyAssignment`s; `sourceId` is the parent.
    #[serde(default)]
    pub configuration_policy_assignments: Collection,
    /// `/deviceManagement/assignmentFilters`.
    #[serde(default)]
    pub assignment_filters: Collection,
    /// `/groups`.
    #[serde(default)]
    pub groups: Collection,
    /// `/servicePrincipals`.
    #[serde(default)]
    pub service_principals: Collection,
    /// `/users` (seeded, read-only).
    #[serde(default)]
    pub users: Collection,
    /// `/deviceAppManagement/mobileApps` (seeded, read-only).
    #[serde(default)]
    pub mobile_apps: Collection,
    /// `/deviceManagement/deviceManagementScripts` (seeded, read-only).
    #[serde(default)]
    pub device_management_scripts: Collection,
    /// `/deviceManagement/importedWindowsAutopilotDeviceIdentities`.
    #[serde(default)]
    pub imported_windows_autopilot_device_identities: Collection,
    /// `/deviceManagement/windowsAutopilotDeviceIdentities`.
    #[serde(default)]
    pub windows_autopilot_device_identities: Collection,
    /// `/deviceManagement/windowsAutopilotSettings` (a singleton, stored as one object).
    #[serde(default)]
    pub windows_autopilot_settings: Collection,
    /// `/deviceManagement/managedDevices`: devices enrolled in Intune (made by
    /// `PUT /_lab/devices/{id}/enrollment`).
    #[serde(default)]
    pub managed_devices: Collection,
    /// `/devices`: Microsoft Entra device objects (made with a managed device).
    #[serde(default)]
    pub devices: Collection,
    /// `/deviceManagement/roleScopeTags` (the built-in `Default` tag, id `"0"`, is seeded).
    #[serde(default)]
    pub role_scope_tags: Collection,
    /// `/deviceManagement/importedDeviceIdentities`: corporate device identifiers (beta).
    #[serde(default)]
    pub imported_device_identities: Collection,
    /// Relations and lab bookkeeping.
    #[serde(default, rename = "_lab")]
    pub lab: LabState,
}

/// An import waiting for its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingImport {
    pub id: String,
    /// When the outcome is decided.
    pub due: DateTime<Utc>,
    /// The `import` call it came with (duplicates inside one call fail).
    pub batch: Option<String>,
}

/// What the tenant knows that Graph does not show as objects of their own.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabState {
    /// Group id to owner object ids (service principals and users), in the order added.
    #[serde(default)]
    pub group_owners: BTreeMap<String, Vec<String>>,
    /// Group id to its assigned (static) member object ids, in the order added.
    #[serde(default)]
    pub group_members: BTreeMap<String, Vec<String>>,
    /// Device identity id to the deployment profile assigned with the profile's `assign` action.
    #[serde(default)]
    pub device_profiles: BTreeMap<String, String>,
    /// Configuration policy id to its enrollment-time device membership targets.
    #[serde(default)]
    pub enrollment_time_targets: BTreeMap<String, Vec<Value>>,
    /// Imports still `unknown`, in arrival order.
    #[serde(default)]
    pub pending_imports: Vec<PendingImport>,
    /// Serial numbers registered to another tenant (`PUT /_lab/foreign_devices`).
    #[serde(default)]
    pub foreign_serials: BTreeSet<String>,
    /// Device identities being deleted, with the time they disappear (Autopilot deletes
    /// asynchronously; until then the identity is still listed and its serial still taken).
    #[serde(default)]
    pub deleting_devices: BTreeMap<String, DateTime<Utc>>,
    /// Deleted managed devices whose Autopilot registration is released (no longer enrolled) at
    /// the given time (`managed_device_release_delay_ms`).
    #[serde(default)]
    pub releasing_managed_devices: BTreeMap<String, DateTime<Utc>>,
    /// Device identity id to properties written with `updateDeviceProperties`,
    /// `assignUserToDevice` or `unassignUserFromDevice` that the identity shows only after the
    /// next Autopilot sync.
    #[serde(default)]
    pub pending_device_properties: BTreeMap<String, serde_json::Map<String, Value>>,
    /// The highest scope tag id handed out: a deleted tag's id is not given again.
    #[serde(default)]
    pub last_scope_tag_id: u64,
    /// Device identities whose next enrollment was allowed with `allowNextEnrollment`.
    #[serde(default)]
    pub next_enrollment_allowed: BTreeSet<String>,
    /// Device identity id to the deployment profile that targets it and when Intune reports it
    /// assigned (`profile_assignment_delay_ms` after it became targeted; `pending` until then).
    #[serde(default)]
    pub profile_assignments: BTreeMap<String, ProfileAssignment>,
}

/// The deployment profile a device became targeted by, and when its assignment completes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileAssignment {
    pub profile: String,
    pub assigned_at: DateTime<Utc>,
}

impl Tenant {
    /// Every collection with its name, for counting and dumps.
    pub fn collections(&self) -> [(&'static str, &Collection); 21] {
        [
            ("deviceConfigurations", &self.device_configurations),
            (
                "deviceConfigurationAssignments",
                &self.device_configuration_assignments,
            ),
            (
                "windowsAutopilotDeploymentProfiles",
                &self.windows_autopilot_deployment_profiles,
            ),
            (
                "windowsAutopilotDeploymentProfileAssignments",
                &self.windows_autopilot_deployment_profile_assignments,
            ),
            (
                "deviceEnrollmentConfigurations",
                &self.device_enrollment_configurations,
            ),
            (
                "enrollmentConfigurationAssignments",
                &self.enrollment_configuration_assignments,
            ),
            ("configurationPolicies", &self.configuration_policies),
            (
                "configurationPolicyAssignments",
                &self.configuration_policy_assignments,
            ),
            ("assignmentFilters", &self.assignment_filters),
            ("groups", &self.groups),
            ("servicePrincipals", &self.service_principals),
            ("users", &self.users),
            ("mobileApps", &self.mobile_apps),
            ("deviceManagementScripts", &self.device_management_scripts),
            (
                "importedWindowsAutopilotDeviceIdentities",
                &self.imported_windows_autopilot_device_identities,
            ),
            (
                "windowsAutopilotDeviceIdentities",
                &self.windows_autopilot_device_identities,
            ),
            ("windowsAutopilotSettings", &self.windows_autopilot_settings),
            ("managedDevices", &self.managed_devices),
            ("devices", &self.devices),
            ("roleScopeTags", &self.role_scope_tags),
            ("importedDeviceIdentities", &self.imported_device_identities),
        ]
    }

    /// Total number of objects, for logs.
    pub fn object_count(&self) -> usize {
        self.collections().iter().map(|(_, c)| c.len()).sum()
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StateFile {
    format_version: u32,
    tenant: Tenant,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StateFileRef<'a> {
    format_version: u32,
    tenant: &'a Tenant,
}

/// The tenant behind a lock, optionally mirrored to a state file.
#[derive(Debug)]
pub struct Store {
    tenant: Lock<Tenant>,
    state_file: Option<PathBuf>,
    /// What a fresh tenant holds (seeded objects); used at first start and by reset.
    seed: Tenant,
}

impl Store {
    /// The seeded tenant, or the one saved in `state_file` when that file exists.
    pub fn open(state_file: Option<PathBuf>, seed: Tenant) -> Result<Self, StoreError> {
        let tenant = match &state_file {
            Some(path) if path.exists() => load(path)?,
            _ => seed.clone(),
        };
        let store = Store {
            tenant: Lock::new(tenant),
            state_file,
            seed,
        };
        if let Some(path) = &store.state_file
            && !path.exists()
        {
            save(path, &store.lock())?;
        }
        Ok(store)
    }

    pub fn state_file(&self) -> Option<&Path> {
        self.state_file.as_deref()
    }

    /// A panic while holding the lock leaves the tenant as it was at the panic; keep serving.
    fn lock(&self) -> MutexGuard<'_, Tenant> {
        self.tenant.lock()
    }

    /// Runs a read-only closure against the tenant.
    pub fn read<R>(&self, f: impl FnOnce(&Tenant) -> R) -> R {
        f(&self.lock())
    }

    /// Runs a mutation. When it succeeds and a state file is configured, the new tenant is written
    /// to disk before the lock is released; if that write fails, the mutation is rolled back, so
    /// memory and disk never disagree.
    pub fn write<R, E>(&self, f: impl FnOnce(&mut Tenant) -> Result<R, E>) -> Result<R, E>
    where
        E: From<StoreError>,
    {
        let mut tenant = self.lock();
        match &self.state_file {
            None => f(&mut tenant),
            Some(path) => {
                let mut draft = tenant.clone();
                let result = f(&mut draft)?;
                save(path, &draft)?;
                *tenant = draft;
                Ok(result)
            }
        }
    }

    /// Back to the seeded tenant (and the state file too).
    pub fn reset(&self) -> Result<(), StoreError> {
        let seed = self.seed.clone();
        self.write(|tenant| {
            *tenant = seed;
            Ok::<_, StoreError>(())
        })
    }

    /// Every collection as `{"<collectionName>": [objects...]}`.
    pub fn dump(&self) -> Result<Value, StoreError> {
        self.read(|tenant| serde_json::to_value(tenant))
            .map_err(StoreError::Serialize)
    }
}

fn load(path: &Path) -> Result<Tenant, StoreError> {
    let bytes = fs::read(path).map_err(|source| StoreError::Read {
        path: path.to_owned(),
        source,
    })?;
    let file: StateFile = serde_json::from_slice(&bytes).map_err(|source| StoreError::Parse {
        path: path.to_owned(),
        source,
    })?;
    if file.format_version != STATE_FORMAT_VERSION {
        return Err(StoreError::Version {
            path: path.to_owned(),
            found: file.format_version,
            expected: STATE_FORMAT_VERSION,
        });
    }
    Ok(file.tenant)
}

/// Writes the tenant atomically: a temporary file in the same directory, flushed, then renamed
/// over the target, so a crash leaves either the old or the new state, never half of one.
fn save(path: &Path, tenant: &Tenant) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec_pretty(&StateFileRef {
        format_version: STATE_FORMAT_VERSION,
        tenant,
    })
    .map_err(StoreError::Serialize)?;
    let write_err = |source| StoreError::Write {
        path: path.to_owned(),
        source,
    };
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".to_owned());
    let tmp = path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(&bytes)?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        // Best effort: do not leave temporary files behind.
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(write_err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn collection_keeps_order_and_cursor_across_removals() {
        let mut c = Collection::default();
        for id in ["a", "b", "c"] {
            c.insert(id.to_owned(), json!({ "id": id }));
        }
        c.remove("b");
        c.insert("d".to_owned(), json!({ "id": "d" }));
        let seen: Vec<(u64, &str)> = c
            .values_with_cursor()
            .map(|(seq, v)| (seq, v["id"].as_str().unwrap()))
            .collect();
        assert_eq!(seen, vec![(0, "a"), (2, "c"), (3, "d")]);
    }

    #[test]
    fn failed_mutation_leaves_tenant_untouched_with_state_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(Some(dir.path().join("s.json")), Tenant::default()).unwrap();
        let r: Result<(), StoreError> = store.write(|t| {
            t.device_configurations
                .insert("x".into(), json!({ "id": "x" }));
            Err(StoreError::Serialize(serde_json::Error::custom("boom")))
        });
        assert!(r.is_err());
        assert_eq!(store.read(|t| t.object_count()), 0);
    }

    #[test]
    fn state_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let store = Store::open(Some(path.clone()), Tenant::default()).unwrap();
        store
            .write(|t| {
                t.device_configurations
                    .insert("x".into(), json!({ "id": "x", "displayName": "X" }));
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let again = Store::open(Some(path), Tenant::default()).unwrap();
        assert_eq!(
            again.read(|t| t.device_configurations.get("x").cloned()),
            Some(json!({ "id": "x", "displayName": "X" }))
        );
    }
}
