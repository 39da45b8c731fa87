//! Which Microsoft Graph application permission each call of the provider needs: one table
//! behind both the permission a 403 diagnostic names ([`required_permission`]) and the "API
//! Permissions" section of every resource and data source page (`cargo xtask docs` renders
//! [`calls_of`] through [`required_permission`]). The examples test checks that every request
//! an example makes is one of the calls listed for its types, so the pages cannot leave one out.
//!
//! Least-privileged permissions per call, from Microsoft Graph's permission reference of each
//! API (beta for Intune, v1.0 for the directory), checked 2026-12-06:
//! - `directoryObjects/{id}`: Directory.Read.All is the least application permission (an owner
//!   check reads users and service principals through it);
//! - `groups/{id}/owners`: Group.Read.All lists the owners, but Graph answers owners the app may
//!   not read with only `@odata.type` and `id`: recognising the Intune Provisioning Client among
//!   them by its `appId` also needs Application.Read.All;
//! - `organization`: Organization.Read.All;
//! - `groups/{id}/members`: GroupMember.Read.All to list, GroupMember.ReadWrite.All to add and
//!   remove (`$ref`); a device member also needs Device.ReadWrite.All, a service principal
//!   Application.ReadWrite.All (Microsoft Learn, "Add members", "List group members");
//!   `isAssignableToRole` on a new group: RoleManagement.ReadWrite.Directory;
//! - `deviceManagement/roleScopeTags`: DeviceManagementRBAC.Read.All to read,
//!   DeviceManagementRBAC.ReadWrite.All to write (Microsoft Learn, "List roleScopeTags",
//!   "Create roleScopeTag");
//! - `deviceManagement/managedDevices/{id}` DELETE: DeviceManagementManagedDevices.ReadWrite.All
//!   (Microsoft Learn, "Delete managedDevice");
//! - `devices` GET: Device.Read.All; `devices/{id}` DELETE: Device.ReadWrite.All, the only
//!   application permission (Microsoft Learn, "Delete device"; the object id or
//!   `devices(deviceId='...')`).
//! - `deviceManagement/importedDeviceIdentities` (corporate identifiers):
//!   DeviceManagementServiceConfig.Read.All to read, DeviceManagementServiceConfig.ReadWrite.All
//!   to write (Microsoft Learn, "Create importedDeviceIdentity", "importDeviceIdentityList action");
//! - `devices/{id}/memberOf` GET: Device.Read.All (Microsoft Learn, "List device memberships";
//!   without a permission to read groups Graph answers them with only `@odata.type` and `id`).

use std::collections::BTreeSet;

/// One kind of Graph request a resource or data source sends.
#[derive(Debug, Clone, Copy)]
pub struct Call {
    /// GET, POST, PATCH, PUT or DELETE.
    pub method: &'static str,
    /// The path with the API version, `{id}` for one segment that varies, no query string.
    pub path: &'static str,
    /// When the provider sends it, for the docs.
    pub when: &'static str,
    /// The attribute whose opt-in alone makes the provider send it (`destroy_enrolled`):
    /// its permission is left out of the read and apply sets and listed on its own.
    pub opt_in: Option<&'static str>,
}

/// A permission a type needs beyond the ones its calls name, and why.
#[derive(Debug, Clone, Copy)]
pub struct Also {
    pub permission: &'static str,
    pub why: &'static str,
    /// Needed for plans (reads) too, not only for applies.
    pub for_reads: bool,
}

/// The calls of one resource or data source type.
#[derive(Debug, Clone, Copy)]
pub struct TypeCalls {
    pub type_name: &'static str,
    pub calls: &'static [Call],
    pub also: &'static [Also],
}

const fn call(method: &'static str, path: &'static str, when: &'static str) -> Call {
    Call {
        method,
        path,
        when,
        opt_in: None,
    }
}

/// A call sent only when `attribute` is set to `true`.
const fn opt_in_call(
    method: &'static str,
    path: &'static str,
    when: &'static str,
    attribute: &'static str,
) -> Call {
    Call {
        method,
        path,
        when,
        opt_in: Some(attribute),
    }
}

