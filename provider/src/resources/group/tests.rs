//! Unit tests of `autopilot_group`: rules, payloads, the model mapping and validation.

use std::collections::BTreeSet;

use tfplugin::{Attr, Resource};

use super::graph::*;
use super::*;
use crate::data_sources::provisioning_client::APP_ID as PROVISIONING_CLIENT_APP_ID;
use crate::resources::assignments::IdSet;

use crate::test_support::set;

fn sp(id: &str, app_id: &str) -> DirectoryObject {
    DirectoryObject {
        odata_type: Some("#microsoft.graph.servicePrincipal".into()),
        id: id.into(),
        app_id: Some(app_id.into()),
        display_name: None,
    }
}

fn user(id: &str) -> DirectoryObject {
    DirectoryObject {
        odata_type: Some("#microsoft.graph.user".into()),
        id: id.into(),
        app_id: None,
        display_name: None,
    }
}

fn graph_group(rule: Option<&str>) -> GraphGroup {
    GraphGroup {
        id: Some("g1".into()),
        display_name: "Devices".into(),
        description: None,
        mail_nickname: Some("Devices".into()),
        mail_enabled: Some(false),
        security_enabled: Some(true),
        group_types: if rule.is_some() {
            vec![DYNAMIC.into()]
        } else {
            vec![]
        },
        membership_rule: rule.map(str::to_string),
        membership_rule_processing_state: rule.map(|_| "On".into()),
        is_assignable_to_role: None,
        visibility: None,
        members_bind: Vec::new(),
    }
}

#[test]
fn schema_derives() {
    let schema = tfplugin::Schema::of::<GroupModel>(0).expect("schema");
    let b = &schema.block;
    assert!(b.attribute("display_name").expect("name").required);
    let pco = b.attribute("provisioning_client_owner").expect("pco");
    assert_eq!(pco.default, Some(tfplugin::Value::Bool(false)));
    let rule = b.attribute("membership_rule").expect("rule");
    assert!(rule.optional && rule.computed);
    assert_eq!(
        b.attribute("group_tags").map(|a| a.ty.clone()),
        Some(tfplugin::Type::set(tfplugin::Type::String))
    );
}

