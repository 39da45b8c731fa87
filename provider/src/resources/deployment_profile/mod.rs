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
use tfplugin::{Attr, AttrPath, Diagnostics, Moves};

pub(crate) use graph::{AssignmentBody, LocaleBody, ProfilePayload, list_profiles, model_from};
pub use model::{DeploymentMode, DeploymentProfileModel, DeviceType, JoinType, UserType};
pub(crate) use validate::validate_profile;

use super::assignments::Targets;
use super::intune::{
    self, Apply, Change, Check, Done, GraphResult, IntuneResource, Kind, Lookup, ReadError,
};
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
    type Targets = Targets;

    const TYPE_NAME: &'static str = "autopilot_deployment_profile";
    const KIND: Kind = Kind::named(
        "deployment profile",
        PROFILE_COLLECTION,
        "Windows Autopilot deployment profile",
    );
    const COMMERCIAL_ONLY: bool = true;

    fn targets(model: &Self::Model) -> Targets {
        model.targets()
    }

    fn moves() -> Moves<Self::Model> {
        Moves::new(
            super::moves::DEPLOYMENT_PROFILE,
            super::moves::deployment_profile,
        )
    }

    fn complete_plan(planned: &mut Self::Model, config: &Self::Model, _diags: &mut Diagnostics) {
        planned.user_type = planned.planned_user_type(&config.user_type);
    }

    /// Plan-time warnings from the live tenant (read once per process).
    async fn check_plan(&self, cx: Check<'_, Self::Model>) {
        let (client, prior, planned, diags) = (cx.client, cx.prior, cx.planned, cx.diags);
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
            let at = AttrPath::root(finding.attribute);
            if finding.blocking {
                diags.error_at(at, finding.summary, finding.detail);
            } else {
                diags.warning_at(at, finding.summary, finding.detail);
            }
        }
    }

    async fn find(&self, at: Lookup<'_, Self::Model>) -> Result<Option<Self::Model>, ReadError> {
        match intune::find_with_assignments(at.client, PROFILE_COLLECTION, at.id).await? {
            Some((profile, assignments)) => {
                model_from(at.id, profile, &assignments, at.prior).map(Some)
            }
            None => Ok(None),
        }
    }

    /// Assignments are reconciled one by one (see the module's doc).
    async fn reassign(&self, client: &GraphClient, id: &str, to: &Targets) -> GraphResult {
        graph::reconcile(client, id, to).await
    }

    async fn create_object(&self, cx: Apply<'_>, planned: Self::Model) -> Option<Self::Model> {
        let Apply { client, diags } = cx;
        let planned_graph = planned.to_graph();
        let (created, id) =
            intune::create::<Self, ProfilePayload, _>(client, &planned, &planned_graph, diags)
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
                match self.reassign(client, &id, &targets).await {
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

    async fn update_object(&self, cx: Apply<'_>, change: Change<Self::Model>) -> Done<Self> {
        let body = change.planned.to_graph();
        intune::update_then_reassign(self, cx, change, &body).await
    }

    /// Assignments first: Intune refuses to delete an assigned profile.
    async fn delete_object(&self, cx: Apply<'_>, id: &str) {
        match self.reassign(cx.client, id, &Targets::default()).await {
            Ok(()) => {}
            Err(e) if e.is_not_found() => return,
            Err(e) => {
                report(cx.diags, "remove the deployment profile's assignments", &e);
                return;
            }
        }
        intune::delete_by_id(cx.client, &Self::KIND, id, cx.diags).await;
    }
}

intune::intune_resource!(DeploymentProfile, DeploymentProfileModel, validate_profile);
