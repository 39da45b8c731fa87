//! Unit tests of `autopilot_device_csv`: planning, mapping and validation.

use super::graph::*;
use super::*;
use crate::devices::ops::ImportError;

const HEADER: &str =
    "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User";

fn content(rows: &[&str]) -> Attr<String> {
    Attr::Known(format!("{HEADER}\n{}\n", rows.join("\n")))
}

fn entry(id: &str, tag: Option<&str>, state: &str) -> CsvDevice {
    CsvDevice {
        id: Attr::Known(id.into()),
        group_tag: tag.map(str::to_string).into(),
        assigned_user_principal_name: Attr::Null,
        state: Attr::Known(state.into()),
        ..CsvDevice::default()
    }
}

#[test]
fn schema_derives() {
    let schema = tfplugin::Schema::of::<DeviceCsvModel>(0).expect("schema");
    let content = schema.block.attribute("content").expect("content");
    assert!(content.required && content.sensitive);
    let devices = schema.block.attribute("devices").expect("devices");
    assert!(devices.computed && !devices.optional);
    assert_eq!(
        devices.ty.to_string(),
        tfplugin::Type::map(tfplugin::Type::Object(BTreeMap::from([
            (
                "assigned_user_principal_name".to_string(),
                tfplugin::Type::String
            ),
            ("group_tag".to_string(), tfplugin::Type::String),
            ("id".to_string(), tfplugin::Type::String),
            ("state".to_string(), tfplugin::Type::String),
            (
                "deployment_profile_assignment_status".to_string(),
                tfplugin::Type::String
            ),
            (
                "deployment_profile_assignment_detailed_status".to_string(),
                tfplugin::Type::String
            ),
            (
                "deployment_profile_assigned_date_time".to_string(),
                tfplugin::Type::String
            ),
            (
                "last_contacted_date_time".to_string(),
                tfplugin::Type::String
            ),
            ("managed_device_id".to_string(), tfplugin::Type::String),
            ("entra_device_id".to_string(), tfplugin::Type::String),
            ("manufacturer".to_string(), tfplugin::Type::String),
            ("model".to_string(), tfplugin::Type::String),
            ("purchase_order_id".to_string(), tfplugin::Type::String),
        ])))
        .to_string()
    );
}

#[test]
fn group_tag_replaces_the_column() {
    let rows = content(&["SN1,,QUJD,A,", "SN2,,QUJE,,"]);
    let w = wanted(&rows, &Attr::Null).expect("valid");
    assert_eq!(w["SN1"].group_tag, Attr::Known("A".into()));
    assert_eq!(w["SN2"].group_tag, Attr::Null);
    let w = wanted(&rows, &Attr::Known("ALL".into())).expect("valid");
    assert_eq!(w["SN2"].device.group_tag.as_deref(), Some("ALL"));
    let w = wanted(&rows, &Attr::Unknown).expect("valid");
    assert_eq!(w["SN1"].group_tag, Attr::Unknown);
    assert!(wanted(&Attr::Unknown, &Attr::Null).is_none());
}

#[test]
fn plan_keeps_ids_and_marks_new_rows_unknown() {
    let prior = BTreeMap::from([
        ("SN1".to_string(), entry("d1", Some("A"), "notContacted")),
        ("SN9".to_string(), entry("d9", None, "notContacted")),
    ]);
    let w = wanted(&content(&["sn1,,QUJD,B,", "SN2,,QUJE,,"]), &Attr::Null).expect("valid");
    let planned = plan_devices(&w, &prior);
    assert_eq!(planned.keys().collect::<Vec<_>>(), ["SN2", "sn1"]);
    assert_eq!(planned["sn1"].id, Attr::Known("d1".into()));
    assert_eq!(planned["sn1"].group_tag, Attr::Known("B".into()));
    assert_eq!(planned["sn1"].state, Attr::Known("notContacted".into()));
    assert_eq!(planned["SN2"].id, Attr::Unknown);
    assert_eq!(planned["SN2"].group_tag, Attr::Null);
}

#[test]
fn rows_gone_from_the_csv_are_the_deregistrations() {
    let prior = BTreeMap::from([
        ("SN1".to_string(), entry("d1", Some("A"), "notContacted")),
        ("SN9".to_string(), entry("d9", None, "notContacted")),
        ("SN8".to_string(), entry("d8", None, "notContacted")),
    ]);
    let w = wanted(&content(&["sn1,,QUJD,B,", "SN2,,QUJE,,"]), &Attr::Null).expect("valid");
    assert_eq!(deregistered(&w, &prior), ["SN8", "SN9"]);
    let detail = deregistration_detail(&deregistered(&w, &prior));
    assert!(
        detail.starts_with("2 devices no longer in the CSV"),
        "{detail}"
    );
    assert!(detail.contains(": SN8, SN9."), "{detail}");
    assert!(deregistered(&w, &BTreeMap::new()).is_empty());
}

#[test]
fn unchanged_rows_plan_no_change() {
    let prior = BTreeMap::from([("SN1".to_string(), entry("d1", Some("A"), "notContacted"))]);
    let w = wanted(&content(&["SN1,,QUJD,A,"]), &Attr::Null).expect("valid");
    assert_eq!(plan_devices(&w, &prior), prior);
}

#[test]
fn validation_names_lines() {
    let mut diags = Diagnostics::new();
    let model = DeviceCsvModel {
        content: content(&["SN1,,QUJD,,", "SN1,,QUJE,,", "SN3,,QU!D,,"]),
        ..Default::default()
    };
    DeviceCsv.validate(&model, &mut diags);
    let summaries: Vec<String> = diags.iter().map(|d| d.summary.clone()).collect();
    assert_eq!(
        summaries,
        [
            "Invalid hardware hash CSV: line 3",
            "Invalid hardware hash CSV: line 4"
        ]
    );
    assert!(
        diags
            .iter()
            .all(|d| d.path == Some(AttrPath::root("content")))
    );
}

#[test]
fn refused_rows_are_listed_by_line_and_code() {
    let refused = vec![Refused {
        line: 7,
        serial: "SN7".into(),
        error: ImportError::Refused {
            failure: crate::devices::import::ImportFailure {
                code: 806,
                name: "ZtdDeviceAlreadyAssigned".into(),
            },
        },
    }];
    let mut diags = Diagnostics::new();
    report_refused(&refused, false, &mut diags);
    let d = diags.iter().next().expect("one diagnostic");
    assert_eq!(d.severity, tfplugin::Severity::Warning);
    assert!(d.summary.contains("lines 7"), "{}", d.summary);
    assert!(
        d.detail
            .contains("line 7 (serial number SN7): 806 ZtdDeviceAlreadyAssigned"),
        "{}",
        d.detail
    );
}

#[test]
fn the_serial_numbers_follow_the_devices() {
    let mut model = DeviceCsvModel::default();
    model.set_devices(Attr::Known(BTreeMap::from([
        ("SN2".to_string(), entry("d2", None, "notContacted")),
        ("SN1".to_string(), entry("d1", None, "enrolled")),
    ])));
    assert_eq!(
        model.serial_numbers,
        Attr::Known(vec!["SN1".to_string(), "SN2".to_string()])
    );
    model.set_devices(Attr::Unknown);
    assert_eq!(model.serial_numbers, Attr::Unknown);
}
