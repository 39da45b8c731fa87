//! Group assignments in Intune's shape (`target` with an `@odata.type`),
//! mapped to `include_group_ids`, `exclude_group_ids` and `all_devices`.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use tfplugin::{Attr, AttrPath, Diagnostics};

use crate::validate;

pub const GROUP: &str = "#microsoft.graph.groupAssignmentTarget";
pub const EXCLUSION: &str = "#microsoft.graph.exclusionGroupAssignmentTarget";
pub const ALL_DEVICES: &str = "#microsoft.graph.allDevicesAssignmentTarget";
pub const ALL_USERS: &str = "#microsoft.graph.allLicensedUsersAssignmentTarget";

/// An Intune assignment target: a group (included or excluded), all devices
/// or all licensed users.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct Target {
    #[serde(rename = "@odata.type")]
    #[schemars(extend("enum" = [GROUP, EXCLUSION, ALL_DEVICES, ALL_USERS]))]
    pub odata_type: String,
    #[serde(rename = "groupId", default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    /// The assignment filter narrowing the target (never on exclusions).
    #[serde(
        rename = "deviceAndAppManagementAssignmentFilterId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub filter_id: Option<String>,
    /// `include` or `exclude` with a filter; Graph reads `none` without one.
    #[serde(
        rename = "deviceAndAppManagementAssignmentFilterType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(extend("enum" = ["include", "exclude"]))]
    pub filter_type: Option<String>,
}

/// One assignment as Intune lists it and as `assign` actions take it.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Assignment {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub target: Target,
}

/// The assignment intent of a resource.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Targets {
    pub include: BTreeSet<String>,
    pub exclude: BTreeSet<String>,
    pub all_devices: bool,
    /// The filter on every target but the exclusions.
    pub filter: Option<Filter>,
}

/// How an assignment filter narrows a target (`assignment_filter_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FilterType {
    Include,
    Exclude,
}

impl FilterType {
    fn graph_name(self) -> &'static str {
        match self {
            FilterType::Include => "include",
            FilterType::Exclude => "exclude",
        }
    }
}

/// An assignment filter on an object's targets: `assignment_filter_id` and
/// `assignment_filter_type`, written on every target but the exclusions
/// (Intune filters included targets only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub id: String,
    pub kind: FilterType,
    /// Read from targets that do not all carry this filter (filters set
    /// target by target in the portal): such a filter equals no
    /// configuration's, so the plan shows the difference and the apply
    /// writes the configured filter on every target.
    pub uneven: bool,
}

impl Filter {
    /// The filter a configuration states (both attributes known), if any.
    pub fn of(id: &Attr<String>, kind: &Attr<FilterType>) -> Option<Filter> {
        Some(Filter {
            id: id.known()?.clone(),
            kind: *kind.known()?,
            uneven: false,
        })
    }

    /// The filter on the included targets of `assignments`: the one they
    /// all carry, or, when they differ, the first one found marked
    /// [`Filter::uneven`].
    pub fn from_assignments(assignments: &[Assignment]) -> Option<Filter> {
        let mut included = assignments
            .iter()
            .map(|a| &a.target)
            .filter(|t| t.odata_type != EXCLUSION)
            .map(Filter::on);
        let first = included.next()?;
        let rest: Vec<Option<Filter>> = included.collect();
        if rest.iter().all(|other| *other == first) {
            return first;
        }
        let found = first.or_else(|| rest.into_iter().flatten().next())?;
        Some(Filter {
            uneven: true,
            ..found
        })
    }

    /// The filter on one target (Intune reads `none` and a null id as no
    /// filter).
    fn on(target: &Target) -> Option<Filter> {
        let kind = match target.filter_type.as_deref() {
            Some(t) if t.eq_ignore_ascii_case("include") => FilterType::Include,
            Some(t) if t.eq_ignore_ascii_case("exclude") => FilterType::Exclude,
            _ => return None,
        };
        let id = target.filter_id.clone().filter(|id| !id.is_empty())?;
        Some(Filter {
            id,
            kind,
            uneven: false,
        })
    }

    /// Writes `filter` on every target of `assignments` but the exclusions.
    pub fn apply(filter: Option<&Filter>, assignments: &mut [Assignment]) {
        let Some(filter) = filter else {
            return;
        };
        for a in assignments.iter_mut() {
            if a.target.odata_type != EXCLUSION {
                a.target.filter_id = Some(filter.id.clone());
                a.target.filter_type = Some(filter.kind.graph_name().to_string());
            }
        }
    }

