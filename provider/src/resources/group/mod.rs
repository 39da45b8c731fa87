//! `autopilot_group`: a Microsoft Entra security group for Autopilot,
//! static or with a dynamic rule built from group tags, optionally owned by
//! the Intune Provisioning Client (what a device preparation device group
//! needs).

mod graph;
mod members;
mod model;
mod registration;
#[cfg(test)]
mod tests;
mod validate;

pub use registration::{EXPORT, LIST, payloads};

use async_trait::async_trait;
use tfplugin::{Attr, Diagnostics, PlanRequest, Resource};

use self::graph::DirectoryObject;
pub(crate) use self::graph::{
    GraphGroup, device_group_problems, not_owned_detail, visibility_and_processing,
};
pub use self::model::{GroupModel, ProcessingState, Visibility};
use super::{read_after_update, report};
use crate::graph::{ApiVersion, GraphClient, NameLookup};
use crate::resources::assignments::{IdSet, known_ids};

/// The Graph collection of groups.
pub(crate) const COLLECTION: &str = "groups";

/// The rule selecting every Windows Autopilot device.
pub const ALL_AUTOPILOT_DEVICES_RULE: &str = crate::devices::rule::ALL_AUTOPILOT_DEVICES;

/// The resource.
pub struct Group;

#[async_trait]
impl Resource<GraphClient> for Group {
    type Model = GroupModel;
    const TYPE_NAME: &'static str = "autopilot_group";

    fn identity(&self) -> &'static [tfplugin::IdentityAttribute] {
        crate::resources::OBJECT_ID_IDENTITY
    }

    fn validate(&self, config: &GroupModel, diags: &mut Diagnostics) {
        validate::config(config, diags);
    }

    async fn modify_plan(
        &self,
        client: Option<&GraphClient>,
        request: PlanRequest<'_, GroupModel>,
        diags: &mut Diagnostics,
    ) -> GroupModel {
        let config = request.config;
        let prior = request.prior;
        let mut planned = request.planned;
        if config.mail_nickname.is_null() {
            planned.mail_nickname = match prior.and_then(|p| p.mail_nickname.known()) {
                Some(nick) => Attr::Known(nick.clone()),
                None => match &planned.display_name {
                    Attr::Known(name) => Attr::Known(crate::validate::mail_nickname_from(name)),
                    _ => Attr::Unknown,
                },
            };
        }
        if config.membership_rule.is_null() {
            planned.membership_rule = config.wanted_rule();
        }
        plan_membership(config, prior, &mut planned);
        if let Some(client) = client {
            validate::new_members(client, prior, config, diags).await;
            validate::new_owners(client, prior, config, diags).await;
            validate::provisioning_client_in_tenant(client, prior, &planned, diags).await;
        }
        planned
    }

    fn moves(&self) -> tfplugin::Moves<GroupModel> {
        tfplugin::Moves::new(super::moves::GROUP, super::moves::group)
    }

    async fn create(
        &self,
        client: &GraphClient,
        planned: GroupModel,
        diags: &mut Diagnostics,
    ) -> Option<GroupModel> {
        let wanted_members = known_ids(&planned.member_ids).unwrap_or_default();
        let (bound, rest) = members::split_for_create(client, &wanted_members);
        let mut body = planned.to_graph(false);
        body.members_bind = bound;
        let (created, id) = super::create_named(
            client,
            &NameLookup {
                version: ApiVersion::V1,
                collection: COLLECTION,
                property: "displayName",
                name: planned.display_name.known().map_or("", String::as_str),
            },
            &body,
            "the group",
            |created: &GraphGroup| created.id.clone(),
            diags,
        )
        .await?;
        if !rest.is_empty() {
            let current = wanted_members.difference(&rest).cloned().collect();
            if !members::reconcile(client, &id, &current, &wanted_members, true, diags).await {
                // Not half-made: the group goes when its members cannot all be added.
                return rollback(client, &id, created, &planned, diags).await;
            }
        }
        // From here on the group exists: whatever fails, it goes to state.
        let fallback = GroupModel::from_graph(created, &[], None, &planned);
        graph::reconcile_owners(client, &id, &[], &planned, diags).await;
        match graph::find(client, &id, &planned, true).await {
            Ok(Some(state)) => Some(state),
            Ok(None) => Some(fallback),
            Err(e) => {
                report(diags, "read the group after creating it", &e);
                Some(fallback)
            }
        }
    }

    async fn read(
        &self,
        client: &GraphClient,
        current: GroupModel,
        diags: &mut Diagnostics,
    ) -> Option<GroupModel> {
        let id = current.id.known().cloned()?;
        match graph::find(client, &id, &current, false).await {
            Ok(fresh) => fresh,
            Err(e) => {
                // A failed read must not drop the resource from state.
                report(diags, "read the group", &e);
                Some(current)
            }
        }
    }

    async fn update(
        &self,
        client: &GraphClient,
        prior: GroupModel,
        planned: GroupModel,
        diags: &mut Diagnostics,
    ) -> Option<GroupModel> {
        let Some(id) = prior.id.known().cloned() else {
            diags.error("Cannot update the group", "The state has no id.");
            return Some(prior);
        };
        let path = format!("{COLLECTION}/{id}");
        let properties_changed = prior.display_name != planned.display_name
            || prior.description != planned.description
            || prior.mail_nickname != planned.mail_nickname
            || prior.membership_rule != planned.membership_rule
            || prior.membership_rule_processing_state != planned.membership_rule_processing_state
            || prior.visibility != planned.visibility;
        if properties_changed
            && let Err(e) = client
                .patch(ApiVersion::V1, &path, &patch_body(&prior, &planned))
                .await
        {
            report(diags, "update the group", &e);
            return Some(prior);
        }
        if prior.member_ids != planned.member_ids
            && let Some(wanted) = known_ids(&planned.member_ids)
        {
            match members::read(client, &id, false).await {
                Ok(current) => {
                    members::reconcile(client, &id, &current, &wanted, false, diags).await;
                }
                Err(e) => report(diags, "read the members of the group", &e),
            }
        }
        let owners_changed = prior.owner_ids != planned.owner_ids
            || prior.provisioning_client_owner != planned.provisioning_client_owner;
        if owners_changed {
            match client
                .list::<DirectoryObject>(ApiVersion::V1, &format!("{path}/owners"))
                .await
            {
                Ok(current) => {
                    graph::reconcile_owners(client, &id, &current, &planned, diags).await;
                }
                Err(e) => report(diags, "read the owners of the group", &e),
            }
        }
        let read = graph::find(client, &id, &planned, false).await;
        read_after_update(read, "group", &format!("Group {id}"), prior, diags)
    }

    async fn delete(&self, client: &GraphClient, prior: GroupModel, diags: &mut Diagnostics) {
        let Some(id) = prior.id.known() else { return };
        if let Err(e) = client
            .delete(ApiVersion::V1, &format!("{COLLECTION}/{id}"))
            .await
        {
            report(diags, "delete the group", &e);
        }
    }

    async fn import(
        &self,
        client: &GraphClient,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<GroupModel> {
        if let Err(reason) = crate::validate::object_id(id) {
            diags.error("Cannot import the group", reason);
            return None;
        }
        match graph::find(client, id, &GroupModel::default(), false).await {
            Ok(Some(state)) => Some(state),
            Ok(None) => {
                diags.error(
                    "Cannot import a group that does not exist",
                    format!("No group with id {id:?} exists in the tenant."),
                );
                None
            }
            Err(e) => {
                report(diags, "read the group to import", &e);
                None
            }
        }
    }
}

