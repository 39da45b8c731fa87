//! OpenID Connect discovery, so Microsoft's identity libraries (MSAL, Azure Identity) can use the
//! lab as their authority: `GET /{tenant}/v2.0/.well-known/openid-configuration`, the (empty)
//! signing keys at `/{tenant}/discovery/v2.0/keys`, and MSAL's instance discovery at
//! `/common/discovery/instance`.

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::entra_error::EntraError;
use crate::app::{App, SharedApp};
use crate::context::RequestContext;

fn json_response(body: &Value) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        )],
        body.to_string(),
    )
        .into_response()
}

fn known_tenant(app: &App, tenant: &str) -> bool {
    tenant.eq_ignore_ascii_case(&app.config.tenant_id)
        || ["common", "organizations"]
            .iter()
            .any(|alias| tenant.eq_ignore_ascii_case(alias))
}

/// `answer` for a tenant the lab serves (its id, `common` or `organizations`); Entra's
/// tenant-not-found error for any other.
fn for_known_tenant(
    app: &App,
    tenant: String,
    ctx: &RequestContext,
    answer: impl FnOnce(String) -> Response,
) -> Response {
    if known_tenant(app, &tenant) {
        answer(tenant)
    } else {
        EntraError::tenant_not_found(&tenant).render(ctx)
    }
}

/// The discovery document for `tenant`.
pub fn openid_configuration(app: &App, tenant: &str) -> Value {
    let login = &app.graph_url;
    let host = login
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or(login);
    json!({
        "token_endpoint": format!("{login}/{tenant}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
        "jwks_uri": format!("{login}/{tenant}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{login}/{tenant}/v2.0"),
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": format!("{login}/oidc/userinfo"),
        "authorization_endpoint": format!("{login}/{tenant}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{login}/{tenant}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{login}/{tenant}/oauth2/v2.0/logout"),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "tid", "oid", "roles"],
        "kerberos_endpoint": format!("{login}/{tenant}/kerberos"),
        "tenant_region_scope": "NA",
        "cloud_instance_name": host,
        "cloud_graph_host_name": host,
        "msgraph_host": host,
        "rbac_url": login,
    })
}

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`.
pub async fn configuration(
    State(app): State<SharedApp>,
    Path(tenant): Path<String>,
    Extension(ctx): Extension<RequestContext>,
) -> Response {
    for_known_tenant(&app, tenant, &ctx, |tenant| {
        let shown = if tenant.eq_ignore_ascii_case(&app.config.tenant_id) {
            app.config.tenant_id.clone()
        } else {
            tenant
        };
        json_response(&openid_configuration(&app, &shown))
    })
}

/// `GET /{tenant}/discovery/v2.0/keys`: the lab signs nothing, so the set is empty.
pub async fn keys(
    State(app): State<SharedApp>,
    Path(tenant): Path<String>,
    Extension(ctx): Extension<RequestContext>,
) -> Response {
    for_known_tenant(&app, tenant, &ctx, |_| json_response(&json!({"keys": []})))
}

/// `GET /common/discovery/instance`: MSAL's instance discovery, naming the lab as its own
/// cloud.
pub async fn instance(State(app): State<SharedApp>, RawQuery(query): RawQuery) -> Response {
    let login = &app.graph_url;
    let host = login
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or(login)
        .to_owned();
    let tenant = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "authorization_endpoint")
        .and_then(|(_, endpoint)| {
            endpoint
                .split("://")
                .nth(1)
                .and_then(|rest| rest.split('/').nth(1))
                .map(str::to_owned)
        })
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| app.config.tenant_id.clone());
    json_response(&json!({
        "tenant_discovery_endpoint": format!("{login}/{tenant}/v2.0/.well-known/openid-configuration"),
        "api-version": "1.1",
        "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
    }))
}