    /// The state's `assignment_filter_id` and `assignment_filter_type` for
    /// `filter`: null when there is none; an uneven filter has no type, so
    /// that it differs from every configuration.
    pub fn to_state(filter: Option<Filter>) -> (Attr<String>, Attr<FilterType>) {
        match filter {
            Some(f) if f.uneven => (Attr::Known(f.id), Attr::Null),
            Some(f) => (Attr::Known(f.id), Attr::Known(f.kind)),
            None => (Attr::Null, Attr::Null),
        }
    }
}

/// Whether a configuration assigns its object to an included target: a
/// set of groups with members (`groups`: `Some(true)` when known and not
/// empty) or one of the `all` flags (all devices, all users) set; `None`
/// while unknown. Unset flags and sets count as `false`.
pub fn has_included_target(groups: Option<bool>, all: &[&Attr<bool>]) -> Option<bool> {
    let mut any = groups?;
    for flag in all {
        any |= match flag {
            Attr::Known(set) => *set,
            Attr::Null => false,
            Attr::Unknown => return None,
        };
    }
    Some(any)
}

/// Whether an attribute holding a collection has members: `Some(false)`
/// when null, `None` while unknown.
pub fn has_members<T>(attr: &Attr<T>, is_empty: impl Fn(&T) -> bool) -> Option<bool> {
    match attr {
        Attr::Known(items) => Some(!is_empty(items)),
        Attr::Null => Some(false),
        Attr::Unknown => None,
    }
}

/// The plan-time rules of `assignment_filter_id` and
/// `assignment_filter_type`: both or neither, an object id, and a target
/// to filter (`has_target`: whether the configuration has an included
/// target, `None` while unknown).
pub fn validate_filter(
    id: &Attr<String>,
    kind: &Attr<FilterType>,
    has_target: Option<bool>,
    diags: &mut Diagnostics,
) {
    match (id, kind) {
        (Attr::Null, Attr::Known(_)) => diags.error_at(
            AttrPath::root("assignment_filter_id"),
            "`assignment_filter_type` needs `assignment_filter_id`",
            "Intune filters an assignment with a filter and a type together: set the filter's id (an `autopilot_assignment_filter`) or remove the type.",
        ),
        (Attr::Known(_), Attr::Null) => diags.error_at(
            AttrPath::root("assignment_filter_type"),
            "`assignment_filter_id` needs `assignment_filter_type`",
            "Say whether the filter's devices are the ones assigned (`include`) or the ones left out (`exclude`).",
        ),
        _ => {}
    }
    if let Attr::Known(filter) = id {
        if let Err(reason) = validate::object_id(filter) {
            diags.error_at(
                AttrPath::root("assignment_filter_id"),
                "Invalid assignment filter id",
                reason,
            );
        }
        if has_target == Some(false) {
            diags.error_at(
                AttrPath::root("assignment_filter_id"),
                "An assignment filter needs an included target",
                "Intune filters included targets (groups, all devices, all users), never exclusions; this configuration assigns the object to none, so there is nothing to filter.",
            );
        }
    }
}

impl Targets {
    /// The intent a configuration states; what is unknown counts as unset.
    pub fn of(
        include: &Attr<BTreeSet<String>>,
        exclude: &Attr<BTreeSet<String>>,
        all_devices: &Attr<bool>,
    ) -> Self {
        Targets {
            include: include.known().cloned().unwrap_or_default(),
            exclude: exclude.known().cloned().unwrap_or_default(),
            all_devices: all_devices.known().copied().unwrap_or(false),
            filter: None,
        }
    }

    /// The same targets narrowed by `filter`.
    pub fn filtered(self, filter: Option<Filter>) -> Self {
        Targets { filter, ..self }
    }

    pub fn from_assignments(assignments: &[Assignment]) -> Self {
        let mut targets = Targets::default();
        for a in assignments {
            match (a.target.odata_type.as_str(), &a.target.group_id) {
                (GROUP, Some(id)) => {
                    targets.include.insert(id.clone());
                }
                (EXCLUSION, Some(id)) => {
                    targets.exclude.insert(id.clone());
                }
                (ALL_DEVICES, _) => targets.all_devices = true,
                _ => {}
            }
        }
        targets.filter = Filter::from_assignments(assignments);
        targets
    }

    pub fn to_assignments(&self) -> Vec<Assignment> {
        let group = |kind: &str, id: &String| Assignment {
            id: None,
            target: Target::new(kind, Some(id)),
        };
        let mut out: Vec<Assignment> = Vec::new();
        if self.all_devices {
            out.push(Assignment {
                id: None,
                target: Target::new(ALL_DEVICES, None),
            });
        }
        out.extend(self.include.iter().map(|id| group(GROUP, id)));
        out.extend(self.exclude.iter().map(|id| group(EXCLUSION, id)));
        Filter::apply(self.filter.as_ref(), &mut out);
        out
    }
}

