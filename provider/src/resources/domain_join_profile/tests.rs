//! Unit tests of `autopilot_domain_join_profile`: schema, defaults and plan-time rules.

use super::*;
use tfplugin::Resource;

#[test]
fn random_part_fills_the_name() {
    assert_eq!(default_random_count("CTS-"), 11);
    assert_eq!(default_random_count("A"), 14);
    assert_eq!(default_random_count("ABCDEFGHIJKL"), 3);
}

#[test]
fn schema_derives() {
    let schema = tfplugin::Schema::of::<DomainJoinProfileModel>(0).expect("schema");
    let prefix = schema
        .block
        .attribute("computer_name_static_prefix")
        .expect("prefix");
    assert!(prefix.required);
    let all = schema.block.attribute("all_devices").expect("all_devices");
    assert_eq!(all.default, Some(tfplugin::Value::Bool(false)));
}

fn config(
    domain: &str,
    ou: Option<&str>,
    prefix: &str,
    random: Option<i64>,
) -> DomainJoinProfileModel {
    DomainJoinProfileModel {
        display_name: Attr::Known("x".into()),
        active_directory_domain_name: Attr::Known(domain.into()),
        organizational_unit: ou.map(str::to_string).into(),
        computer_name_static_prefix: Attr::Known(prefix.into()),
        computer_name_suffix_random_char_count: random.into(),
        ..Default::default()
    }
}

fn error_paths(model: &DomainJoinProfileModel) -> Vec<String> {
    crate::test_support::error_paths(|diags| DomainJoinProfile::default().validate(model, diags))
}

#[test]
fn validation_names_the_attribute() {
    assert!(
        error_paths(&config(
            "contoso.com",
            Some("OU=A,DC=contoso,DC=com"),
            "CTS-",
            Some(8)
        ))
        .is_empty()
    );
    assert_eq!(
        error_paths(&config("CONTOSO", None, "CTS-", None)),
        ["active_directory_domain_name"]
    );
    assert_eq!(
        error_paths(&config(
            "contoso.com",
            Some("CN=Computers,DC=contoso,DC=com"),
            "CTS-",
            None
        )),
        ["organizational_unit"]
    );
    assert_eq!(
        error_paths(&config("contoso.com", None, "VERYLONGPREF", Some(8))),
        ["computer_name_static_prefix"]
    );
    assert_eq!(
        error_paths(&config("contoso.com", None, "CTS_", None)),
        ["computer_name_static_prefix"]
    );
}

#[test]
fn unknown_values_are_not_validated() {
    let mut model = config("contoso.com", None, "CTS-", None);
    model.active_directory_domain_name = Attr::Unknown;
    model.computer_name_static_prefix = Attr::Unknown;
    assert!(error_paths(&model).is_empty());
}
