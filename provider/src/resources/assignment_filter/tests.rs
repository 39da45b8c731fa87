//! Unit tests of `autopilot_assignment_filter`: schema, defaults and plan-time rules.

use super::model::ManagementType;
use super::*;
use tfplugin::{Attr, Resource};

#[test]
fn schema_derives_with_windows_and_devices_by_default() {
    let schema = tfplugin::Schema::of::<AssignmentFilterModel>(0).expect("schema");
    let platform = schema.block.attribute("platform").expect("platform");
    assert_eq!(
        platform.default,
        Some(tfplugin::Value::String("windows10_and_later".into()))
    );
    let management = schema
        .block
        .attribute("assignment_filter_management_type")
        .expect("management type");
    assert_eq!(
        management.default,
        Some(tfplugin::Value::String("devices".into()))
    );
    assert!(schema.block.attribute("rule").expect("rule").required);
}

fn config(rule: &str, management: ManagementType) -> AssignmentFilterModel {
    AssignmentFilterModel {
        display_name: Attr::Known("Surfaces".into()),
        rule: Attr::Known(rule.into()),
        assignment_filter_management_type: Attr::Known(management),
        ..Default::default()
    }
}

fn error_paths(model: &AssignmentFilterModel) -> Vec<String> {
    crate::test_support::error_paths(|diags| AssignmentFilterResource.validate(model, diags))
}

#[test]
fn rules_are_checked_for_their_management_type() {
    let device_rule = r#"(device.model -startsWith "Surface")"#;
    assert!(error_paths(&config(device_rule, ManagementType::Devices)).is_empty());
    assert_eq!(
        error_paths(&config(device_rule, ManagementType::Apps)),
        ["rule"]
    );
    assert_eq!(
        error_paths(&config("(device.model -eq", ManagementType::Devices)),
        ["rule"]
    );
    let mut unknown = config("(", ManagementType::Devices);
    unknown.rule = Attr::Unknown;
    assert!(error_paths(&unknown).is_empty());
}

#[test]
fn graph_round_trip_keeps_the_configuration() {
    let planned = AssignmentFilterModel {
        role_scope_tag_ids: Attr::Known(["0".to_string()].into()),
        description: Attr::Known("d".into()),
        ..config(r#"(device.model -eq "X")"#, ManagementType::Devices)
    };
    let body = serde_json::to_value(planned.to_graph()).expect("serializes");
    assert_eq!(body["platform"], "windows10AndLater");
    assert_eq!(body["assignmentFilterManagementType"], "devices");
    assert_eq!(body["roleScopeTags"], serde_json::json!(["0"]));
    let mut answer = body;
    answer["id"] = "f1".into();
    let read: AssignmentFilter = serde_json::from_value(answer).expect("reads");
    let state = AssignmentFilterModel::from_graph(read, &planned);
    assert_eq!(state.rule, planned.rule);
    assert_eq!(state.role_scope_tag_ids, planned.role_scope_tag_ids);
    assert_eq!(state.id, Attr::Known("f1".into()));
}

#[test]
fn validation_answers_in_both_shapes() {
    let wrapped: Validation =
        serde_json::from_str(r#"{"value":{"isValidRule":false}}"#).expect("wrapped");
    assert_eq!(wrapped.is_valid(), Some(false));
    let bare: Validation = serde_json::from_str(r#"{"isValidRule":true}"#).expect("bare");
    assert_eq!(bare.is_valid(), Some(true));
}

#[test]
fn scope_tags_are_checked_and_read_like_the_other_intune_objects() {
    let device_rule = r#"(device.model -startsWith "Surface")"#;
    let mut named = config(device_rule, ManagementType::Devices);
    named.role_scope_tag_ids = Attr::Known(["Default".to_string()].into());
    assert_eq!(error_paths(&named), ["role_scope_tag_ids"]);
    // `[]` keeps reading `[]` while Intune holds the Default tag.
    let mut empty = config(device_rule, ManagementType::Devices);
    empty.role_scope_tag_ids = Attr::Known(Default::default());
    let mut held = empty.to_graph();
    held.role_scope_tags = Some(vec!["0".to_string()]);
    let state = AssignmentFilterModel::from_graph(held, &empty);
    assert_eq!(state.role_scope_tag_ids, empty.role_scope_tag_ids);
}