impl Target {
    /// A target of `kind` for `group_id` (none for the "all" targets).
    pub fn new(kind: &str, group_id: Option<&str>) -> Self {
        Target {
            odata_type: kind.to_string(),
            group_id: group_id.map(str::to_string),
            filter_id: None,
            filter_type: None,
        }
    }
}

/// Whether the assignments include "all licensed users".
pub fn has_all_users(assignments: &[Assignment]) -> bool {
    assignments.iter().any(|a| a.target.odata_type == ALL_USERS)
}

/// The assignment to "all licensed users".
pub fn all_users_assignment() -> Assignment {
    Assignment {
        id: None,
        target: Target::new(ALL_USERS, None),
    }
}

/// The group-assignment attributes of a configuration, checked together:
/// the group ids, "no exclusions with all devices", and the filter's rules
/// against the included targets.
pub struct GroupTargetRules<'a> {
    pub include: &'a Attr<BTreeSet<String>>,
    pub exclude: &'a Attr<BTreeSet<String>>,
    pub all_devices: &'a Attr<bool>,
    /// `all_users`, for the objects that have it.
    pub all_users: Option<&'a Attr<bool>>,
    /// `assignment_filter_id` and `assignment_filter_type`, for the objects
    /// that have them.
    pub filter: Option<(&'a Attr<String>, &'a Attr<FilterType>)>,
}

impl GroupTargetRules<'_> {
    pub fn check(&self, diags: &mut Diagnostics) {
        validate(self.include, self.exclude, self.all_devices, diags);
        if let Some((id, kind)) = self.filter {
            let mut all = vec![self.all_devices];
            all.extend(self.all_users);
            let groups = has_members(self.include, BTreeSet::is_empty);
            validate_filter(id, kind, has_included_target(groups, &all), diags);
        }
    }
}

/// Checks group ids and the "no exclusions with all devices" rule.
pub fn validate(
    include: &Attr<BTreeSet<String>>,
    exclude: &Attr<BTreeSet<String>>,
    all_devices: &Attr<bool>,
    diags: &mut Diagnostics,
) {
    for (name, ids) in [
        ("include_group_ids", include),
        ("exclude_group_ids", exclude),
    ] {
        for id in ids.known().into_iter().flatten() {
            if let Err(reason) = validate::object_id(id) {
                diags.error_at(
                    AttrPath::root(name),
                    format!("Invalid group id in `{name}`"),
                    reason,
                );
            }
        }
    }
    if let (Attr::Known(true), Attr::Known(ids)) = (all_devices, exclude)
        && !ids.is_empty()
    {
        diags.error_at(
                AttrPath::root("exclude_group_ids"),
                "Exclusions cannot be combined with `all_devices`",
                "Intune does not support excluding groups from an \"All devices\" assignment (it causes \
                 assignment problems). Target included groups instead, or remove the exclusions.",
            );
    }
    if let (Attr::Known(true), Attr::Known(ids)) = (all_devices, include)
        && !ids.is_empty()
    {
        diags.warning_at(
            AttrPath::root("include_group_ids"),
            "Included groups are redundant with `all_devices`",
            "The profile already applies to every device.",
        );
    }
}

/// A set of object ids whose elements may be unknown while planning.
/// `include_group_ids = [autopilot_group.users.id]` reaches the provider as
/// a known set holding an unknown element, which `Attr<BTreeSet<String>>`
/// cannot represent; this type keeps such elements (unknowns sort last).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdSet(Vec<Attr<String>>);

impl IdSet {
    /// The ids, when every one of them is known.
    pub fn ids(&self) -> Option<BTreeSet<String>> {
        self.0.iter().map(|id| id.known().cloned()).collect()
    }

    /// The ids known so far.
    pub fn known_ids(&self) -> impl Iterator<Item = &String> {
        self.0.iter().filter_map(Attr::known)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn normalized(mut items: Vec<Attr<String>>) -> Self {
        items.sort_by(|a, b| match (a.known(), b.known()) {
            (Some(a), Some(b)) => a.cmp(b),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
        items.dedup_by(|a, b| a.is_known() && a == b);
        IdSet(items)
    }
}

impl From<BTreeSet<String>> for IdSet {
    fn from(ids: BTreeSet<String>) -> Self {
        IdSet(ids.into_iter().map(Attr::Known).collect())
    }
}

impl FromIterator<String> for IdSet {
    fn from_iter<I: IntoIterator<Item = String>>(iter: I) -> Self {
        IdSet::normalized(iter.into_iter().map(Attr::Known).collect())
    }
}

impl Serialize for IdSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for IdSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<Attr<String>>::deserialize(deserializer).map(IdSet::normalized)
    }
}

impl schemars::JsonSchema for IdSet {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "IdSet".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "array", "items": {"type": "string"}, "uniqueItems": true})
    }
}

