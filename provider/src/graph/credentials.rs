//! The ways the provider proves who it is, and how each one turns into an
//! access token. Secrets live in [`Secret`], which never prints its value.

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// A value that must never reach a log: `Debug` and `Display` redact it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where a federated (OIDC) token comes from.
#[derive(Debug, Clone)]
pub enum OidcSource {
    Token(Secret),
    File(PathBuf),
    /// GitHub Actions' token service (ACTIONS_ID_TOKEN_REQUEST_URL / _TOKEN).
    GitHubActions {
        request_url: String,
        request_token: Secret,
    },
}

/// How the client authenticates.
#[derive(Debug, Clone)]
pub enum Credential {
    ClientSecret(Secret),
    /// A certificate registered on the app: a signed JWT client assertion.
    ClientCertificate(CertificateAssertion),
    /// Workload identity federation: an external token as client assertion.
    Oidc(OidcSource),
    /// Azure managed identity (IMDS, or App Service's IDENTITY_ENDPOINT).
    ManagedIdentity,
    /// The token of a signed-in Azure CLI.
    AzureCli,
    /// A user's sign-in with the device code flow, through the user's own
    /// public client registration (`client_id`); the refresh token is kept
    /// in `cache_path`.
    DeviceCode {
        cache_path: PathBuf,
    },
}

impl Credential {
    /// Whether tokens are a user's (delegated) rather than the application's
    /// own (app-only).
    pub fn is_delegated(&self) -> bool {
        matches!(self, Credential::AzureCli | Credential::DeviceCode { .. })
    }

    pub fn describe(&self) -> &'static str {
        match self {
            Credential::ClientSecret(_) => "client secret",
            Credential::ClientCertificate(_) => "client certificate",
            Credential::Oidc(_) => "OIDC federated token",
            Credential::ManagedIdentity => "managed identity",
            Credential::AzureCli => "Azure CLI",
            Credential::DeviceCode { .. } => "device code sign-in",
        }
    }
}

/// A signing key and the thumbprint of its certificate.
#[derive(Clone)]
pub struct CertificateAssertion {
    key: EncodingKey,
    algorithm: Algorithm,
    /// base64url(SHA-256(certificate DER)), the `x5t#S256` header.
    thumbprint_s256: String,
}

impl fmt::Debug for CertificateAssertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateAssertion")
            .field("algorithm", &self.algorithm)
            .field("x5t#S256", &self.thumbprint_s256)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

#[derive(Serialize)]
struct AssertionClaims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: String,
    nbf: u64,
    iat: u64,
    exp: u64,
}

impl CertificateAssertion {
    /// Loads a PEM file (certificate and private key) or a PKCS#12 file.
    pub fn load(path: &str, password: Option<&Secret>) -> Result<Self, CertificateError> {
        let bytes = std::fs::read(path).map_err(|source| CertificateError::Read {
            path: path.to_string(),
            source,
        })?;
        if bytes.starts_with(b"-----") || bytes.windows(10).any(|w| w == b"-----BEGIN") {
            Self::from_pem(&bytes)
        } else {
            Self::from_pkcs12(&bytes, password.map(Secret::expose).unwrap_or(""))
        }
    }

    pub fn from_pem(pem: &[u8]) -> Result<Self, CertificateError> {
        let text = std::str::from_utf8(pem)
            .map_err(|_| CertificateError::Invalid("the PEM file is not text".into()))?;
        let cert_der = pem_block(text, "CERTIFICATE").ok_or_else(|| {
            CertificateError::Invalid("the PEM file has no CERTIFICATE block".into())
        })?;
        let key_pem = ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"]
            .iter()
            .find_map(|label| pem_section(text, label))
            .ok_or_else(|| CertificateError::Invalid("the PEM file has no private key".into()))?;
        Self::from_parts(&cert_der, key_pem.as_bytes())
    }

