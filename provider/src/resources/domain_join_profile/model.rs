//! The model of `autopilot_domain_join_profile`: its doc comments are the
//! schema's descriptions.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::Attr;

use crate::resources::timeouts::{Timeouts, timed_model};

use crate::resources::assignments::Targets;

/// Windows computer names have at most 15 characters.
pub(super) const MAX_NAME: i64 = 15;

/// A domain join profile for Microsoft Entra hybrid joined Autopilot
/// devices: the on-premises domain, the organizational unit, and the
/// computer name (a static prefix plus random characters, 15 at most).
///
/// Microsoft recommends assigning it to all devices (`all_devices = true`);
/// assign it to groups instead when devices go to different domains or
/// organizational units, one profile per domain or OU, and never two
/// profiles to the same device.
///
/// Prerequisites in the tenant: the Intune Connector for Active Directory
/// on a domain-joined Windows Server that reaches a domain controller, with
/// the right to create computer objects in the organizational unit (and,
/// past 10 devices, the domain's limit on computer accounts per user
/// raised); devices that set up off the corporate network need a VPN and
/// `hybrid_azure_ad_join_skip_connectivity_check` on the deployment profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct DomainJoinProfileModel {
    /// The profile's Graph object id.
    #[schemars(extend("x-tf" = "computed,stable"))]
    pub id: Attr<String>,
    /// The profile's name in Intune.
    #[schemars(extend("x-tf" = "required"), length(min = 1, max = 200))]
    pub display_name: Attr<String>,
    /// A description shown in Intune.
    pub description: Attr<String>,
    /// The fully qualified name of the Active Directory domain to join, e.g. `contoso.com` (not a NetBIOS name such as `CONTOSO`).
    #[schemars(extend("x-tf" = "required"))]
    pub active_directory_domain_name: Attr<String>,
    /// The distinguished name of the organizational unit for computer accounts, e.g. `OU=Autopilot,DC=contoso,DC=com`. Leave unset to use the domain's default Computers container; never `CN=Computers,...`.
    pub organizational_unit: Attr<String>,
    /// The fixed beginning of every computer name: letters, digits and hyphens.
    #[schemars(extend("x-tf" = "required"), length(min = 1, max = 12))]
    pub computer_name_static_prefix: Attr<String>,
    /// How many random characters follow the prefix. Prefix plus random characters are at most 15. Defaults to filling the name up to 15 characters.
    #[schemars(extend("x-tf" = "optional,computed"), range(min = 3, max = 14))]
    pub computer_name_suffix_random_char_count: Attr<i64>,
    /// Object ids of the device groups the profile is assigned to.
    pub include_group_ids: Attr<BTreeSet<String>>,
    /// Object ids of device groups excluded from the assignment.
    pub exclude_group_ids: Attr<BTreeSet<String>>,
    /// Assign the profile to all devices (the recommended assignment). Cannot be combined with `exclude_group_ids`.
    #[schemars(extend("x-tf-default" = false))]
    pub all_devices: Attr<bool>,
    /// Id of an assignment filter (`autopilot_assignment_filter`) that narrows the included targets (groups and all devices; never the exclusions). Set together with `assignment_filter_type`.
    pub assignment_filter_id: Attr<String>,
    /// `include` (only the devices the filter matches) or `exclude` (all but those devices). Set together with `assignment_filter_id`. Where the targets carry different filters (set target by target in the Intune admin center), it reads as null, so the plan shows the difference and the apply writes the configured filter on every target.
    pub assignment_filter_type: Attr<crate::resources::assignments::FilterType>,
    /// Ids of the scope tags of the profile. Intune uses `["0"]` (Default) when unset.
    #[schemars(extend("x-tf" = "optional,computed,stable"))]
    pub role_scope_tag_ids: Attr<BTreeSet<String>>,
    /// When the profile was created (ISO 8601).
    #[schemars(extend("x-tf" = "computed,stable"))]
    pub created_date_time: Attr<String>,
    /// When the profile was last changed (ISO 8601).
    #[schemars(extend("x-tf" = "computed"))]
    pub last_modified_date_time: Attr<String>,
    #[schemars(extend("x-tf" = "block"))]
    pub timeouts: Attr<Timeouts>,
}

timed_model!(DomainJoinProfileModel => Timeouts);

impl DomainJoinProfileModel {
    pub(crate) fn targets(&self) -> Targets {
        Targets::of(
            &self.include_group_ids,
            &self.exclude_group_ids,
            &self.all_devices,
        )
        .filtered(crate::resources::assignments::Filter::of(
            &self.assignment_filter_id,
            &self.assignment_filter_type,
        ))
    }
}

/// The random part that fills a name up to 15 characters (3 to 14).
pub(super) fn default_random_count(prefix: &str) -> i64 {
    (MAX_NAME - prefix.chars().count() as i64).clamp(3, 14)
}
