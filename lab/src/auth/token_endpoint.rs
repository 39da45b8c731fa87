//! `POST /{tenant}/oauth2/v2.0/token`: the OAuth2 client-credentials grant, and the device code
//! and refresh token grants of [`super::device_code`].

use std::collections::HashMap;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::GRAPH_AUDIENCES;
use super::credential::{self, ClientCredential};
use super::entra_error::EntraError;
use super::tokens::TokenRequest;
use crate::app::App;
use crate::app::SharedApp;
use crate::context::RequestContext;

/// The token endpoint handler.
pub async fn token(State(app): State<SharedApp>, form: EntraForm) -> Response {
    form.answer(&app, issue, "token request refused")
}

/// What an endpoint answers for a tenant and the fields of its form, or the error Entra gives.
type FormAnswer = fn(&App, &str, &HashMap<String, String>) -> Result<Response, EntraError>;

/// A form posted to an Entra endpoint of a tenant (`/{tenant}/oauth2/v2.0/...`): what the token
/// and the device code endpoints take.
pub struct EntraForm {
    tenant: String,
    ctx: RequestContext,
    fields: HashMap<String, String>,
}

impl<S: Send + Sync> FromRequest<S> for EntraForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        let (Path(tenant), Extension(ctx), headers, body) =
            <(Path<String>, Extension<RequestContext>, HeaderMap, Bytes)>::from_request(
                request, state,
            )
            .await?;
        let fields = parse_form(&headers, &body);
        Ok(EntraForm {
            tenant,
            ctx,
            fields,
        })
    }
}

impl EntraForm {
    /// What `answer` gives for the tenant and the fields; an error (logged as `refused`)
    /// rendered as Entra does.
    pub fn answer(&self, app: &App, answer: FormAnswer, refused: &str) -> Response {
        match answer(app, &self.tenant, &self.fields) {
            Ok(response) => response,
            Err(error) => {
                tracing::info!(error = %error.error, aadsts = error.aadsts, "{refused}");
                error.render(&self.ctx)
            }
        }
    }
}

/// Form fields; a body that is not `application/x-www-form-urlencoded` has none, as with Entra.
fn parse_form(headers: &HeaderMap, body: &[u8]) -> HashMap<String, String> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(|value| {
            value
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
        .unwrap_or(false);
    if !is_form {
        return HashMap::new();
    }
    url::form_urlencoded::parse(body)
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect()
}

fn issue(app: &App, tenant: &str, form: &HashMap<String, String>) -> Result<Response, EntraError> {
    let config = &app.config;
    if !tenant.eq_ignore_ascii_case(&config.tenant_id) {
        return Err(EntraError::tenant_not_found(tenant));
    }
    let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());

    let grant_type =
        field("grant_type").ok_or_else(|| EntraError::missing_parameter("grant_type"))?;
    match grant_type {
        "client_credentials" => {}
        super::device_code::DEVICE_CODE_GRANT => return super::device_code::redeem(app, form),
        "refresh_token" => return super::device_code::refresh(app, form),
        other => return Err(EntraError::unsupported_grant_type(other)),
    }
    let client_id = field("client_id").ok_or_else(|| EntraError::missing_parameter("client_id"))?;
    let scope = field("scope").ok_or_else(|| EntraError::missing_parameter("scope"))?;
    let audience = scope
        .strip_suffix("/.default")
        .filter(|resource| !resource.is_empty() && !resource.contains(' '))
        .ok_or_else(|| EntraError::invalid_scope(scope))?;
    if !client_id.eq_ignore_ascii_case(&config.client_id) {
        return Err(EntraError::unknown_application(client_id, tenant));
    }
    let credential = ClientCredential::from_form(
        field("client_secret"),
        field("client_assertion"),
        field("client_assertion_type"),
    )?;
    let token_audiences = [
        format!("{}/{tenant}/oauth2/v2.0/token", app.graph_url),
        format!("https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"),
        format!("https://login.microsoftonline.com/{tenant}/v2.0"),
        format!("{}/{}/oauth2/v2.0/token", app.graph_url, config.tenant_id),
    ];
    credential::authenticate(
        config,
        &app.trust,
        &credential,
        &token_audiences,
        app.clock.now().timestamp(),
    )?;

    let graph = is_graph_audience(audience, &app.graph_url);
    let lifetime = config.token_lifetime;
    let access_token = app.tokens.issue(&TokenRequest {
        tenant_id: &config.tenant_id,
        client_id: &config.client_id,
        audience,
        graph,
        roles: &app.roles,
        user: None,
        lifetime,
        now: app.clock.now(),
    });
    tracing::info!(audience, graph, "access token issued");
    Ok(token_answer(&json!({
        "token_type": "Bearer",
        "expires_in": lifetime.as_secs(),
        "ext_expires_in": lifetime.as_secs(),
        "access_token": access_token,
    })))
}

/// A successful token answer (never cached by clients or proxies).
pub fn token_answer(body: &serde_json::Value) -> Response {
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-store, no-cache"),
            ),
            (header::PRAGMA, HeaderValue::from_static("no-cache")),
        ],
        body.to_string(),
    )
        .into_response()
}

/// A JSON answer of the login endpoints.
pub fn json_answer(body: &serde_json::Value) -> Response {
    token_answer(body)
}

/// Graph's resource identifiers in every cloud, plus the lab's own URL (a client pointed at the
/// lab may ask for `<graph_url>/.default`).
pub fn is_graph_audience(audience: &str, graph_url: &str) -> bool {
    let audience = audience.trim_end_matches('/');
    GRAPH_AUDIENCES
        .iter()
        .any(|known| known.eq_ignore_ascii_case(audience))
        || audience.eq_ignore_ascii_case(graph_url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_audiences() {
        let lab = "http://127.0.0.1:1234";
        assert!(is_graph_audience("https://graph.microsoft.com", lab));
        assert!(is_graph_audience("https://graph.microsoft.com/", lab));
        assert!(is_graph_audience(
            "00000003-0000-0000-c000-000000000000",
            lab
        ));
        assert!(is_graph_audience("http://127.0.0.1:1234", lab));
        assert!(!is_graph_audience("https://management.azure.com", lab));
    }
}
