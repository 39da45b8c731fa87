//! Seeded, read-only Intune catalogs that policies reference by id:
//! `/deviceAppManagement/mobileApps` (beta and v1.0) and
//! `/deviceManagement/deviceManagementScripts` (beta only).

use axum::http::{Method, StatusCode};

use super::collection::{self, Listing, Paging};
use super::schema::StructuredType;
use super::{GraphRequest, method_not_allowed};
use crate::app::App;
use crate::errors::{GraphError, INTUNE_FAKE_HOST};
use crate::graph::GraphResult;
use crate::store::{Collection, Tenant};

graph_types!("graph_catalog");

pub static APP_TYPES: &[&StructuredType] = &[
    &WIN32_LOB_APP,
    &WINDOWS_MOBILE_MSI,
    &WIN_GET_APP,
    &OFFICE_SUITE_APP,
];

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
                    collection::stored,
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
