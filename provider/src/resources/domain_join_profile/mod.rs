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
use tfplugin::{Attr, AttrPath, Diagnostics, PlanRequest};

pub(crate) use graph::{AssignBody, COLLECTION, DomainJoinConfiguration, ODATA_TYPE};
pub use model::DomainJoinProfileModel;
use model::default_random_count;

use super::assignments::Targets;
use super::intune::{self, IntuneResource, Kind, ReadError};
use super::lints::{self, Join, TenantSnapshot};
use super::report;
use crate::graph::{GraphClient, GraphError};

/// The resource, with the tenant snapshot its plan-time lint shares.
#[derive(Default)]
pub struct DomainJoinProfile {
    tenant: Arc<TenantSnapshot>,
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

    async fn assign(
        &self,
        client: &GraphClient,
        id: &str,
        targets: &Targets,
    ) -> Result<(), GraphError> {
        let body = AssignBody {
            assignments: targets.to_assignments(),
        };
        intune::assign(client, &Self::KIND, id, &body).await
    }
}

#[async_trait]
impl IntuneResource for DomainJoinProfile {
    type Model = DomainJoinProfileModel;

    const KIND: Kind = Kind {
        collection: COLLECTION,
        name_property: "displayName",
        the: "the domain join profile",
        a: "a domain join profile",
        listed_as: "device configuration",
    };

    fn id_of(model: &DomainJoinProfileModel) -> Option<&String> {
        model.id.known()
    }

    async fn find(
        &self,
        client: &GraphClient,
        id: &str,
        prior: &DomainJoinProfileModel,
        _warnings: Option<&mut Diagnostics>,
    ) -> Result<Option<DomainJoinProfileModel>, ReadError> {
        let found =
            intune::find_with_assignments::<DomainJoinConfiguration>(client, COLLECTION, id)
                .await?;
        Ok(found.map(|(config, assignments)| {
            DomainJoinProfileModel::from_graph(
                config,
                Targets::from_assignments(&assignments),
                prior,
            )
        }))
    }
}

intune::intune_resource!(
    DomainJoinProfile,
    DomainJoinProfileModel,
    "autopilot_domain_join_profile",
    validate::validate,
    {
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
            let (created, id) = intune::create::<DomainJoinConfiguration, _>(
                client,
                &Self::KIND,
                &planned.display_name,
                &planned.to_graph(),
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
            match intune::fetch(self, client, &id, &planned, diags).await {
                Some(state) => Some(state),
                None => Some(DomainJoinProfileModel::from_graph(
                    created, targets, &planned,
                )),
            }
        }

        async fn update(
            &self,
            client: &GraphClient,
            prior: DomainJoinProfileModel,
            planned: DomainJoinProfileModel,
            diags: &mut Diagnostics,
        ) -> Option<DomainJoinProfileModel> {
            let targets = planned.targets();
            let changed = targets != prior.targets();
            let body = planned.to_graph();
            let reassign = move |id: String| {
                changed.then_some(async move { self.assign(client, &id, &targets).await })
            };
            intune::update_then_reassign(self, client, prior, planned, &body, reassign, diags).await
        }

        async fn delete(
            &self,
            client: &GraphClient,
            prior: DomainJoinProfileModel,
            diags: &mut Diagnostics,
        ) {
            if let Some(id) = prior.id.known() {
                intune::delete_by_id(client, &Self::KIND, id, diags).await;
            }
        }
    }
);