    pub fn from_pkcs12(data: &[u8], password: &str) -> Result<Self, CertificateError> {
        let store = p12_keystore::KeyStore::from_pkcs12(
            data,
            password,
            p12_keystore::Pkcs12ImportPolicy::default(),
        )
        .map_err(|e| CertificateError::Invalid(format!("cannot open the PKCS#12 file: {e}")))?;
        let (_, chain) = store.private_key_chain().ok_or_else(|| {
            CertificateError::Invalid("the PKCS#12 file holds no private key".into())
        })?;
        let cert = chain.certs().first().ok_or_else(|| {
            CertificateError::Invalid("the PKCS#12 file holds no certificate".into())
        })?;
        let key_pem = to_pem("PRIVATE KEY", chain.key().as_der());
        Self::from_parts(cert.as_der(), key_pem.as_bytes())
    }

    fn from_parts(cert_der: &[u8], key_pem: &[u8]) -> Result<Self, CertificateError> {
        let thumbprint_s256 =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(cert_der));
        let (key, algorithm) = if let Ok(key) = EncodingKey::from_rsa_pem(key_pem) {
            (key, Algorithm::RS256)
        } else if let Ok(key) = EncodingKey::from_ec_pem(key_pem) {
            (key, Algorithm::ES256)
        } else {
            return Err(CertificateError::Invalid(
                "the private key is neither RSA nor an EC P-256 key".into(),
            ));
        };
        Ok(CertificateAssertion {
            key,
            algorithm,
            thumbprint_s256,
        })
    }

    /// A fresh client assertion for the token endpoint `audience`.
    pub fn sign(&self, client_id: &str, audience: &str) -> Result<Secret, CertificateError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_secs();
        let claims = AssertionClaims {
            aud: audience,
            iss: client_id,
            sub: client_id,
            jti: uuid::Uuid::new_v4().to_string(),
            nbf: now.saturating_sub(60),
            iat: now,
            exp: now + 600,
        };
        let mut header = Header::new(self.algorithm);
        header.x5t_s256 = Some(self.thumbprint_s256.clone());
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map(Secret)
            .map_err(|e| {
                CertificateError::Invalid(format!("cannot sign the client assertion: {e}"))
            })
    }
}

fn pem_section<'a>(text: &'a str, label: &str) -> Option<&'a str> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)?;
    let stop = text[start..].find(&end)? + start + end.len();
    Some(&text[start..stop])
}

fn pem_block(text: &str, label: &str) -> Option<Vec<u8>> {
    let section = pem_section(text, label)?;
    let body: String = section
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .ok()
}

fn to_pem(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{DecodingKey, Validation};

    use super::*;

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "<redacted>");
        let credential = Credential::ClientSecret(secret);
        assert!(!format!("{credential:?}").contains("hunter2"));
    }

    #[test]
    fn certificate_assertion_is_signed_with_thumbprint() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
        let cert = rcgen::CertificateParams::new(vec!["app".into()])
            .expect("params")
            .self_signed(&key)
            .expect("cert");
        let pem = format!("{}{}", cert.pem(), key.serialize_pem());
        let assertion = CertificateAssertion::from_pem(pem.as_bytes()).expect("load");
        let token = assertion
            .sign("client-1", "https://login.example/tenant/oauth2/v2.0/token")
            .expect("sign");

        let header = jsonwebtoken::decode_header(token.expose()).expect("header");
        let expected =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(cert.der()));
        assert_eq!(header.x5t_s256.as_deref(), Some(expected.as_str()));
        assert_eq!(header.alg, Algorithm::ES256);

        let decoding =
            DecodingKey::from_ec_pem(key.public_key_pem().as_bytes()).expect("public key");
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_audience(&["https://login.example/tenant/oauth2/v2.0/token"]);
        let claims =
            jsonwebtoken::decode::<serde_json::Value>(token.expose(), &decoding, &validation)
                .expect("valid");
        assert_eq!(claims.claims["iss"], "client-1");
        assert_eq!(claims.claims["sub"], "client-1");
    }

    #[test]
    fn broken_files_are_errors() {
        assert!(
            CertificateAssertion::from_pem(
                b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"
            )
            .is_err()
        );
        assert!(CertificateAssertion::from_pkcs12(b"not a pfx", "").is_err());
    }
}
