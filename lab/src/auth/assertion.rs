//! Client assertions (`client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`):
//!
//! * **Certificate credentials**: a JWT the app signs itself (`iss` = `sub` = client id) with the
//!   private key of a certificate registered with `--client-cert FILE.pem`. The header names the
//!   certificate by `x5t` (SHA-1 thumbprint, base64url) or `x5t#S256`; `aud` is the token
//!   endpoint. RS256, PS256 and ES256 are verified.
//! * **Federated credentials** (workload identity federation): a JWT issued by an external IdP,
//!   trusted through `--federated-credential issuer=...,subject=...,audience=...`; its signing
//!   keys come from the JWKS in `--federated-jwks FILE` (found by `kid`).

use std::path::Path;

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::Value;

use super::entra_error::EntraError;

/// Clock skew Entra tolerates on `exp` and `nbf`.
const SKEW_SECONDS: i64 = 300;

/// Failures loading certificates and keys at start.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },
    #[error("--federated-credential '{0}': expected issuer=...,subject=...,audience=...")]
    FederatedSyntax(String),
}

/// A public key that can check JWT signatures.
#[derive(Debug, Clone)]
pub enum PublicKey {
    /// PKCS#1 `RSAPublicKey` DER (the certificate's subjectPublicKey).
    RsaDer(Vec<u8>),
    /// RSA modulus and exponent (a JWK).
    RsaComponents { n: Vec<u8>, e: Vec<u8> },
    /// An uncompressed P-256 point (`04 || x || y`).
    EcP256(Vec<u8>),
}

impl PublicKey {
    /// Verifies a JWS signature with algorithm `alg`.
    fn verify(&self, alg: &str, message: &[u8], sig: &[u8]) -> bool {
        match (self, alg) {
            (PublicKey::RsaDer(der), "RS256") => {
                UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, der)
                    .verify(message, sig)
                    .is_ok()
            }
            (PublicKey::RsaDer(der), "PS256") => {
                UnparsedPublicKey::new(&signature::RSA_PSS_2048_8192_SHA256, der)
                    .verify(message, sig)
                    .is_ok()
            }
            (PublicKey::RsaComponents { n, e }, "RS256") => RsaPublicKeyComponents { n, e }
                .verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, sig)
                .is_ok(),
            (PublicKey::RsaComponents { n, e }, "PS256") => RsaPublicKeyComponents { n, e }
                .verify(&signature::RSA_PSS_2048_8192_SHA256, message, sig)
                .is_ok(),
            (PublicKey::EcP256(point), "ES256") => {
                UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                    .verify(message, sig)
                    .is_ok()
            }
            _ => false,
        }
    }
}

/// A certificate registered on the app.
#[derive(Debug, Clone)]
pub struct RegisteredCertificate {
    pub key: PublicKey,
    /// base64url SHA-1 of the DER certificate (`x5t`).
    pub x5t: String,
    /// base64url SHA-256 of the DER certificate (`x5t#S256`).
    pub x5t_s256: String,
    /// Upper-case hex SHA-1, as Entra prints thumbprints.
    pub thumbprint_hex: String,
}

/// A federated identity credential on the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederatedCredential {
    pub issuer: String,
    pub subject: String,
    pub audience: String,
}

impl FederatedCredential {
    /// Parses `issuer=...,subject=...,audience=...` (audience defaults to
    /// `api://AzureADTokenExchange`).
    pub fn parse(text: &str) -> Result<Self, CredentialError> {
        let mut issuer = None;
        let mut subject = None;
        let mut audience = None;
        for part in text.split(',') {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| CredentialError::FederatedSyntax(text.to_owned()))?;
            let value = value.trim().to_owned();
            match key.trim() {
                "issuer" => issuer = Some(value),
                "subject" => subject = Some(value),
                "audience" => audience = Some(value),
                _ => return Err(CredentialError::FederatedSyntax(text.to_owned())),
            }
        }
        match (issuer, subject) {
            (Some(issuer), Some(subject)) if !issuer.is_empty() && !subject.is_empty() => {
                Ok(FederatedCredential {
                    issuer,
                    subject,
                    audience: audience.unwrap_or_else(|| "api://AzureADTokenExchange".to_owned()),
                })
            }
            _ => Err(CredentialError::FederatedSyntax(text.to_owned())),
        }
    }
}

