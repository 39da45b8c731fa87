//! Seeded, read-only Intune catalogs that policies reference by id:
//! `/deviceAppManagement/mobileApps` (beta and v1.0) and
//! `/deviceManagement/deviceManagementScripts` (beta only).

use axum::http::{Method, StatusCode};

use super::collection::{self, Listing, Paging};
use super::schema::{self, ENTITY, Kind, Property, StructuredType};
use super::{GraphRequest, method_not_allowed};
use crate::app::App;
use crate::errors::{GraphError, INTUNE_FAKE_HOST};
use crate::graph::GraphResult;
use crate::store::{Collection, Tenant};

pub static MOBILE_APP: StructuredType = StructuredType::derived(
    "mobileApp",
    &ENTITY,
    &[
        schema::CREATED_DATE_TIME,
        Property::read_only("dependentAppCount", Kind::Int32, false).beta(),
        schema::DESCRIPTION,
        Property::new("developer", Kind::String, true),
        schema::DISPLAY_NAME,
        Property::new("informationUrl", Kind::String, true),
        Property::read_only("isAssigned", Kind::Boolean, false).beta(),
        Property::new("isFeatured", Kind::Boolean, false),
        Property::new("largeIcon", Kind::Complex("mimeContent"), true),
        schema::LAST_MODIFIED_DATE_TIME,
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
        schema::CREATED_DATE_TIME,
        schema::DESCRIPTION,
        schema::DISPLAY_NAME,
        Property::new("enforceSignatureCheck", Kind::Boolean, false),
        Property::new("fileName", Kind::String, true),
        schema::LAST_MODIFIED_DATE_TIME,
        schema::ROLE_SCOPE_TAG_IDS,
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

/// A seeded, read-only catalog: listed with paging, read by id.
struct Catalog {
    paging: &'static Paging,
    /// Path after the version prefix.
    path: &'static str,
    base: &'static StructuredType,
    derived: &'static [&'static StructuredType],
    objects: fn(&Tenant) -> &Collection,
    /// The Intune backend collection named in a wrapped 404.
    backend: &'static str,
    /// Whether a read by id shows only what the request's version declares.
    projected: bool,
}

/// Page size of the listing: Intune clamps `$top` to the maximum.
pub static APPS_PAGING: Paging = Paging::new("mobileApps", 1000, 1000);

/// Page size of the listing: Intune clamps `$top` to the maximum.
pub static SCRIPTS_PAGING: Paging = Paging::new("deviceManagementScripts", 1000, 1000);

static MOBILE_APPS: Catalog = Catalog {
    paging: &APPS_PAGING,
    path: "deviceAppManagement/mobileApps",
    base: &MOBILE_APP,
    derived: APP_TYPES,
    objects: |tenant| &tenant.mobile_apps,
    backend: "AppLobFE/mobileApps",
    projected: true,
};

static SCRIPTS: Catalog = Catalog {
    paging: &SCRIPTS_PAGING,
    path: "deviceManagement/deviceManagementScripts",
    base: &SCRIPT,
    derived: &[],
    objects: |tenant| &tenant.device_management_scripts,
    backend: "DeviceManagementScripts/deviceManagementScripts",
    projected: false,
};

/// Routes the segments after `deviceAppManagement/mobileApps`.
pub fn route_mobile_apps(app: &App, request: &GraphRequest, rest: &[String]) -> GraphResult {
    MOBILE_APPS.route(app, request, rest)
}

/// Routes the segments after `deviceManagement/deviceManagementScripts`.
pub fn route_scripts(app: &App, request: &GraphRequest, rest: &[String]) -> GraphResult {
    SCRIPTS.route(app, request, rest)
}

impl Catalog {
    fn route(&self, app: &App, request: &GraphRequest, rest: &[String]) -> GraphResult {
        match rest {
            [] if request.method == Method::GET => {
                let listing = Listing {
                    derived: self.derived,
                    ..Listing::plain(self.paging, self.path.to_owned(), self.base)
                };
                collection::list(
                    app,
                    request,
                    &listing,
                    self.objects,
                    |_, _| true,
                    |_, object, _| object.clone(),
                )
            }
            [id] if request.method == Method::GET => {
                let found = app
                    .store
                    .read(|tenant| (self.objects)(tenant).get(id).cloned())
                    .ok_or_else(|| not_found(self.backend, id))?;
                let found = if self.projected {
                    collection::project(&found, self.base, self.derived, request.version)
                } else {
                    found
                };
                Ok(collection::entity_response(
                    app,
                    request,
                    StatusCode::OK,
                    &format!("{}/$entity", self.path),
                    found,
                ))
            }
            [] | [_] => Err(method_not_allowed(&["GET"])),
            [_, other, ..] => Err(GraphError::segment_not_found(other)),
        }
    }
}

fn not_found(collection: &str, id: &str) -> GraphError {
    GraphError::intune_not_found(format!(
        "{INTUNE_FAKE_HOST}/{collection}('{id}')?api-version=5025-01-28"
    ))
}
