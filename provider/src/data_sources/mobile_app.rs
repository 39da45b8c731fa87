//! Data source `autopilot_mobile_app`: one Intune app, found by id or by
//! display name: the ids an Enrollment Status Page blocks on and a device
//! preparation policy installs, named the same way in every tenant.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::Attr;

use super::lookup::{ByName, Lookup};

/// An Intune app (`mobileApp`), found by `id` or by `display_name` (which must then match
/// exactly one app, with the same case).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(extend("x-tf-fields" = "computed"))]
pub struct MobileAppDataModel {
    /// The app's Intune id. Set this or `display_name`.
    #[schemars(extend("x-tf" = "optional,computed"))]
    pub id: Attr<String>,
    /// The app's name in Intune. Set this or `id`; it must match exactly one app.
    #[schemars(extend("x-tf" = "optional,computed"))]
    pub display_name: Attr<String>,
    /// The app's Graph type without its namespace, e.g. `win32LobApp` or `winGetApp`.
    pub app_type: Attr<String>,
    /// The publisher.
    pub publisher: Attr<String>,
}

/// An app as Graph lists it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MobileAppPayload {
    id: Option<String>,
    display_name: Option<String>,
    #[serde(rename = "@odata.type")]
    odata_type: Option<String>,
    publisher: Option<String>,
}

/// The app lookup.
pub struct MobileApps;

/// The data source.
pub type MobileAppData = ByName<MobileApps>;

impl Lookup for MobileApps {
    type Model = MobileAppDataModel;
    type Payload = MobileAppPayload;
    const TYPE_NAME: &'static str = "autopilot_mobile_app";
    const COLLECTION: &'static str = "deviceAppManagement/mobileApps";
    const NOUN: &'static str = "mobile app";

    fn keys(config: &MobileAppDataModel) -> (&Attr<String>, &Attr<String>) {
        (&config.id, &config.display_name)
    }

    fn model(app: MobileAppPayload) -> MobileAppDataModel {
        MobileAppDataModel {
            id: app.id.into(),
            display_name: app.display_name.into(),
            app_type: app
                .odata_type
                .map(|t| t.trim_start_matches("#microsoft.graph.").to_string())
                .into(),
            publisher: app.publisher.into(),
        }
    }
}