/// A key of the federated JWKS.
#[derive(Debug, Clone)]
pub struct Jwk {
    pub kid: Option<String>,
    pub key: PublicKey,
}

/// Everything that can authenticate a client with an assertion.
#[derive(Debug, Clone, Default)]
pub struct AssertionTrust {
    pub certificates: Vec<RegisteredCertificate>,
    pub federated: Vec<FederatedCredential>,
    pub jwks: Vec<Jwk>,
}

fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The DER certificates in a PEM file.
fn pem_certificates(text: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if line == "-----BEGIN CERTIFICATE-----" {
            current = Some(String::new());
        } else if line == "-----END CERTIFICATE-----" {
            if let Some(body) = current.take()
                && let Ok(der) = STANDARD.decode(body)
            {
                out.push(der);
            }
        } else if let Some(body) = current.as_mut() {
            body.push_str(line);
        }
    }
    out
}

/// One DER element: (tag, content, rest).
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let length = rest[..count]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (length, &rest[count..])
    };
    if rest.len() < length {
        return None;
    }
    Some((tag, &rest[..length], &rest[length..]))
}

const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// The public key of an X.509 certificate (RSA or P-256).
fn certificate_key(der: &[u8]) -> Result<PublicKey, String> {
    let invalid = || "not a DER X.509 certificate".to_owned();
    let (_, certificate, _) = der_element(der).ok_or_else(invalid)?;
    let (_, tbs, _) = der_element(certificate).ok_or_else(invalid)?;
    let mut rest = tbs;
    // [0] version (optional), serial, signature, issuer, validity, subject, spki.
    let (tag, _, after) = der_element(rest).ok_or_else(invalid)?;
    if tag == 0xa0 {
        rest = after;
    }
    for _ in 0..5 {
        let (_, _, after) = der_element(rest).ok_or_else(invalid)?;
        rest = after;
    }
    let (_, spki, _) = der_element(rest).ok_or_else(invalid)?;
    let (_, algorithm, after) = der_element(spki).ok_or_else(invalid)?;
    let (_, bits, _) = der_element(after).ok_or_else(invalid)?;
    let key = bits.get(1..).ok_or_else(invalid)?.to_vec();
    let (_, oid, parameters) = der_element(algorithm).ok_or_else(invalid)?;
    if oid == OID_RSA {
        return Ok(PublicKey::RsaDer(key));
    }
    if oid == OID_EC {
        let curve = der_element(parameters).map(|(_, c, _)| c);
        if curve == Some(OID_P256) {
            return Ok(PublicKey::EcP256(key));
        }
        return Err("only P-256 EC keys are supported".into());
    }
    Err("only RSA and P-256 keys are supported".into())
}

/// Loads the certificates of a PEM file.
pub fn load_certificates(path: &Path) -> Result<Vec<RegisteredCertificate>, CredentialError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| CredentialError::Read {
        path: shown.clone(),
        source,
    })?;
    let ders = pem_certificates(&text);
    if ders.is_empty() {
        return Err(CredentialError::Invalid {
            path: shown,
            reason: "no CERTIFICATE block".into(),
        });
    }
    ders.into_iter()
        .map(|der| {
            let key = certificate_key(&der).map_err(|reason| CredentialError::Invalid {
                path: shown.clone(),
                reason,
            })?;
            let sha1 = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, &der);
            let sha256 = digest::digest(&digest::SHA256, &der);
            Ok(RegisteredCertificate {
                key,
                x5t: b64url(sha1.as_ref()),
                x5t_s256: b64url(sha256.as_ref()),
                thumbprint_hex: sha1.as_ref().iter().map(|b| format!("{b:02X}")).collect(),
            })
        })
        .collect()
}

