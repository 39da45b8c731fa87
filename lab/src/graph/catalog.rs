//! Seeded, read-only Intune catalogs that policies reference by id:
//! `/deviceAppManagement/mobileApps` (beta and v1.0) and
//! `/deviceManagement/deviceManagementScripts` (beta only).

use axum::http::{Method, StatusCode};

use super::collection::{self, Listing, Paging};
use super::schema::{ENTITY, Kind, Property, StructuredType};
use super::{GraphRequest, method_not_allowed};
use crate::app::App;
use crate::errors::{GraphError, INTUNE_FAKE_HOST};
use crate::graph::GraphResult;
use crate::store::{Collection, Tenant};

pub static MOBILE_APP: StructuredType = StructuredType::derived(
    "mobileApp",
    &ENTITY,
    &[
        Property::read_only("createdDateTime", Kind::DateTimeOffset, false),
        Property::read_only("dependentAppCount", Kind::Int32, false).beta(),
        Property::new("description", Kind::String, true),
        Property::new("developer", Kind::String, true),
        Property::new("displayName", Kind::String, true),
        Property::new("informationUrl", Kind::String, true),
        Property::read_only("isAssigned", Kind::Boolean, false).beta(),
        Property::new("isFeatured", Kind::Boolean, false),
        Property::new("largeIcon", Kind::Complex("mimeContent"), true),
        Property::read_only("lastModifiedDateTime", Kind::DateTimeOffset, false),
        Property::new("notes", Kind::String, true),
        Property::new("owner", Kind::String, true),
        Property::new("privacyInformationUrl", Kind::String, true),
        Property::new("publisher", Kind::String, true),
        Property::read_only(
            "publishingState",
            Kind::Enum(
                "mobileAppPublishingState",
                &["notPublished", "processing", "published"],
            ),
            false,
        ),
        Property::new("roleScopeTagIds", Kind::StringCollection, true).beta(),
        Property::read_only("supersededAppCount", Kind::Int32, false).beta(),
        Property::read_only("supersedingAppCount", Kind::Int32, false).beta(),
        Property::read_only("uploadState", Kind::Int32, false).beta(),
    ],
)
.as_abstract()
.with_navigations(&["assignments", "categories", "relationships"]);

pub static WIN32_LOB_APP: StructuredType = StructuredType::derived(
    "win32LobApp",
    &MOBILE_APP,
    &[
        Property::new("fileName", Kind::String, true),
        Property::new("installCommandLine", Kind::String, true),
        Property::new("setupFilePath", Kind::String, true),
        Property::new("uninstallCommandLine", Kind::String, true),
    ],
);

pub static WINDOWS_MOBILE_MSI: StructuredType = StructuredType::derived(
    "windowsMobileMSI",
    &MOBILE_APP,
    &[
        Property::new("fileName", Kind::String, true),
        Property::new("productCode", Kind::String, true),
        Property::new("productVersion", Kind::String, true),
    ],
);

pub static WIN_GET_APP: StructuredType = StructuredType::derived(
    "winGetApp",
    &MOBILE_APP,
    &[Property::new("packageIdentifier", Kind::String, true)],
);

pub static OFFICE_SUITE_APP: StructuredType =
    StructuredType::derived("officeSuiteApp", &MOBILE_APP, &[]);

pub static APP_TYPES: &[&StructuredType] = &[
    &WIN32_LOB_APP,
    &WINDOWS_MOBILE_MSI,
    &WIN_GET_APP,
    &OFFICE_SUITE_APP,
];

pub static SCRIPT: StructuredType = StructuredType::derived(
    "deviceManagementScript",
    &ENTITY,
    &[
        Property::read_only("createdDateTime", Kind::DateTimeOffset, false),
        Property::new("description", Kind::String, true),
        Property::new("displayName", Kind::String, true),
        Property::new("enforceSignatureCheck", Kind::Boolean, false),
        Property::new("fileName", Kind::String, true),
        Property::read_only("lastModifiedDateTime", Kind::DateTimeOffset, false),
        Property::new("roleScopeTagIds", Kind::StringCollection, true),
        Property::new("runAs32Bit", Kind::Boolean, false),
        Property::new(
            "runAsAccount",
            Kind::Enum("runAsAccountType", &["system", "user"]),
            false,
        ),
        Property::new("scriptContent", Kind::Binary, true),
    ],
)
.with_navigations(&[
    "assignments",
    "deviceRunStates",
    "groupAssignments",
    "runSummary",
    "userRunStates",
]);

fn mobile_apps(tenant: &Tenant) -> &Collection {
    &tenant.mobile_apps
}

fn scripts(tenant: &Tenant) -> &Collection {
    &tenant.device_management_scripts
}

fn not_found(collection: &str, id: &str) -> GraphError {
    GraphError::intune_not_found(format!(
        "{INTUNE_FAKE_HOST}/{collection}('{id}')?api-version=5025-01-28"
    ))
}

/// Page size of the listing: Intune clamps `$top` to the maximum.
pub static APPS_PAGING: Paging = Paging::new("mobileApps", 1000, 1000);

/// Page size of the listing: Intune clamps `$top` to the maximum.
pub static SCRIPTS_PAGING: Paging = Paging::new("deviceManagementScripts", 1000, 1000);

/// Routes the segments after `deviceAppManagement/mobileApps`.
pub fn route_mobile_apps(app: &App, request: &GraphRequest, rest: &[String]) -> GraphResult {
    match rest {
        [] if request.method == Method::GET => {
            let listing = Listing {
                derived: APP_TYPES,
                ..Listing::plain(
                    &APPS_PAGING,
                    "deviceAppManagement/mobileApps".to_owned(),
                    &MOBILE_APP,
                )
            };
            collection::list(
                app,
                request,
                &listing,
                mobile_apps,
                |_, _| true,
                |_, a, _| a.clone(),
            )
        }
        [id] if request.method == Method::GET => {
            let found = app
                .store
                .read(|tenant| tenant.mobile_apps.get(id).cloned())
                .ok_or_else(|| not_found("AppLobFE/mobileApps", id))?;
            let found = collection::project(&found, &MOBILE_APP, APP_TYPES, request.version);
            Ok(collection::entity_response(
                app,
                request,
                StatusCode::OK,
                "deviceAppManagement/mobileApps/$entity",
                found,
            ))
        }
        [] | [_] => Err(method_not_allowed(&["GET"])),
        [_, other, ..] => Err(GraphError::segment_not_found(other)),
    }
}

/// Routes the segments after `deviceManagement/deviceManagementScripts`.
pub fn route_scripts(app: &App, request: &GraphRequest, rest: &[String]) -> GraphResult {
    match rest {
        [] if request.method == Method::GET => {
            let listing = Listing::plain(
                &SCRIPTS_PAGING,
                "deviceManagement/deviceManagementScripts".to_owned(),
                &SCRIPT,
            );
            collection::list(
                app,
                request,
                &listing,
                scripts,
                |_, _| true,
                |_, s, _| s.clone(),
            )
        }
        [id] if request.method == Method::GET => {
            let found = app
                .store
                .read(|tenant| tenant.device_management_scripts.get(id).cloned())
                .ok_or_else(|| not_found("DeviceManagementScripts/deviceManagementScripts", id))?;
            Ok(collection::entity_response(
                app,
                request,
                StatusCode::OK,
                "deviceManagement/deviceManagementScripts/$entity",
                found,
            ))
        }
        [] | [_] => Err(method_not_allowed(&["GET"])),
        [_, other, ..] => Err(GraphError::segment_not_found(other)),
    }
}
