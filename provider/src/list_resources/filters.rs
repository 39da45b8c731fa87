//! The filters of the list resources: one `config { ... }` model per set of
//! filters (its doc comments are the schema's descriptions), what each
//! keeps, and [`Filters`], the set a resource type declares. Unknown values
//! (a join type or enrollment state the provider does not know) and
//! malformed ids are refused at plan time with the attribute's path.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::{AnyListResource, AnyResource, Attr, AttrPath, Diagnostics, Value};

use super::{Filter, ListDeclaration, ListOf};
use crate::export::Listed;
use crate::graph::GraphClient;
use crate::resources::deployment_profile::JoinType;
use crate::validate::{self, check_known};

/// The set of filters a resource type's list block takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filters {
    /// `display_name_contains` ([`NameFilter`]).
    Name,
    /// And `assigned_group_id` ([`IntuneFilter`]).
    Intune,
    /// And `join_type` ([`ProfileFilter`]).
    DeploymentProfile,
    /// `display_name_contains`, `group_tag`, `enrollment_state` ([`DeviceFilter`]).
    Device,
}

impl Filters {
    /// The list resource of `declaration`'s type with these filters.
    pub(super) fn list_resource(
        self,
        declaration: &'static ListDeclaration,
        resource: Arc<dyn AnyResource<GraphClient>>,
    ) -> Option<Arc<dyn AnyListResource<GraphClient>>> {
        match self {
            Filters::Name => ListOf::<NameFilter>::erased(declaration, resource),
            Filters::Intune => ListOf::<IntuneFilter>::erased(declaration, resource),
            Filters::DeploymentProfile => ListOf::<ProfileFilter>::erased(declaration, resource),
            Filters::Device => ListOf::<DeviceFilter>::erased(declaration, resource),
        }
    }
}

/// Whether `listed`'s names contain `needle`, ignoring case (no needle: yes).
fn name_contains(needle: &Attr<String>, listed: &Listed) -> bool {
    needle
        .known()
        .is_none_or(|n| listed.matches(&n.to_lowercase()))
}

/// Whether the state's `include_group_ids` holds the group (no group: yes).
fn assigned_to(group: &Attr<String>, state: &Value) -> bool {
    let Some(group) = group.known() else {
        return true;
    };
    match state.attr("include_group_ids") {
        Some(Value::Set(ids) | Value::List(ids)) => ids
            .iter()
            .any(|id| id.as_str().is_some_and(|id| id.eq_ignore_ascii_case(group))),
        _ => false,
    }
}

/// Whether the state's `attribute` is the text `wanted`, ignoring case
/// (nothing wanted: yes).
fn attribute_is(state: &Value, attribute: &str, wanted: Option<&str>) -> bool {
    wanted.is_none_or(|wanted| {
        state
            .attr(attribute)
            .and_then(Value::as_str)
            .is_some_and(|text| text.eq_ignore_ascii_case(wanted))
    })
}

/// The serde name of an enum value (`entra`, `notContacted`).
fn serde_name<T: Serialize>(value: &T) -> Option<String> {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
}

fn check_group_id(group: &Attr<String>, diags: &mut Diagnostics) {
    check_known(
        group,
        validate::object_id,
        AttrPath::root("assigned_group_id"),
        "Invalid assigned_group_id",
        diags,
    );
}

/// Filters by name.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct NameFilter {
    /// Lists only objects whose display name contains this text, ignoring case.
    #[schemars(length(min = 1))]
    pub display_name_contains: Attr<String>,
}

impl Filter for NameFilter {
    fn keeps_listed(&self, listed: &Listed) -> bool {
        name_contains(&self.display_name_contains, listed)
    }
    fn needs_state(&self) -> bool {
        false
    }
    fn keeps_state(&self, _state: &Value) -> bool {
        true
    }
}

/// Filters of Intune objects: by name and by the group they are assigned to.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct IntuneFilter {
    /// Lists only objects whose display name contains this text, ignoring case.
    #[schemars(length(min = 1))]
    pub display_name_contains: Attr<String>,
    /// Lists only objects assigned to this group (its object id among the object's `include_group_ids`).
    pub assigned_group_id: Attr<String>,
}

impl Filter for IntuneFilter {
    fn validate(&self, diags: &mut Diagnostics) {
        check_group_id(&self.assigned_group_id, diags);
    }
    fn keeps_listed(&self, listed: &Listed) -> bool {
        name_contains(&self.display_name_contains, listed)
    }
    fn needs_state(&self) -> bool {
        self.assigned_group_id.is_known()
    }
    fn keeps_state(&self, state: &Value) -> bool {
        assigned_to(&self.assigned_group_id, state)
    }
}

/// Filters of deployment profiles: by name, join type and assigned group.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct ProfileFilter {
    /// Lists only profiles whose display name contains this text, ignoring case.
    #[schemars(length(min = 1))]
    pub display_name_contains: Attr<String>,
    /// Lists only profiles of this join type, as the resource's `join_type` spells it.
    pub join_type: Attr<JoinType>,
    /// Lists only profiles assigned to this group (its object id among the profile's `include_group_ids`).
    pub assigned_group_id: Attr<String>,
}

