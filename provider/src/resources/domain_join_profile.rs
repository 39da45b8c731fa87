//! `autopilot_domain_join_profile`: the `windowsDomainJoinConfiguration`
//! that names hybrid-joined devices and places them in Active Directory.

mod registration;
pub use registration::{EXPORT, payloads};

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::{Attr, AttrPath, Diagnostics, PlanRequest, Resource};

use super::assignments::{self, Assignment, Targets};
use super::lints::{self, Join, TenantSnapshot};
use super::{report, set_like_prior};
use crate::graph::{ApiVersion, GraphClient, NameLookup};
use crate::validate;

pub(crate) const ODATA_TYPE: &str = "#microsoft.graph.windowsDomainJoinConfiguration";
pub(crate) const COLLECTION: &str = "deviceManagement/deviceConfigurations";
/// Windows computer names have at most 15 characters.
const MAX_NAME: i64 = 15;

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
    /// Ids of the scope tags of the profile. Intune uses `["0"]` (Default) when unset.
    #[schemars(extend("x-tf" = "optional,computed,stable"))]
    pub role_scope_tag_ids: Attr<BTreeSet<String>>,
    /// When the profile was created (ISO 8601).
    #[schemars(extend("x-tf" = "computed,stable"))]
    pub created_date_time: Attr<String>,
    /// When the profile was last changed (ISO 8601).
    #[schemars(extend("x-tf" = "computed"))]
    pub last_modified_date_time: Attr<String>,
}

/// The Graph payload of a `windowsDomainJoinConfiguration` (this crate's own
/// reading of Graph; the lab has its own).
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DomainJoinConfiguration {
    #[serde(rename = "@odata.type")]
    #[schemars(extend("const" = ODATA_TYPE))]
    odata_type: String,
    #[serde(default, skip_serializing)]
    id: Option<String>,
    display_name: String,
    description: Option<String>,
    active_directory_domain_name: String,
    organizational_unit: Option<String>,
    computer_name_static_prefix: String,
    #[schemars(range(min = 3, max = 14))]
    computer_name_suffix_random_char_count: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    role_scope_tag_ids: Option<Vec<String>>,
    #[serde(default, skip_serializing)]
    created_date_time: Option<String>,
    #[serde(default, skip_serializing)]
    last_modified_date_time: Option<String>,
}

/// The `assign` action: the profile's whole list of assignments.
#[derive(Serialize, JsonSchema)]
pub(crate) struct AssignBody {
    assignments: Vec<Assignment>,
}

/// The resource, with the tenant snapshot its plan-time lint shares.
#[derive(Default)]
pub struct DomainJoinProfile {
    tenant: Arc<TenantSnapshot>,
}

/// The random part that fills a name up to 15 characters (3 to 14).
fn default_random_count(prefix: &str) -> i64 {
    (MAX_NAME - prefix.chars().count() as i64).clamp(3, 14)
}

impl DomainJoinProfileModel {
    fn targets(&self) -> Targets {
        Targets {
            include: self.include_group_ids.known().cloned().unwrap_or_default(),
            exclude: self.exclude_group_ids.known().cloned().unwrap_or_default(),
            all_devices: self.all_devices.known().copied().unwrap_or(false),
        }
    }

    fn to_graph(&self) -> DomainJoinConfiguration {
        let prefix = self
            .computer_name_static_prefix
            .known()
            .cloned()
            .unwrap_or_default();
        DomainJoinConfiguration {
            odata_type: ODATA_TYPE.to_string(),
            id: None,
            display_name: self.display_name.known().cloned().unwrap_or_default(),
            description: self.description.known().cloned(),
            active_directory_domain_name: self
                .active_directory_domain_name
                .known()
                .cloned()
                .unwrap_or_default(),
            organizational_unit: self.organizational_unit.known().cloned(),
            computer_name_suffix_random_char_count: self
                .computer_name_suffix_random_char_count
                .known()
                .copied()
                .unwrap_or_else(|| default_random_count(&prefix)),
            computer_name_static_prefix: prefix,
            role_scope_tag_ids: self
                .role_scope_tag_ids
                .known()
                .map(|ids| ids.iter().cloned().collect()),
            created_date_time: None,
            last_modified_date_time: None,
        }
    }