/// The PATCH of a group's properties: what `to_graph` sends, without what
/// Entra sets only on creation and without an unchanged visibility.
fn patch_body(prior: &GroupModel, planned: &GroupModel) -> GraphGroup {
    let mut body = planned.to_graph(prior.membership_rule.is_known());
    body.is_assignable_to_role = None;
    if prior.visibility == planned.visibility {
        body.visibility = None;
    }
    body
}

/// The planned `member_ids` and `membership_rule_processing_state` when
/// the configuration leaves them unset: a dynamic group has no assigned
/// members and processes its rule; a static one keeps the members it has.
fn plan_membership(config: &GroupModel, prior: Option<&GroupModel>, planned: &mut GroupModel) {
    if config.member_ids.is_null() {
        planned.member_ids = match (&planned.membership_rule, prior) {
            (Attr::Known(_), _) => Attr::Null,
            (Attr::Unknown, _) => Attr::Unknown,
            (Attr::Null, None) => Attr::Known(IdSet::default()),
            (Attr::Null, Some(p)) if p.membership_rule.is_null() && p.member_ids.is_known() => {
                p.member_ids.clone()
            }
            (Attr::Null, Some(_)) => Attr::Unknown,
        };
    }
    if config.membership_rule_processing_state.is_null() {
        planned.membership_rule_processing_state = match &planned.membership_rule {
            Attr::Known(_) => Attr::Known(ProcessingState::On),
            Attr::Unknown => Attr::Unknown,
            Attr::Null => Attr::Null,
        };
    }
}

/// Deletes group `id`, just created, whose members could not all be added.
/// The group goes to state only when the delete fails too.
async fn rollback(
    client: &GraphClient,
    id: &str,
    created: GraphGroup,
    planned: &GroupModel,
    diags: &mut Diagnostics,
) -> Option<GroupModel> {
    match client
        .delete(ApiVersion::V1, &format!("{COLLECTION}/{id}"))
        .await
    {
        Ok(()) => {
            diags.error(
                "The group was not created",
                format!(
                    "Group {id} was deleted again because some of `member_ids` could not be added \
                     (see the errors above); nothing was left in the tenant."
                ),
            );
            None
        }
        Err(e) => {
            report(
                diags,
                "delete the group whose members could not be added",
                &e,
            );
            Some(GroupModel::from_graph(created, &[], None, planned))
        }
    }
}
