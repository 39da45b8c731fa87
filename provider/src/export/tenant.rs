//! What the tenant holds: the ids and names of the objects to export (each
//! kind lists its own, see `ExportKind::list`), and the groups, which the
//! export chooses among. The objects' values are read afterwards through
//! each resource's own import and read.

use serde::Deserialize;

use crate::graph::{ApiVersion, GraphClient, GraphError};

/// One object found in the tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    /// The id `terraform import` takes.
    pub id: String,
    /// The name shown to people and turned into the resource name: the
    /// display name, or a device's serial number.
    pub label: String,
    /// Other text `--filter` matches (a device's display name).
    pub also_known_as: Option<String>,
}

impl Listed {
    /// An object known by its display name (none: an empty label).
    pub fn named(id: String, label: Option<String>) -> Listed {
        Listed {
            id,
            label: label.unwrap_or_default(),
            also_known_as: None,
        }
    }

    /// Whether `--filter` keeps the object: `needle` (lowercase) is part of
    /// its label or other name, ignoring case.
    pub fn matches(&self, needle: &str) -> bool {
        std::iter::once(&self.label)
            .chain(self.also_known_as.as_ref())
            .any(|name| name.to_lowercase().contains(needle))
    }
}

/// A group as the export needs it: enough to tell whether it is one of
/// the tenant's Autopilot groups and whether `autopilot_group` can manage it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupSummary {
    pub id: String,
    pub display_name: Option<String>,
    pub group_types: Vec<String>,
    pub membership_rule: Option<String>,
    pub security_enabled: Option<bool>,
    pub mail_enabled: Option<bool>,
}

impl GroupSummary {
    pub fn label(&self) -> String {
        self.display_name.clone().unwrap_or_default()
    }

    /// A security group that is neither a Microsoft 365 group nor mail
    /// enabled: what `autopilot_group` manages.
    pub fn is_plain_security_group(&self) -> bool {
        self.security_enabled == Some(true)
            && self.mail_enabled != Some(true)
            && !self
                .group_types
                .iter()
                .any(|t| t.eq_ignore_ascii_case("Unified"))
    }

    /// A dynamic group whose rule selects Autopilot devices by their
    /// physical ids (`[ZTDid]`, `[OrderID]`, `[PurchaseOrderId]`).
    pub fn has_autopilot_rule(&self) -> bool {
        let dynamic = self
            .group_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case("DynamicMembership"));
        dynamic
            && self
                .membership_rule
                .as_deref()
                .is_some_and(|rule| rule.to_ascii_lowercase().contains("devicephysicalids"))
    }
}

/// Every group of the tenant (one paged listing, the properties above only).
pub async fn groups(client: &GraphClient) -> Result<Vec<GroupSummary>, GraphError> {
    client
        .list(
            ApiVersion::V1,
            "groups?$select=id,displayName,groupTypes,membershipRule,securityEnabled,mailEnabled&$top=999",
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(types: &[&str], rule: Option<&str>, security: bool, mail: bool) -> GroupSummary {
        GroupSummary {
            id: "g".into(),
            display_name: Some("G".into()),
            group_types: types.iter().map(|t| t.to_string()).collect(),
            membership_rule: rule.map(str::to_string),
            security_enabled: Some(security),
            mail_enabled: Some(mail),
        }
    }

    #[test]
    fn autopilot_groups_are_dynamic_groups_over_device_physical_ids() {
        let tag = r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:Sales"))"#;
        let all = r#"(device.devicePhysicalIDs -any (_ -startsWith "[ZTDid]"))"#;
        assert!(group(&["DynamicMembership"], Some(tag), true, false).has_autopilot_rule());
        assert!(group(&["DynamicMembership"], Some(all), true, false).has_autopilot_rule());
        assert!(
            !group(
                &["DynamicMembership"],
                Some(r#"(user.department -eq "Sales")"#),
                true,
                false
            )
            .has_autopilot_rule()
        );
        assert!(!group(&[], Some(tag), true, false).has_autopilot_rule());
    }

    #[test]
    fn only_plain_security_groups_are_manageable() {
        assert!(group(&[], None, true, false).is_plain_security_group());
        assert!(!group(&["Unified"], None, true, true).is_plain_security_group());
        assert!(!group(&[], None, false, true).is_plain_security_group());
        assert!(!group(&[], None, true, true).is_plain_security_group());
    }

    #[test]
    fn the_filter_matches_either_name_ignoring_case() {
        let device = Listed {
            id: "1".into(),
            label: "5CG1234".into(),
            also_known_as: Some("SALES-LAPTOP".into()),
        };
        assert!(device.matches("5cg"));
        assert!(device.matches("sales"));
        assert!(!device.matches("hr"));
    }
}