    /// The state for what Graph holds, shaped like `prior` where Graph cannot
    /// tell "unset" from "empty".
    fn from_graph(
        config: DomainJoinConfiguration,
        targets: Targets,
        prior: &DomainJoinProfileModel,
    ) -> Self {
        DomainJoinProfileModel {
            id: config.id.into(),
            display_name: Attr::Known(config.display_name),
            description: config.description.into(),
            active_directory_domain_name: Attr::Known(config.active_directory_domain_name),
            organizational_unit: config.organizational_unit.into(),
            computer_name_static_prefix: Attr::Known(config.computer_name_static_prefix),
            computer_name_suffix_random_char_count: Attr::Known(
                config.computer_name_suffix_random_char_count,
            ),
            include_group_ids: set_like_prior(&prior.include_group_ids, targets.include),
            exclude_group_ids: set_like_prior(&prior.exclude_group_ids, targets.exclude),
            all_devices: Attr::Known(targets.all_devices),
            role_scope_tag_ids: Attr::Known(
                config
                    .role_scope_tag_ids
                    .unwrap_or_default()
                    .into_iter()
                    .collect(),
            ),
            created_date_time: config.created_date_time.into(),
            last_modified_date_time: config.last_modified_date_time.into(),
        }
    }
}

impl DomainJoinProfile {
    pub fn new(tenant: Arc<TenantSnapshot>) -> Self {
        DomainJoinProfile { tenant }
    }

    /// Plan-time warning from the live tenant (read once per process): a
    /// hybrid join deployment profile whose devices no domain join profile
    /// targets.
    async fn lint(
        &self,
        client: &GraphClient,
        prior: Option<&DomainJoinProfileModel>,
        planned: &DomainJoinProfileModel,
        diags: &mut Diagnostics,
    ) {
        if planned.all_devices.is_unknown() || planned.include_group_ids.is_unknown() {
            return;
        }
        let failed = |diags: &mut Diagnostics, e: String| {
            diags.warning(
                "Cannot check the tenant's hybrid join profiles",
                format!("Reading the tenant failed, so hybrid join coverage was not checked: {e}"),
            );
        };
        let profiles = match self.tenant.profiles(client).await {
            Ok(p) => p,
            Err(e) => return failed(diags, e),
        };
        if !profiles.iter().any(|p| p.join == Join::Hybrid) {
            return;
        }
        let domain_joins = match self.tenant.domain_joins(client).await {
            Ok(d) => d,
            Err(e) => return failed(diags, e),
        };
        let id = prior.and_then(|p| p.id.known()).map(String::as_str);
        for finding in
            lints::hybrid_without_domain_join(id, &planned.targets(), &profiles, &domain_joins)
        {
            diags.warning_at(
                AttrPath::root(finding.attribute),
                finding.summary,
                finding.detail,
            );
        }
    }

    async fn fetch(
        &self,
        client: &GraphClient,
        id: &str,
        prior: &DomainJoinProfileModel,
        diags: &mut Diagnostics,
    ) -> Option<DomainJoinProfileModel> {
        let path = format!("{COLLECTION}/{id}");
        let config: DomainJoinConfiguration =
            match client.get_optional(ApiVersion::Beta, &path).await {
                Ok(Some(config)) => config,
                Ok(None) => return None,
                Err(e) => {
                    report(diags, "read the domain join profile", &e);
                    return None;
                }
            };
        if config.odata_type != ODATA_TYPE {
            diags.error(
                "Not a domain join profile",
                format!(
                    "The device configuration {id} is a {}, not a {ODATA_TYPE}.",
                    config.odata_type
                ),
            );
            return None;
        }
        let assignments: Vec<Assignment> = match client
            .list(ApiVersion::Beta, &format!("{path}/assignments"))
            .await
        {
            Ok(list) => list,
            Err(e) => {
                report(diags, "read the domain join profile's assignments", &e);
                return None;
            }
        };
        Some(DomainJoinProfileModel::from_graph(
            config,
            Targets::from_assignments(&assignments),
            prior,
        ))
    }

