//! The kinds of object an export writes, one `.tf` file each.

use std::fmt;
use std::str::FromStr;

/// A kind of exported object and the resource type that manages it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Groups,
    DeploymentProfiles,
    EnrollmentStatusPages,
    DomainJoinProfiles,
    DevicePreparationPolicies,
    Devices,
}

impl Kind {
    /// Every kind, in the order files are written and reported.
    pub const ALL: [Kind; 6] = [
        Kind::Groups,
        Kind::DeploymentProfiles,
        Kind::EnrollmentStatusPages,
        Kind::DomainJoinProfiles,
        Kind::DevicePreparationPolicies,
        Kind::Devices,
    ];

    /// The name `--only` takes.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Groups => "groups",
            Kind::DeploymentProfiles => "deployment_profiles",
            Kind::EnrollmentStatusPages => "enrollment_status_pages",
            Kind::DomainJoinProfiles => "domain_join_profiles",
            Kind::DevicePreparationPolicies => "device_preparation_policies",
            Kind::Devices => "devices",
        }
    }

    /// The resource type the kind is exported as.
    pub fn resource_type(self) -> &'static str {
        match self {
            Kind::Groups => "autopilot_group",
            Kind::DeploymentProfiles => "autopilot_deployment_profile",
            Kind::EnrollmentStatusPages => "autopilot_enrollment_status_page",
            Kind::DomainJoinProfiles => "autopilot_domain_join_profile",
            Kind::DevicePreparationPolicies => "autopilot_device_preparation_policy",
            Kind::Devices => "autopilot_device",
        }
    }

    /// The file the kind's resources are written to.
    pub fn file_name(self) -> String {
        format!("{}.tf", self.name())
    }

    /// What a resource name falls back to when its display name gives none
    /// (or starts with a digit).
    pub fn fallback_name(self) -> &'static str {
        match self {
            Kind::Groups => "group",
            Kind::DeploymentProfiles => "profile",
            Kind::EnrollmentStatusPages => "esp",
            Kind::DomainJoinProfiles => "domain_join",
            Kind::DevicePreparationPolicies => "policy",
            Kind::Devices => "device",
        }
    }

    /// The attributes that hold group object ids, written as references to
    /// `autopilot_group` resources where the group is exported too.
    pub fn group_id_attributes(self) -> &'static [&'static str] {
        match self {
            Kind::DeploymentProfiles | Kind::EnrollmentStatusPages | Kind::DomainJoinProfiles => {
                &["include_group_ids", "exclude_group_ids"]
            }
            Kind::DevicePreparationPolicies => &["device_group_id", "include_group_ids"],
            Kind::Groups | Kind::Devices => &[],
        }
    }

    /// The names `--only` accepts, for messages.
    pub fn names() -> String {
        Kind::ALL.map(Kind::name).join(", ")
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A `--only` value that names no kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{given:?} is not a kind to export; the kinds are: {}", Kind::names())]
pub struct UnknownKind {
    pub given: String,
}

impl FromStr for Kind {
    type Err = UnknownKind;

    /// A kind by its name (`deployment_profiles`) or its resource type
    /// (`autopilot_deployment_profile`), in any case.
    fn from_str(text: &str) -> Result<Kind, UnknownKind> {
        let wanted = text.trim().to_ascii_lowercase();
        Kind::ALL
            .into_iter()
            .find(|k| k.name() == wanted || k.resource_type() == wanted)
            .ok_or_else(|| UnknownKind {
                given: text.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_by_name_or_resource_type() {
        assert_eq!("groups".parse::<Kind>(), Ok(Kind::Groups));
        assert_eq!(" Devices ".parse::<Kind>(), Ok(Kind::Devices));
        assert_eq!(
            "autopilot_enrollment_status_page".parse::<Kind>(),
            Ok(Kind::EnrollmentStatusPages)
        );
        for kind in Kind::ALL {
            assert_eq!(kind.name().parse::<Kind>(), Ok(kind));
        }
    }

    #[test]
    fn an_unknown_kind_names_the_allowed_ones() {
        let error = "profiles".parse::<Kind>().expect_err("not a kind");
        let message = error.to_string();
        assert!(
            message.starts_with("\"profiles\" is not a kind"),
            "{message}"
        );
        for kind in Kind::ALL {
            assert!(message.contains(kind.name()), "{message}");
        }
    }
}
