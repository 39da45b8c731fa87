//! `moved` blocks from the deploymenttheory provider
//! (`deploymenttheory/microsoft365`, Terraform 1.8+): the state of its
//! Autopilot deployment profile, Enrollment Status Page, device preparation
//! policy, group, Autopilot device identity, assignment filter and role
//! scope tag resources, as its source declares their attributes, becomes
//! the state of the matching `autopilot_*` resource.
//!
//! Terraform moves state before it configures the provider, and reads the
//! resource right after; that read takes every value from Graph. So the
//! object id is what must be right: besides it only values that keep their
//! meaning are carried, and only when set (an empty string or set in the
//! source state reads as unset, so an attribute the configuration leaves
//! out does not turn into a difference).

use std::collections::BTreeSet;

use serde_json::Value as Json;
use tfplugin::{Attr, Diagnostics, MoveRequest, MoveSource};

use super::assignment_filter::AssignmentFilterModel;
use super::deployment_profile::DeploymentProfileModel;
use super::device::DeviceModel;
use super::device_preparation_policy::DevicePreparationPolicyModel;
use super::enrollment_status_page::EnrollmentStatusPageModel;
use super::group::GroupModel;
use super::intune::IntuneResource;
use super::scope_tag::ScopeTagModel;

/// The deploymenttheory provider's registry address.
pub const DEPLOYMENTTHEORY: &str = "registry.terraform.io/deploymenttheory/microsoft365";

const fn deploymenttheory(type_name: &'static str) -> MoveSource {
    MoveSource {
        provider: DEPLOYMENTTHEORY,
        type_name,
    }
}

/// The sources of `autopilot_deployment_profile`.
pub const DEPLOYMENT_PROFILE: &[MoveSource] = &[deploymenttheory(
    "microsoft365_graph_beta_device_management_windows_autopilot_deployment_profile",
)];
/// The sources of `autopilot_enrollment_status_page`.
pub const ENROLLMENT_STATUS_PAGE: &[MoveSource] = &[deploymenttheory(
    "microsoft365_graph_beta_device_management_windows_enrollment_status_page",
)];
/// The sources of `autopilot_device_preparation_policy`.
pub const DEVICE_PREPARATION_POLICY: &[MoveSource] = &[deploymenttheory(
    "microsoft365_graph_beta_device_management_windows_autopilot_device_preparation_policy",
)];
/// The sources of `autopilot_group`.
pub const GROUP: &[MoveSource] = &[deploymenttheory("microsoft365_graph_beta_groups_group")];
/// The sources of `autopilot_device`.
pub const DEVICE: &[MoveSource] = &[deploymenttheory(
    "microsoft365_graph_beta_device_management_windows_autopilot_device_identity",
)];
/// The sources of `autopilot_assignment_filter`: the resource under its
/// current name and under the name it had before (`device_and_app_management`).
/// Names and attributes as deploymenttheory/terraform-provider-microsoft365
/// declares them (`examples/resources/microsoft365_graph_beta_device_management_assignment_filter/resource.tf`:
/// `role_scope_tags`, `platform = "windows10AndLater"`; the older name in its
/// `microsoft365_graph_beta_device_and_app_management_assignment_filter` examples).
pub const ASSIGNMENT_FILTER: &[MoveSource] = &[
    deploymenttheory("microsoft365_graph_beta_device_management_assignment_filter"),
    deploymenttheory("microsoft365_graph_beta_device_and_app_management_assignment_filter"),
];
/// The sources of `autopilot_scope_tag` (deploymenttheory's
/// `internal/services/resources/device_management/graph_beta/role_scope_tag`
/// test configurations: `display_name`, `description`, `assignments`).
pub const SCOPE_TAG: &[MoveSource] = &[deploymenttheory(
    "microsoft365_graph_beta_device_management_role_scope_tag",
)];

/// A source's state, read by attribute name.
struct Source<'a>(&'a Json);

impl<'a> Source<'a> {
    /// The object id; a move without one is refused.
    fn id(&self, request: &MoveRequest<'_>, diags: &mut Diagnostics) -> Option<Attr<String>> {
        let id = self.text("id");
        if id.is_null() {
            diags.error(
                "Cannot move a resource without an id",
                format!(
                    "The state of {} has no `id`; the object it managed cannot be found.",
                    request.source.type_name
                ),
            );
            return None;
        }
        Some(id)
    }