/// Every resource, data source and action with its calls.
pub const TYPES: &[TypeCalls] = &[
    TypeCalls {
        type_name: "autopilot_deployment_profile",
        calls: &[
            call(
                "GET",
                "/beta/deviceManagement/windowsAutopilotDeploymentProfiles",
                "plan (the checks against the tenant's other profiles), create (finding a profile whose answer was lost)",
            ),
            call(
                "GET",
                "/beta/deviceManagement/windowsAutopilotDeploymentProfiles/{id}",
                "read, import",
            ),
            call(
                "GET",
                "/beta/deviceManagement/windowsAutopilotDeploymentProfiles/{id}/assignments",
                "read, import, plan (the checks against the tenant's other profiles)",
            ),
            call(
                "POST",
                "/beta/deviceManagement/windowsAutopilotDeploymentProfiles",
                "create",
            ),
            call(
                "PATCH",
                "/beta/deviceManagement/windowsAutopilotDeploymentProfiles/{id}",
                "update",
            ),
            call(
                "DELETE",
                "/beta/deviceManagement/windowsAutopilotDeploymentProfiles/{id}",
                "destroy",
            ),
            call(
                "POST",
                "/beta/deviceManagement/windowsAutopilotDeploymentProfiles/{id}/assignments",
                "create, update (assignments)",
            ),
            call(
                "DELETE",
                "/beta/deviceManagement/windowsAutopilotDeploymentProfiles/{id}/assignments/{id}",
                "update, destroy (assignments)",
            ),
        ],
        also: &[],
    },
    TypeCalls {
        type_name: "autopilot_enrollment_status_page",
        calls: &[
            call(
                "GET",
                "/beta/deviceManagement/deviceEnrollmentConfigurations",
                "plan (priorities and the checks against the tenant's other pages), create (finding a page whose answer was lost)",
            ),
            call(
                "GET",
                "/beta/deviceManagement/deviceEnrollmentConfigurations/{id}",
                "read, import",
            ),
            call(
                "GET",
                "/beta/deviceManagement/deviceEnrollmentConfigurations/{id}/assignments",
                "read, import",
            ),
            call(
                "GET",
                "/beta/deviceAppManagement/mobileApps/{id}",
                "plan (each of `selected_mobile_app_ids` must exist)",
            ),
            call(
                "POST",
                "/beta/deviceManagement/deviceEnrollmentConfigurations",
                "create",
            ),
            call(
                "PATCH",
                "/beta/deviceManagement/deviceEnrollmentConfigurations/{id}",
                "update",
            ),
            call(
                "DELETE",
                "/beta/deviceManagement/deviceEnrollmentConfigurations/{id}",
                "destroy",
            ),
            call(
                "POST",
                "/beta/deviceManagement/deviceEnrollmentConfigurations/{id}/assign",
                "create, update (assignments)",
            ),
            call(
                "POST",
                "/beta/deviceManagement/deviceEnrollmentConfigurations/{id}/setPriority",
                "create, update (`priority`)",
            ),
        ],
        also: &[],
    },
    TypeCalls {
        type_name: "autopilot_corporate_identifier_csv",
        calls: &[
            call(
                "GET",
                "/beta/deviceManagement/importedDeviceIdentities",
                "read, import, create and update (adopting identifiers Intune had already)",
            ),
            call(
                "POST",
                "/beta/deviceManagement/importedDeviceIdentities/importDeviceIdentityList",
                "create, update (rows added to the CSV)",
            ),
            call(
                "DELETE",
                "/beta/deviceManagement/importedDeviceIdentities/{id}",
                "update (rows removed from the CSV), destroy",
            ),
        ],
        also: &[],
    },
    TypeCalls {
        type_name: "autopilot_scope_tag",
        calls: &[
            call(
                "GET",
                "/beta/deviceManagement/roleScopeTags",
                "create (finding a tag whose answer was lost)",
            ),
            call(
                "GET",
                "/beta/deviceManagement/roleScopeTags/{id}",
                "read, import",
            ),
            call("POST", "/beta/deviceManagement/roleScopeTags", "create"),
            call(
                "PATCH",
                "/beta/deviceManagement/roleScopeTags/{id}",
                "update",
            ),
            call(
                "DELETE",
                "/beta/deviceManagement/roleScopeTags/{id}",
                "destroy",
            ),
        ],
        also: &[],
    },
    TypeCalls {
        type_name: "autopilot_assignment_filter",
        calls: &[
            call(
                "GET",
                "/beta/deviceManagement/assignmentFilters",
                "create (finding a filter whose answer was lost)",
            ),
            call(
                "GET",
                "/beta/deviceManagement/assignmentFilters/{id}",
                "read, import",
            ),
            call(
                "POST",
                "/beta/deviceManagement/assignmentFilters/validateFilter",
                "plan (a new or changed rule; without the permission the plan warns and checks offline only)",
            ),
            call("POST", "/beta/deviceManagement/assignmentFilters", "create"),
            call(
                "PATCH",
                "/beta/deviceManagement/assignmentFilters/{id}",
                "update",
            ),
            call(
                "DELETE",
                "/beta/deviceManagement/assignmentFilters/{id}",
                "destroy",
            ),
        ],
        also: &[],
    },
    TypeCalls {
        type_name: "autopilot_domain_join_profile",
        calls: &[
            call(
                "GET",
                "/beta/deviceManagement/deviceConfigurations",
                "create (finding a profile whose answer was lost)",
            ),
            call(
                "GET",
                "/beta/deviceManagement/deviceConfigurations/{id}",
                "read, import",
            ),
            call(
                "GET",
                "/beta/deviceManagement/deviceConfigurations/{id}/assignments",
                "read, import",
            ),
            call(
                "POST",
                "/beta/deviceManagement/deviceConfigurations",
                "create",
            ),
            call(
                "PATCH",
                "/beta/deviceManagement/deviceConfigurations/{id}",
                "update",
            ),
            call(
                "DELETE",
                "/beta/deviceManagement/deviceConfigurations/{id}",
                "destroy",
            ),
            call(
                "POST",
                "/beta/deviceManagement/deviceConfigurations/{id}/assign",
                "create, update (assignments)",
            ),
        ],
        also: &[],
    },
    TypeCalls {
        type_name: "autopilot_device_preparation_policy",
        calls: &[
            call(
                "GET",
                "/beta/deviceManagement/configurationPolicies",
                "create (finding a policy whose answer was lost)",
            ),
            call(
                "GET",
                "/beta/deviceManagement/configurationPolicies/{id}",
                "read, import",
            ),
            call(
                "GET",
                "/beta/deviceManagement/configurationPolicies/{id}/settings",
                "read, import",
            ),
            call(
                "GET",
                "/beta/deviceManagement/configurationPolicies/{id}/assignments",
                "read, import",
            ),
            call(
                "POST",
                "/beta/deviceManagement/configurationPolicies/{id}/retrieveEnrollmentTimeDeviceMembershipTarget",
                "read, import (the device group; a read despite the POST)",
            ),
            call(
                "GET",
                "/beta/deviceAppManagement/mobileApps/{id}",
                "plan (each of `allowed_app_ids` must exist and be an app type device preparation installs)",
            ),
            call(
                "GET",
                "/beta/deviceManagement/deviceManagementScripts/{id}",
                "plan (each of `allowed_script_ids` must exist)",
            ),
            call(
                "GET",
                "/beta/deviceManagement/windowsAutopilotDeploymentProfiles",
                "plan (a warning when a classic profile targets the same users)",
            ),
            call(
                "GET",
                "/beta/deviceManagement/windowsAutopilotDeploymentProfiles/{id}/assignments",
                "plan (a warning when a classic profile targets the same users)",
            ),
            call(
                "GET",
                "/v1.0/groups/{id}",
                "plan (the device group must be an assigned security group)",
            ),
            call(
                "GET",
                "/v1.0/groups/{id}/owners",
                "plan (the device group must be owned by the Intune Provisioning Client)",
            ),
            call(
                "POST",
                "/beta/deviceManagement/configurationPolicies",
                "create",
            ),
            call(
                "PUT",
                "/beta/deviceManagement/configurationPolicies/{id}",
                "update",
            ),
            call(
                "DELETE",
                "/beta/deviceManagement/configurationPolicies/{id}",
                "destroy",
            ),
            call(
                "POST",
                "/beta/deviceManagement/configurationPolicies/{id}/setEnrollmentTimeDeviceMembershipTarget",
                "create, update (`device_group_id`)",
            ),
            call(
                "POST",
                "/beta/deviceManagement/configurationPolicies/{id}/assign",
                "create, update (assignments)",
            ),
        ],
        also: &[Also {
            permission: "Application.Read.All",
            why: "to recognise the Intune Provisioning Client among the device group's owners: without it Graph returns the owners without their `appId`, and the plan fails with \"The device group is not owned by the Intune Provisioning Client\" (Directory.Read.All also does)",
            for_reads: true,
        }],
    },
    TypeCalls {
        type_name: "autopilot_group",
        calls: &[
            call(
                "GET",
                "/v1.0/groups",
                "create (finding a group whose answer was lost)",
            ),
            call("GET", "/v1.0/groups/{id}", "read, import"),
            call("GET", "/v1.0/groups/{id}/owners", "read, import, update"),
            call(
                "GET",
                "/v1.0/directoryObjects/{id}",
                "plan (each new entry of `owner_ids` must be a user or a service principal, of `member_ids` a user, group, device or service principal)",
            ),
            call(
                "GET",
                "/v1.0/groups/{id}/members",
                "read, import, update (static groups)",
            ),
            call(
                "POST",
                "/v1.0/groups/{id}/members/$ref",
                "create (beyond the first 20 members), update (`member_ids`)",
            ),
            call(
                "DELETE",
                "/v1.0/groups/{id}/members/{id}/$ref",
                "update (`member_ids`)",
            ),
            call(
                "GET",
                "/v1.0/servicePrincipals",
                "plan, create, update with `provisioning_client_owner` (finding the Intune Provisioning Client)",
            ),
            call(
                "POST",
                "/v1.0/servicePrincipals",
                "create, update with `provisioning_client_owner` when the tenant has no Intune Provisioning Client yet",
            ),
            call("POST", "/v1.0/groups", "create"),
            call("PATCH", "/v1.0/groups/{id}", "update"),
            call("DELETE", "/v1.0/groups/{id}", "destroy"),
            call(
                "POST",
                "/v1.0/groups/{id}/owners/$ref",
                "create, update (owners)",
            ),
            call(
                "DELETE",
                "/v1.0/groups/{id}/owners/{id}/$ref",
                "update (owners)",
            ),
        ],
        // Not in the least sets, being for some configurations only (the attributes' docs say
        // so): RoleManagement.ReadWrite.Directory for `is_assignable_to_role = true`,
        // Device.ReadWrite.All beside GroupMember.ReadWrite.All for a device in `member_ids`.
        also: &[],
    },
    TypeCalls {
        type_name: "autopilot_device",
        calls: &[
            call(
                "GET",
                "/beta/deviceManagement/windowsAutopilotDeviceIdentities",
                "read, import, create (one listing shared by every device of the run)",
            ),
            call(
                "GET",
                "/beta/deviceManagement/windowsAutopilotDeviceIdentities/{id}",
                "read",
            ),
            call(
                "GET",
                "/beta/deviceManagement/importedWindowsAutopilotDeviceIdentities",
                "create (import records left by an interrupted run)",
            ),
            call(
                "GET",
                "/beta/deviceManagement/importedWindowsAutopilotDeviceIdentities/{id}",
                "create (the import's progress)",
            ),
            call(
                "POST",
                "/beta/deviceManagement/importedWindowsAutopilotDeviceIdentities",
                "create (the registration)",
            ),
            call(
                "DELETE",
                "/beta/deviceManagement/importedWindowsAutopilotDeviceIdentities/{id}",
                "create (the finished import record)",
            ),
            call(
                "POST",
                "/beta/deviceManagement/windowsAutopilotDeviceIdentities/{id}/updateDeviceProperties",
                "update (`group_tag`, `display_name`)",
            ),
            call(
                "POST",
                "/beta/deviceManagement/windowsAutopilotDeviceIdentities/{id}/assignUserToDevice",
                "update (`user_principal_name`)",
            ),
            call(
                "POST",
                "/beta/deviceManagement/windowsAutopilotDeviceIdentities/{id}/unassignUserFromDevice",
                "update (`user_principal_name` removed)",
            ),
            call(
                "POST",
                "/beta/deviceManagement/windowsAutopilotSettings/sync",
                "create, update (an Autopilot sync, so that written properties show)",
            ),
            call(
                "DELETE",
                "/beta/deviceManagement/windowsAutopilotDeviceIdentities/{id}",
                "destroy (deregistration)",
            ),
            opt_in_call(
                "DELETE",
                "/beta/deviceManagement/managedDevices/{id}",
                "destroy with `destroy_enrolled` (the Intune managed device of an enrolled device)",
                "destroy_enrolled",
            ),
            opt_in_call(
                "GET",
                "/v1.0/devices",
                "destroy with `destroy_entra_device` (the Entra device by its `deviceId`)",
                "destroy_entra_device",
            ),
            opt_in_call(
                "DELETE",
                "/v1.0/devices/{id}",
                "destroy with `destroy_entra_device` (the Entra device object)",
                "destroy_entra_device",
            ),
            opt_in_call(
                "GET",
                "/beta/deviceManagement/windowsAutopilotDeploymentProfiles",
                "create, update with `wait_for_profile_assignment` (the profiles and their assignments, once per wait)",
                "wait_for_profile_assignment",
            ),
            opt_in_call(
                "GET",
                "/v1.0/devices",
                "create, update with `wait_for_profile_assignment` (the Entra device by its `deviceId`)",
                "wait_for_profile_assignment",
            ),
            opt_in_call(
                "GET",
                "/v1.0/devices/{id}/memberOf",
                "create, update with `wait_for_profile_assignment` (the Entra device's groups)",
                "wait_for_profile_assignment",
            ),
        ],
        also: &[],
    },
    TypeCalls {
        type_name: "autopilot_device_csv",
        calls: &[
            call(
                "GET",
                "/beta/deviceManagement/windowsAutopilotDeviceIdentities",
                "read, import, create, update (one listing shared by every device of the run)",
            ),
            call(
                "GET",
                "/beta/deviceManagement/windowsAutopilotDeviceIdentities/{id}",
                "read",
            ),
            call(
                "GET",
                "/beta/deviceManagement/importedWindowsAutopilotDeviceIdentities",
                "create, update (import records left by an interrupted run)",
            ),
            call(
                "GET",
                "/beta/deviceManagement/importedWindowsAutopilotDeviceIdentities/{id}",
                "create, update (the import's progress)",
            ),
            call(
                "POST",
                "/beta/deviceManagement/importedWindowsAutopilotDeviceIdentities/import",
                "create, update (registrations, 500 rows per call)",
            ),
            call(
                "DELETE",
                "/beta/deviceManagement/importedWindowsAutopilotDeviceIdentities/{id}",
                "create, update (the finished import records)",
            ),
            call(
                "POST",
                "/beta/deviceManagement/windowsAutopilotDeviceIdentities/{id}/updateDeviceProperties",
                "update (a row's `Group Tag`)",
            ),
            call(
                "POST",
                "/beta/deviceManagement/windowsAutopilotDeviceIdentities/{id}/assignUserToDevice",
                "update (a row's `Assigned User`)",
            ),
            call(
                "POST",
                "/beta/deviceManagement/windowsAutopilotDeviceIdentities/{id}/unassignUserFromDevice",
                "update (a row's `Assigned User` removed)",
            ),
            call(
                "POST",
                "/beta/deviceManagement/windowsAutopilotSettings/sync",
                "create, update (an Autopilot sync, so that written properties show)",
            ),
            call(
                "DELETE",
                "/beta/deviceManagement/windowsAutopilotDeviceIdentities/{id}",
                "update (rows removed), destroy (deregistration)",
            ),
            opt_in_call(
                "DELETE",
                "/beta/deviceManagement/managedDevices/{id}",
                "destroy, update (rows removed) with `destroy_enrolled` (the Intune managed device of an enrolled device)",
                "destroy_enrolled",
            ),
            opt_in_call(
                "GET",
                "/v1.0/devices",
                "destroy, update (rows removed) with `destroy_entra_device` (the Entra device by its `deviceId`)",
                "destroy_entra_device",
            ),
            opt_in_call(
                "DELETE",
                "/v1.0/devices/{id}",
                "destroy, update (rows removed) with `destroy_entra_device` (the Entra device object)",
                "destroy_entra_device",
            ),
            opt_in_call(
                "GET",
                "/beta/deviceManagement/windowsAutopilotDeploymentProfiles",
                "create, update with `wait_for_profile_assignment` (the profiles and their assignments, once per wait)",
                "wait_for_profile_assignment",
            ),
            opt_in_call(
                "GET",
                "/v1.0/devices",
                "create, update with `wait_for_profile_assignment` (the Entra device by its `deviceId`)",
                "wait_for_profile_assignment",
            ),
            opt_in_call(
                "GET",
                "/v1.0/devices/{id}/memberOf",
                "create, update with `wait_for_profile_assignment` (the Entra device's groups)",
                "wait_for_profile_assignment",
            ),
        ],
        also: &[],
    },
    TypeCalls {
        type_name: "autopilot_deployment_profile@data",
        calls: &[
            call(
                "GET",
                "/beta/deviceManagement/windowsAutopilotDeploymentProfiles",
                "read (by `display_name`)",
            ),
            call(
                "GET",
                "/beta/deviceManagement/windowsAutopilotDeploymentProfiles/{id}",
                "read (by `id`)",
            ),
            call(
                "GET",
                "/beta/deviceManagement/windowsAutopilotDeploymentProfiles/{id}/assignments",
                "read",
            ),
        ],
        also: &[],
    },
    TypeCalls {
        type_name: "autopilot_enrollment_status_page@data",
        calls: &[
            call(
                "GET",
                "/beta/deviceManagement/deviceEnrollmentConfigurations",
                "read",
            ),
            call(
                "GET",
                "/beta/deviceManagement/deviceEnrollmentConfigurations/{id}",
                "read (by `id`)",
            ),
            call(
                "GET",
                "/beta/deviceManagement/deviceEnrollmentConfigurations/{id}/assignments",
                "read",
            ),
        ],
        also: &[],
    },
    TypeCalls {
        type_name: "autopilot_configuration_file@data",
        calls: &[
            call(
                "GET",
                "/beta/deviceManagement/windowsAutopilotDeploymentProfiles",
                "read (by `display_name`)",
            ),
            call(
                "GET",
                "/beta/deviceManagement/windowsAutopilotDeploymentProfiles/{id}",
                "read (by `profile_id`)",
            ),
            call(
                "GET",
                "/v1.0/organization",
                "read, when neither `tenant_id` nor `tenant_domain` is set",
            ),
        ],
        also: &[],
    },
    TypeCalls {
        type_name: "autopilot_provisioning_client@data",
        calls: &[call(
            "GET",
            "/v1.0/servicePrincipals",
            "read (by the app id f1346770-5b25-470b-88bd-d5744ab7952c)",
        )],
        also: &[],
    },
    TypeCalls {
        type_name: "autopilot_devices@data",
        calls: &[call(
            "GET",
            "/beta/deviceManagement/windowsAutopilotDeviceIdentities",
            "read",
        )],
        also: &[],
    },
    TypeCalls {
        type_name: "autopilot_group@data",
        calls: &[
            call(
                "GET",
                "/v1.0/groups",
                "read (by `display_name`, filtered by `displayName eq`)",
            ),
            call("GET", "/v1.0/groups/{id}", "read (by `id`)"),
        ],
        also: &[],
    },
    TypeCalls {
        type_name: "autopilot_assignment_filter@data",
        calls: &[
            call(
                "GET",
                "/beta/deviceManagement/assignmentFilters",
                "read (by `display_name`)",
            ),
            call(
                "GET",
                "/beta/deviceManagement/assignmentFilters/{id}",
                "read (by `id`)",
            ),
        ],
        also: &[],
    },
    TypeCalls {
        type_name: "autopilot_mobile_app@data",
        calls: &[
            call(
                "GET",
                "/beta/deviceAppManagement/mobileApps",
                "read (by `display_name`)",
            ),
            call(
                "GET",
                "/beta/deviceAppManagement/mobileApps/{id}",
                "read (by `id`)",
            ),
        ],
        also: &[],
    },
    TypeCalls {
        type_name: "autopilot_scope_tag@data",
        calls: &[
            call(
                "GET",
                "/beta/deviceManagement/roleScopeTags",
                "read (by `display_name`)",
            ),
            call(
                "GET",
                "/beta/deviceManagement/roleScopeTags/{id}",
                "read (by `id`)",
            ),
        ],
        also: &[],
    },
    TypeCalls {
        type_name: "autopilot_platform_script@data",
        calls: &[
            call(
                "GET",
                "/beta/deviceManagement/deviceManagementScripts",
                "read (by `display_name`)",
            ),
            call(
                "GET",
                "/beta/deviceManagement/deviceManagementScripts/{id}",
                "read (by `id`)",
            ),
        ],
        also: &[],
    },
    TypeCalls {
        type_name: "autopilot_group_tag_rule@data",
        calls: &[],
        also: &[],
    },
    TypeCalls {
        type_name: "autopilot_sync@action",
        calls: &[
            call(
                "POST",
                "/beta/deviceManagement/windowsAutopilotSettings/sync",
                "invoke",
            ),
            call(
                "GET",
                "/beta/deviceManagement/windowsAutopilotSettings",
                "invoke (the sync's status, or when the next sync is allowed)",
            ),
        ],
        also: &[],
    },
    TypeCalls {
        type_name: "autopilot_device_assign_user@action",
        calls: &[
            call(
                "GET",
                "/beta/deviceManagement/windowsAutopilotDeviceIdentities/{id}",
                "invoke (the device by `device_id`; the wait for the change)",
            ),
            call(
                "GET",
                "/beta/deviceManagement/windowsAutopilotDeviceIdentities",
                "invoke (the device by `serial_number`)",
            ),
            call(
                "POST",
                "/beta/deviceManagement/windowsAutopilotDeviceIdentities/{id}/assignUserToDevice",
                "invoke",
            ),
            call(
                "POST",
                "/beta/deviceManagement/windowsAutopilotSettings/sync",
                "invoke (an Autopilot sync, so that the change shows)",
            ),
        ],
        also: &[],
    },
    TypeCalls {
        type_name: "autopilot_device_unassign_user@action",
        calls: &[
            call(
                "GET",
                "/beta/deviceManagement/windowsAutopilotDeviceIdentities/{id}",
                "invoke (the device by `device_id`; the wait for the change)",
            ),
            call(
                "GET",
                "/beta/deviceManagement/windowsAutopilotDeviceIdentities",
                "invoke (the device by `serial_number`)",
            ),
            call(
                "POST",
                "/beta/deviceManagement/windowsAutopilotDeviceIdentities/{id}/unassignUserFromDevice",
                "invoke",
            ),
            call(
                "POST",
                "/beta/deviceManagement/windowsAutopilotSettings/sync",
                "invoke (an Autopilot sync, so that the change shows)",
            ),
        ],
        also: &[],
    },
    TypeCalls {
        type_name: "autopilot_device_set_properties@action",
        calls: &[
            call(
                "GET",
                "/beta/deviceManagement/windowsAutopilotDeviceIdentities/{id}",
                "invoke (the device by `device_id`; the wait for the change)",
            ),
            call(
                "GET",
                "/beta/deviceManagement/windowsAutopilotDeviceIdentities",
                "invoke (the device by `serial_number`)",
            ),
            call(
                "POST",
                "/beta/deviceManagement/windowsAutopilotDeviceIdentities/{id}/updateDeviceProperties",
                "invoke",
            ),
            call(
                "POST",
                "/beta/deviceManagement/windowsAutopilotSettings/sync",
                "invoke (an Autopilot sync, so that the change shows)",
            ),
        ],
        also: &[],
    },
    TypeCalls {
        type_name: "autopilot_device_allow_next_enrollment@action",
        calls: &[
            call(
                "GET",
                "/beta/deviceManagement/windowsAutopilotDeviceIdentities/{id}",
                "invoke (the device by `device_id`; the wait for the change)",
            ),
            call(
                "GET",
                "/beta/deviceManagement/windowsAutopilotDeviceIdentities",
                "invoke (the device by `serial_number`)",
            ),
            call(
                "POST",
                "/beta/deviceManagement/windowsAutopilotDeviceIdentities/{id}/allowNextEnrollment",
                "invoke",
            ),
        ],
        also: &[],
    },
];

