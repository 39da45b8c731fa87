//! `autopilot_device_preparation_policy`: a Windows Autopilot device
//! preparation policy (Autopilot v2), a settings catalog
//! `deviceManagementConfigurationPolicy` built from one of the two device
//! preparation templates, its device group (the enrollment-time device
//! membership target) and its user group assignments.

mod device_group;
mod graph;
mod model;
mod registration;
mod tenant;
#[cfg(test)]
mod tests;
mod validate;

pub use registration::{EXPORT, LIST, payloads};

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;
use tfplugin::{Attr, AttrPath, Diagnostics, Moves};

use device_group::{DeviceGroupOutcome, create_timeout, server_error_diagnostic};
use graph::UserTargets;
pub(crate) use graph::{
    AssignBody, COLLECTION, MembershipTargets, Policy, is_device_preparation_template,
};
use model::DEFAULT_TIMEOUT;
pub use model::{
    DEFAULT_ERROR_MESSAGE, DeploymentMode, DevicePreparationPolicyModel, JoinType, PolicyTimeouts,
    UserAccountType,
};

use super::intune::{
    self, Apply, Change, Check, Done, GraphResult, IntuneResource, Kind, Lookup, ReadError,
};
use super::lints::TenantSnapshot;
use super::report;
use crate::graph::{ApiVersion, GraphClient};

/// The resource, with the tenant snapshot its plan-time lint shares.
#[derive(Default)]
pub struct DevicePreparationPolicy {
    tenant: Arc<TenantSnapshot>,
}

impl DevicePreparationPolicy {
    pub fn new(tenant: Arc<TenantSnapshot>) -> Self {
        DevicePreparationPolicy { tenant }
    }

    /// After Intune refused the device group of a new policy: a policy
    /// without its device group is of no use, so it is removed and nothing
    /// is left behind; it stays in state if that fails.
    async fn remove_refused(
        &self,
        client: &GraphClient,
        id: &str,
        planned: &DevicePreparationPolicyModel,
        diags: &mut Diagnostics,
    ) -> Option<DevicePreparationPolicyModel> {
        match client.delete(ApiVersion::Beta, &Self::KIND.path(id)).await {
            Ok(()) => {
                tracing::info!(%id, "deleted the policy whose device group was refused");
                None
            }
            Err(e) => {
                report(
                    diags,
                    "delete the policy whose device group was refused (it stays in state and will be replaced)",
                    &e,
                );
                self.find(Lookup::after_write(client, id, planned))
                    .await
                    .ok()
                    .flatten()
            }
        }
    }
}

#[async_trait]
impl IntuneResource for DevicePreparationPolicy {
    type Model = DevicePreparationPolicyModel;
    /// The user groups the policy is assigned to, all users, and their filter.
    type Targets = UserTargets;

    const TYPE_NAME: &'static str = "autopilot_device_preparation_policy";
    const KIND: Kind = Kind::named(
        "device preparation policy",
        COLLECTION,
        "configuration policy",
    )
    .by("name");

    fn targets(model: &Self::Model) -> UserTargets {
        UserTargets::of(model)
    }

    fn moves() -> Moves<Self::Model> {
        Moves::new(
            super::moves::DEVICE_PREPARATION_POLICY,
            super::moves::device_preparation_policy,
        )
    }

