//! `autopilot_enrollment_status_page`: a custom Enrollment Status Page
//! (`windows10EnrollmentCompletionPageConfiguration`), its priority (set
//! with `setPriority`) and its assignments (replaced with `assign`).
//!
//! The tenant's default ESP (priority 0, "All users and all devices") can be
//! read with the `autopilot_enrollment_status_page` data source; this
//! resource never imports or deletes it.
//!
//! Every write goes through the process's [`EspOrder`]: one at a time, and
//! followed by the arrangement of every custom ESP's priority.

mod graph;
mod model;
mod registration;
#[cfg(test)]
mod tests;
mod validate;

pub use registration::{EXPORT, LIST, payloads};

use std::collections::BTreeSet;

use async_trait::async_trait;
use tfplugin::{Attr, AttrPath, Diagnostics, Moves};

pub(crate) use graph::{
    AssignBody, COLLECTION, EspPayload, EspTargets, ODATA_TYPE, PriorityBody, is_default_esp,
    list_esps,
};
pub use model::EnrollmentStatusPageModel;
pub(crate) use validate::validate_esp;

use super::esp_order::{self, EspOrder};
use super::intune::{
    self, Apply, Change, Check, Done, GraphResult, IntuneResource, Kind, Lookup, ReadError,
};
use super::report;
use crate::graph::consistency::Seen;
use crate::graph::{ApiVersion, GraphClient, GraphError};

pub struct EnrollmentStatusPage;

/// An action on a just-created object: a 404 means "not replicated yet".
fn replicated(outcome: Result<(), GraphError>) -> Seen<()> {
    match outcome {
        Err(e) if e.is_not_found() => Seen::NotYet(Err(e)),
        other => Seen::Done(other),
    }
}

/// Errors for selected apps that do not exist in the tenant, before
/// anything is written. Only a 404 counts: when the apps cannot be read
/// (no permission to read apps, say) the check is skipped.
async fn check_apps_exist(client: &GraphClient, apps: &BTreeSet<String>, diags: &mut Diagnostics) {
    for id in apps.iter().filter(|id| uuid::Uuid::parse_str(id).is_ok()) {
        let path = format!("deviceAppManagement/mobileApps/{id}");
        match client
            .get_optional::<serde_json::Value>(ApiVersion::Beta, &path)
            .await
        {
            Ok(Some(_)) => {}
            Ok(None) => diags.error_at(
                AttrPath::root("selected_mobile_app_ids"),
                "Selected app does not exist",
                format!("No Intune app with id {id:?} exists in the tenant."),
            ),
            Err(e) => {
                tracing::debug!(%id, error = %e, "cannot check a selected app; skipped");
                return;
            }
        }
    }
}

impl EnrollmentStatusPage {
    /// Moves every custom ESP to its place after a write (see
    /// [`EspOrder::arrange`]); `created` is an ESP just made, retried while
    /// the listing does not show it yet.
    async fn arrange(
        &self,
        client: &GraphClient,
        order: &EspOrder,
        created: Option<&str>,
        diags: &mut Diagnostics,
    ) {
        let outcome = client
            .until_replicated("enrollment status page priorities", || async {
                match order.arrange(client).await {
                    Ok(placed) if created.is_some_and(|id| !placed.iter().any(|p| p.id == id)) => {
                        Seen::NotYet(Ok(placed))
                    }
                    Err(e) if e.is_not_found() => Seen::NotYet(Err(e)),
                    other => Seen::Done(other),
                }
            })
            .await;
        if let Err(e) = outcome {
            report(diags, "set the Enrollment Status Pages' priorities", &e);
        }
    }
}

