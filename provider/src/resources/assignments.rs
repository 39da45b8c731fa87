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

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Target {
    #[serde(rename = "@odata.type")]
    pub odata_type: String,
    #[serde(rename = "groupId", default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
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
}

impl Targets {
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
        targets
    }

    pub fn to_assignments(&self) -> Vec<Assignment> {
        let group = |kind: &str, id: &String| Assignment {
            id: None,
            target: Target {
                odata_type: kind.to_string(),
                group_id: Some(id.clone()),
            },
        };
        let mut out: Vec<Assignment> = Vec::new();
        if self.all_devices {
            out.push(Assignment {
                id: None,
                target: Target {
                    odata_type: ALL_DEVICES.to_string(),
                    group_id: None,
                },
            });
        }
        out.extend(self.include.iter().map(|id| group(GROUP, id)));
        out.extend(self.exclude.iter().map(|id| group(EXCLUSION, id)));
        out
    }
}

impl Target {
    /// A target of `kind` for `group_id` (none for the "all" targets).
    pub fn new(kind: &str, group_id: Option<&str>) -> Self {
        Target {
            odata_type: kind.to_string(),
            group_id: group_id.map(str::to_string),
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