#[test]
fn tag_rules_round_trip() {
    let one = tag_rule(&set(&["Sales"]));
    assert_eq!(
        one,
        r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:Sales"))"#
    );
    let two = tag_rule(&set(&["B", "A"]));
    assert_eq!(
        two,
        r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:A")) -or (device.devicePhysicalIds -any (_ -eq "[OrderID]:B"))"#
    );
    assert_eq!(parse_tag_rule(&two), Some(set(&["A", "B"])));
    assert_eq!(parse_tag_rule(ALL_AUTOPILOT_DEVICES_RULE), None);
    assert_eq!(
        parse_tag_rule(r#"(device.devicePhysicalIds -any (_ -eq "[PurchaseOrderId]:1"))"#),
        None
    );
    assert!(is_all_autopilot_rule(ALL_AUTOPILOT_DEVICES_RULE));
    assert!(is_all_autopilot_rule(
        r#"(device.devicePhysicalIDs -any (_ -contains "[ZTDID]"))"#
    ));
    assert!(!is_all_autopilot_rule(&one));
}

fn config() -> GroupModel {
    GroupModel {
        display_name: Attr::Known("Devices".into()),
        ..Default::default()
    }
}

#[test]
fn static_groups_carry_no_rule_and_turning_static_pauses_the_rule() {
    let body = |model: &GroupModel, was_dynamic: bool| {
        serde_json::to_value(model.to_graph(was_dynamic)).expect("json")
    };
    let created = body(&config(), false);
    assert_eq!(created["groupTypes"], serde_json::json!([]));
    for key in ["membershipRule", "membershipRuleProcessingState"] {
        assert!(created.get(key).is_none(), "{key} sent: {created}");
    }
    let dynamic = GroupModel {
        membership_rule: Attr::Known(ALL_AUTOPILOT_DEVICES_RULE.into()),
        ..config()
    };
    let sent = body(&dynamic, false);
    assert_eq!(sent["groupTypes"], serde_json::json!([DYNAMIC]));
    assert_eq!(sent["membershipRuleProcessingState"], "On");
    assert_eq!(sent["membershipRule"], ALL_AUTOPILOT_DEVICES_RULE);
    // Dynamic to static: the type removed, rule processing paused, no null anywhere.
    let turned = body(&config(), true);
    assert_eq!(turned["groupTypes"], serde_json::json!([]));
    assert_eq!(turned["membershipRuleProcessingState"], "Paused");
    assert!(turned.get("membershipRule").is_none(), "{turned}");
}

fn errors(model: &GroupModel) -> Vec<String> {
    crate::test_support::error_paths(|diags| Group.validate(model, diags))
}

#[test]
fn membership_attributes_are_exclusive() {
    let mut c = config();
    c.group_tags = Attr::Known(set(&["A"]));
    assert!(errors(&c).is_empty());
    c.all_autopilot_devices = Attr::Known(true);
    assert_eq!(errors(&c), ["group_tags", "all_autopilot_devices"]);
    c.all_autopilot_devices = Attr::Known(false);
    c.membership_rule = Attr::Known("(device.deviceOSType -eq \"Windows\")".into());
    assert_eq!(errors(&c), ["membership_rule", "group_tags"]);
    c.group_tags = Attr::Unknown;
    assert!(errors(&c).is_empty());
    let mut empty = config();
    empty.group_tags = Attr::Known(BTreeSet::new());
    assert_eq!(errors(&empty), ["group_tags"]);
    let mut bad = config();
    bad.mail_nickname = Attr::Known("has space".into());
    bad.owner_ids = Attr::Known(IdSet::from(set(&["nope"])));
    assert_eq!(errors(&bad), ["mail_nickname", "owner_ids"]);
}

#[test]
fn wanted_rule_follows_the_configuration() {
    let mut c = config();
    assert_eq!(c.wanted_rule(), Attr::Null);
    c.all_autopilot_devices = Attr::Known(true);
    assert_eq!(
        c.wanted_rule(),
        Attr::Known(ALL_AUTOPILOT_DEVICES_RULE.to_string())
    );
    c.all_autopilot_devices = Attr::Known(false);
    c.group_tags = Attr::Known(set(&["A"]));
    assert_eq!(c.wanted_rule(), Attr::Known(tag_rule(&set(&["A"]))));
    c.group_tags = Attr::Unknown;
    assert_eq!(c.wanted_rule(), Attr::Unknown);
}

#[test]
fn read_keeps_the_configured_style() {
    let tags_rule = tag_rule(&set(&["A"]));
    // Configured with a literal rule: the tags are not inferred.
    let mut prior = config();
    prior.all_autopilot_devices = Attr::Known(false);
    prior.membership_rule = Attr::Known(tags_rule.clone());
    let state = GroupModel::from_graph(graph_group(Some(&tags_rule)), &[], None, &prior);
    assert_eq!(state.group_tags, Attr::Null);
    assert_eq!(state.membership_rule, Attr::Known(tags_rule.clone()));
    // Configured with tags: they are read back.
    prior.group_tags = Attr::Known(set(&["A"]));
    let state = GroupModel::from_graph(graph_group(Some(&tags_rule)), &[], None, &prior);
    assert_eq!(state.group_tags, Attr::Known(set(&["A"])));
    // An import prefers the structured attributes.
    let state = GroupModel::from_graph(
        graph_group(Some(ALL_AUTOPILOT_DEVICES_RULE)),
        &[],
        None,
        &GroupModel::default(),
    );
    assert_eq!(state.all_autopilot_devices, Attr::Known(true));
    assert_eq!(state.group_tags, Attr::Null);
    let state = GroupModel::from_graph(graph_group(None), &[], None, &GroupModel::default());
    assert_eq!(
        (state.membership_rule, state.all_autopilot_devices),
        (Attr::Null, Attr::Known(false))
    );
}

#[test]
fn read_reports_the_provisioning_client_apart() {
    let owners = [sp("pc", PROVISIONING_CLIENT_APP_ID), user("u1")];
    let mut prior = config();
    prior.all_autopilot_devices = Attr::Known(false);
    let state = GroupModel::from_graph(graph_group(None), &owners, None, &prior);
    assert_eq!(state.provisioning_client_owner, Attr::Known(true));
    assert_eq!(state.owner_ids, Attr::Known(IdSet::from(set(&["u1"]))));
    let state = GroupModel::from_graph(graph_group(None), &owners[1..], None, &prior);
    assert_eq!(state.provisioning_client_owner, Attr::Known(false));
}

#[test]
fn owner_changes_reconcile() {
    let pc = sp("pc", PROVISIONING_CLIENT_APP_ID);
    // Add the provisioning client and a user; leave unmanaged owners alone.
    let (add, remove) = owner_changes(&[user("u0")], None, Some(true), Some("pc"));
    assert_eq!((add, remove), (vec!["pc".to_string()], vec![]));
    let (add, remove) = owner_changes(
        &[user("u0"), pc.clone()],
        Some(&set(&["u1"])),
        Some(true),
        None,
    );
    assert_eq!(
        (add, remove),
        (vec!["u1".to_string()], vec!["u0".to_string()])
    );
    // Turning it off removes it.
    let (add, remove) = owner_changes(std::slice::from_ref(&pc), None, Some(false), None);
    assert_eq!((add, remove), (vec![], vec!["pc".to_string()]));
    // Nothing to do.
    let (add, remove) = owner_changes(&[pc], Some(&BTreeSet::new()), Some(true), Some("pc"));
    assert!(add.is_empty() && remove.is_empty());
}

const M1: &str = "6f1b5b3e-7c55-4a7e-9a51-2a4c1a4b0c11";

#[test]
fn members_visibility_and_role_rules() {
    // Member ids are lowercase GUIDs, on static groups only.
    let mut c = config();
    c.member_ids = Attr::Known(IdSet::from(set(&[M1])));
    assert!(errors(&c).is_empty());
    c.member_ids = Attr::Known(IdSet::from(set(&["nope", &M1.to_uppercase()])));
    assert_eq!(errors(&c), ["member_ids", "member_ids"]);
    c.member_ids = Attr::Known(IdSet::from(set(&[M1])));
    c.group_tags = Attr::Known(set(&["A"]));
    assert_eq!(errors(&c), ["member_ids", "group_tags"]);
    // Even an empty set: a dynamic group has no assigned members to compare it with.
    c.member_ids = Attr::Known(IdSet::default());
    assert_eq!(errors(&c), ["member_ids", "group_tags"]);

    // The processing state needs a rule.
    let mut c = config();
    c.membership_rule_processing_state = Attr::Known(ProcessingState::Paused);
    assert_eq!(errors(&c), ["membership_rule_processing_state"]);
    c.all_autopilot_devices = Attr::Known(true);
    assert!(errors(&c).is_empty());
    c.all_autopilot_devices = Attr::Unknown;
    assert!(errors(&c).is_empty(), "unknown may be dynamic");

    // Role-assignable groups are static and private.
    let mut c = config();
    c.is_assignable_to_role = Attr::Known(true);
    c.visibility = Attr::Known(Visibility::Private);
    assert!(errors(&c).is_empty());
    c.visibility = Attr::Known(Visibility::Public);
    c.all_autopilot_devices = Attr::Known(true);
    assert_eq!(errors(&c), ["all_autopilot_devices", "visibility"]);
}

#[test]
fn new_properties_are_sent_on_creation_and_read_back() {
    let mut c = config();
    c.is_assignable_to_role = Attr::Known(true);
    c.visibility = Attr::Known(Visibility::Private);
    let sent = serde_json::to_value(c.to_graph(false)).expect("json");
    assert_eq!(sent["isAssignableToRole"], true);
    assert_eq!(sent["visibility"], "Private");
    assert!(sent.get("members@odata.bind").is_none(), "{sent}");
    c.is_assignable_to_role = Attr::Known(false);
    let sent = serde_json::to_value(c.to_graph(false)).expect("json");
    assert!(sent.get("isAssignableToRole").is_none(), "{sent}");

    let mut paused = graph_group(Some(ALL_AUTOPILOT_DEVICES_RULE));
    paused.membership_rule_processing_state = Some("Paused".into());
    paused.visibility = Some("Public".into());
    let state = GroupModel::from_graph(paused, &[], None, &GroupModel::default());
    assert_eq!(
        state.membership_rule_processing_state,
        Attr::Known(ProcessingState::Paused)
    );
    assert_eq!(state.visibility, Attr::Known(Visibility::Public));
    assert_eq!(state.member_ids, Attr::Null);
    assert_eq!(state.is_assignable_to_role, Attr::Known(false));
    let state = GroupModel::from_graph(
        graph_group(None),
        &[],
        Some(set(&[M1])),
        &GroupModel::default(),
    );
    assert_eq!(state.member_ids, Attr::Known(IdSet::from(set(&[M1]))));
    assert_eq!(state.membership_rule_processing_state, Attr::Null);
    assert_eq!(
        state.visibility,
        Attr::Known(Visibility::Private),
        "none reads as private"
    );
}

#[test]
fn unset_membership_attributes_follow_the_rule() {
    let plan = |prior: Option<&GroupModel>, rule: Attr<String>| {
        let mut planned = GroupModel {
            membership_rule: rule,
            ..config()
        };
        plan_membership(&config(), prior, &mut planned);
        (planned.member_ids, planned.membership_rule_processing_state)
    };
    let rule = Attr::Known(ALL_AUTOPILOT_DEVICES_RULE.to_string());
    // A new static group has no members; a dynamic one none to assign and its rule on.
    assert_eq!(
        plan(None, Attr::Null),
        (Attr::Known(IdSet::default()), Attr::Null)
    );
    assert_eq!(
        plan(None, rule.clone()),
        (Attr::Null, Attr::Known(ProcessingState::On))
    );
    assert_eq!(plan(None, Attr::Unknown), (Attr::Unknown, Attr::Unknown));
    // A static group keeps the members it has; a dynamic one turned static shows them after apply.
    let members = Attr::Known(IdSet::from(set(&[M1])));
    let static_prior = GroupModel {
        member_ids: members.clone(),
        ..config()
    };
    assert_eq!(plan(Some(&static_prior), Attr::Null).0, members);
    let dynamic_prior = GroupModel {
        membership_rule: rule,
        ..config()
    };
    assert_eq!(plan(Some(&dynamic_prior), Attr::Null).0, Attr::Unknown);
}

#[test]
fn a_patch_leaves_out_what_is_set_at_creation() {
    let prior = GroupModel {
        is_assignable_to_role: Attr::Known(true),
        visibility: Attr::Known(Visibility::Private),
        ..config()
    };
    let sent = serde_json::to_value(patch_body(&prior, &prior)).expect("json");
    assert!(sent.get("isAssignableToRole").is_none(), "{sent}");
    assert!(sent.get("visibility").is_none(), "{sent}");
    let public = GroupModel {
        visibility: Attr::Known(Visibility::Public),
        ..prior.clone()
    };
    let sent = serde_json::to_value(patch_body(&prior, &public)).expect("json");
    assert_eq!(sent["visibility"], "Public");
}
