//! Which application permission each Graph area needs, and which throttling budget it draws
//! from (graph-api.md §7.7; perf-reliability.md §1.1).

use axum::http::Method;

use super::GraphRequest;
use crate::auth::tokens::Caller;
use crate::errors::{GraphError, INTUNE_FAKE_HOST};
use crate::throttle::Family;

/// An area of Graph: its budget and the roles that may read and write it.
#[derive(Debug, Clone, Copy)]
pub struct Area {
    pub family: Family,
    pub read: &'static [&'static str],
    pub write: &'static [&'static str],
}

impl Area {
    pub fn directory(&self) -> bool {
        self.family == Family::Directory
    }
}

const DMSC_READ: &[&str] = &[
    "DeviceManagementServiceConfig.Read.All",
    "DeviceManagementServiceConfig.ReadWrite.All",
];
const DMSC_WRITE: &[&str] = &["DeviceManagementServiceConfig.ReadWrite.All"];
const DMC_READ: &[&str] = &[
    "DeviceManagementConfiguration.Read.All",
    "DeviceManagementConfiguration.ReadWrite.All",
];
const DMC_WRITE: &[&str] = &["DeviceManagementConfiguration.ReadWrite.All"];
const ENROLLMENT_READ: &[&str] = &[
    "DeviceManagementServiceConfig.Read.All",
    "DeviceManagementServiceConfig.ReadWrite.All",
    "DeviceManagementConfiguration.Read.All",
    "DeviceManagementConfiguration.ReadWrite.All",
];
const ENROLLMENT_WRITE: &[&str] = &[
    "DeviceManagementServiceConfig.ReadWrite.All",
    "DeviceManagementConfiguration.ReadWrite.All",
];
const APPS_READ: &[&str] = &[
    "DeviceManagementApps.Read.All",
    "DeviceManagementApps.ReadWrite.All",
];
const APPS_WRITE: &[&str] = &["DeviceManagementApps.ReadWrite.All"];
const SCRIPTS_READ: &[&str] = &[
    "DeviceManagementScripts.Read.All",
    "DeviceManagementScripts.ReadWrite.All",
    "DeviceManagementConfiguration.Read.All",
    "DeviceManagementConfiguration.ReadWrite.All",
];
const SCRIPTS_WRITE: &[&str] = &[
    "DeviceManagementScripts.ReadWrite.All",
    "DeviceManagementConfiguration.ReadWrite.All",
];
const GROUP_READ: &[&str] = &[
    "Group.Read.All",
    "Group.ReadWrite.All",
    "GroupMember.Read.All",
    "GroupMember.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const GROUP_WRITE: &[&str] = &["Group.ReadWrite.All", "Directory.ReadWrite.All"];
/// Adding and removing a group's members (`members/$ref`).
const GROUP_MEMBER_WRITE: &[&str] = &[
    "GroupMember.ReadWrite.All",
    "Group.ReadWrite.All",
    "Directory.ReadWrite.All",
];
const GROUP_CREATE: &[&str] = &[
    "Group.Create",
    "Group.ReadWrite.All",
    "Directory.ReadWrite.All",
];
pub(crate) const SP_READ: &[&str] = &[
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const SP_WRITE: &[&str] = &["Application.ReadWrite.All", "Directory.ReadWrite.All"];
pub(crate) const USER_READ: &[&str] = &[
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const USER_WRITE: &[&str] = &["User.ReadWrite.All", "Directory.ReadWrite.All"];
const MANAGED_DEVICES_READ: &[&str] = &[
    "DeviceManagementManagedDevices.Read.All",
    "DeviceManagementManagedDevices.ReadWrite.All",
];
const MANAGED_DEVICES_WRITE: &[&str] = &["DeviceManagementManagedDevices.ReadWrite.All"];
const DEVICE_READ: &[&str] = &[
    "Device.Read.All",
    "Device.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
/// `DELETE /devices/{id}`: Device.ReadWrite.All is the only application permission.
const DEVICE_WRITE: &[&str] = &["Device.ReadWrite.All"];
const RBAC_READ: &[&str] = &[
    "DeviceManagementRBAC.Read.All",
    "DeviceManagementRBAC.ReadWrite.All",
];
const RBAC_WRITE: &[&str] = &["DeviceManagementRBAC.ReadWrite.All"];
const DIRECTORY_READ: &[&str] = &["Directory.Read.All", "Directory.ReadWrite.All"];
const ORGANIZATION_READ: &[&str] = &[
    "Organization.Read.All",
    "Organization.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];

fn area(family: Family, read: &'static [&'static str], write: &'static [&'static str]) -> Area {
    Area {
        family,
        read,
        write,
    }
}

/// The area of a request path (segments after the version), if Graph has one there.
pub fn area_of(segments: &[String]) -> Option<Area> {
    let first = segments.first()?.to_ascii_lowercase();
    let second = segments.get(1).map(|s| s.to_ascii_lowercase());
    Some(match (first.as_str(), second.as_deref()) {
        ("devicemanagement", Some("deviceconfigurations")) => {
            area(Family::Intune("deviceConfiguration"), DMC_READ, DMC_WRITE)
        }
        ("devicemanagement", Some("assignmentfilters")) => {
            area(Family::Intune("deviceConfiguration"), DMC_READ, DMC_WRITE)
        }
        ("devicemanagement", Some("configurationpolicies")) => {
            area(Family::Intune("deviceConfigV2"), DMC_READ, DMC_WRITE)
        }
        ("devicemanagement", Some("deviceenrollmentconfigurations")) => area(
            Family::Intune("deviceEnrollment"),
            ENROLLMENT_READ,
            ENROLLMENT_WRITE,
        ),
        (
            "devicemanagement",
            Some(
                "windowsautopilotdeploymentprofiles"
                | "windowsautopilotdeviceidentities"
                | "importedwindowsautopilotdeviceidentities"
                | "importeddeviceidentities"
                | "windowsautopilotsettings",
            ),
        ) => area(Family::Intune("autopilot"), DMSC_READ, DMSC_WRITE),
        ("devicemanagement", Some("manageddevices")) => area(
            Family::Intune("managedDevices"),
            MANAGED_DEVICES_READ,
            MANAGED_DEVICES_WRITE,
        ),
        ("devicemanagement", Some("devicemanagementscripts")) => {
            area(Family::Intune("scripts"), SCRIPTS_READ, SCRIPTS_WRITE)
        }
        ("devicemanagement", Some("rolescopetags")) => {
            area(Family::Intune("rbac"), RBAC_READ, RBAC_WRITE)
        }
        ("deviceappmanagement", Some("mobileapps")) => {
            area(Family::Intune("apps"), APPS_READ, APPS_WRITE)
        }
        ("groups", _) => area(Family::Directory, GROUP_READ, GROUP_WRITE),
        ("serviceprincipals", _) => area(Family::Directory, SP_READ, SP_WRITE),
        ("users", _) => area(Family::Directory, USER_READ, USER_WRITE),
        ("devices", _) => area(Family::Directory, DEVICE_READ, DEVICE_WRITE),
        ("directoryobjects", _) => area(Family::Directory, DIRECTORY_READ, DIRECTORY_READ),
        ("organization", _) => area(Family::Directory, ORGANIZATION_READ, ORGANIZATION_READ),
        _ => return None,
    })
}

/// Whether the request writes (POST, PUT, PATCH, DELETE) for throttling purposes.
pub fn is_write(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

/// The roles that allow this request in `area`.
fn needed(area: &Area, request: &GraphRequest) -> &'static [&'static str] {
    let last = request
        .segments
        .last()
        .map(|s| s.to_ascii_lowercase())
        .unwrap_or_default();
    // A read-only action, documented with the read permission.
    if last.ends_with("retrieveenrollmenttimedevicemembershiptarget") {
        return area.read;
    }
    if request.method == Method::POST
        && request.segments.len() == 1
        && request.segments[0].eq_ignore_ascii_case("groups")
    {
        return GROUP_CREATE;
    }
    let members = request.segments.len() >= 3
        && request.segments[0].eq_ignore_ascii_case("groups")
        && request.segments[2].eq_ignore_ascii_case("members");
    if members && is_write(&request.method) {
        return GROUP_MEMBER_WRITE;
    }
    if is_write(&request.method) {
        area.write
    } else {
        area.read
    }
}

/// Refuses the request with Graph's 403 when the caller lacks every role that allows it.
pub fn check(area: &Area, request: &GraphRequest, caller: &Caller) -> Result<(), GraphError> {
    let roles = needed(area, request);
    if caller.has_any(roles) {
        return Ok(());
    }
    if area.directory() {
        Err(GraphError::directory_forbidden())
    } else {
        Err(GraphError::intune_forbidden(
            roles,
            format!(
                "{INTUNE_FAKE_HOST}/{}?api-version=5025-01-28",
                request.segments.join("/")
            ),
        ))
    }
}