/// The calls of a resource (`autopilot_group`), of a data source (`autopilot_group@data`) or of an
/// action (`autopilot_sync@action`).
pub fn calls_of(key: &str) -> Option<&'static TypeCalls> {
    TYPES.iter().find(|t| t.type_name == key)
}

/// The permissions a read-only identity needs for this type: plans, refreshes and imports.
pub fn read_permissions(key: &str) -> BTreeSet<&'static str> {
    let Some(calls) = calls_of(key) else {
        return BTreeSet::new();
    };
    calls
        .calls
        .iter()
        .filter(|c| c.opt_in.is_none() && is_read(c.method, c.path))
        .map(|c| required_permission(c.method, c.path))
        .chain(
            calls
                .also
                .iter()
                .filter(|a| a.for_reads)
                .map(|a| a.permission),
        )
        .collect()
}

/// The permissions applying this type needs (its reads included), a `.Read.All` left out where
/// its `.ReadWrite.All` is needed anyway.
pub fn apply_permissions(key: &str) -> BTreeSet<&'static str> {
    let Some(calls) = calls_of(key) else {
        return BTreeSet::new();
    };
    let all: BTreeSet<&'static str> = calls
        .calls
        .iter()
        .filter(|c| c.opt_in.is_none())
        .map(|c| required_permission(c.method, c.path))
        .chain(calls.also.iter().map(|a| a.permission))
        .collect();
    without_implied(&all)
}

