//! Unit tests of `autopilot_scope_tag`: schema, mapping, the built-in tag
//! and the `role_scope_tag_ids` rules the Intune objects share.

use super::*;
use crate::resources::intune::{scope_tags_like_prior, validate_scope_tags};
use crate::test_support::{error_paths, set};
use tfplugin::Attr;

#[test]
fn schema_derives() {
    let schema = tfplugin::Schema::of::<ScopeTagModel>(0).expect("schema");
    assert!(
        schema
            .block
            .attribute("display_name")
            .expect("name")
            .required
    );
    assert!(schema.block.attribute("id").expect("id").computed);
}

fn payload(json: serde_json::Value) -> RoleScopeTag {
    serde_json::from_value(json).expect("a roleScopeTag")
}

#[test]
fn an_unset_description_is_sent_empty_and_read_back_unset() {
    let planned = ScopeTagModel {
        display_name: Attr::Known("Paris".into()),
        ..Default::default()
    };
    let body = serde_json::to_value(planned.to_graph()).expect("json");
    assert_eq!(
        body,
        serde_json::json!({"displayName": "Paris", "description": ""})
    );
    let read = ScopeTagModel::from_graph(
        payload(
            serde_json::json!({"id": "4", "displayName": "Paris", "description": "", "isBuiltIn": false}),
        ),
        &planned,
    );
    assert_eq!(read.id, Attr::Known("4".into()));
    assert_eq!(read.description, Attr::Null);
}

#[test]
fn the_default_tag_is_not_imported() {
    assert!(ScopeTag::import_refusal("0", None).is_some());
    assert!(ScopeTag::import_refusal("3", None).is_none());
}

#[test]
fn scope_tag_ids_are_numbers() {
    assert!(crate::validate::scope_tag_id("0").is_ok());
    assert!(crate::validate::scope_tag_id("42").is_ok());
    for bad in [
        "",
        "Default",
        "-1",
        "1.5",
        "00000000-0000-0000-0000-000000000000",
    ] {
        assert!(crate::validate::scope_tag_id(bad).is_err(), "{bad:?}");
    }
    let check = |tags: Attr<std::collections::BTreeSet<String>>| {
        error_paths(|diags| validate_scope_tags(&tags, diags))
    };
    assert!(check(Attr::Known(set(&["0", "7"]))).is_empty());
    assert!(check(Attr::Unknown).is_empty());
    assert_eq!(check(Attr::Known(set(&["Paris"]))), ["role_scope_tag_ids"]);
}

#[test]
fn the_default_tag_intune_adds_to_an_empty_list_reads_as_the_list() {
    let default = Some(vec!["0".to_string()]);
    let empty = Attr::Known(set(&[]));
    assert_eq!(scope_tags_like_prior(default.clone(), &empty), empty);
    // Unset (or imported): what Intune holds.
    assert_eq!(
        scope_tags_like_prior(default, &Attr::Null),
        Attr::Known(set(&["0"]))
    );
    // Custom tags come back as they were sent; a change out of band shows.
    let custom = Attr::Known(set(&["3"]));
    assert_eq!(
        scope_tags_like_prior(Some(vec!["3".into()]), &custom),
        custom
    );
    assert_eq!(
        scope_tags_like_prior(Some(vec!["3".into(), "4".into()]), &empty),
        Attr::Known(set(&["3", "4"]))
    );
}
