//! The `Authorization: Bearer` check in front of every Graph path.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;

use super::tokens::TokenCheck;
use crate::app::SharedApp;
use crate::context::RequestContext;
use crate::errors::GraphError;

/// Rejects the request with Graph's 401 unless it carries a valid token for Graph.
pub async fn require_token(
    State(app): State<SharedApp>,
    mut request: Request,
    next: Next,
) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|token| !token.is_empty());

    let failure = match token {
        None => Some(GraphError::invalid_token("Access token is empty.")),
        Some(token) => match app.tokens.check(token) {
            TokenCheck::Valid(caller) => {
                request.extensions_mut().insert(caller);
                None
            }
            TokenCheck::Expired => Some(GraphError::invalid_token(
                "Lifetime validation failed, the token is expired.",
            )),
            TokenCheck::WrongAudience(_) | TokenCheck::Unknown => Some(GraphError::invalid_token(
                "Access token validation failure. Invalid audience.",
            )),
        },
    };
    match failure {
        None => next.run(request).await,
        Some(error) => {
            let ctx = RequestContext::of(&request);
            error.render(&ctx)
        }
    }
}
