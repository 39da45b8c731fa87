//! `autopilot_assignment_filter`: an Intune assignment filter
//! (`deviceAndAppManagementAssignmentFilter`) for Windows 10 and later,
//! whose rule is checked offline while planning and by Intune's
//! `validateFilter` when the plan may call Graph.

mod graph;
mod model;
mod registration;
#[cfg(test)]
mod tests;
mod validate;

pub use registration::{EXPORT, LIST, payloads};

use async_trait::async_trait;
use tfplugin::AttrPath;

pub(crate) use graph::{AssignmentFilter, COLLECTION, ValidateBody, Validation};
pub use model::{AssignmentFilterModel, ManagementType, Platform};

use super::intune::{
    self, Apply, Change, Check, Done, GraphResult, IntuneResource, Kind, Lookup, ReadError,
};
use crate::graph::{ApiVersion, GraphClient};

/// The resource.
#[derive(Default)]
pub struct AssignmentFilterResource;

/// Asks Intune whether the planned rule is valid, when it is new or
/// changed: an invalid rule is an error at `rule`; a call that fails (a
/// plan run with read-only permissions cannot call the action) is a
/// warning, since the offline check already passed.
async fn validate_with_intune(cx: Check<'_, AssignmentFilterModel>) {
    let (client, prior, planned, diags) = (cx.client, cx.prior, cx.planned, cx.diags);
    let Some(rule) = planned.rule.known() else {
        return;
    };
    let unchanged = prior
        .is_some_and(|p| p.rule.known() == Some(rule) && p.management() == planned.management());
    if unchanged {
        return;
    }
    let body = ValidateBody {
        device_and_app_management_assignment_filter: planned.to_graph(),
    };
    let path = format!("{COLLECTION}/validateFilter");
    match client
        .post_idempotent::<_, Validation>(ApiVersion::Beta, &path, &body)
        .await
    {
        Ok(answer) if answer.is_valid() == Some(false) => diags.error_at(
            AttrPath::root("rule"),
            "Intune refuses the filter rule",
            format!(
                "validateFilter answered that the rule {rule:?} is not valid for {} filters.",
                planned.management().graph_name()
            ),
        ),
        Ok(_) => {}
        Err(e) => diags.warning_at(
            AttrPath::root("rule"),
            "Intune did not check the filter rule",
            format!("validateFilter failed, so only the offline check of the rule ran: {e}"),
        ),
    }
}

#[async_trait]
impl IntuneResource for AssignmentFilterResource {
    type Model = AssignmentFilterModel;
    /// A filter is not assigned: assignments name it.
    type Targets = ();

    const TYPE_NAME: &'static str = "autopilot_assignment_filter";
    const KIND: Kind = Kind::named("assignment filter", COLLECTION, "assignment filter");

    fn targets(_model: &Self::Model) -> Self::Targets {}

    fn moves() -> tfplugin::Moves<Self::Model> {
        tfplugin::Moves::new(
            super::moves::ASSIGNMENT_FILTER,
            super::moves::assignment_filter,
        )
    }

    async fn check_plan(&self, cx: Check<'_, Self::Model>) {
        validate_with_intune(cx).await;
    }

    async fn find(&self, at: Lookup<'_, Self::Model>) -> Result<Option<Self::Model>, ReadError> {
        let path = Self::KIND.path(at.id);
        let Some(filter) = at
            .client
            .get_optional::<AssignmentFilter>(ApiVersion::Beta, &path)
            .await?
        else {
            return Ok(None);
        };
        if let Some(problem) = intune::IntunePayload::wrong_kind(&filter, at.id) {
            return Err(problem);
        }
        Ok(Some(AssignmentFilterModel::from_graph(filter, at.prior)))
    }

    async fn reassign(&self, _client: &GraphClient, _id: &str, _to: &()) -> GraphResult {
        Ok(())
    }

    async fn create_object(&self, cx: Apply<'_>, planned: Self::Model) -> Option<Self::Model> {
        let Apply { client, diags } = cx;
        let body = planned.to_graph();
        let (created, id) =
            intune::create::<Self, AssignmentFilter, _>(client, &planned, &body, diags).await?;
        match intune::fetch(self, client, &id, &planned, diags).await {
            Some(state) => Some(state),
            None => Some(AssignmentFilterModel::from_graph(created, &planned)),
        }
    }

    async fn update_object(&self, cx: Apply<'_>, change: Change<Self::Model>) -> Done<Self> {
        let body = change.planned.to_graph();
        intune::update_then_reassign(self, cx, change, &body).await
    }
}

intune::intune_resource!(
    AssignmentFilterResource,
    AssignmentFilterModel,
    validate::validate
);
