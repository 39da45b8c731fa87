//! Unit tests of `autopilot_enrollment_status_page`: schema, plan-time rules and the Graph mapping.

use super::*;
use tfplugin::Severity;

#[test]
fn schema_derives() {
    let schema = tfplugin::Schema::of::<EnrollmentStatusPageModel>(0).expect("schema");
    let priority = schema.block.attribute("priority").expect("priority");
    assert!(priority.optional && priority.computed && priority.stable);
    assert_eq!(priority.constraints.minimum, Some(1));
    let timeout = schema
        .block
        .attribute("install_progress_timeout_in_minutes")
        .expect("timeout");
    assert_eq!(timeout.default, Some(tfplugin::Value::Number(60i64.into())));
    assert_eq!(
        (timeout.constraints.minimum, timeout.constraints.maximum),
        (Some(1), Some(1440))
    );
}

fn blocking() -> EnrollmentStatusPageModel {
    EnrollmentStatusPageModel {
        display_name: Attr::Known("ESP".into()),
        show_installation_progress: Attr::Known(true),
        ..Default::default()
    }
}

fn paths(model: &EnrollmentStatusPageModel, severity: Severity) -> Vec<String> {
    crate::test_support::reported_paths(severity, |diags| validate_esp(model, diags))
}

const APP: &str = "e83d36e1-3ff2-4567-90d9-940919184ad5";

#[test]
fn blocking_options_need_blocking() {
    let mut m = blocking();
    m.allow_device_reset_on_install_failure = Attr::Known(true);
    m.allow_device_use_on_install_failure = Attr::Known(true);
    m.selected_mobile_app_ids = Attr::Known(BTreeSet::from([APP.to_string()]));
    assert!(paths(&m, Severity::Error).is_empty());

    m.block_device_setup_retry_by_user = Attr::Known(true);
    assert_eq!(
        paths(&m, Severity::Error),
        [
            "allow_device_reset_on_install_failure",
            "allow_device_use_on_install_failure",
            "selected_mobile_app_ids"
        ]
    );
    m.block_device_setup_retry_by_user = Attr::Null;
    m.show_installation_progress = Attr::Null;
    assert_eq!(paths(&m, Severity::Error).len(), 3);
    m.show_installation_progress = Attr::Unknown;
    assert!(paths(&m, Severity::Error).is_empty());
}

#[test]
fn app_ids_and_non_blocking() {
    let mut m = blocking();
    m.selected_mobile_app_ids = Attr::Known(BTreeSet::from(["word".to_string()]));
    assert_eq!(paths(&m, Severity::Error), ["selected_mobile_app_ids"]);
    let mut m = blocking();
    m.allow_non_blocking_app_installation = Attr::Known(true);
    assert_eq!(
        paths(&m, Severity::Warning),
        ["allow_non_blocking_app_installation"]
    );
}

#[test]
fn default_esp_ids() {
    assert!(is_default_esp(
        "7ab1ab00-0000-4000-8000-00000000a001_DefaultWindows10EnrollmentCompletionPageConfiguration"
    ));
    assert!(!is_default_esp(
        "4998ae20-fa77-4f5c-9f7f-a5956b42dd6c_Windows10EnrollmentCompletionPageConfiguration"
    ));
}

#[test]
fn graph_round_trip() {
    let mut m = blocking();
    m.all_users = Attr::Known(true);
    let json = serde_json::to_value(m.to_graph()).expect("json");
    assert_eq!(json["@odata.type"], ODATA_TYPE);
    assert_eq!(json["selectedMobileAppIds"], serde_json::json!([]));
    assert_eq!(json["installProgressTimeoutInMinutes"], 60);
    assert!(json.get("priority").is_none());
    let mut back: EspPayload = serde_json::from_value(json).expect("back");
    back.id = Some("e1".into());
    back.priority = Some(2);
    let targets = EspTargets::from_assignments(&m.targets().to_assignments());
    assert!(targets.all_users);
    let state = EnrollmentStatusPageModel::from_graph(back, targets, &m);
    assert_eq!(state.priority, Attr::Known(2));
    assert_eq!(state.selected_mobile_app_ids, Attr::Null);
    assert_eq!(state.all_users, Attr::Known(true));
    assert_eq!(state.custom_error_message, Attr::Null);
}
