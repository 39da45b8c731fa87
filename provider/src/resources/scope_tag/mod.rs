//! `autopilot_scope_tag`: an Intune scope tag (`roleScopeTag`), which the
//! Intune objects name in their `role_scope_tag_ids`.

mod graph;
mod model;
mod registration;
#[cfg(test)]
mod tests;

pub use registration::{EXPORT, LIST, payloads};

use async_trait::async_trait;
use tfplugin::Diagnostics;

pub(crate) use graph::{COLLECTION, DEFAULT_TAG_ID, RoleScopeTag};
pub use model::ScopeTagModel;

use super::intune::{
    self, Apply, Change, Done, GraphResult, IntuneResource, Kind, Lookup, ReadError,
};
use crate::graph::{ApiVersion, GraphClient};

/// The resource.
#[derive(Default)]
pub struct ScopeTag;

#[async_trait]
impl IntuneResource for ScopeTag {
    type Model = ScopeTagModel;
    /// A scope tag is not assigned (its automatic assignment to device
    /// groups is not managed).
    type Targets = ();

    const TYPE_NAME: &'static str = "autopilot_scope_tag";
    const KIND: Kind = Kind::named("scope tag", COLLECTION, "role scope tag");

    fn targets(_model: &Self::Model) {}

    fn moves() -> tfplugin::Moves<Self::Model> {
        tfplugin::Moves::new(super::moves::SCOPE_TAG, super::moves::scope_tag)
    }

    /// The built-in `Default` tag cannot be changed or deleted.
    fn import_refusal(id: &str, _found: Option<&Self::Model>) -> Option<(String, String)> {
        (id == DEFAULT_TAG_ID).then(|| {
            (
                "Cannot import the Default scope tag".to_string(),
                "The scope tag with id \"0\" is Intune's built-in Default tag, which cannot be \
                 changed or deleted, so no resource manages it. Objects use it when their \
                 role_scope_tag_ids are unset."
                    .to_string(),
            )
        })
    }

    async fn find(&self, at: Lookup<'_, Self::Model>) -> Result<Option<Self::Model>, ReadError> {
        let path = Self::KIND.path(at.id);
        let found = at
            .client
            .get_optional::<RoleScopeTag>(ApiVersion::Beta, &path)
            .await?;
        Ok(found.map(|tag| ScopeTagModel::from_graph(tag, at.prior)))
    }

    async fn reassign(&self, _client: &GraphClient, _id: &str, _to: &()) -> GraphResult {
        Ok(())
    }

    async fn create_object(&self, cx: Apply<'_>, planned: Self::Model) -> Option<Self::Model> {
        let Apply { client, diags } = cx;
        let body = planned.to_graph();
        let (created, _id) =
            intune::create::<Self, RoleScopeTag, _>(client, &planned, &body, diags).await?;
        Some(ScopeTagModel::from_graph(created, &planned))
    }

    async fn update_object(&self, cx: Apply<'_>, change: Change<Self::Model>) -> Done<Self> {
        let body = change.planned.to_graph();
        intune::update_then_reassign(self, cx, change, &body).await
    }
}

/// No rule beyond the schema's: the name's length.
fn no_rules(_config: &ScopeTagModel, _diags: &mut Diagnostics) {}

intune::intune_resource!(ScopeTag, ScopeTagModel, no_rules);