    /// A string attribute at `path` (nested attributes by name), unset
    /// when missing, not a string, or empty.
    fn text_at(&self, path: &[&str]) -> Attr<String> {
        let mut value = self.0;
        for key in path {
            match value.get(key) {
                Some(inner) => value = inner,
                None => return Attr::Null,
            }
        }
        match value.as_str().map(str::trim) {
            Some(text) if !text.is_empty() => Attr::Known(text.to_string()),
            _ => Attr::Null,
        }
    }

    fn text(&self, key: &str) -> Attr<String> {
        self.text_at(&[key])
    }

    /// A set or list of strings, unset when missing or empty.
    fn strings(&self, key: &str) -> Attr<BTreeSet<String>> {
        let items: BTreeSet<String> = self
            .0
            .get(key)
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(Json::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if items.is_empty() {
            Attr::Null
        } else {
            Attr::Known(items)
        }
    }
}

/// A deployment profile: the id, its name and description.
pub fn deployment_profile(
    request: &MoveRequest<'_>,
    diags: &mut Diagnostics,
) -> Option<DeploymentProfileModel> {
    let source = Source(&request.state);
    Some(DeploymentProfileModel {
        id: source.id(request, diags)?,
        display_name: source.text("display_name"),
        description: source.text("description"),
        ..DeploymentProfileModel::default()
    })
}

/// An Enrollment Status Page: the id, its name, description and the texts
/// and apps named alike.
pub fn enrollment_status_page(
    request: &MoveRequest<'_>,
    diags: &mut Diagnostics,
) -> Option<EnrollmentStatusPageModel> {
    let source = Source(&request.state);
    Some(EnrollmentStatusPageModel {
        id: source.id(request, diags)?,
        display_name: source.text("display_name"),
        description: source.text("description"),
        custom_error_message: source.text("custom_error_message"),
        selected_mobile_app_ids: source.strings("selected_mobile_app_ids"),
        ..EnrollmentStatusPageModel::default()
    })
}

/// A device preparation policy: the id, its `name` (our `display_name`),
/// description and device group (`device_security_group`).
pub fn device_preparation_policy(
    request: &MoveRequest<'_>,
    diags: &mut Diagnostics,
) -> Option<DevicePreparationPolicyModel> {
    let source = Source(&request.state);
    Some(DevicePreparationPolicyModel {
        id: source.id(request, diags)?,
        display_name: source.text("name"),
        description: source.text("description"),
        device_group_id: source.text("device_security_group"),
        ..DevicePreparationPolicyModel::default()
    })
}

/// A group: the id, its name, description, mail nickname and membership
/// rule.
pub fn group(request: &MoveRequest<'_>, diags: &mut Diagnostics) -> Option<GroupModel> {
    let source = Source(&request.state);
    Some(GroupModel {
        id: source.id(request, diags)?,
        display_name: source.text("display_name"),
        description: source.text("description"),
        mail_nickname: source.text("mail_nickname"),
        membership_rule: source.text("membership_rule"),
        ..GroupModel::default()
    })
}

/// An Autopilot device identity: the id, serial number, product key, group
/// tag, display name and user (`user_principal_name`, or the one of its
/// `user_assignment`). The source holds no hardware hash: the state gets
/// the placeholder an import gets, which takes the configured hash as is.
pub fn device(request: &MoveRequest<'_>, diags: &mut Diagnostics) -> Option<DeviceModel> {
    let source = Source(&request.state);
    let id = source.id(request, diags)?;
    let serial_number = source.text("serial_number");
    if serial_number.is_null() {
        diags.error(
            "Cannot move an Autopilot device without its serial number",
            "The moved state has no `serial_number`.",
        );
        return None;
    }
    let user = match source.text("user_principal_name") {
        Attr::Null => source.text_at(&["user_assignment", "user_principal_name"]),
        user => user,
    };
    Some(DeviceModel {
        id,
        serial_number,
        hardware_hash: Attr::Known(String::new()),
        product_key: source.text("product_key"),
        group_tag: source.text("group_tag"),
        assigned_user_principal_name: user,
        display_name: source.text("display_name"),
        ..DeviceModel::default()
    })
}

/// An assignment filter: the id, its name, description, rule and scope
/// tags (`role_scope_tags`). The platform and management type are read
/// from Intune (the source spells the platform `windows10AndLater`).
pub fn assignment_filter(
    request: &MoveRequest<'_>,
    diags: &mut Diagnostics,
) -> Option<AssignmentFilterModel> {
    let source = Source(&request.state);
    Some(AssignmentFilterModel {
        id: source.id(request, diags)?,
        display_name: source.text("display_name"),
        description: source.text("description"),
        rule: source.text("rule"),
        role_scope_tag_ids: source.strings("role_scope_tags"),
        ..AssignmentFilterModel::default()
    })
}

/// A role scope tag: the id, its name and description. Its group
/// assignments (`assignments`) are not managed here. The built-in
/// `Default` tag is refused, as its import is.
pub fn scope_tag(request: &MoveRequest<'_>, diags: &mut Diagnostics) -> Option<ScopeTagModel> {
    let source = Source(&request.state);
    let id = source.id(request, diags)?;
    if let Some((_, detail)) = id
        .known()
        .and_then(|id| <super::scope_tag::ScopeTag as IntuneResource>::import_refusal(id, None))
    {
        diags.error("Cannot move the Default scope tag", detail);
        return None;
    }
    Some(ScopeTagModel {
        id,
        display_name: source.text("display_name"),
        description: source.text("description"),
        ..ScopeTagModel::default()
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use tfplugin::Value;

    use super::*;
    use crate::registry::managed_types;

    /// Moves `state` of `source_type` into the registered resource
    /// `target`, through the erased resource the server calls.
    fn moved(target: &str, source_type: &str, state: Json) -> (Value, Diagnostics) {
        let types = managed_types();
        let resource = types
            .iter()
            .map(|m| &m.resource)
            .find(|r| r.type_name() == target)
            .expect("a registered resource");
        let schema = resource.schema().expect("a schema");
        let source = tfplugin::moves::find(resource.move_sources(), DEPLOYMENTTHEORY, source_type)
            .expect("a declared source");
        resource.move_state(
            &schema,
            MoveRequest {
                source,
                schema_version: 0,
                state,
            },
        )
    }

    fn attribute<'v>(state: &'v Value, name: &str) -> &'v Value {
        match state {
            Value::Object(attrs) => &attrs[name],
            other => panic!("not an object: {other:?}"),
        }
    }

    fn text(value: &str) -> Value {
        Value::String(value.into())
    }

    #[test]
    fn every_source_moves_its_id_into_the_matching_resource() {
        let id = "5f1c7a52-0000-4000-8000-00000000d001";
        for (target, source_type, state) in [
            (
                "autopilot_deployment_profile",
                DEPLOYMENT_PROFILE[0].type_name,
                json!({"id": id, "display_name": "Sales", "device_join_type": "microsoft_entra_joined",
                       "out_of_box_experience_setting": {"user_type": "standard"}, "assignments": null}),
            ),
            (
                "autopilot_enrollment_status_page",
                ENROLLMENT_STATUS_PAGE[0].type_name,
                json!({"id": id, "display_name": "Sales", "selected_mobile_app_ids": [],
                       "install_progress_timeout_in_minutes": 60}),
            ),
            (
                "autopilot_device_preparation_policy",
                DEVICE_PREPARATION_POLICY[0].type_name,
                json!({"id": id, "name": "Sales", "device_security_group": "g-1",
                       "deployment_settings": {"deployment_mode": "enrollment_autopilot_dpp_deploymentmode_0"}}),
            ),
            (
                "autopilot_group",
                GROUP[0].type_name,
                json!({"id": id, "display_name": "Sales", "mail_nickname": "sales", "security_enabled": true,
                       "group_types": ["DynamicMembership"], "description": ""}),
            ),
            (
                "autopilot_device",
                DEVICE[0].type_name,
                json!({"id": id, "display_name": "Sales", "serial_number": "SN-1", "group_tag": "SALES",
                       "user_assignment": {"user_principal_name": "ana@contoso.com"}}),
            ),
            (
                "autopilot_assignment_filter",
                ASSIGNMENT_FILTER[0].type_name,
                json!({"id": id, "display_name": "Sales", "platform": "windows10AndLater",
                       "rule": "(device.model -eq \"Surface\")", "role_scope_tags": ["0"]}),
            ),
            (
                "autopilot_assignment_filter",
                ASSIGNMENT_FILTER[1].type_name,
                json!({"id": id, "display_name": "Sales", "assignment_filter_management_type": "devices"}),
            ),
            (
                "autopilot_scope_tag",
                SCOPE_TAG[0].type_name,
                json!({"id": id, "display_name": "Sales", "description": "", "assignments": []}),
            ),
        ] {
            let (state, diags) = moved(target, source_type, state);
            assert!(!diags.has_errors(), "{target}: {diags:?}");
            assert_eq!(attribute(&state, "id"), &text(id), "{target}");
            assert_eq!(attribute(&state, "timeouts"), &Value::Null, "{target}");
            assert_eq!(
                attribute(&state, "display_name"),
                &text("Sales"),
                "{target}"
            );
        }
    }

    #[test]
    fn only_set_values_are_carried() {
        let (group, _) = moved(
            "autopilot_group",
            GROUP[0].type_name,
            json!({"id": "g", "display_name": "Sales", "description": "", "membership_rule": null}),
        );
        assert_eq!(attribute(&group, "description"), &Value::Null);
        assert_eq!(attribute(&group, "membership_rule"), &Value::Null);
        let (esp, _) = moved(
            "autopilot_enrollment_status_page",
            ENROLLMENT_STATUS_PAGE[0].type_name,
            json!({"id": "e", "selected_mobile_app_ids": []}),
        );
        assert_eq!(attribute(&esp, "selected_mobile_app_ids"), &Value::Null);
        let (policy, _) = moved(
            "autopilot_device_preparation_policy",
            DEVICE_PREPARATION_POLICY[0].type_name,
            json!({"id": "p", "name": "Kiosks", "device_security_group": "g-1"}),
        );
        assert_eq!(attribute(&policy, "device_group_id"), &text("g-1"));
    }

    #[test]
    fn a_device_gets_the_import_placeholder_hash_and_its_user() {
        let (device, diags) = moved(
            "autopilot_device",
            DEVICE[0].type_name,
            json!({"id": "d", "serial_number": "SN-1", "product_key": "",
                   "user_assignment": {"user_principal_name": "ana@contoso.com"}}),
        );
        assert!(!diags.has_errors(), "{diags:?}");
        assert_eq!(attribute(&device, "hardware_hash"), &text(""));
        assert_eq!(attribute(&device, "serial_number"), &text("SN-1"));
        assert_eq!(attribute(&device, "product_key"), &Value::Null);
        assert_eq!(
            attribute(&device, "assigned_user_principal_name"),
            &text("ana@contoso.com")
        );
    }

    #[test]
    fn the_default_scope_tag_is_not_moved() {
        let (state, diags) = moved(
            "autopilot_scope_tag",
            SCOPE_TAG[0].type_name,
            json!({"id": "0", "display_name": "Default"}),
        );
        assert_eq!(state, Value::Null);
        let summaries: Vec<_> = diags.iter().map(|d| d.summary.as_str()).collect();
        assert_eq!(summaries, ["Cannot move the Default scope tag"]);
    }

    #[test]
    fn a_state_without_an_id_or_serial_number_is_refused() {
        let (state, diags) = moved(
            "autopilot_group",
            GROUP[0].type_name,
            json!({"display_name": "Sales"}),
        );
        assert_eq!(state, Value::Null);
        let summaries: Vec<_> = diags.iter().map(|d| d.summary.as_str()).collect();
        assert_eq!(summaries, ["Cannot move a resource without an id"]);
        let (state, diags) = moved(
            "autopilot_device",
            DEVICE[0].type_name,
            json!({"id": "d", "serial_number": " "}),
        );
        assert_eq!(state, Value::Null);
        assert!(diags.iter().any(|d| d.summary.contains("serial number")));
    }

    #[test]
    fn the_other_resources_take_no_moves() {
        for managed in managed_types() {
            let sources = managed.resource.move_sources();
            let expected = match managed.resource.type_name() {
                "autopilot_domain_join_profile"
                | "autopilot_device_csv"
                | "autopilot_corporate_identifier_csv" => 0,
                "autopilot_assignment_filter" => 2,
                _ => 1,
            };
            assert_eq!(sources.len(), expected, "{}", managed.resource.type_name());
            assert!(sources.iter().all(|s| s.provider == DEPLOYMENTTHEORY));
        }
    }
}