    async fn assign(
        &self,
        client: &GraphClient,
        id: &str,
        targets: &Targets,
    ) -> Result<(), crate::graph::GraphError> {
        let body = AssignBody {
            assignments: targets.to_assignments(),
        };
        client
            .post_action(
                ApiVersion::Beta,
                &format!("{COLLECTION}/{id}/assign"),
                &body,
            )
            .await
    }
}

#[async_trait]
impl Resource<GraphClient> for DomainJoinProfile {
    type Model = DomainJoinProfileModel;

    fn type_name(&self) -> &'static str {
        "autopilot_domain_join_profile"
    }

    fn validate(&self, config: &DomainJoinProfileModel, diags: &mut Diagnostics) {
        if let Attr::Known(domain) = &config.active_directory_domain_name
            && let Err(reason) = validate::fqdn(domain)
        {
            diags.error_at(
                AttrPath::root("active_directory_domain_name"),
                "`active_directory_domain_name` must be a fully qualified domain name",
                reason,
            );
        }
        if let Attr::Known(ou) = &config.organizational_unit {
            match validate::organizational_unit(ou) {
                Err(reason) => diags.error_at(
                    AttrPath::root("organizational_unit"),
                    "`organizational_unit` must be the distinguished name of an OU",
                    reason,
                ),
                Ok(()) => {
                    if let Attr::Known(domain) = &config.active_directory_domain_name {
                        let ou_domain = validate::dn_domain(ou);
                        if !ou_domain.is_empty() && !ou_domain.eq_ignore_ascii_case(domain) {
                            diags.warning_at(
                                AttrPath::root("organizational_unit"),
                                "The OU is in another domain",
                                format!("The OU's DC= parts name {ou_domain:?}, but devices join {domain:?}."),
                            );
                        }
                    }
                }
            }
        }
        if let Attr::Known(prefix) = &config.computer_name_static_prefix {
            if let Err(reason) = validate::computer_name_prefix(prefix) {
                diags.error_at(
                    AttrPath::root("computer_name_static_prefix"),
                    "Invalid computer name prefix",
                    reason,
                );
            } else {
                let prefix_len = prefix.chars().count() as i64;
                match &config.computer_name_suffix_random_char_count {
                    Attr::Known(random) if prefix_len + random > MAX_NAME => diags.error_at(
                        AttrPath::root("computer_name_static_prefix"),
                        "Computer names would be longer than 15 characters",
                        format!(
                            "The prefix {prefix:?} ({prefix_len} characters) plus {random} random characters makes \
                             {} characters; Windows computer names have at most 15. Shorten the prefix or lower \
                             computer_name_suffix_random_char_count.",
                            prefix_len + random
                        ),
                    ),
                    Attr::Null if MAX_NAME - prefix_len < 3 => diags.error_at(
                        AttrPath::root("computer_name_static_prefix"),
                        "Computer name prefix too long",
                        format!(
                            "The prefix {prefix:?} has {prefix_len} characters, leaving fewer than the 3 random \
                             characters Intune requires within 15."
                        ),
                    ),
                    _ => {}
                }
            }
        }
        assignments::validate(
            &config.include_group_ids,
            &config.exclude_group_ids,
            &config.all_devices,
            diags,
        );
    }

    async fn modify_plan(
        &self,
        client: Option<&GraphClient>,
        request: PlanRequest<'_, DomainJoinProfileModel>,
        diags: &mut Diagnostics,
    ) -> DomainJoinProfileModel {
        super::refuse_in_government_cloud(client, "autopilot_domain_join_profile", diags);
        if diags.has_errors() {
            return request.planned;
        }
        if let Some(client) = client {
            self.lint(client, request.prior, &request.planned, diags)
                .await;
        }
        let mut planned = request.planned;
        if request
            .config
            .computer_name_suffix_random_char_count
            .is_null()
        {
            planned.computer_name_suffix_random_char_count =
                match &planned.computer_name_static_prefix {
                    Attr::Known(prefix) => Attr::Known(default_random_count(prefix)),
                    _ => Attr::Unknown,
                };
        }
        planned
    }

    async fn create(
        &self,
        client: &GraphClient,
        planned: DomainJoinProfileModel,
        diags: &mut Diagnostics,
    ) -> Option<DomainJoinProfileModel> {
        let (created, id) = super::create_named(
            client,
            &NameLookup {
                version: ApiVersion::Beta,
                collection: COLLECTION,
                property: "displayName",
                name: planned.display_name.known().map_or("", String::as_str),
            },
            &planned.to_graph(),
            "the domain join profile",
            |created: &DomainJoinConfiguration| created.id.clone(),
            diags,
        )
        .await?;
        let targets = planned.targets();
        if targets != Targets::default()
            && let Err(e) = self.assign(client, &id, &targets).await
        {
            report(diags, "assign the domain join profile", &e);
            // The profile exists: keep it in state (Terraform taints it).
            return Some(DomainJoinProfileModel::from_graph(
                created,
                Targets::default(),
                &planned,
            ));
        }
        match self.fetch(client, &id, &planned, diags).await {
            Some(state) => Some(state),
            None => Some(DomainJoinProfileModel::from_graph(
                created, targets, &planned,
            )),
        }
    }

    async fn read(
        &self,
        client: &GraphClient,
        current: DomainJoinProfileModel,
        diags: &mut Diagnostics,
    ) -> Option<DomainJoinProfileModel> {
        let id = current.id.known().cloned()?;
        self.fetch(client, &id, &current, diags).await
    }

    async fn update(
        &self,
        client: &GraphClient,
        prior: DomainJoinProfileModel,
        planned: DomainJoinProfileModel,
        diags: &mut Diagnostics,
    ) -> Option<DomainJoinProfileModel> {
        let Some(id) = prior.id.known().cloned() else {
            diags.error(
                "Cannot update the domain join profile",
                "The state has no id.",
            );
            return Some(prior);
        };
        let path = format!("{COLLECTION}/{id}");
        if let Err(e) = client
            .patch(ApiVersion::Beta, &path, &planned.to_graph())
            .await
        {
            report(diags, "update the domain join profile", &e);
            return Some(prior);
        }
        let targets = planned.targets();
        if targets != prior.targets()
            && let Err(e) = self.assign(client, &id, &targets).await
        {
            report(diags, "update the domain join profile's assignments", &e);
        }
        self.fetch(client, &id, &planned, diags)
            .await
            .or(Some(prior))
    }

    async fn delete(
        &self,
        client: &GraphClient,
        prior: DomainJoinProfileModel,
        diags: &mut Diagnostics,
    ) {
        let Some(id) = prior.id.known() else { return };
        if let Err(e) = client
            .delete(ApiVersion::Beta, &format!("{COLLECTION}/{id}"))
            .await
        {
            report(diags, "delete the domain join profile", &e);
        }
    }

    async fn import(
        &self,
        client: &GraphClient,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<DomainJoinProfileModel> {
        let found = self
            .fetch(client, id, &DomainJoinProfileModel::default(), diags)
            .await;
        if found.is_none() && !diags.has_errors() {
            diags.error(
                "Cannot import a domain join profile that does not exist",
                format!("No device configuration with id {id:?} exists in the tenant."),
            );
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut diags = Diagnostics::new();
        DomainJoinProfile::default().validate(model, &mut diags);
        diags
            .iter()
            .filter(|d| d.severity == tfplugin::Severity::Error)
            .filter_map(|d| d.path.as_ref().map(ToString::to_string))
            .collect()
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
}
