//! Client assertions (certificates, federated credentials), OpenID discovery and `--tls`.

use std::path::Path;

use crate::common::{GRAPH_SCOPE, assert_entra_error, read, send, string_of};
use autopilot_lab::auth::assertion::FederatedCredential;
use autopilot_lab::{LabConfig, ReadyInfo};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::{Value, json};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A private key that signs JWTs.
enum Signer {
    Ec(EcdsaKeyPair),
    Rsa(RsaKeyPair),
}

impl Signer {
    fn sign(&self, alg: &str, header: &Value, claims: &Value) -> String {
        let signed = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let rng = SystemRandom::new();
        let sig = match (self, alg) {
            (Signer::Ec(key), "ES256") => {
                key.sign(&rng, signed.as_bytes()).unwrap().as_ref().to_vec()
            }
            (Signer::Rsa(key), "RS256" | "PS256") => {
                let padding: &dyn signature::RsaEncoding = if alg == "RS256" {
                    &signature::RSA_PKCS1_SHA256
                } else {
                    &signature::RSA_PSS_SHA256
                };
                let mut sig = vec![0; key.public_modulus_len()];
                key.sign(padding, &rng, signed.as_bytes(), &mut sig)
                    .unwrap();
                sig
            }
            _ => panic!("no {alg} with this key"),
        };
        format!("{signed}.{}", b64(&sig))
    }
}

/// A certificate for `alg`, written to `dir`; returns the signer and the DER certificate.
fn certificate(dir: &Path, name: &str, rsa: bool) -> (Signer, Vec<u8>, std::path::PathBuf) {
    let algorithm = if rsa {
        &rcgen::PKCS_RSA_SHA256
    } else {
        &rcgen::PKCS_ECDSA_P256_SHA256
    };
    let key = rcgen::KeyPair::generate_for(algorithm).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["app".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let path = dir.join(format!("{name}.pem"));
    std::fs::write(&path, cert.pem()).unwrap();
    let der = key.serialize_der();
    let signer = if rsa {
        Signer::Rsa(RsaKeyPair::from_pkcs8(&der).unwrap())
    } else {
        Signer::Ec(
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &der).unwrap(),
        )
    };
    (signer, cert.der().to_vec(), path)
}

fn x5t(der: &[u8]) -> String {
    b64(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, der).as_ref())
}

fn x5t_s256(der: &[u8]) -> String {
    b64(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der).as_ref())
}