    /// The user-driven settings' defaults, and a warning for a policy
    /// assigned to no users (said here, once per plan, rather than in
    /// `validate`, which Terraform calls several times per command).
    fn complete_plan(planned: &mut Self::Model, config: &Self::Model, diags: &mut Diagnostics) {
        if config.deployment_mode != Attr::Known(DeploymentMode::Automatic)
            && !config.deployment_mode.is_unknown()
            && matches!(&config.include_group_ids, Attr::Null)
            && !matches!(&config.all_users, Attr::Known(true) | Attr::Unknown)
        {
            diags.warning_at(
                AttrPath::root("include_group_ids"),
                "The policy is assigned to no users",
                "A user-driven device preparation policy applies to the users of the groups in \
             `include_group_ids` (or all users, with `all_users = true`); without them no device uses it.",
            );
        }
        let mode = planned.deployment_mode.clone();
        // User-driven settings the configuration leaves unset get their
        // defaults; automatic policies have none of them.
        fn fill<T>(
            config: &Attr<T>,
            planned: &mut Attr<T>,
            mode: &Attr<DeploymentMode>,
            default: T,
        ) {
            if !config.is_null() {
                return;
            }
            *planned = match mode {
                Attr::Known(DeploymentMode::UserDriven) => Attr::Known(default),
                Attr::Known(DeploymentMode::Automatic) => Attr::Null,
                _ => Attr::Unknown,
            };
        }
        fill(
            &config.join_type,
            &mut planned.join_type,
            &mode,
            JoinType::Entra,
        );
        fill(
            &config.user_account_type,
            &mut planned.user_account_type,
            &mode,
            UserAccountType::Standard,
        );
        fill(
            &config.timeout_minutes,
            &mut planned.timeout_minutes,
            &mode,
            DEFAULT_TIMEOUT,
        );
        fill(
            &config.custom_error_message,
            &mut planned.custom_error_message,
            &mode,
            DEFAULT_ERROR_MESSAGE.to_string(),
        );
        fill(&config.allow_skip, &mut planned.allow_skip, &mode, false);
        fill(
            &config.allow_diagnostics,
            &mut planned.allow_diagnostics,
            &mode,
            false,
        );
    }

    async fn check_plan(&self, cx: Check<'_, Self::Model>) {
        tenant::check_tenant(cx.client, cx.prior, cx.planned, cx.diags).await;
        if !cx.diags.has_errors() {
            tenant::lint(&self.tenant, cx.client, cx.planned, cx.diags).await;
        }
    }

