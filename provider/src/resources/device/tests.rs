//! Unit tests of `autopilot_device`: validation, planning and the state mapping.

use super::*;
use crate::devices::delete::enrolled_detail;

fn config() -> DeviceModel {
    DeviceModel {
        serial_number: Attr::Known("SN1".into()),
        hardware_hash: Attr::Known("QUI".into()),
        ..Default::default()
    }
}

fn errors(model: &DeviceModel) -> Vec<String> {
    // As served: the timeouts are checked by the wrapper every resource has.
    let served = crate::resources::timeouts::Timed(Device);
    crate::test_support::error_paths(|diags| served.validate(model, diags))
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
            "timeouts.create",
            "hardware_hash",
            "assigned_user_principal_name",
            "display_name",
        ]
    );
    let mut unknown = config();
    unknown.hardware_hash = Attr::Unknown;
    assert!(errors(&unknown).is_empty());
}

/// The plan for `now` over `prior`.
async fn plan(prior: &DeviceModel, now: &DeviceModel) -> DeviceModel {
    Device
        .modify_plan(
            None,
            PlanRequest {
                prior: Some(prior),
                config: now,
                planned: now.clone(),
            },
            &mut Diagnostics::new(),
        )
        .await
}

#[tokio::test]
async fn padding_alone_is_not_a_change() {
    let mut prior = config();
    prior.id = Attr::Known("d1".into());
    let mut now = config();
    now.hardware_hash = Attr::Known("QUI=".into());
    let planned = plan(&prior, &now).await;
    assert_eq!(planned.hardware_hash, Attr::Known("QUI".into()));
    // A real change stays a change.
    now.hardware_hash = Attr::Known("QUJD".into());
    let planned = plan(&prior, &now).await;
    assert_eq!(planned.hardware_hash, Attr::Known("QUJD".into()));
    // After import the placeholder accepts the configured hash.
    prior.hardware_hash = Attr::Known(String::new());
    let planned = plan(&prior, &now).await;
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

/// Planning as Terraform 1.0 sends it.
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