async fn token_with(
    http: &reqwest::Client,
    info: &ReadyInfo,
    assertion: &str,
) -> (StatusCode, Value) {
    read(
        http.post(info.token_url())
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", info.client_id.as_str()),
                ("scope", GRAPH_SCOPE),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", assertion),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn certificate_assertions_rs256_ps256_es256() {
    let dir = tempfile::tempdir().unwrap();
    let (ec, ec_der, ec_path) = certificate(dir.path(), "ec", false);
    let (rsa, rsa_der, rsa_path) = certificate(dir.path(), "rsa", true);
    let (stranger, stranger_der, _) = certificate(dir.path(), "stranger", false);
    let lab = autopilot_lab::spawn(LabConfig {
        client_certs: vec![ec_path, rsa_path],
        ..LabConfig::default()
    })
    .await
    .unwrap();
    let info = lab.info().clone();
    let http = reqwest::Client::new();
    let claims = |aud: &str, exp: i64| {
        json!({"aud": aud, "iss": info.client_id, "sub": info.client_id, "exp": exp, "nbf": now() - 10,
               "jti": uuid::Uuid::new_v4().to_string()})
    };
    let good = claims(&info.token_url(), now() + 600);

    for (signer, der, alg, header_key) in [
        (&ec, &ec_der, "ES256", "x5t#S256"),
        (&rsa, &rsa_der, "RS256", "x5t"),
        (&rsa, &rsa_der, "PS256", "x5t#S256"),
    ] {
        let thumbprint = if header_key == "x5t" {
            x5t(der)
        } else {
            x5t_s256(der)
        };
        let header = json!({"alg": alg, "typ": "JWT", header_key: thumbprint});
        let (status, body) = token_with(&http, &info, &signer.sign(alg, &header, &good)).await;
        assert_eq!(status, StatusCode::OK, "{alg}: {body}");
        let token = body["access_token"].as_str().unwrap();
        let response = http
            .get(format!("{}/v1.0/users", info.graph_url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    // The Microsoft login URL is an accepted audience too.
    let header = json!({"alg": "ES256", "x5t#S256": x5t_s256(&ec_der)});
    let ms_aud = claims(
        &format!(
            "https://login.microsoftonline.com/{}/oauth2/v2.0/token",
            info.tenant_id
        ),
        now() + 600,
    );
    let (status, _) = token_with(&http, &info, &ec.sign("ES256", &header, &ms_aud)).await;
    assert_eq!(status, StatusCode::OK);

    // Refusals.
    let unknown = json!({"alg": "ES256", "x5t#S256": x5t_s256(&stranger_der)});
    let (status, body) = token_with(&http, &info, &stranger.sign("ES256", &unknown, &good)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_entra_error(&body, "invalid_client", 700027);
    assert!(string_of(&body["error_description"]).contains("The key was not found"));
    // Signed by another key but naming the registered certificate.
    let (status, body) = token_with(&http, &info, &stranger.sign("ES256", &header, &good)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_entra_error(&body, "invalid_client", 700027);
    let (status, body) = token_with(
        &http,
        &info,
        &ec.sign(
            "ES256",
            &header,
            &claims("https://example.com/token", now() + 600),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_entra_error(&body, "invalid_client", 700016);
    let (status, body) = token_with(
        &http,
        &info,
        &ec.sign("ES256", &header, &claims(&info.token_url(), now() - 3600)),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_entra_error(&body, "invalid_client", 700024);
    let mut other_sub = good.clone();
    other_sub["sub"] = json!("someone-else");
    let (status, body) = token_with(&http, &info, &ec.sign("ES256", &header, &other_sub)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_entra_error(&body, "invalid_client", 700021);
    let (status, body) = token_with(&http, &info, "not.a.jwt").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_entra_error(&body, "invalid_request", 50027);
    let hs = format!(
        "{}.{}.c2ln",
        b64(json!({"alg": "HS256"}).to_string().as_bytes()),
        b64(good.to_string().as_bytes())
    );
    let (status, _) = token_with(&http, &info, &hs).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn federated_credentials_with_a_jwks() {
    let dir = tempfile::tempdir().unwrap();
    let rng = SystemRandom::new();
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let key = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
        .unwrap();
    let point = key.public_key().as_ref().to_vec();
    let jwks = json!({"keys": [{"kty": "EC", "crv": "P-256", "kid": "k1",
                                "x": b64(&point[1..33]), "y": b64(&point[33..65])}]});
    let jwks_path = dir.path().join("jwks.json");
    std::fs::write(&jwks_path, jwks.to_string()).unwrap();
    let issuer = "https://token.actions.githubusercontent.com";
    let subject = "repo:contoso/infra:ref:refs/heads/main";
    let lab = autopilot_lab::spawn(LabConfig {
        federated_credentials: vec![
            FederatedCredential::parse(&format!("issuer={issuer},subject={subject}")).unwrap(),
        ],
        federated_jwks: Some(jwks_path),
        ..LabConfig::default()
    })
    .await
    .unwrap();
    let info = lab.info().clone();
    let http = reqwest::Client::new();
    let signer = Signer::Ec(key);
    let header = json!({"alg": "ES256", "kid": "k1", "typ": "JWT"});
    let claims = json!({"iss": issuer, "sub": subject, "aud": ["api://AzureADTokenExchange"],
                        "exp": now() + 300, "iat": now()});
    let (status, body) = token_with(&http, &info, &signer.sign("ES256", &header, &claims)).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let mut wrong = claims.clone();
    wrong["sub"] = json!("repo:contoso/infra:pull_request");
    let (status, body) = token_with(&http, &info, &signer.sign("ES256", &header, &wrong)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_entra_error(&body, "invalid_request", 70021);
    assert!(
        string_of(&body["error_description"]).contains("No matching federated identity record")
    );

    let other = Signer::Ec(
        EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .unwrap()
                .as_ref(),
        )
        .unwrap(),
    );
    let (status, body) = token_with(&http, &info, &other.sign("ES256", &header, &claims)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_entra_error(&body, "invalid_client", 700027);
}

#[tokio::test]
async fn bad_credential_files_stop_the_lab() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.pem");
    std::fs::write(&path, "nothing here").unwrap();
    let error = autopilot_lab::spawn(LabConfig {
        client_certs: vec![path],
        ..LabConfig::default()
    })
    .await
    .err()
    .expect("refused");
    assert!(
        error.to_string().contains("no CERTIFICATE block"),
        "{error}"
    );
}

#[tokio::test]
async fn openid_discovery_document() {
    let lab = crate::common::Lab::start().await;
    let info = lab.info();
    let (status, doc) = send(lab.http.get(format!(
        "{}/{}/v2.0/.well-known/openid-configuration",
        info.login_url, info.tenant_id
    )))
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["token_endpoint"], info.token_url());
    assert_eq!(
        doc["issuer"],
        format!("{}/{}/v2.0", info.login_url, info.tenant_id)
    );
    let (status, keys) = send(lab.http.get(doc["jwks_uri"].as_str().unwrap())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(keys, json!({"keys": []}));
    let (status, body) = send(lab.http.get(format!(
        "{}/nope/v2.0/.well-known/openid-configuration",
        info.login_url
    )))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_entra_error(&body, "invalid_request", 90002);
    let (status, instance) = send(lab.http
            .get(format!(
                "{}/common/discovery/instance?api-version=1.1&authorization_endpoint={}/{}/oauth2/v2.0/authorize",
                info.login_url, info.login_url, info.tenant_id
            ))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        string_of(&instance["tenant_discovery_endpoint"]).ends_with(&format!(
            "/{}/v2.0/.well-known/openid-configuration",
            info.tenant_id
        ))
    );
}

#[tokio::test]
async fn tls_serves_https_with_the_advertised_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let lab = autopilot_lab::spawn(LabConfig {
        tls: true,
        tls_dir: Some(dir.path().to_path_buf()),
        ..LabConfig::default()
    })
    .await
    .unwrap();
    let info = lab.info().clone();
    assert!(info.graph_url.starts_with("https://127.0.0.1:"), "{info:?}");
    let ca_cert = info.ca_cert.clone().expect("ca_cert in the ready line");
    let pem = std::fs::read(&ca_cert).unwrap();
    let http = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .build()
        .unwrap();
    let token = crate::common::fetch_token(&http, &info).await;
    let response = http
        .get(format!("{}/v1.0/users", info.graph_url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let ready = serde_json::to_value(&info).unwrap();
    assert_eq!(ready["ca_cert"], json!(ca_cert));
    // A client that does not trust the certificate fails.
    let untrusting = reqwest::Client::new();
    assert!(
        untrusting
            .get(format!("{}/_lab/requests", info.graph_url))
            .send()
            .await
            .is_err()
    );
}