/// The permissions the calls behind each opt-in attribute of this type need beyond what applying
/// it needs anyway ([`apply_permissions`]), by attribute.
pub fn opt_in_permissions(
    key: &str,
) -> std::collections::BTreeMap<&'static str, BTreeSet<&'static str>> {
    let mut by_attribute = std::collections::BTreeMap::<_, BTreeSet<_>>::new();
    for c in calls_of(key).map_or(&[][..], |t| t.calls) {
        if let Some(attribute) = c.opt_in {
            by_attribute
                .entry(attribute)
                .or_default()
                .insert(required_permission(c.method, c.path));
        }
    }
    let granted = apply_permissions(key);
    let covered = |p: &str| {
        granted.contains(p)
            || p.strip_suffix(".Read.All")
                .is_some_and(|area| granted.contains(format!("{area}.ReadWrite.All").as_str()))
    };
    by_attribute
        .into_iter()
        .map(|(attribute, set)| {
            let extra: BTreeSet<&'static str> = without_implied(&set)
                .into_iter()
                .filter(|p| !covered(p))
                .collect();
            (attribute, extra)
        })
        .collect()
}

/// Leaves out `X.Read.All` where `X.ReadWrite.All` is in the set.
pub fn without_implied(set: &BTreeSet<&'static str>) -> BTreeSet<&'static str> {
    set.iter()
        .copied()
        .filter(|p| {
            p.strip_suffix(".Read.All")
                .is_none_or(|area| !set.contains(format!("{area}.ReadWrite.All").as_str()))
        })
        .collect()
}

/// Whether a call only reads: GETs, and the POST actions Graph documents as reads.
pub fn is_read(method: &str, path: &str) -> bool {
    method.eq_ignore_ascii_case("GET")
        || path
            .to_ascii_lowercase()
            .ends_with("/retrieveenrollmenttimedevicemembershiptarget")
}

/// Whether a request (`method`, `path` with its version, query string allowed) is this call.
pub fn matches(call: &Call, method: &str, path: &str) -> bool {
    if !call.method.eq_ignore_ascii_case(method) {
        return false;
    }
    let path = path.split('?').next().unwrap_or(path);
    let wanted: Vec<&str> = call.path.trim_matches('/').split('/').collect();
    let got: Vec<&str> = path.trim_matches('/').split('/').collect();
    wanted.len() == got.len()
        && wanted
            .iter()
            .zip(&got)
            .all(|(w, g)| *w == "{id}" || w.eq_ignore_ascii_case(g))
}

/// The least-privileged application permission for a Graph call.
pub fn required_permission(method: &str, path: &str) -> &'static str {
    let rel = path.trim_start_matches('/');
    let rel = rel
        .strip_prefix("beta/")
        .or_else(|| rel.strip_prefix("v1.0/"))
        .unwrap_or(rel)
        .to_ascii_lowercase();
    let write = !is_read(method, path);
    let service_config = [
        "devicemanagement/windowsautopilot",
        "devicemanagement/deviceenrollmentconfigurations",
        "devicemanagement/importedwindowsautopilot",
        "devicemanagement/importeddeviceidentities",
    ];
    if service_config.iter().any(|p| rel.starts_with(p)) {
        if write {
            "DeviceManagementServiceConfig.ReadWrite.All"
        } else {
            "DeviceManagementServiceConfig.Read.All"
        }
    } else if rel.starts_with("devicemanagement/rolescopetags") {
        if write {
            "DeviceManagementRBAC.ReadWrite.All"
        } else {
            "DeviceManagementRBAC.Read.All"
        }
    } else if rel.starts_with("devicemanagement/manageddevices") {
        if write {
            "DeviceManagementManagedDevices.ReadWrite.All"
        } else {
            "DeviceManagementManagedDevices.Read.All"
        }
    } else if rel.starts_with("devicemanagement/") {
        if write {
            "DeviceManagementConfiguration.ReadWrite.All"
        } else {
            "DeviceManagementConfiguration.Read.All"
        }
    } else if rel.starts_with("deviceappmanagement/") {
        "DeviceManagementApps.Read.All"
    } else if rel.starts_with("directoryobjects") {
        "Directory.Read.All"
    } else if rel.starts_with("organization") {
        "Organization.Read.All"
    } else if rel.starts_with("groups") && rel.contains("/members") {
        if write {
            "GroupMember.ReadWrite.All"
        } else {
            "GroupMember.Read.All"
        }
    } else if rel.starts_with("groups") {
        if write {
            "Group.ReadWrite.All"
        } else {
            "Group.Read.All"
        }
    } else if rel.starts_with("serviceprincipals") {
        if write {
            "Application.ReadWrite.All"
        } else {
            "Application.Read.All"
        }
    } else if rel.starts_with("devices") {
        if write {
            "Device.ReadWrite.All"
        } else {
            "Device.Read.All"
        }
    } else if rel.starts_with("users") {
        "User.Read.All"
    } else {
        "(see the provider documentation's permissions table)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_opt_in_lists_only_what_applying_does_not_need_anyway() {
        let opt_ins = opt_in_permissions("autopilot_device");
        // The wait also reads profiles (DeviceManagementServiceConfig), which applying needs.
        assert_eq!(
            opt_ins["wait_for_profile_assignment"],
            BTreeSet::from(["Device.Read.All"])
        );
        assert_eq!(
            opt_ins["destroy_enrolled"],
            BTreeSet::from(["DeviceManagementManagedDevices.ReadWrite.All"])
        );
    }

    #[test]
    fn permissions_of_calls() {
        for (method, path, permission) in [
            (
                "POST",
                "/v1.0/servicePrincipals",
                "Application.ReadWrite.All",
            ),
            ("GET", "/beta/groups/x/owners", "Group.Read.All"),
            ("GET", "/v1.0/directoryObjects/x", "Directory.Read.All"),
            ("GET", "/v1.0/organization", "Organization.Read.All"),
            (
                "DELETE",
                "/beta/deviceManagement/managedDevices/m1",
                "DeviceManagementManagedDevices.ReadWrite.All",
            ),
            ("DELETE", "/v1.0/devices/d1", "Device.ReadWrite.All"),
            (
                "GET",
                "/v1.0/devices?$filter=deviceId eq 'x'",
                "Device.Read.All",
            ),
            (
                "POST",
                "/beta/deviceManagement/configurationPolicies/x/retrieveEnrollmentTimeDeviceMembershipTarget",
                "DeviceManagementConfiguration.Read.All",
            ),
            (
                "PUT",
                "/beta/deviceManagement/configurationPolicies/x",
                "DeviceManagementConfiguration.ReadWrite.All",
            ),
        ] {
            assert_eq!(
                required_permission(method, path),
                permission,
                "{method} {path}"
            );
        }
    }

    #[test]
    fn every_call_has_a_permission_and_a_versioned_path() {
        for t in TYPES {
            for c in t.calls {
                assert!(
                    c.path.starts_with("/beta/") || c.path.starts_with("/v1.0/"),
                    "{}: {}",
                    t.type_name,
                    c.path
                );
                assert!(
                    !required_permission(c.method, c.path).starts_with('('),
                    "{}: {} {} has no permission",
                    t.type_name,
                    c.method,
                    c.path
                );
            }
        }
    }

    #[test]
    fn sets_for_reads_and_applies() {
        assert_eq!(
            read_permissions("autopilot_group"),
            BTreeSet::from([
                "Application.Read.All",
                "Directory.Read.All",
                "Group.Read.All",
                "GroupMember.Read.All"
            ])
        );
        assert_eq!(
            apply_permissions("autopilot_group"),
            BTreeSet::from([
                "Application.ReadWrite.All",
                "Directory.Read.All",
                "Group.ReadWrite.All",
                "GroupMember.ReadWrite.All"
            ])
        );
        assert!(
            read_permissions("autopilot_device_preparation_policy")
                .contains("Application.Read.All")
        );
        assert!(read_permissions("nonexistent").is_empty());
    }

    #[test]
    fn calls_match_requests() {
        assert_eq!(
            required_permission("DELETE", "/v1.0/groups/g1/members/m1/$ref"),
            "GroupMember.ReadWrite.All"
        );
        assert_eq!(
            required_permission("GET", "/v1.0/groups/g1/members?$select=id"),
            "GroupMember.Read.All"
        );
        let c = call("DELETE", "/v1.0/groups/{id}/owners/{id}/$ref", "");
        assert!(matches(&c, "DELETE", "/v1.0/groups/g1/owners/o1/$ref"));
        assert!(!matches(&c, "GET", "/v1.0/groups/g1/owners/o1/$ref"));
        assert!(!matches(&c, "DELETE", "/v1.0/groups/g1/owners"));
        let list = call("GET", "/v1.0/groups", "");
        assert!(matches(
            &list,
            "GET",
            "/v1.0/groups?$filter=displayName eq 'x'"
        ));
    }
}