impl Filter for ProfileFilter {
    fn validate(&self, diags: &mut Diagnostics) {
        check_group_id(&self.assigned_group_id, diags);
    }
    fn keeps_listed(&self, listed: &Listed) -> bool {
        name_contains(&self.display_name_contains, listed)
    }
    fn needs_state(&self) -> bool {
        self.join_type.is_known() || self.assigned_group_id.is_known()
    }
    fn keeps_state(&self, state: &Value) -> bool {
        let join = self.join_type.known().and_then(serde_name);
        attribute_is(state, "join_type", join.as_deref())
            && assigned_to(&self.assigned_group_id, state)
    }
}

/// Whether a device is enrolled in Intune, as `autopilot_device`'s `enrollment_state` reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum EnrollmentState {
    Unknown,
    Enrolled,
    PendingReset,
    Failed,
    NotContacted,
    Blocked,
}

/// Filters of registered devices.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct DeviceFilter {
    /// Lists only devices whose serial number or display name contains this text, ignoring case.
    #[schemars(length(min = 1))]
    pub display_name_contains: Attr<String>,
    /// Lists only devices with this group tag, ignoring case.
    #[schemars(length(min = 1))]
    pub group_tag: Attr<String>,
    /// Lists only devices in this enrollment state.
    pub enrollment_state: Attr<EnrollmentState>,
}

impl Filter for DeviceFilter {
    fn keeps_listed(&self, listed: &Listed) -> bool {
        name_contains(&self.display_name_contains, listed)
    }
    fn needs_state(&self) -> bool {
        self.group_tag.is_known() || self.enrollment_state.is_known()
    }
    fn keeps_state(&self, state: &Value) -> bool {
        let enrollment = self.enrollment_state.known().and_then(serde_name);
        attribute_is(
            state,
            "group_tag",
            self.group_tag.known().map(String::as_str),
        ) && attribute_is(state, "enrollment_state", enrollment.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn state(attrs: &[(&str, Value)]) -> Value {
        Value::Object(
            attrs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    fn text(s: &str) -> Value {
        Value::String(s.into())
    }

    #[test]
    fn names_match_ignoring_case_and_devices_by_either_name() {
        let device = Listed {
            id: "1".into(),
            label: "5CG1234".into(),
            also_known_as: Some("SALES-LAPTOP".into()),
        };
        let filter = |needle: &str| DeviceFilter {
            display_name_contains: Attr::Known(needle.into()),
            ..Default::default()
        };
        assert!(filter("5cg").keeps_listed(&device));
        assert!(filter("laptop").keeps_listed(&device));
        assert!(!filter("hr").keeps_listed(&device));
        assert!(DeviceFilter::default().keeps_listed(&device));
    }

    #[test]
    fn state_filters_need_the_state_and_compare_its_attributes() {
        let profile = state(&[
            ("join_type", text("hybrid")),
            ("include_group_ids", Value::set(vec![text("AAAA")])),
        ]);
        let hybrid = ProfileFilter {
            join_type: Attr::Known(JoinType::Hybrid),
            ..Default::default()
        };
        assert!(hybrid.needs_state());
        assert!(hybrid.keeps_state(&profile));
        let entra = ProfileFilter {
            join_type: Attr::Known(JoinType::Entra),
            assigned_group_id: Attr::Known("aaaa".into()),
            ..Default::default()
        };
        assert!(!entra.keeps_state(&profile));
        let assigned = IntuneFilter {
            assigned_group_id: Attr::Known("aaaa".into()),
            ..Default::default()
        };
        assert!(assigned.keeps_state(&profile));
        assert!(!assigned.keeps_state(&state(&[("include_group_ids", Value::Null)])));
        assert!(!ProfileFilter::default().needs_state());

        let device = state(&[
            ("group_tag", text("Sales")),
            ("enrollment_state", text("notContacted")),
        ]);
        let sales = DeviceFilter {
            group_tag: Attr::Known("sales".into()),
            enrollment_state: Attr::Known(EnrollmentState::NotContacted),
            ..Default::default()
        };
        assert!(sales.keeps_state(&device));
        let enrolled = DeviceFilter {
            enrollment_state: Attr::Known(EnrollmentState::Enrolled),
            ..Default::default()
        };
        assert!(!enrolled.keeps_state(&device));
    }

    #[test]
    fn a_malformed_group_id_is_refused_at_its_path() {
        let mut diags = Diagnostics::new();
        IntuneFilter {
            assigned_group_id: Attr::Known("sales".into()),
            ..Default::default()
        }
        .validate(&mut diags);
        let error = diags.iter().next().expect("an error");
        assert_eq!(error.path, Some(AttrPath::root("assigned_group_id")));
    }
}