/// Loads the keys of a JWKS file (`{"keys":[{"kty":"RSA","n","e","kid"}|{"kty":"EC","crv":"P-256","x","y","kid"}]}`).
pub fn load_jwks(path: &Path) -> Result<Vec<Jwk>, CredentialError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| CredentialError::Read {
        path: shown.clone(),
        source,
    })?;
    let invalid = |reason: &str| CredentialError::Invalid {
        path: shown.clone(),
        reason: reason.to_owned(),
    };
    let doc: Value = serde_json::from_str(&text).map_err(|_| invalid("not JSON"))?;
    let keys = doc["keys"]
        .as_array()
        .ok_or_else(|| invalid("no \"keys\" array"))?;
    let member = |key: &Value, name: &str| -> Result<Vec<u8>, CredentialError> {
        key[name]
            .as_str()
            .and_then(|v| URL_SAFE_NO_PAD.decode(v.trim_end_matches('=')).ok())
            .ok_or_else(|| invalid(&format!("a key lacks a base64url '{name}'")))
    };
    keys.iter()
        .map(|key| {
            let kid = key["kid"].as_str().map(str::to_owned);
            let public = match key["kty"].as_str() {
                Some("RSA") => PublicKey::RsaComponents {
                    n: member(key, "n")?,
                    e: member(key, "e")?,
                },
                Some("EC") if key["crv"] == "P-256" => {
                    let mut point = vec![0x04];
                    point.extend(member(key, "x")?);
                    point.extend(member(key, "y")?);
                    PublicKey::EcP256(point)
                }
                _ => return Err(invalid("only RSA and EC P-256 keys are supported")),
            };
            Ok(Jwk { kid, key: public })
        })
        .collect()
}

/// A parsed, not yet trusted JWT.
struct Jwt {
    header: Value,
    claims: Value,
    signed: Vec<u8>,
    signature: Vec<u8>,
}

fn malformed() -> EntraError {
    EntraError::new(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        50027,
        "JWT token is invalid or malformed.",
    )
}

fn parse_jwt(token: &str) -> Result<Jwt, EntraError> {
    let mut parts = token.split('.');
    let (Some(header), Some(claims), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed());
    };
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| malformed());
    let header_json: Value = serde_json::from_slice(&decode(header)?).map_err(|_| malformed())?;
    let claims_json: Value = serde_json::from_slice(&decode(claims)?).map_err(|_| malformed())?;
    if !header_json.is_object() || !claims_json.is_object() {
        return Err(malformed());
    }
    Ok(Jwt {
        header: header_json,
        claims: claims_json,
        signed: format!("{header}.{claims}").into_bytes(),
        signature: decode(signature)?,
    })
}

fn invalid_signature(detail: &str) -> EntraError {
    EntraError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        700027,
        format!("Client assertion failed signature validation. [Reason - {detail}]"),
    )
}

/// `exp` (required) and `nbf` (optional) around `now`, with Entra's five-minute skew.
fn check_lifetime(claims: &Value, now: i64) -> Result<(), EntraError> {
    let expired = || {
        EntraError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700024,
            "Client assertion is not within its valid time range.",
        )
    };
    let exp = claims["exp"].as_i64().ok_or_else(malformed)?;
    if exp + SKEW_SECONDS < now {
        return Err(expired());
    }
    if let Some(nbf) = claims["nbf"].as_i64()
        && nbf - SKEW_SECONDS > now
    {
        return Err(expired());
    }
    Ok(())
}