/// The ids of an id set attribute, when it and all its elements are known.
pub fn known_ids(attr: &Attr<IdSet>) -> Option<BTreeSet<String>> {
    attr.known().and_then(IdSet::ids)
}

/// An id set read from Graph, shaped like the prior value so an unset
/// attribute does not turn into an empty set (and a perpetual diff).
pub fn ids_like_prior(prior: &Attr<IdSet>, fresh: BTreeSet<String>) -> Attr<IdSet> {
    if fresh.is_empty() && !matches!(prior, Attr::Known(p) if p.is_empty()) {
        Attr::Null
    } else {
        Attr::Known(IdSet::from(fresh))
    }
}

#[cfg(test)]
mod id_set_tests {
    use std::collections::BTreeMap;

    use tfplugin::{Type, Value};

    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
    struct Model {
        #[schemars(length(max = 2))]
        ids: Attr<IdSet>,
    }

    #[test]
    fn unknown_elements_survive_a_round_trip() {
        let schema = tfplugin::Schema::of::<Model>(0).expect("schema");
        let attr = schema.block.attribute("ids").expect("ids");
        assert_eq!(attr.ty, Type::set(Type::String));
        assert_eq!(attr.constraints.max_items, Some(2));
        let value = Value::Object(BTreeMap::from([(
            "ids".to_string(),
            Value::set(vec![Value::Unknown, Value::String("b".into())]),
        )]));
        let model: Model = tfplugin::value::from_value(value.clone()).expect("decodes");
        let ids = model.ids.known().expect("a known set");
        assert_eq!(ids.ids(), None);
        assert_eq!(ids.known_ids().collect::<Vec<_>>(), ["b"]);
        let back = tfplugin::value::to_value(&model, &schema.value_type()).expect("encodes");
        assert_eq!(back, value);
        let all: IdSet = ["b".to_string(), "a".to_string(), "a".to_string()]
            .into_iter()
            .collect();
        assert_eq!(all.ids(), Some(["a".to_string(), "b".to_string()].into()));
        assert_eq!(
            all,
            IdSet::from(BTreeSet::from(["b".to_string(), "a".to_string()]))
        );
    }
}

#[cfg(test)]
mod filter_tests {
    use super::*;

    fn assignment(kind: &str, group: Option<&str>, filter: Option<(&str, &str)>) -> Assignment {
        let mut target = Target::new(kind, group);
        if let Some((id, filter_type)) = filter {
            target.filter_id = Some(id.to_string());
            target.filter_type = Some(filter_type.to_string());
        }
        Assignment { id: None, target }
    }

    #[test]
    fn a_filter_every_included_target_carries_reads_as_configured() {
        let f = Some(("f-1", "include"));
        let read = Filter::from_assignments(&[
            assignment(GROUP, Some("g-1"), f),
            assignment(EXCLUSION, Some("g-2"), Some(("", "none"))),
            assignment(ALL_USERS, None, f),
        ]);
        let configured = Filter::of(
            &Attr::Known("f-1".to_string()),
            &Attr::Known(FilterType::Include),
        );
        assert_eq!(read, configured);
        assert_eq!(
            Filter::to_state(read),
            (Attr::Known("f-1".into()), Attr::Known(FilterType::Include))
        );
    }

    /// Set target by target in the portal, filters that differ (whichever
    /// target comes first) read as no configuration would state them.
    #[test]
    fn filters_that_differ_between_targets_differ_from_every_configuration() {
        let f = Some(("f-1", "include"));
        let g = Some(("f-2", "exclude"));
        for targets in [
            vec![
                assignment(GROUP, Some("g-1"), f),
                assignment(ALL_USERS, None, None),
            ],
            vec![
                assignment(GROUP, Some("g-1"), None),
                assignment(ALL_USERS, None, f),
            ],
            vec![
                assignment(GROUP, Some("g-1"), f),
                assignment(GROUP, Some("g-3"), g),
            ],
        ] {
            let read = Filter::from_assignments(&targets).expect("a filter is read");
            assert!(read.uneven, "{targets:?}");
            assert_ne!(
                Some(read.clone()),
                Filter::of(&Attr::Known(read.id.clone()), &Attr::Known(read.kind))
            );
            let (id, kind) = Filter::to_state(Some(read));
            assert!(id.known().is_some() && kind.is_null(), "{targets:?}");
        }
        assert_eq!(
            Filter::from_assignments(&[assignment(GROUP, Some("g-1"), None)]),
            None
        );
    }
}
