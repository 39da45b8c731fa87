//! `autopilot_deployment_profile`: a Windows Autopilot deployment profile,
//! Microsoft Entra joined (`azureADWindowsAutopilotDeploymentProfile`) or
//! hybrid joined (`activeDirectoryWindowsAutopilotDeploymentProfile`).
//!
//! Assignments live in the profile's own `assignments` collection and are
//! reconciled one by one (POST the missing, DELETE the extra): replacing
//! them all would leave devices without a profile in between.

mod graph;
mod model;
mod registration;
#[cfg(test)]
mod tests;
mod validate;

pub use registration::{EXPORT, LIST, payloads};

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use tfplugin::{Attr, AttrPath, Diagnostics, PlanRequest};

pub(crate) use graph::{AssignmentBody, LocaleBody, ProfilePayload, list_profiles, model_from};
pub use model::{DeploymentMode, DeploymentProfileModel, DeviceType, JoinType, UserType};
pub(crate) use validate::validate_profile;

use super::assignments::Targets;
use super::intune::{self, IntuneResource, Kind, ReadError};
use super::lints::{self, PROFILE_COLLECTION, PlannedProfile, TenantSnapshot};
use super::report;
use crate::graph::consistency::Seen;
use crate::graph::{ApiVersion, GraphClient};

/// The resource, with the tenant snapshot its plan-time lints share.
#[derive(Default)]
pub struct DeploymentProfile {
    tenant: Arc<TenantSnapshot>,
}

impl DeploymentProfile {
    pub fn new(tenant: Arc<TenantSnapshot>) -> Self {
        DeploymentProfile { tenant }
    }

    /// Plan-time warnings from the live tenant (read once per process).
    async fn lint(
        &self,
        client: &GraphClient,
        prior: Option<&DeploymentProfileModel>,
        planned: &DeploymentProfileModel,
        diags: &mut Diagnostics,
    ) {
        let Attr::Known(join) = &planned.join_type else {
            return;
        };
        if planned.all_devices.is_unknown()
            || planned.include_group_ids.is_unknown()
            || planned.exclude_group_ids.is_unknown()
        {
            return;
        }
        let targets = planned.targets();
        if targets.include.is_empty() && !targets.all_devices {
            return;
        }
        let profiles = match self.tenant.profiles(client).await {
            Ok(p) => p,
            Err(e) => {
                diags.warning(
                    "Cannot check the tenant's other deployment profiles",
                    format!("Listing the deployment profiles failed, so overlapping assignments were not checked: {e}"),
                );
                return;
            }
        };
        // A replacement creates a new (newest) profile.
        let replacing = prior.is_some_and(|p| p.join_type.known() != Some(join));
        let existing = prior.filter(|_| !replacing);
        let id = prior.and_then(|p| p.id.known()).map(String::as_str);
        let planned_profile = PlannedProfile {
            id,
            join: (*join).into(),
            created: existing
                .and_then(|p| p.created_date_time.known())
                .map(String::as_str),
            targets: &targets,
        };
        for finding in lints::profile_overlaps(&planned_profile, &profiles) {
            if finding.blocking {
                diags.error_at(
                    AttrPath::root(finding.attribute),
                    finding.summary,
                    finding.detail,
                );
            } else {
                diags.warning_at(
                    AttrPath::root(finding.attribute),
                    finding.summary,
                    finding.detail,
                );
            }
        }
    }

    /// The state of a profile whose read after the create failed: from
    /// Graph's answer to the POST, else from the plan with the new id.
    fn kept_after_create(
        created: ProfilePayload,
        targets: Targets,
        id: String,
        planned: DeploymentProfileModel,
    ) -> DeploymentProfileModel {
        DeploymentProfileModel::from_graph(created, targets, &planned).unwrap_or_else(|_| {
            DeploymentProfileModel {
                id: Attr::Known(id),
                last_modified_date_time: Attr::Known(String::new()),
                created_date_time: Attr::Known(String::new()),
                role_scope_tag_ids: Attr::Known(BTreeSet::new()),
                ..planned
            }
        })
    }
}

#[async_trait]
impl IntuneResource for DeploymentProfile {
    type Model = DeploymentProfileModel;

    const KIND: Kind = Kind {
        collection: PROFILE_COLLECTION,
        name_property: "displayName",
        the: "the deployment profile",
        a: "a deployment profile",
        listed_as: "Windows Autopilot deployment profile",
    };

