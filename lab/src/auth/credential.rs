//! Client authentication at the token endpoint.

use axum::http::StatusCode;

use super::assertion::AssertionTrust;
use super::entra_error::EntraError;
use crate::config::LabConfig;

/// `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`, the only assertion type Entra takes.
pub const JWT_BEARER_ASSERTION_TYPE: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How the client proved who it is.
#[derive(Debug)]
pub enum ClientCredential<'a> {
    /// `client_secret`.
    Secret(&'a str),
    /// `client_assertion_type` + `client_assertion`: a certificate-signed JWT or a federated
    /// (workload identity) token.
    Assertion {
        assertion_type: Option<&'a str>,
        assertion: &'a str,
    },
}

impl<'a> ClientCredential<'a> {
    /// Picks the credential out of the form. A secret wins when both are sent.
    pub fn from_form(
        client_secret: Option<&'a str>,
        client_assertion: Option<&'a str>,
        client_assertion_type: Option<&'a str>,
    ) -> Result<Self, EntraError> {
        match (client_secret, client_assertion) {
            (Some(secret), _) => Ok(ClientCredential::Secret(secret)),
            (None, Some(assertion)) => Ok(ClientCredential::Assertion {
                assertion_type: client_assertion_type,
                assertion,
            }),
            (None, None) => Err(EntraError::missing_credential()),
        }
    }
}

/// Checks the credential of the (already identified) client. `token_audiences` are the `aud`
/// values a certificate assertion may carry; `now` is in seconds since the epoch.
pub fn authenticate(
    config: &LabConfig,
    trust: &AssertionTrust,
    credential: &ClientCredential<'_>,
    token_audiences: &[String],
    now: i64,
) -> Result<(), EntraError> {
    match credential {
        ClientCredential::Secret(secret) => {
            if constant_time_eq(secret.as_bytes(), config.client_secret.as_bytes()) {
                Ok(())
            } else {
                Err(EntraError::invalid_secret(&config.client_id))
            }
        }
        ClientCredential::Assertion {
            assertion_type,
            assertion,
        } => {
            if *assertion_type != Some(JWT_BEARER_ASSERTION_TYPE) {
                return Err(EntraError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    50027,
                    "Invalid client_assertion_type. The only supported value is urn:ietf:params:oauth:client-assertion-type:jwt-bearer.",
                ));
            }
            trust.verify(assertion, &config.client_id, token_audiences, now)
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