    /// The policy, its settings, its device group and its assignments.
    async fn find(&self, at: Lookup<'_, Self::Model>) -> Result<Option<Self::Model>, ReadError> {
        let Lookup {
            client,
            id,
            prior,
            mut warnings,
        } = at;
        let Some((policy, assignments)) =
            intune::find_with_assignments::<Policy>(client, COLLECTION, id).await?
        else {
            return Ok(None);
        };
        let settings: Vec<Value> = match client
            .list(
                ApiVersion::Beta,
                &format!("{}/settings", Self::KIND.path(id)),
            )
            .await
        {
            Ok(settings) => settings,
            // Deleted since the policy was read.
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let target = device_group::retrieve(client, id, warnings.as_deref_mut()).await?;
        let device_group = match &target {
            Some(target) => device_group::retrieved_target(target),
            None => prior.device_group_id.known().cloned(),
        };
        if let (Some(diags), Some(target)) = (warnings, &target) {
            device_group::warn_if_no_longer_qualifies(target, diags);
        }
        Ok(Some(DevicePreparationPolicyModel::from_graph(
            policy,
            &graph::ReadSettings::parse(&settings),
            device_group,
            UserTargets::from_assignments(&assignments),
            prior,
        )))
    }

    async fn reassign(&self, client: &GraphClient, id: &str, to: &UserTargets) -> GraphResult {
        let body = AssignBody {
            assignments: to.to_assignments(),
        };
        intune::assign(client, &Self::KIND, id, &body).await
    }

    async fn create_object(&self, cx: Apply<'_>, planned: Self::Model) -> Option<Self::Model> {
        let Apply { client, diags } = cx;
        let app_types = tenant::app_types(client, &planned, diags).await?;
        let body = planned.to_graph(&app_types);
        let (_, id) = intune::create::<Self, Policy, _>(client, &planned, &body, diags).await?;
        let group = planned.device_group_id.known().cloned().unwrap_or_default();
        let deadline = tokio::time::Instant::now() + create_timeout(&planned.timeouts);
        let mut group_not_set = false;
        match device_group::set_device_group(client, &id, &group, deadline, diags).await {
            DeviceGroupOutcome::Set => {}
            DeviceGroupOutcome::ServerError(e) => {
                // Not retried (it fails the same way every time) and not an
                // error: an error would taint the new policy, and the next
                // apply would delete it together with a device group set
                // meanwhile in the admin center.
                let (summary, detail) =
                    server_error_diagnostic(&id, &group, client.is_delegated(), &e);
                diags.warning_at(
                AttrPath::root("device_group_id"),
                summary,
                format!(
                    "{detail} Until the device group is set, plans show `device_group_id` as a change."
                ),
            );
                group_not_set = true;
            }
            DeviceGroupOutcome::Refused | DeviceGroupOutcome::Failed => {
                return self.remove_refused(client, &id, &planned, diags).await;
            }
        }
        let targets = UserTargets::of(&planned);
        if !targets.is_empty()
            && let Err(e) = self.reassign(client, &id, &targets).await
        {
            report(diags, "assign the device preparation policy", &e);
        }
        match self.find(Lookup::after_write(client, &id, &planned)).await {
            // The configured group is what this apply promised; the next
            // refresh shows the policy as it is.
            Ok(Some(state)) if group_not_set => Some(DevicePreparationPolicyModel {
                device_group_id: planned.device_group_id.clone(),
                ..state
            }),
            Ok(Some(state)) => Some(state),
            Ok(None) => {
                diags.error(
                    "The device preparation policy disappeared",
                    format!("Policy {id} was deleted right after it was created."),
                );
                None
            }
            Err(e) => {
                e.report(
                    diags,
                    "read the device preparation policy after creating it",
                );
                Some(DevicePreparationPolicyModel {
                    id: Attr::Known(id),
                    priority: Attr::Null,
                    ..planned
                })
            }
        }
    }

    async fn update_object(&self, cx: Apply<'_>, change: Change<Self::Model>) -> Done<Self> {
        let Apply { client, diags } = cx;
        let Change { prior, planned } = change;
        let Some(id) = intune::state_id::<Self>(&prior, diags) else {
            return Some(prior);
        };
        let unchanged_policy = DevicePreparationPolicyModel {
            include_group_ids: prior.include_group_ids.clone(),
            all_users: prior.all_users.clone(),
            assignment_filter_id: prior.assignment_filter_id.clone(),
            assignment_filter_type: prior.assignment_filter_type.clone(),
            device_group_id: prior.device_group_id.clone(),
            priority: prior.priority.clone(),
            timeouts: prior.timeouts.clone(),
            ..planned.clone()
        };
        let mut put = false;
        if unchanged_policy != prior {
            let Some(app_types) = tenant::app_types(client, &planned, diags).await else {
                return Some(prior);
            };
            if let Err(e) = client
                .put(
                    ApiVersion::Beta,
                    &Self::KIND.path(&id),
                    &planned.to_graph(&app_types),
                )
                .await
            {
                report(diags, "update the device preparation policy", &e);
                return Some(prior);
            }
            put = true;
        }
        if put || prior.device_group_id != planned.device_group_id {
            let group = planned.device_group_id.known().cloned().unwrap_or_default();
            let deadline = tokio::time::Instant::now() + create_timeout(&planned.timeouts);
            if let DeviceGroupOutcome::ServerError(e) =
                device_group::set_device_group(client, &id, &group, deadline, diags).await
            {
                let (summary, detail) =
                    server_error_diagnostic(&id, &group, client.is_delegated(), &e);
                diags.error_at(AttrPath::root("device_group_id"), summary, detail);
            }
        }
        let targets = UserTargets::of(&planned);
        if UserTargets::of(&prior) != targets
            && let Err(e) = self.reassign(client, &id, &targets).await
        {
            report(
                diags,
                "update the device preparation policy's assignments",
                &e,
            );
        }
        match self.find(Lookup::after_write(client, &id, &planned)).await {
            Ok(Some(state)) => Some(state),
            Ok(None) => {
                diags.error(
                    "The device preparation policy disappeared",
                    format!("Policy {id} was deleted while it was being updated."),
                );
                None
            }
            Err(e) => {
                e.report(
                    diags,
                    "read the device preparation policy after updating it",
                );
                Some(prior)
            }
        }
    }
}

intune::intune_resource!(
    DevicePreparationPolicy,
    DevicePreparationPolicyModel,
    validate::validate
);
