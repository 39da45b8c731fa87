//! `autopilot_domain_join_profile`: the `windowsDomainJoinConfiguration`
//! that names hybrid-joined devices and places them in Active Directory.

mod graph;
mod model;
mod registration;
#[cfg(test)]
mod tests;
mod validate;

pub use registration::{EXPORT, LIST, payloads};

use std::sync::Arc;

use async_trait::async_trait;
use tfplugin::{Attr, AttrPath, Diagnostics};

pub(crate) use graph::{AssignBody, COLLECTION, DomainJoinConfiguration, ODATA_TYPE};
pub use model::DomainJoinProfileModel;
use model::default_random_count;

use super::assignments::Targets;
use super::intune::{
    self, Apply, Change, Check, Done, GraphResult, IntuneResource, Kind, Lookup, ReadError,
};
use super::lints::{self, Join, TenantSnapshot};
use super::report;
use crate::graph::GraphClient;

/// The resource, with the tenant snapshot its plan-time lint shares.
#[derive(Default)]
pub struct DomainJoinProfile {
    tenant: Arc<TenantSnapshot>,
}

impl DomainJoinProfile {
    pub fn new(tenant: Arc<TenantSnapshot>) -> Self {
        DomainJoinProfile { tenant }
    }
}

#[async_trait]
impl IntuneResource for DomainJoinProfile {
    type Model = DomainJoinProfileModel;
    type Targets = Targets;

    const TYPE_NAME: &'static str = "autopilot_domain_join_profile";
    const KIND: Kind = Kind::named("domain join profile", COLLECTION, "device configuration");
    const COMMERCIAL_ONLY: bool = true;

    fn targets(model: &Self::Model) -> Targets {
        model.targets()
    }

    /// The random part fills the name up to 15 characters unless set.
    fn complete_plan(planned: &mut Self::Model, config: &Self::Model, _diags: &mut Diagnostics) {
        if config.computer_name_suffix_random_char_count.is_null() {
            planned.computer_name_suffix_random_char_count =
                match &planned.computer_name_static_prefix {
                    Attr::Known(prefix) => Attr::Known(default_random_count(prefix)),
                    _ => Attr::Unknown,
                };
        }
    }

    /// Plan-time warning from the live tenant (read once per process): a
    /// hybrid join deployment profile whose devices no domain join profile
    /// targets.
    async fn check_plan(&self, cx: Check<'_, Self::Model>) {
        let (client, prior, planned, diags) = (cx.client, cx.prior, cx.planned, cx.diags);
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

    async fn find(&self, at: Lookup<'_, Self::Model>) -> Result<Option<Self::Model>, ReadError> {
        let found =
            intune::find_with_assignments::<DomainJoinConfiguration>(at.client, COLLECTION, at.id)
                .await?;
        Ok(found.map(|(config, assignments)| {
            let targets = Targets::from_assignments(&assignments);
            DomainJoinProfileModel::from_graph(config, targets, at.prior)
        }))
    }

    async fn reassign(&self, client: &GraphClient, id: &str, to: &Targets) -> GraphResult {
        let body = AssignBody {
            assignments: to.to_assignments(),
        };
        intune::assign(client, &Self::KIND, id, &body).await
    }

    async fn create_object(&self, cx: Apply<'_>, planned: Self::Model) -> Option<Self::Model> {
        let Apply { client, diags } = cx;
        let body = planned.to_graph();
        let (created, id) =
            intune::create::<Self, DomainJoinConfiguration, _>(client, &planned, &body, diags)
                .await?;
        let targets = planned.targets();
        if targets != Targets::default()
            && let Err(e) = self.reassign(client, &id, &targets).await
        {
            report(diags, "assign the domain join profile", &e);
            // The profile exists: keep it in state (Terraform taints it).
            let kept = DomainJoinProfileModel::from_graph(created, Targets::default(), &planned);
            return Some(kept);
        }
        match intune::fetch(self, client, &id, &planned, diags).await {
            Some(state) => Some(state),
            None => Some(DomainJoinProfileModel::from_graph(
                created, targets, &planned,
            )),
        }
    }

    async fn update_object(&self, cx: Apply<'_>, change: Change<Self::Model>) -> Done<Self> {
        let body = change.planned.to_graph();
        intune::update_then_reassign(self, cx, change, &body).await
    }
}

intune::intune_resource!(
    DomainJoinProfile,
    DomainJoinProfileModel,
    validate::validate
);
