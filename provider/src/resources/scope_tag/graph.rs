//! The Graph side of `autopilot_scope_tag`: the `roleScopeTag` payload and
//! the mapping to and from the model.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::Attr;

use super::model::ScopeTagModel;
use crate::resources::intune::IntunePayload;
use crate::resources::string_like_prior;

pub(crate) const COLLECTION: &str = "deviceManagement/roleScopeTags";

/// The id of Intune's built-in `Default` scope tag, which cannot be
/// changed or deleted (so never managed).
pub(crate) const DEFAULT_TAG_ID: &str = "0";

/// The Graph payload of a `roleScopeTag` (this crate's own reading of
/// Graph; the lab has its own).
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RoleScopeTag {
    #[serde(default, skip_serializing)]
    id: Option<String>,
    #[schemars(length(min = 1))]
    display_name: String,
    /// Sent as `""` when unset, so that an update clears it.
    #[serde(default)]
    description: Option<String>,
}

impl IntunePayload for RoleScopeTag {
    fn id(&self) -> Option<String> {
        self.id.clone()
    }
}

impl ScopeTagModel {
    pub(super) fn to_graph(&self) -> RoleScopeTag {
        RoleScopeTag {
            id: None,
            display_name: self.display_name.known().cloned().unwrap_or_default(),
            description: Some(self.description.known().cloned().unwrap_or_default()),
        }
    }

    /// The state for what Graph holds; an empty description reads as unset
    /// when the state has none.
    pub(super) fn from_graph(tag: RoleScopeTag, prior: &ScopeTagModel) -> Self {
        ScopeTagModel {
            id: tag.id.into(),
            display_name: Attr::Known(tag.display_name),
            description: string_like_prior(&prior.description, tag.description),
            timeouts: prior.timeouts.clone(),
        }
    }
}