    fn id_of(model: &DeploymentProfileModel) -> Option<&String> {
        model.id.known()
    }

    async fn find(
        &self,
        client: &GraphClient,
        id: &str,
        prior: &DeploymentProfileModel,
        _warnings: Option<&mut Diagnostics>,
    ) -> Result<Option<DeploymentProfileModel>, ReadError> {
        match intune::find_with_assignments(client, PROFILE_COLLECTION, id).await? {
            Some((profile, assignments)) => model_from(id, profile, &assignments, prior).map(Some),
            None => Ok(None),
        }
    }
}

intune::intune_resource!(
    DeploymentProfile,
    DeploymentProfileModel,
    "autopilot_deployment_profile",
    validate_profile,
    {
        async fn modify_plan(
            &self,
            client: Option<&GraphClient>,
            request: PlanRequest<'_, DeploymentProfileModel>,
            diags: &mut Diagnostics,
        ) -> DeploymentProfileModel {
            super::refuse_in_government_cloud(client, "autopilot_deployment_profile", diags);
            let mut planned = request.planned;
            planned.user_type = planned.planned_user_type(&request.config.user_type);
            let request = PlanRequest { planned, ..request };
            if diags.has_errors() {
                return request.planned;
            }
            if let Some(client) = client {
                self.lint(client, request.prior, &request.planned, diags)
                    .await;
            }
            request.planned
        }

        fn moves(&self) -> tfplugin::Moves<DeploymentProfileModel> {
            tfplugin::Moves::new(
                super::moves::DEPLOYMENT_PROFILE,
                super::moves::deployment_profile,
            )
        }

        async fn create(
            &self,
            client: &GraphClient,
            planned: DeploymentProfileModel,
            diags: &mut Diagnostics,
        ) -> Option<DeploymentProfileModel> {
            let planned_graph = planned.to_graph();
            let (created, id) = intune::create::<ProfilePayload, _>(
                client,
                &Self::KIND,
                &planned.display_name,
                &planned_graph,
                diags,
            )
            .await?;
            // Some clients saw `locale` ignored on POST: set it again if so.
            if created.locale.is_some()
                && created.locale != planned_graph.locale
                && let Err(e) = client
                    .patch(
                        ApiVersion::Beta,
                        &Self::KIND.path(&id),
                        &graph::locale_body(&planned_graph),
                    )
                    .await
            {
                report(diags, "set the deployment profile's locale", &e);
            }
            let targets = planned.targets();
            // The new profile may not be visible to the assignments service yet.
            let assigned = client
                .until_replicated("deployment profile assignments", || async {
                    match graph::reconcile(client, &id, &targets).await {
                        Err(e) if e.is_not_found() => Seen::NotYet(Err(e)),
                        other => Seen::Done(other),
                    }
                })
                .await;
            if let Err(e) = &assigned {
                report(diags, "assign the deployment profile", e);
            }
            if let Some(state) = intune::fetch(self, client, &id, &planned, diags).await {
                return Some(state);
            }
            // The profile exists: keep it in state whatever failed after the
            // POST (Terraform taints it).
            let targets = if assigned.is_ok() {
                targets
            } else {
                Targets::default()
            };
            Some(Self::kept_after_create(created, targets, id, planned))
        }

        async fn update(
            &self,
            client: &GraphClient,
            prior: DeploymentProfileModel,
            planned: DeploymentProfileModel,
            diags: &mut Diagnostics,
        ) -> Option<DeploymentProfileModel> {
            let targets = planned.targets();
            let changed = targets != prior.targets();
            let body = planned.to_graph();
            let reassign = move |id: String| {
                changed.then_some(async move { graph::reconcile(client, &id, &targets).await })
            };
            intune::update_then_reassign(self, client, prior, planned, &body, reassign, diags).await
        }

        async fn delete(
            &self,
            client: &GraphClient,
            prior: DeploymentProfileModel,
            diags: &mut Diagnostics,
        ) {
            let Some(id) = prior.id.known() else { return };
            // Assignments first: Intune refuses to delete an assigned profile.
            match graph::reconcile(client, id, &Targets::default()).await {
                Ok(()) => {}
                Err(e) if e.is_not_found() => return,
                Err(e) => {
                    report(diags, "remove the deployment profile's assignments", &e);
                    return;
                }
            }
            intune::delete_by_id(client, &Self::KIND, id, diags).await;
        }
    }
);
