//! Plan-time lints against the live tenant: warnings about how the planned
//! object combines with what already exists (overlapping profile
//! assignments, hybrid profiles without a domain join profile).
//!
//! The tenant is read at most once per provider process (one Terraform
//! run) and shared by every resource that lints: a plan of many profiles
//! costs a few list requests, not a few per profile.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::Deserialize;
use tokio::sync::OnceCell;

use super::assignments::{Assignment, Targets};
use crate::graph::{ApiVersion, GraphClient};

pub const PROFILE_COLLECTION: &str = "deviceManagement/windowsAutopilotDeploymentProfiles";
pub const ENTRA_PROFILE: &str = "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile";
pub const HYBRID_PROFILE: &str =
    "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile";
const DEVICE_CONFIGURATIONS: &str = "deviceManagement/deviceConfigurations";
const DOMAIN_JOIN: &str = "#microsoft.graph.windowsDomainJoinConfiguration";

/// The join type of a deployment profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Join {
    Entra,
    Hybrid,
}

impl Join {
    pub fn from_odata_type(odata_type: &str) -> Option<Join> {
        match odata_type {
            ENTRA_PROFILE => Some(Join::Entra),
            HYBRID_PROFILE => Some(Join::Hybrid),
            _ => None,
        }
    }

    pub fn odata_type(self) -> &'static str {
        match self {
            Join::Entra => ENTRA_PROFILE,
            Join::Hybrid => HYBRID_PROFILE,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Join::Entra => "Microsoft Entra join",
            Join::Hybrid => "Microsoft Entra hybrid join",
        }
    }
}

/// A deployment profile as the lints see it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileSummary {
    pub id: String,
    pub display_name: String,
    pub join: Join,
    pub created: String,
    pub targets: Targets,
}

/// A domain join profile as the lints see it.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainJoinSummary {
    pub id: String,
    pub display_name: String,
    pub targets: Targets,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListedObject {
    #[serde(rename = "@odata.type", default)]
    odata_type: String,
    id: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    created_date_time: Option<String>,
    /// Present when the service honoured `$expand=assignments`.
    #[serde(default)]
    assignments: Option<Vec<Assignment>>,
}

type Shared<T> = Result<Arc<Vec<T>>, String>;

/// What the lints read from the tenant, once per process.
#[derive(Default)]
pub struct TenantSnapshot {
    profiles: OnceCell<Shared<ProfileSummary>>,
    domain_joins: OnceCell<Shared<DomainJoinSummary>>,
}

impl TenantSnapshot {
    /// Every deployment profile with its assignments.
    pub async fn profiles(&self, client: &GraphClient) -> Shared<ProfileSummary> {
        self.profiles
            .get_or_init(|| async {
                let listed = list_with_assignments(client, PROFILE_COLLECTION).await?;
                Ok(Arc::new(
                    listed
                        .into_iter()
                        .filter_map(|(o, targets)| {
                            Some(ProfileSummary {
                                join: Join::from_odata_type(&o.odata_type)?,
                                display_name: o.display_name.unwrap_or_default(),
                                created: o.created_date_time.unwrap_or_default(),
                                id: o.id,
                                targets,
                            })
                        })
                        .collect(),
                ))
            })
            .await
            .clone()
    }

    /// Every domain join profile with its assignments.
    pub async fn domain_joins(&self, client: &GraphClient) -> Shared<DomainJoinSummary> {
        self.domain_joins
            .get_or_init(|| async {
                let listed = list_with_assignments(client, DEVICE_CONFIGURATIONS).await?;
                Ok(Arc::new(
                    listed
                        .into_iter()
                        .filter(|(o, _)| o.odata_type == DOMAIN_JOIN)
                        .map(|(o, targets)| DomainJoinSummary {
                            display_name: o.display_name.unwrap_or_default(),
                            id: o.id,
                            targets,
                        })
                        .collect(),
                ))
            })
            .await
            .clone()
    }
}

