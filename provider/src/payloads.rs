//! Every Graph request body this provider sends (POST, PATCH, PUT), with its
//! method, its path template and its JSON Schema (draft 2020-12), derived
//! with schemars from the very type that is serialized. `cargo xtask
//! schemas` writes them to `schemas/graph/`; the acceptance suite checks
//! that every body the provider sends to a lab validates against the
//! schema of its (method, path).

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::Value;

use crate::data_sources::provisioning_client::{self, NewServicePrincipal};
use crate::devices::graph as devices;
use crate::graph::ApiVersion;
use crate::graph::consistency::Reference;
use crate::resources::lints::{ENTRA_PROFILE, HYBRID_PROFILE, PROFILE_COLLECTION};
use crate::resources::{
    deployment_profile as profile, device_preparation_policy as policy, domain_join_profile,
    enrollment_status_page as esp, group,
};

/// One kind of request body the provider sends.
#[derive(Debug, Clone)]
pub struct Payload {
    /// A stable name, the schema's file name without `.json`.
    pub name: &'static str,
    /// `POST`, `PATCH` or `PUT`.
    pub method: &'static str,
    /// The request path with `{id}` for object ids, from the root of the
    /// Graph host: `/beta/deviceManagement/deviceConfigurations/{id}/assign`.
    pub path: String,
    /// What sends it.
    pub purpose: &'static str,
    /// The JSON Schema of the body; `None` for actions that take no
    /// parameters, which are posted without a body (Graph's documentation:
    /// "Do not supply a request body for this method").
    pub schema: Option<Value>,
}

