//! Data source `autopilot_platform_script`: one Intune platform script
//! (`deviceManagementScript`), found by id or by display name: the ids a
//! device preparation policy runs, named the same way in every tenant.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::Attr;

use super::lookup::{ByName, Lookup};

/// An Intune platform script for Windows, found by `id` or by `display_name` (which must then
/// match exactly one script, with the same case).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(extend("x-tf-fields" = "computed"))]
pub struct PlatformScriptDataModel {
    /// The script's Intune id. Set this or `display_name`.
    #[schemars(extend("x-tf" = "optional,computed"))]
    pub id: Attr<String>,
    /// The script's name in Intune. Set this or `id`; it must match exactly one script.
    #[schemars(extend("x-tf" = "optional,computed"))]
    pub display_name: Attr<String>,
    /// The script file's name, e.g. `Set-TimeZone.ps1`.
    pub file_name: Attr<String>,
    /// The account the script runs as: `system` or `user`.
    pub run_as_account: Attr<String>,
}

/// A script as Graph lists it (without its content).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlatformScriptPayload {
    id: Option<String>,
    display_name: Option<String>,
    file_name: Option<String>,
    run_as_account: Option<String>,
}

/// The script lookup.
pub struct PlatformScripts;

/// The data source.
pub type PlatformScriptData = ByName<PlatformScripts>;

impl Lookup for PlatformScripts {
    type Model = PlatformScriptDataModel;
    type Payload = PlatformScriptPayload;
    const TYPE_NAME: &'static str = "autopilot_platform_script";
    const COLLECTION: &'static str = "deviceManagement/deviceManagementScripts";
    const NOUN: &'static str = "platform script";

    fn keys(config: &PlatformScriptDataModel) -> (&Attr<String>, &Attr<String>) {
        (&config.id, &config.display_name)
    }

    fn model(script: PlatformScriptPayload) -> PlatformScriptDataModel {
        PlatformScriptDataModel {
            id: script.id.into(),
            display_name: script.display_name.into(),
            file_name: script.file_name.into(),
            run_as_account: script.run_as_account.into(),
        }
    }
}