/// Lists a collection with `$expand=assignments`; objects the service
/// returned without their assignments get them with one more request each.
async fn list_with_assignments(
    client: &GraphClient,
    collection: &str,
) -> Result<Vec<(ListedObject, Targets)>, String> {
    let listed: Vec<ListedObject> = client
        .list(
            ApiVersion::Beta,
            &format!("{collection}?$expand=assignments"),
        )
        .await
        .map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(listed.len());
    for mut object in listed {
        let assignments = match object.assignments.take() {
            Some(a) => a,
            None => client
                .list(
                    ApiVersion::Beta,
                    &format!("{collection}/{}/assignments", object.id),
                )
                .await
                .map_err(|e| e.to_string())?,
        };
        out.push((object, Targets::from_assignments(&assignments)));
    }
    Ok(out)
}

/// A warning found by a lint: the attribute it is about and the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The apply would fail: an error, not a warning.
    pub blocking: bool,
    pub attribute: &'static str,
    pub summary: String,
    pub detail: String,
}

/// The planned profile, as the overlap lint sees it.
pub struct PlannedProfile<'a> {
    /// The profile's id when it already exists (it is left out of the
    /// tenant's list: its planned targets replace its current ones).
    pub id: Option<&'a str>,
    pub join: Join,
    /// When the existing profile was created; `None` for a new one.
    pub created: Option<&'a str>,
    pub targets: &'a Targets,
}

/// Orders ISO 8601 times whatever their fractional digits.
fn time_key(t: &str) -> (String, String) {
    let (seconds, fraction) = t.split_at(t.len().min(19));
    let fraction: String = fraction.chars().filter(char::is_ascii_digit).collect();
    (seconds.to_string(), format!("{fraction:0<9}"))
}

fn describe(p: &ProfileSummary) -> String {
    format!("{:?} ({}, id {})", p.display_name, p.join.label(), p.id)
}