/// The state of an ESP that wants `wanted`: Graph's priority when it is
/// there; otherwise the wanted one, which the writes still to come in this
/// apply give it (an ESP created later takes a priority before it), or, when
/// none is coming, a warning that Intune cannot give it.
async fn settle_priority(
    client: &GraphClient,
    order: &EspOrder,
    wanted: i64,
    mut state: EnrollmentStatusPageModel,
    diags: &mut Diagnostics,
) -> EnrollmentStatusPageModel {
    let actual = state.priority.known().copied();
    if actual == Some(wanted) {
        return state;
    }
    state.priority = Attr::Known(wanted);
    if order.pending_creates() > 0 {
        tracing::info!(
            wanted,
            ?actual,
            "the priority is given once the ESPs still being created exist"
        );
        return state;
    }
    let held = EspOrder::current(client)
        .await
        .map(|list| {
            list.iter()
                .map(|p| p.priority.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_else(|_| "?".into());
    diags.warning_at(
        AttrPath::root("priority"),
        "Intune cannot give this Enrollment Status Page its priority",
        format!(
            "priority = {wanted}, but the tenant's custom ESPs hold the priorities {held} (this one is at {}), \
             and Intune numbers them from 1 without gaps: setPriority only moves an ESP to a priority another \
             ESP holds. If no other ESP of this configuration is written later in this apply, the next plan \
             shows the difference; use one of the priorities held.",
            actual.map_or_else(|| "?".to_string(), |a| a.to_string()),
        ),
    );
    state
}

#[async_trait]
impl IntuneResource for EnrollmentStatusPage {
    type Model = EnrollmentStatusPageModel;
    type Targets = EspTargets;

    const TYPE_NAME: &'static str = "autopilot_enrollment_status_page";
    const KIND: Kind = Kind::named(
        "Enrollment Status Page",
        COLLECTION,
        "enrollment configuration",
    );

    fn targets(model: &Self::Model) -> EspTargets {
        model.targets()
    }

    fn moves() -> Moves<Self::Model> {
        Moves::new(
            super::moves::ENROLLMENT_STATUS_PAGE,
            super::moves::enrollment_status_page,
        )
    }

    /// The tenant's default ESP cannot be deleted or reassigned, so this
    /// resource does not manage it: known by its id, or else by its
    /// priority 0 once read.
    fn import_refusal(
        id: &str,
        found: Option<&EnrollmentStatusPageModel>,
    ) -> Option<(String, String)> {
        let detail = match found {
            None if is_default_esp(id) => format!(
                "{id} is the tenant's default ESP (\"All users and all devices\"), which cannot be deleted \
                 or reassigned, so this resource does not manage it. Read it with \
                 data \"autopilot_enrollment_status_page\" {{ default = true }} instead."
            ),
            Some(found) if found.priority.known() == Some(&0) => format!(
                "{id} has priority 0, which only the tenant's default ESP has. Read it with \
                 data \"autopilot_enrollment_status_page\" {{ default = true }} instead."
            ),
            _ => return None,
        };
        Some((
            "The default Enrollment Status Page cannot be imported".to_string(),
            detail,
        ))
    }

    /// The selected apps must exist (checked when they change).
    async fn check_plan(&self, cx: Check<'_, Self::Model>) {
        if let Attr::Known(apps) = &cx.planned.selected_mobile_app_ids {
            let unchanged = cx
                .prior
                .is_some_and(|p| p.selected_mobile_app_ids.known() == Some(apps));
            if !unchanged {
                check_apps_exist(cx.client, apps, cx.diags).await;
            }
        }
    }

    async fn find(&self, at: Lookup<'_, Self::Model>) -> Result<Option<Self::Model>, ReadError> {
        let found =
            intune::find_with_assignments::<EspPayload>(at.client, COLLECTION, at.id).await?;
        Ok(found.map(|(esp, assignments)| {
            let targets = EspTargets::from_assignments(&assignments);
            EnrollmentStatusPageModel::from_graph(esp, targets, at.prior)
        }))
    }

    async fn reassign(&self, client: &GraphClient, id: &str, to: &EspTargets) -> GraphResult {
        let body = AssignBody {
            enrollment_configuration_assignments: to.to_assignments(),
        };
        intune::assign(client, &Self::KIND, id, &body).await
    }

    async fn create_object(&self, cx: Apply<'_>, planned: Self::Model) -> Option<Self::Model> {
        let Apply { client, diags } = cx;
        let order = EspOrder::of(client);
        let wanted = planned.priority.known().copied();
        let announced = wanted.map(|p| order.announce(p));
        if announced.is_some()
            && let Err(e) = client
                .pause(
                    esp_order::GATHER,
                    "waiting for the other ESP creates of this apply",
                )
                .await
        {
            report(diags, "create the Enrollment Status Page", &e);
            return None;
        }
        let lock = order.lock().await;
        let body = planned.to_graph();
        let (created, id) =
            intune::create::<Self, EspPayload, _>(client, &planned, &body, diags).await?;
        if let Some(announced) = announced {
            order.created(announced, &id);
            self.arrange(client, &order, Some(&id), diags).await;
        }
        let targets = planned.targets();
        let mut assigned = EspTargets::default();
        // The new ESP may not be visible to the actions yet: 404s are retried
        // within the replication window (both actions are idempotent).
        if targets != EspTargets::default() {
            let outcome = client
                .until_replicated("enrollment status page assign", || async {
                    replicated(self.reassign(client, &id, &targets).await)
                })
                .await;
            match outcome {
                Ok(()) => assigned = targets,
                Err(e) => report(diags, "assign the Enrollment Status Page", &e),
            }
        }
        drop(lock);
        match intune::fetch(self, client, &id, &planned, diags).await {
            Some(state) => Some(match wanted {
                Some(wanted) => settle_priority(client, &order, wanted, state, diags).await,
                None => state,
            }),
            // The ESP exists: keep it in state (Terraform taints it).
            None => Some(EnrollmentStatusPageModel::from_graph(
                created, assigned, &planned,
            )),
        }
    }

    async fn update_object(&self, cx: Apply<'_>, change: Change<Self::Model>) -> Done<Self> {
        let Apply { client, diags } = cx;
        let Change { prior, planned } = change;
        let Some(id) = intune::state_id::<Self>(&prior, diags) else {
            return Some(prior);
        };
        let order = EspOrder::of(client);
        let wanted = planned
            .priority
            .known()
            .copied()
            .filter(|p| prior.priority.known() != Some(p));
        if let Some(wanted) = wanted {
            order.want(&id, wanted);
        }
        let lock = order.lock().await;
        let targets = planned.targets();
        let reassign = (targets != prior.targets()).then(|| self.reassign(client, &id, &targets));
        if !intune::patch_then_reassign(
            client,
            &Self::KIND,
            &id,
            &planned.to_graph(),
            reassign,
            diags,
        )
        .await
        {
            return Some(prior);
        }
        if wanted.is_some() {
            self.arrange(client, &order, None, diags).await;
        }
        drop(lock);
        let Some(state) = intune::fetch(self, client, &id, &planned, diags).await else {
            return Some(prior);
        };
        Some(match wanted {
            Some(wanted) => settle_priority(client, &order, wanted, state, diags).await,
            None => state,
        })
    }

    /// The default ESP is only removed from the state; another is moved
    /// last first, so that no gap is left.
    async fn delete_object(&self, cx: Apply<'_>, id: &str) {
        let Apply { client, diags } = cx;
        if is_default_esp(id) {
            diags.warning(
                "The default Enrollment Status Page is never deleted",
                format!("{id} is the tenant's default ESP; it was removed from the state only."),
            );
            return;
        }
        let order = EspOrder::of(client);
        order.forget(id);
        let _lock = order.lock().await;
        // Intune never gives a freed priority again: leave the gap at the end.
        if let Err(e) = EspOrder::move_last(client, id).await {
            tracing::warn!(%id, error = %e, "cannot move the ESP last before deleting it; a gap may be left");
        }
        if !intune::delete_by_id(client, &Self::KIND, id, diags).await {
            return;
        }
        self.arrange(client, &order, None, diags).await;
    }
}

intune::intune_resource!(
    EnrollmentStatusPage,
    EnrollmentStatusPageModel,
    validate_esp
);