fn audiences(claims: &Value) -> Vec<String> {
    match &claims["aud"] {
        Value::String(aud) => vec![aud.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

impl AssertionTrust {
    /// Authenticates `client_id` with `assertion`. `token_audiences` are the `aud` values a
    /// certificate assertion may carry (the token endpoint URLs).
    pub fn verify(
        &self,
        assertion: &str,
        client_id: &str,
        token_audiences: &[String],
        now: i64,
    ) -> Result<(), EntraError> {
        let jwt = parse_jwt(assertion)?;
        let alg = jwt.header["alg"].as_str().unwrap_or_default().to_owned();
        if !matches!(alg.as_str(), "RS256" | "PS256" | "ES256") {
            return Err(EntraError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                5002730,
                format!("Invalid JWT token. Unsupported signing algorithm '{alg}'."),
            ));
        }
        let issuer = jwt.claims["iss"].as_str().unwrap_or_default().to_owned();
        if issuer.eq_ignore_ascii_case(client_id) {
            self.verify_certificate(&jwt, &alg, client_id, token_audiences, now)
        } else {
            self.verify_federated(&jwt, &alg, now)
        }
    }

    fn verify_certificate(
        &self,
        jwt: &Jwt,
        alg: &str,
        client_id: &str,
        token_audiences: &[String],
        now: i64,
    ) -> Result<(), EntraError> {
        let subject = jwt.claims["sub"].as_str().unwrap_or_default();
        if !subject.eq_ignore_ascii_case(client_id) {
            return Err(EntraError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                700021,
                "Client assertion application identifier doesn't match 'client_id' parameter.",
            ));
        }
        let x5t = jwt.header["x5t"].as_str();
        let x5t_s256 = jwt.header["x5t#S256"].as_str();
        let presented = x5t.or(x5t_s256).unwrap_or_default().to_owned();
        let certificate = self
            .certificates
            .iter()
            .find(|c| x5t.is_some_and(|t| t == c.x5t) || x5t_s256.is_some_and(|t| t == c.x5t_s256));
        let Some(certificate) = certificate else {
            return Err(invalid_signature(&format!(
                "The key was not found., Thumbprint of key used by client: '{presented}'"
            )));
        };
        if !certificate.key.verify(alg, &jwt.signed, &jwt.signature) {
            return Err(invalid_signature(&format!(
                "The signature does not match the certificate {}",
                certificate.thumbprint_hex
            )));
        }
        let audience_ok = audiences(&jwt.claims).iter().any(|aud| {
            token_audiences.iter().any(|t| {
                t.trim_end_matches('/')
                    .eq_ignore_ascii_case(aud.trim_end_matches('/'))
            })
        });
        if !audience_ok {
            return Err(EntraError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                700016,
                "The audience of the client assertion is not this tenant's token endpoint.",
            ));
        }
        check_lifetime(&jwt.claims, now)
    }

    fn verify_federated(&self, jwt: &Jwt, alg: &str, now: i64) -> Result<(), EntraError> {
        let issuer = jwt.claims["iss"].as_str().unwrap_or_default();
        let subject = jwt.claims["sub"].as_str().unwrap_or_default();
        let audience_list = audiences(&jwt.claims);
        let matching = self.federated.iter().any(|credential| {
            credential.issuer == issuer
                && credential.subject == subject
                && audience_list.contains(&credential.audience)
        });
        if !matching {
            return Err(EntraError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                70021,
                format!(
                    "No matching federated identity record found for presented assertion. Assertion Issuer: '{issuer}'. Assertion Subject: '{subject}'. Assertion Audience: '{}'.",
                    audience_list.join(",")
                ),
            ));
        }
        let kid = jwt.header["kid"].as_str();
        let verified = self
            .jwks
            .iter()
            .filter(|key| kid.is_none() || key.kid.as_deref() == kid)
            .any(|key| key.key.verify(alg, &jwt.signed, &jwt.signature));
        if !verified {
            return Err(invalid_signature(&format!(
                "No key of the issuer's JWKS verifies the signature (kid '{}')",
                kid.unwrap_or_default()
            )));
        }
        check_lifetime(&jwt.claims, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn federated_credential_syntax() {
        let c = FederatedCredential::parse(
            "issuer=https://token.actions.githubusercontent.com,subject=repo:o/r:ref:refs/heads/main",
        )
        .unwrap();
        assert_eq!(c.audience, "api://AzureADTokenExchange");
        assert!(FederatedCredential::parse("issuer=x").is_err());
        assert!(FederatedCredential::parse("issuer=x,subject=y,colour=z").is_err());
    }

    #[test]
    fn der_walker_rejects_garbage() {
        assert!(certificate_key(&[0x30, 0x03, 0x01]).is_err());
        assert!(der_element(&[]).is_none());
    }
}
