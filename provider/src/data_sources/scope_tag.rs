//! Data source `autopilot_scope_tag`: one Intune scope tag, found by id or
//! by display name, so that `role_scope_tag_ids` name the same tag in every
//! tenant although its id differs.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::Attr;

use super::lookup::{ByName, Lookup};

/// An Intune scope tag (`roleScopeTag`), found by `id` or by `display_name` (which must then
/// match exactly one tag). The built-in tag is named `Default` (id `0`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(extend("x-tf-fields" = "computed"))]
pub struct ScopeTagDataModel {
    /// The tag's id, a number as text. Set this or `display_name`.
    #[schemars(extend("x-tf" = "optional,computed"))]
    pub id: Attr<String>,
    /// The tag's name in Intune. Set this or `id`; it must match exactly one tag.
    #[schemars(extend("x-tf" = "optional,computed"))]
    pub display_name: Attr<String>,
    /// The tag's description.
    pub description: Attr<String>,
    /// Whether this is Intune's built-in tag (`Default`).
    pub is_built_in: Attr<bool>,
}

/// A scope tag as Graph lists it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopeTagPayload {
    id: Option<String>,
    display_name: Option<String>,
    description: Option<String>,
    is_built_in: Option<bool>,
}

/// The scope tag lookup.
pub struct ScopeTags;

/// The data source.
pub type ScopeTagData = ByName<ScopeTags>;

impl Lookup for ScopeTags {
    type Model = ScopeTagDataModel;
    type Payload = ScopeTagPayload;
    const TYPE_NAME: &'static str = "autopilot_scope_tag";
    const COLLECTION: &'static str = "deviceManagement/roleScopeTags";
    const NOUN: &'static str = "scope tag";

    fn keys(config: &ScopeTagDataModel) -> (&Attr<String>, &Attr<String>) {
        (&config.id, &config.display_name)
    }

    fn model(tag: ScopeTagPayload) -> ScopeTagDataModel {
        ScopeTagDataModel {
            id: tag.id.into(),
            display_name: tag.display_name.into(),
            description: Attr::Known(tag.description.unwrap_or_default()),
            is_built_in: Attr::Known(tag.is_built_in.unwrap_or(false)),
        }
    }
}