fn list(groups: &BTreeSet<&String>) -> String {
    groups
        .iter()
        .map(|g| g.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Findings for a planned profile that targets what other profiles in the
/// tenant target: a second "All devices" assignment, whatever the join
/// types, is refused by Intune (an error); Entra and hybrid profiles must
/// never overlap, and when several profiles target one group, the
/// oldest-created one wins (warnings).
pub fn profile_overlaps(planned: &PlannedProfile<'_>, tenant: &[ProfileSummary]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut others: Vec<&ProfileSummary> = tenant
        .iter()
        .filter(|p| Some(p.id.as_str()) != planned.id)
        .collect();
    others.sort_by(|a, b| {
        time_key(&a.created)
            .cmp(&time_key(&b.created))
            .then(a.id.cmp(&b.id))
    });
    for other in others {
        if planned.targets.all_devices && other.targets.all_devices {
            findings.push(Finding {
                blocking: true,
                attribute: "all_devices",
                summary: "Another deployment profile is already assigned to all devices".into(),
                detail: format!(
                    "The profile {} is assigned to all devices. Intune refuses a second \"All devices\" \
                     assignment whatever the join types (\"Another Profile ... is already assigned to All \
                     Devices\"), so the apply would fail. Target groups instead, or first remove the other \
                     profile's All devices assignment (in an earlier apply, when Terraform manages it).",
                    describe(other),
                ),
            });
        }
        let shared: BTreeSet<&String> = planned
            .targets
            .include
            .intersection(&other.targets.include)
            .filter(|g| !other.targets.exclude.contains(*g))
            .collect();
        if other.join != planned.join {
            // Both on all devices is the error above.
            let via_all_devices = (planned.targets.all_devices
                && !other.targets.include.is_empty())
                || (other.targets.all_devices && !planned.targets.include.is_empty());
            if !shared.is_empty() || via_all_devices {
                let (attribute, what) = if shared.is_empty() {
                    (
                        "all_devices",
                        "overlapping devices through an \"All devices\" assignment".to_string(),
                    )
                } else {
                    (
                        "include_group_ids",
                        format!("the group(s) {}", list(&shared)),
                    )
                };
                findings.push(Finding {
                    blocking: false,
                    attribute,
                    summary: "Microsoft Entra join and hybrid join profiles target the same devices".into(),
                    detail: format!(
                        "This {} profile and the {} profile {} both target {what}. Keep Entra join and \
                         hybrid join profiles strictly separate: a device gets only one profile, so some \
                         devices would join the wrong way.",
                        planned.join.label(),
                        other.join.label(),
                        describe(other),
                    ),
                });
            }
            continue;
        }
        if !shared.is_empty() {
            let this_is_older = planned
                .created
                .is_some_and(|c| time_key(c) < time_key(&other.created));
            let winner = if this_is_older {
                "this profile, the oldest-created".to_string()
            } else if planned.created.is_none() {
                format!(
                    "{}, because it is older than this new profile",
                    describe(other)
                )
            } else {
                format!("{}, the oldest-created", describe(other))
            };
            findings.push(Finding {
                blocking: false,
                attribute: "include_group_ids",
                summary: "Another deployment profile targets the same group".into(),
                detail: format!(
                    "The profile {} also targets {}. When a device is in groups targeted by several \
                     profiles, the oldest-created profile wins: here {winner}.",
                    describe(other),
                    list(&shared),
                ),
            });
        }
    }
    findings
}

/// Warnings for a planned domain join profile: hybrid join profiles whose
/// groups (or all devices) no domain join profile targets, counting the
/// planned one with its planned targets.
pub fn hybrid_without_domain_join(
    planned_id: Option<&str>,
    planned: &Targets,
    profiles: &[ProfileSummary],
    domain_joins: &[DomainJoinSummary],
) -> Vec<Finding> {
    let mut covered_groups: BTreeSet<&String> = planned.include.iter().collect();
    let mut covers_all = planned.all_devices;
    for dj in domain_joins
        .iter()
        .filter(|d| Some(d.id.as_str()) != planned_id)
    {
        covered_groups.extend(dj.targets.include.iter());
        covers_all |= dj.targets.all_devices;
    }
    if covers_all {
        return Vec::new();
    }
    let mut uncovered: BTreeMap<&str, (&ProfileSummary, String)> = BTreeMap::new();
    for profile in profiles.iter().filter(|p| p.join == Join::Hybrid) {
        if profile.targets.all_devices {
            uncovered.insert(&profile.id, (profile, "all devices".to_string()));
            continue;
        }
        let missing: BTreeSet<&String> = profile
            .targets
            .include
            .iter()
            .filter(|g| !covered_groups.contains(g))
            .collect();
        if !missing.is_empty() {
            uncovered.insert(
                &profile.id,
                (profile, format!("the group(s) {}", list(&missing))),
            );
        }
    }
    uncovered
        .into_values()
        .map(|(profile, what)| Finding {
            blocking: false,
            attribute: "include_group_ids",
            summary: "A hybrid join profile has no domain join profile".into(),
            detail: format!(
                "The deployment profile {} targets {what}, but no domain join profile targets those \
                 devices or all devices, so hybrid join would fail for them. Assign a domain join \
                 profile to all devices (Microsoft's recommendation) or to the same groups. Objects \
                 created in this same run are not seen by this check.",
                describe(profile),
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const G1: &str = "11111111-1111-4111-8111-111111111111";
    const G2: &str = "22222222-2222-4222-8222-222222222222";

    fn targets(include: &[&str], all_devices: bool) -> Targets {
        Targets {
            include: include.iter().map(|g| g.to_string()).collect(),
            exclude: BTreeSet::new(),
            all_devices,
            filter: None,
        }
    }

    fn profile(id: &str, join: Join, created: &str, t: Targets) -> ProfileSummary {
        ProfileSummary {
            id: id.into(),
            display_name: format!("P-{id}"),
            join,
            created: created.into(),
            targets: t,
        }
    }

    /// A new Entra join profile (no id, not created yet) targeting `t`.
    fn new_entra_profile(t: &Targets) -> PlannedProfile<'_> {
        PlannedProfile {
            id: None,
            join: Join::Entra,
            created: None,
            targets: t,
        }
    }

    #[test]
    fn entra_and_hybrid_on_one_group_warn() {
        let tenant = [profile(
            "h",
            Join::Hybrid,
            "2025-01-01T00:00:00Z",
            targets(&[G1], false),
        )];
        let t = targets(&[G1, G2], false);
        let planned = new_entra_profile(&t);
        let found = profile_overlaps(&planned, &tenant);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].attribute, "include_group_ids");
        assert!(found[0].detail.contains(G1) && !found[0].detail.contains(G2));
        assert!(found[0].summary.contains("hybrid"));
    }

    #[test]
    fn same_join_overlap_names_the_oldest() {
        let tenant = [
            profile(
                "old",
                Join::Entra,
                "2024-01-01T00:00:00Z",
                targets(&[G1], false),
            ),
            profile(
                "me",
                Join::Entra,
                "2025-06-01T00:00:00.5Z",
                targets(&[G1], false),
            ),
        ];
        let t = targets(&[G1], false);
        let existing = PlannedProfile {
            id: Some("me"),
            join: Join::Entra,
            created: Some("2025-06-01T00:00:00.5Z"),
            targets: &t,
        };
        let found = profile_overlaps(&existing, &tenant);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].detail.contains("P-old") && found[0].detail.contains("oldest"));

        let older = PlannedProfile {
            created: Some("2023-01-01T00:00:00Z"),
            ..existing
        };
        let found = profile_overlaps(&older, &tenant);
        assert!(found[0].detail.contains("this profile, the oldest-created"));
    }

    #[test]
    fn all_devices_overlaps() {
        let hybrid = [profile(
            "h",
            Join::Hybrid,
            "2025-01-01T00:00:00Z",
            targets(&[], true),
        )];
        let t = targets(&[G1], false);
        let planned = new_entra_profile(&t);
        assert_eq!(
            profile_overlaps(&planned, &hybrid)[0].attribute,
            "all_devices"
        );
        let tenant = [profile(
            "e",
            Join::Entra,
            "2025-01-01T00:00:00Z",
            targets(&[], true),
        )];
        let t = targets(&[], true);
        let planned = PlannedProfile {
            targets: &t,
            ..planned
        };
        let found = profile_overlaps(&planned, &tenant);
        assert_eq!(found.len(), 1);
        assert!(found[0].summary.contains("all devices"));
        assert!(found[0].blocking, "Intune refuses it: an error");
        // Whatever the join types (KelvinTegelaar/CIPP #2803).
        let found = profile_overlaps(&planned, &hybrid);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].blocking && found[0].attribute == "all_devices");
        assert!(found[0].detail.contains("whatever the join types"));
    }

    #[test]
    fn no_overlap_no_warning() {
        let tenant = [profile(
            "h",
            Join::Hybrid,
            "2025-01-01T00:00:00Z",
            targets(&[G2], false),
        )];
        let t = targets(&[G1], false);
        let planned = new_entra_profile(&t);
        assert!(profile_overlaps(&planned, &tenant).is_empty());
    }

    #[test]
    fn hybrid_profiles_need_a_domain_join_profile() {
        let profiles = [
            profile(
                "h",
                Join::Hybrid,
                "2025-01-01T00:00:00Z",
                targets(&[G1, G2], false),
            ),
            profile(
                "e",
                Join::Entra,
                "2025-01-01T00:00:00Z",
                targets(&[G2], false),
            ),
        ];
        let found = hybrid_without_domain_join(None, &targets(&[G1], false), &profiles, &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].detail.contains(G2) && !found[0].detail.contains(G1));
        let other = DomainJoinSummary {
            id: "dj2".into(),
            display_name: "DJ2".into(),
            targets: targets(&[G2], false),
        };
        assert!(
            hybrid_without_domain_join(None, &targets(&[G1], false), &profiles, &[other])
                .is_empty()
        );
        assert!(hybrid_without_domain_join(None, &targets(&[], true), &profiles, &[]).is_empty());
        // The planned profile's own tenant copy does not count: its targets are replaced.
        let me = DomainJoinSummary {
            id: "me".into(),
            display_name: "Me".into(),
            targets: targets(&[], true),
        };
        assert_eq!(
            hybrid_without_domain_join(Some("me"), &targets(&[], false), &profiles, &[me]).len(),
            1
        );
    }
}
