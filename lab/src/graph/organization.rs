//! `/organization`: the tenant itself, read only. One organization, whose id is the lab's tenant
//! id and whose default (and initial) verified domain is [`seed::TENANT_DOMAIN`].

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{GraphRequest, collection, json_response, method_not_allowed, odata};
use crate::app::App;
use crate::errors::GraphError;
use crate::graph::GraphResult;
use crate::seed;

/// The display name of the lab's organization.
pub const DISPLAY_NAME: &str = "Autopilot Lab";

fn organization(app: &App) -> Value {
    json!({
        "id": app.config.tenant_id,
        "displayName": DISPLAY_NAME,
        "tenantType": "AAD",
        "countryLetterCode": "US",
        "preferredLanguage": "en",
        "verifiedDomains": [{
            "capabilities": "Email, OfficeCommunicationsOnline",
            "isDefault": true,
            "isInitial": true,
            "name": seed::TENANT_DOMAIN,
            "type": "Managed"
        }]
    })
}

/// `GET /organization` (a collection of one) and `GET /organization/{id}`.
pub fn route(app: &App, request: &GraphRequest, rest: &[String]) -> GraphResult {
    if request.method != Method::GET {
        return Err(method_not_allowed(&["GET"]));
    }
    match rest {
        [] => Ok(json_response(
            StatusCode::OK,
            &json!({
                "@odata.context": odata::context_url(&app.graph_url, request.version, "organization"),
                "value": [organization(app)],
            }),
        )),
        [id] if id.eq_ignore_ascii_case(&app.config.tenant_id) => Ok(collection::entity_response(
            app,
            request,
            StatusCode::OK,
            "organization/$entity",
            organization(app),
        )),
        [id, ..] => Err(GraphError::directory_not_found(id)),
    }
}
