//! The model of `autopilot_scope_tag`: its doc comments are the schema's
//! descriptions.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::Attr;

use crate::resources::timeouts::{Timeouts, timed_model};

/// An Intune scope tag (`roleScopeTag`): a label that Intune role
/// assignments use to limit which objects an administrator sees. Name it in
/// the `role_scope_tag_ids` of deployment profiles, Enrollment Status
/// Pages, domain join profiles and device preparation policies. The
/// built-in `Default` tag (id `0`) cannot be managed: leave
/// `role_scope_tag_ids` unset to use it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct ScopeTagModel {
    /// The tag's id: a number, as text (`"1"`, `"2"`, ...).
    #[schemars(extend("x-tf" = "computed,stable"))]
    pub id: Attr<String>,
    /// The tag's name in Intune.
    #[schemars(extend("x-tf" = "required"), length(min = 1, max = 128))]
    pub display_name: Attr<String>,
    /// A description shown in Intune.
    pub description: Attr<String>,
    #[schemars(extend("x-tf" = "block"))]
    pub timeouts: Attr<Timeouts>,
}

timed_model!(ScopeTagModel => Timeouts);
