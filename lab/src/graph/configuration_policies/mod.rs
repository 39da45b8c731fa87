//! `/deviceManagement/configurationPolicies` (beta only): Windows Autopilot device preparation
//! policies (settings catalog), with settings validated against the two device preparation
//! templates, PUT updates, `assign`, and the enrollment-time device membership target actions.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::assignments;
use super::collection::{self, IntuneBackend, Listing, Paging, Shape};
use super::schema::StructuredType;
use super::{GraphRequest, method_not_allowed};
use crate::app::App;
use crate::errors::GraphError;
use crate::graph::GraphResult;
use crate::store::{Collection, Tenant};

mod handlers;
mod membership_target;
mod policy_body;
mod templates;
mod types;

use handlers::*;
pub use membership_target::MEMBERSHIP_TARGET;
use membership_target::*;
pub use types::*;

/// Path of the collection under the version prefix.
pub const COLLECTION_PATH: &str = "deviceManagement/configurationPolicies";

/// At most this many apps and scripts in a device preparation policy: 25 apps since
/// January 2026 ("What's new in Windows Autopilot device preparation"), scripts still 10.
pub const MAX_APPS: usize = 25;
pub const MAX_SCRIPTS: usize = 10;
/// `enrollment_autopilot_dpp_timeout` range, in minutes.
pub const TIMEOUT_MINUTES: std::ops::RangeInclusive<i64> = 15..=720;

/// Target types a policy can be assigned to.
const SUPPORTED_TARGETS: &[&StructuredType] = assignments::GROUP_AND_ALL_TARGETS;

/// The Intune backend behind the collection, named in wrapped errors.
static INTUNE: IntuneBackend = IntuneBackend {
    path: "DeviceConfigV2/DeviceConfigV2FEService/deviceManagement/configurationPolicies",
};

fn policies(tenant: &Tenant) -> &Collection {
    &tenant.configuration_policies
}

fn policies_mut(tenant: &mut Tenant) -> &mut Collection {
    &mut tenant.configuration_policies
}

/// What the policies are called in the log.
const NOUN: &str = "configuration policy";

/// The `assignments` navigation of a policy (read-only: `assign` writes it).
static ASSIGNMENTS: assignments::Navigation = assignments::Navigation {
    collection_path: COLLECTION_PATH,
    paging: &PAGING,
    assignment_type: &POLICY_ASSIGNMENT,
    targets: SUPPORTED_TARGETS,
    parents: policies,
    assignments: |tenant| &tenant.configuration_policy_assignments,
    assignments_mut: |tenant| &mut tenant.configuration_policy_assignments,
    noun: NOUN,
    backend: &INTUNE,
};

/// Routes the segments after `configurationPolicies`.
pub fn route(app: &App, request: &GraphRequest, rest: &[String]) -> GraphResult {
    let method = &request.method;
    match rest {
        [] => crate::graph::list_or_create(app, request, list, create),
        [id] => by_method!(method,
            GET => get(app, request, id),
            PUT => replace(app, request, id),
            PATCH => patch(app, request, id),
            DELETE => delete(app, id),
        ),
        [id, action] if super::is_action(action, "assign") => by_method!(method,
            POST => assign(app, request, id),
        ),
        [id, action] if super::is_action(action, "setEnrollmentTimeDeviceMembershipTarget") => {
            by_method!(method,
                POST => set_membership_target(app, request, id),
            )
        }
        [id, action]
            if super::is_action(action, "retrieveEnrollmentTimeDeviceMembershipTarget") =>
        {
            match *method {
                Method::POST => retrieve_membership_target(app, request, id),
                _ => Err(method_not_allowed(&["POST"])),
            }
        }
        [id, action] if super::is_action(action, "clearEnrollmentTimeDeviceMembershipTarget") => {
            by_method!(method,
                POST => clear_membership_target(app, request, id),
            )
        }
        [id, nav] if nav.eq_ignore_ascii_case("settings") => by_method!(method,
            GET => list_settings(app, request, id),
        ),
        [id, nav] if nav.eq_ignore_ascii_case("assignments") => by_method!(method,
            GET => ASSIGNMENTS.list(app, request, id),
        ),
        [id, nav, assignment_id] if nav.eq_ignore_ascii_case("assignments") => by_method!(method,
            GET => ASSIGNMENTS.get(app, request, id, assignment_id),
        ),
        [_, nav, _, extra, ..] if nav.eq_ignore_ascii_case("assignments") => {
            Err(GraphError::segment_not_found(extra))
        }
        [_, other, ..] => Err(GraphError::segment_not_found(other)),
    }
}

/// The policy as the wire shows it: `settings` (kept inline) only with `$expand=settings`.
fn render(app: &App, request: &GraphRequest, object: &Value, shape: &Shape) -> Value {
    if !shape.expands("settings") {
        return collection::without(object.clone(), &["settings"]);
    }
    let mut out = object.clone();
    let id = collection::str_of(object, "id").to_owned();
    if let Some(map) = out.as_object_mut() {
        let settings = map.remove("settings").unwrap_or(json!([]));
        map.insert(
            "settings@odata.context".into(),
            json!(crate::graph::odata::context_url(
                &app.graph_url,
                request.version,
                &format!("{COLLECTION_PATH}('{id}')/settings")
            )),
        );
        map.insert("settings".into(), settings);
    }
    out
}

/// Page size of the listing: 25 unless `$top` asks for more, up to 1000.
pub static PAGING: Paging = Paging::new("configurationPolicies", 25, 1000);

/// Page size of a policy's `settings`.
pub static SETTINGS_PAGING: Paging = Paging::new("configurationPolicySettings", 25, 1000);

fn list(app: &App, request: &GraphRequest) -> GraphResult {
    let listing = Listing {
        expandable: &["settings"],
        ..Listing::plain(&PAGING, COLLECTION_PATH.to_owned(), &POLICY)
    };
    collection::list(
        app,
        request,
        &listing,
        policies,
        |_, _| true,
        |_, object, shape| render(app, request, object, shape),
    )
}

fn get(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    let shape = Shape::parse(request, &POLICY, &[], &["settings"])?;
    let object = app
        .store
        .read(|tenant| tenant.configuration_policies.get(id).cloned())
        .ok_or_else(|| INTUNE.not_found(id))?;
    let object = render(app, request, &object, &shape);
    Ok(collection::entity_response(
        app,
        request,
        StatusCode::OK,
        &format!("{COLLECTION_PATH}/$entity"),
        crate::graph::odata::apply_select(&object, shape.select.as_deref()),
    ))
}