/// Every payload, in a stable order.
pub fn payloads() -> Vec<Payload> {
    let beta = |path: &str| format!("/{}/{path}", ApiVersion::Beta.segment());
    let v1 = |path: &str| format!("/{}/{path}", ApiVersion::V1.segment());
    let profiles = beta(PROFILE_COLLECTION);
    let esps = beta(esp::COLLECTION);
    let configs = beta(domain_join_profile::COLLECTION);
    let policies = beta(policy::COLLECTION);
    let groups = v1(group::COLLECTION);
    let device_version = |path: &str| format!("/{}/{path}", devices::VERSION.segment());
    let imported = device_version(devices::IMPORTED);
    let identities = device_version(devices::IDENTITIES);
    vec![
        Payload {
            name: "deployment-profile-create-entra",
            method: "POST",
            path: profiles.clone(),
            purpose: "autopilot_deployment_profile create, join_type = entra",
            schema: Some(narrowed_odata_type(
                schema_of::<profile::ProfilePayload>(),
                ENTRA_PROFILE,
            )),
        },
        Payload {
            name: "deployment-profile-create-hybrid",
            method: "POST",
            path: profiles.clone(),
            purpose: "autopilot_deployment_profile create, join_type = hybrid",
            schema: Some(narrowed_odata_type(
                schema_of::<profile::ProfilePayload>(),
                HYBRID_PROFILE,
            )),
        },
        Payload {
            name: "deployment-profile-update-entra",
            method: "PATCH",
            path: format!("{profiles}/{{id}}"),
            purpose: "autopilot_deployment_profile update, join_type = entra",
            schema: Some(narrowed_odata_type(
                schema_of::<profile::ProfilePayload>(),
                ENTRA_PROFILE,
            )),
        },
        Payload {
            name: "deployment-profile-update-hybrid",
            method: "PATCH",
            path: format!("{profiles}/{{id}}"),
            purpose: "autopilot_deployment_profile update, join_type = hybrid",
            schema: Some(narrowed_odata_type(
                schema_of::<profile::ProfilePayload>(),
                HYBRID_PROFILE,
            )),
        },
        Payload {
            name: "deployment-profile-locale",
            method: "PATCH",
            path: format!("{profiles}/{{id}}"),
            purpose: "autopilot_deployment_profile create, when Graph ignored the locale",
            schema: Some(schema_of::<profile::LocaleBody<'static>>()),
        },
        Payload {
            name: "deployment-profile-assignment",
            method: "POST",
            path: format!("{profiles}/{{id}}/assignments"),
            purpose: "autopilot_deployment_profile assignments, one per new target",
            schema: Some(schema_of::<profile::AssignmentBody<'static>>()),
        },
        Payload {
            name: "enrollment-status-page-create",
            method: "POST",
            path: esps.clone(),
            purpose: "autopilot_enrollment_status_page create",
            schema: Some(schema_of::<esp::EspPayload>()),
        },
        Payload {
            name: "enrollment-status-page-update",
            method: "PATCH",
            path: format!("{esps}/{{id}}"),
            purpose: "autopilot_enrollment_status_page update",
            schema: Some(schema_of::<esp::EspPayload>()),
        },
        Payload {
            name: "enrollment-status-page-assign",
            method: "POST",
            path: format!("{esps}/{{id}}/assign"),
            purpose: "autopilot_enrollment_status_page assignments (the whole list)",
            schema: Some(schema_of::<esp::AssignBody>()),
        },
        Payload {
            name: "enrollment-status-page-set-priority",
            method: "POST",
            path: format!("{esps}/{{id}}/setPriority"),
            purpose: "autopilot_enrollment_status_page priority",
            schema: Some(schema_of::<esp::PriorityBody>()),
        },
        Payload {
            name: "domain-join-profile-create",
            method: "POST",
            path: configs.clone(),
            purpose: "autopilot_domain_join_profile create",
            schema: Some(schema_of::<domain_join_profile::DomainJoinConfiguration>()),
        },
        Payload {
            name: "domain-join-profile-update",
            method: "PATCH",
            path: format!("{configs}/{{id}}"),
            purpose: "autopilot_domain_join_profile update",
            schema: Some(schema_of::<domain_join_profile::DomainJoinConfiguration>()),
        },
        Payload {
            name: "domain-join-profile-assign",
            method: "POST",
            path: format!("{configs}/{{id}}/assign"),
            purpose: "autopilot_domain_join_profile assignments (the whole list)",
            schema: Some(schema_of::<domain_join_profile::AssignBody>()),
        },
        Payload {
            name: "group-create",
            method: "POST",
            path: groups.clone(),
            purpose: "autopilot_group create",
            schema: Some(schema_of::<group::GraphGroup>()),
        },
        Payload {
            name: "group-update",
            method: "PATCH",
            path: format!("{groups}/{{id}}"),
            purpose: "autopilot_group update",
            schema: Some(schema_of::<group::GraphGroup>()),
        },
        Payload {
            name: "group-owner-reference",
            method: "POST",
            path: format!("{groups}/{{id}}/owners/$ref"),
            purpose: "autopilot_group owners (provisioning_client_owner, owner ids)",
            schema: Some(schema_of::<Reference>()),
        },
        Payload {
            name: "provisioning-client-create",
            method: "POST",
            path: v1(provisioning_client::COLLECTION),
            purpose: "autopilot_group with provisioning_client_owner, in a tenant without the Intune Provisioning Client",
            schema: Some(schema_of::<NewServicePrincipal<'static>>()),
        },
        Payload {
            name: "device-preparation-policy-create",
            method: "POST",
            path: policies.clone(),
            purpose: "autopilot_device_preparation_policy create",
            schema: Some(schema_of::<policy::Policy>()),
        },
        Payload {
            name: "device-preparation-policy-update",
            method: "PUT",
            path: format!("{policies}/{{id}}"),
            purpose: "autopilot_device_preparation_policy update (settings are replaced whole)",
            schema: Some(schema_of::<policy::Policy>()),
        },
        Payload {
            name: "device-preparation-policy-set-device-group",
            method: "POST",
            path: format!("{policies}/{{id}}/setEnrollmentTimeDeviceMembershipTarget"),
            purpose: "autopilot_device_preparation_policy device_group_id",
            schema: Some(schema_of::<policy::MembershipTargets<'static>>()),
        },
        Payload {
            name: "device-preparation-policy-retrieve-device-group",
            method: "POST",
            path: format!("{policies}/{{id}}/retrieveEnrollmentTimeDeviceMembershipTarget"),
            purpose: "autopilot_device_preparation_policy read (an action that only reads)",
            schema: None,
        },
        Payload {
            name: "device-preparation-policy-assign",
            method: "POST",
            path: format!("{policies}/{{id}}/assign"),
            purpose: "autopilot_device_preparation_policy include_group_ids (the whole list)",
            schema: Some(schema_of::<policy::AssignBody>()),
        },
        Payload {
            name: "device-import-one",
            method: "POST",
            path: imported.clone(),
            purpose: "autopilot_device create",
            schema: Some(schema_of::<devices::ImportPayload<'static>>()),
        },
        Payload {
            name: "device-import",
            method: "POST",
            path: format!("{imported}/import"),
            purpose: "autopilot_device_csv create and new rows, in chunks",
            schema: Some(schema_of::<devices::ImportAction<'static>>()),
        },
        Payload {
            name: "device-update-properties",
            method: "POST",
            path: format!("{identities}/{{id}}/updateDeviceProperties"),
            purpose: "autopilot_device and autopilot_device_csv group_tag and display_name",
            schema: Some(schema_of::<devices::DeviceProperties>()),
        },
        Payload {
            name: "device-assign-user",
            method: "POST",
            path: format!("{identities}/{{id}}/assignUserToDevice"),
            purpose: "autopilot_device assigned_user_principal_name",
            schema: Some(schema_of::<devices::AssignUser<'static>>()),
        },
        Payload {
            name: "device-sync",
            method: "POST",
            path: beta(devices::SYNC),
            purpose: "autopilot_device and autopilot_device_csv, after writing a group tag, display name or user (Autopilot shows them after a sync)",
            schema: None,
        },
        Payload {
            name: "device-unassign-user",
            method: "POST",
            path: format!("{identities}/{{id}}/unassignUserFromDevice"),
            purpose: "autopilot_device assigned_user_principal_name removed",
            schema: None,
        },
    ]
}

/// The JSON Schema of what `T` serializes to (draft 2020-12), as a
/// request body: objects are closed (a property the type does not declare
/// is not part of the payload), and `default` / `readOnly`, which describe
/// how the type reads Graph's answers, are left out.
fn schema_of<T: JsonSchema>() -> Value {
    let root = SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
        .into_root_schema_for::<T>();
    let mut schema = root.to_value();
    as_request_body(&mut schema, false);
    schema
}

/// Keywords whose value is a map of subschemas.
const SCHEMA_MAPS: &[&str] = &["properties", "$defs", "patternProperties"];
/// Keywords whose value is one subschema, of a child value.
const SCHEMA_SLOTS: &[&str] = &["items", "additionalProperties", "contains"];
/// Keywords whose value is one subschema applied to the object itself (a
/// condition on it): never closed on their own, or `if` would fail on every
/// property it does not name.
const IN_PLACE_SLOTS: &[&str] = &["not", "if", "then", "else"];
/// Keywords whose value is a list of alternatives or parts.
const SCHEMA_LISTS: &[&str] = &["anyOf", "oneOf", "allOf", "prefixItems"];

/// Rewrites one subschema (see [`schema_of`]). `part_of_parent`: the
/// subschema is an alternative of an object that lists properties itself
/// (a flattened enum): its object stays open, the parent is closed and
/// counts the properties the alternative evaluated.
fn as_request_body(schema: &mut Value, part_of_parent: bool) {
    let Value::Object(map) = schema else {
        return;
    };
    map.remove("default");
    map.remove("readOnly");
    let lists_properties = map.contains_key("properties");
    for key in SCHEMA_MAPS {
        if let Some(Value::Object(subschemas)) = map.get_mut(*key) {
            for subschema in subschemas.values_mut() {
                as_request_body(subschema, false);
            }
        }
    }
    for key in SCHEMA_SLOTS {
        if let Some(subschema) = map.get_mut(*key) {
            as_request_body(subschema, false);
        }
    }
    for key in IN_PLACE_SLOTS {
        if let Some(subschema) = map.get_mut(*key) {
            as_request_body(subschema, true);
        }
    }
    for key in SCHEMA_LISTS {
        if let Some(Value::Array(subschemas)) = map.get_mut(*key) {
            for subschema in subschemas {
                as_request_body(subschema, lists_properties);
            }
        }
    }
    let says_nothing_of_others =
        !map.contains_key("additionalProperties") && !map.contains_key("unevaluatedProperties");
    if lists_properties && says_nothing_of_others && !part_of_parent {
        map.insert("unevaluatedProperties".into(), Value::Bool(false));
    }
}

/// The schema with `@odata.type` narrowed to one of the values it allows.
fn narrowed_odata_type(mut schema: Value, odata_type: &str) -> Value {
    if let Some(property) = schema.pointer_mut("/properties/@odata.type")
        && let Some(map) = property.as_object_mut()
    {
        map.remove("enum");
        map.insert("const".into(), Value::String(odata_type.to_string()));
    }
    schema
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn names_are_unique_and_paths_absolute() {
        let all = payloads();
        let names: BTreeSet<_> = all.iter().map(|p| p.name).collect();
        assert_eq!(names.len(), all.len());
        for p in &all {
            assert!(
                p.path.starts_with("/beta/") || p.path.starts_with("/v1.0/"),
                "{}",
                p.path
            );
            assert!(["POST", "PATCH", "PUT"].contains(&p.method), "{}", p.method);
        }
    }
}
