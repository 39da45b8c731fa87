//! How the provider authenticates, through the real `terraform` binary against a running lab:
//! client certificate, OIDC token file, Terraform Cloud's workload identity token, managed identity, Azure CLI; secrets never reach the
//! output; no credentials at all gives a diagnostic naming the options; a token Graph refuses with
//! 401 is renewed once and the request sent again.
//! Every test owns its lab, its working directory and its helpers, so they run in parallel.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{SystemTime, UNIX_EPOCH};

use acceptance_tests::{Lab, Request, Terraform};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

const PROFILE: &str = r#"
resource "autopilot_domain_join_profile" "x" {
  display_name                 = "DJ-Auth"
  active_directory_domain_name = "contoso.com"
  computer_name_static_prefix  = "CTS-"
}
"#;

const FEDERATED_ISSUER: &str = "https://token.actions.githubusercontent.com";
const FEDERATED_SUBJECT: &str = "repo:contoso/autopilot:ref:refs/heads/main";
const FEDERATED_AUDIENCE: &str = "api://AzureADTokenExchange";

/// The lab's endpoints without any credential: only the URLs.
fn endpoints(lab: &Lab) -> Vec<(String, String)> {
    let i = lab.info();
    vec![
        ("AUTOPILOT_GRAPH_URL".into(), i.graph_url.clone()),
        ("AUTOPILOT_LOGIN_URL".into(), i.login_url.clone()),
    ]
}

/// The lab's endpoints plus its tenant and client ids (no secret).
fn app_ids(lab: &Lab) -> Vec<(String, String)> {
    let i = lab.info();
    let mut env = endpoints(lab);
    env.push(("ARM_TENANT_ID".into(), i.tenant_id.clone()));
    env.push(("ARM_CLIENT_ID".into(), i.client_id.clone()));
    env
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A working directory whose provider signs in to `lab` as its app, with `credentials` (e.g.
/// `ARM_CLIENT_CERTIFICATE_PATH`) in its environment.
fn signed_in_as_the_app(lab: &Lab, credentials: &[(&str, &str)]) -> Terraform {
    let mut provider_env = app_ids(lab);
    provider_env.extend(env(credentials));
    Terraform::with_env(provider_env)
}

/// Signed in with `credentials`, the provider applies and destroys [`PROFILE`], and every token
/// request it made was granted.
#[track_caller]
fn assert_signs_in_and_applies(lab: &Lab, credentials: &[(&str, &str)]) {
    let tf = signed_in_as_the_app(lab, credentials);
    apply_and_destroy(lab, &tf);
    assert_tokens_granted(lab);
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs()
}

fn token_requests(lab: &Lab) -> Vec<Request> {
    lab.requests_matching(|r| r.path.ends_with("/oauth2/v2.0/token"))
}

/// Applies [`PROFILE`], checks the lab holds exactly one profile, then destroys it.
#[track_caller]
fn apply_and_destroy(lab: &Lab, tf: &Terraform) {
    tf.write_config(PROFILE);
    tf.apply()
        .assert_contains("1 added, 0 changed, 0 destroyed");
    let profiles = lab.objects("deviceConfigurations");
    assert_eq!(profiles.len(), 1, "{profiles:?}");
    assert_eq!(profiles[0]["displayName"], json!("DJ-Auth"), "{profiles:?}");
    tf.destroy().assert_contains("1 destroyed");
    assert!(lab.objects("deviceConfigurations").is_empty());
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path.to_string_lossy().into_owned()
}

#[test]
fn client_certificate_from_a_pem_file() {
    let files = tempfile::tempdir().expect("a temporary directory");
    let certified = rcgen::generate_simple_self_signed(vec!["autopilot-acc".to_string()])
        .expect("a self-signed certificate");
    let cert_pem = certified.cert.pem();
    let public = write(files.path(), "public.pem", &cert_pem);
    let both = write(
        files.path(),
        "client.pem",
        &format!("{cert_pem}{}", certified.signing_key.serialize_pem()),
    );

    let lab = Lab::start_with_args(&["--client-cert", &public]);
    assert_signs_in_and_applies(&lab, &[("ARM_CLIENT_CERTIFICATE_PATH", &both)]);
}

#[test]
fn client_certificate_that_the_lab_does_not_know_is_refused() {
    let files = tempfile::tempdir().expect("a temporary directory");
    let registered = rcgen::generate_simple_self_signed(vec!["registered".to_string()])
        .expect("a self-signed certificate");
    let other = rcgen::generate_simple_self_signed(vec!["other".to_string()])
        .expect("a self-signed certificate");
    let public = write(files.path(), "public.pem", &registered.cert.pem());
    let both = write(
        files.path(),
        "client.pem",
        &format!("{}{}", other.cert.pem(), other.signing_key.serialize_pem()),
    );

    let lab = Lab::start_with_args(&["--client-cert", &public]);
    let tf = signed_in_as_the_app(&lab, &[("ARM_CLIENT_CERTIFICATE_PATH", &both)]);
    tf.write_config(PROFILE);
    let out = tf.apply_expect_error();
    assert!(
        out.diagnostics().contains("invalid_client") || out.diagnostics().contains("700027"),
        "{out}"
    );
    assert!(lab.objects("deviceConfigurations").is_empty());
}

/// A lab that trusts tokens of `issuer` for `subject`, and a token it accepts, signed by a key
/// made for the test (the directory holds the JWKS and must outlive the lab's start).
fn federated_lab(issuer: &str, subject: &str) -> (Lab, String, tempfile::TempDir) {
    let files = tempfile::tempdir().expect("a temporary directory");
    let key = rcgen::KeyPair::generate().expect("a P-256 key");
    let point = key.public_key_raw();
    assert_eq!(point.len(), 65, "an uncompressed P-256 point");
    let jwks = json!({"keys": [{
        "kty": "EC",
        "crv": "P-256",
        "kid": "acc-1",
        "use": "sig",
        "alg": "ES256",
        "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
        "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
    }]});
    let jwks_path = write(files.path(), "jwks.json", &jwks.to_string());

    let issued = now();
    let claims = json!({
        "iss": issuer,
        "sub": subject,
        "aud": FEDERATED_AUDIENCE,
        "iat": issued,
        "nbf": issued - 60,
        "exp": issued + 3600,
    });
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some("acc-1".into());
    let signing = jsonwebtoken::EncodingKey::from_ec_pem(key.serialize_pem().as_bytes())
        .expect("an ES256 signing key");
    let jwt = jsonwebtoken::encode(&header, &claims, &signing).expect("a signed token");

    let credential = format!("issuer={issuer},subject={subject},audience={FEDERATED_AUDIENCE}");
    let lab = Lab::start_with_args(&[
        "--federated-credential",
        &credential,
        "--federated-jwks",
        &jwks_path,
    ]);
    (lab, jwt, files)
}

fn assert_tokens_granted(lab: &Lab) {
    let tokens = token_requests(lab);
    assert!(
        !tokens.is_empty(),
        "no token request in {:?}",
        lab.requests()
    );
    assert!(
        tokens.iter().all(|r| r.status == 200),
        "a token request failed: {tokens:?}\nlab output:\n{}",
        lab.logs()
    );
}

#[test]
fn oidc_token_from_a_file() {
    let (lab, jwt, files) = federated_lab(FEDERATED_ISSUER, FEDERATED_SUBJECT);
    // A trailing newline, as CI systems write it.
    let token_path = write(files.path(), "oidc.jwt", &format!("{jwt}\n"));
    assert_signs_in_and_applies(
        &lab,
        &[
            ("ARM_USE_OIDC", "true"),
            ("ARM_OIDC_TOKEN_FILE_PATH", &token_path),
        ],
    );
}

/// Terraform Cloud's dynamic credentials: the workspace sets `TFC_WORKLOAD_IDENTITY_AUDIENCE`
/// and each run phase gets its token in `TFC_WORKLOAD_IDENTITY_TOKEN`; `ARM_USE_OIDC=true` is
/// all the provider needs besides the tenant and client ids (the Terraform Cloud guide).
#[test]
fn oidc_token_from_terraform_cloud_dynamic_credentials() {
    let subject = "organization:contoso:project:Default Project:workspace:autopilot-production:run_phase:apply";
    let (lab, jwt, _files) = federated_lab("https://app.terraform.io", subject);
    assert_signs_in_and_applies(
        &lab,
        &[
            ("ARM_USE_OIDC", "true"),
            ("TFC_WORKLOAD_IDENTITY_TOKEN", &jwt),
        ],
    );

    // The tagged variable wins over the untagged one.
    let (lab, jwt, _files) = federated_lab("https://app.terraform.io", subject);
    assert_signs_in_and_applies(
        &lab,
        &[
            ("ARM_USE_OIDC", "true"),
            ("TFC_WORKLOAD_IDENTITY_TOKEN_AUTOPILOT", &jwt),
            ("TFC_WORKLOAD_IDENTITY_TOKEN", "not-a-token"),
        ],
    );
}

/// A stand-in for App Service's managed identity endpoint: answers every request that carries
/// the right `X-IDENTITY-HEADER` with `token`, anything else with 401. Records request lines.
struct IdentityEndpoint {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl IdentityEndpoint {
    fn start(header: &'static str, token: String) -> IdentityEndpoint {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().expect("a local address").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        // The thread ends with the test process; the listener is never shared.
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(match stream.try_clone() {
                    Ok(s) => s,
                    Err(_) => continue,
                });
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                let mut authorized = false;
                loop {
                    let mut line = String::new();
                    match reader.read_line(&mut line) {
                        Ok(0) | Err(_) => break,
                        Ok(_) if line.trim().is_empty() => break,
                        Ok(_) => {
                            if let Some((name, value)) = line.split_once(':')
                                && name.trim().eq_ignore_ascii_case("x-identity-header")
                                && value.trim() == header
                            {
                                authorized = true;
                            }
                        }
                    }
                }
                log.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(request_line.trim().to_string());
                let (status, body) = if authorized && request_line.starts_with("GET /?") {
                    (
                        "200 OK",
                        json!({
                            "access_token": token,
                            "expires_in": "3600",
                            "token_type": "Bearer",
                            "resource": "https://graph.microsoft.com/",
                        })
                        .to_string(),
                    )
                } else {
                    (
                        "401 Unauthorized",
                        json!({"error": "unauthorized"}).to_string(),
                    )
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.flush();
            }
        });
        IdentityEndpoint {
            url: format!("http://127.0.0.1:{port}/"),
            seen,
        }
    }

    fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[test]
fn managed_identity_through_identity_endpoint() {
    let lab = Lab::start();
    let identity = IdentityEndpoint::start("xyz", lab.token());
    lab.clear_requests();

    let mut provider_env = endpoints(&lab);
    provider_env.extend(env(&[
        ("ARM_USE_MSI", "true"),
        ("IDENTITY_ENDPOINT", &identity.url),
        ("IDENTITY_HEADER", "xyz"),
    ]));
    let tf = Terraform::with_env(provider_env);
    apply_and_destroy(&lab, &tf);

    let seen = identity.requests();
    assert!(!seen.is_empty(), "the identity endpoint was never asked");
    for line in &seen {
        assert!(
            line.starts_with("GET /?")
                && line.contains("api-version=")
                && line.contains("resource="),
            "unexpected identity request {line:?} in {seen:?}"
        );
        assert!(
            line.contains("graph.microsoft.com"),
            "the resource is not Graph: {line:?}"
        );
    }
    // The token came from the identity endpoint, never from the lab's login endpoint.
    assert_eq!(token_requests(&lab), Vec::<Request>::new());
}

#[test]
fn azure_cli_token() {
    let lab = Lab::start();
    let bin = tempfile::tempdir().expect("a temporary directory");
    let answer = json!({
        "accessToken": lab.token(),
        "expiresOn": "2099-01-01 00:00:00.000000",
        "expires_on": now() + 3600,
        "subscription": "00000000-0000-0000-0000-000000000000",
        "tenant": lab.info().tenant_id,
        "tokenType": "Bearer",
    });
    let answer_path = write(bin.path(), "answer.json", &answer.to_string());
    let args_log = bin.path().join("az-args.log");
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\ncat '{}'\n",
        args_log.display(),
        answer_path
    );
    let az = bin.path().join("az");
    std::fs::write(&az, script).expect("write the fake az");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755))
            .expect("make the fake az executable");
    }
    let path = match std::env::var("PATH") {
        Ok(rest) if !rest.is_empty() => format!("{}:{rest}", bin.path().display()),
        _ => bin.path().display().to_string(),
    };
    lab.clear_requests();

    let mut provider_env = endpoints(&lab);
    provider_env.extend(env(&[("ARM_USE_CLI", "true"), ("PATH", &path)]));
    let tf = Terraform::with_env(provider_env);
    apply_and_destroy(&lab, &tf);

    let calls = std::fs::read_to_string(&args_log).unwrap_or_default();
    assert!(!calls.is_empty(), "the provider never ran az");
    for call in calls.lines() {
        assert!(
            call.starts_with("account get-access-token")
                && call.contains("--resource https://graph.microsoft.com")
                && call.contains("--output json"),
            "unexpected az call {call:?}"
        );
    }
    assert_eq!(token_requests(&lab), Vec::<Request>::new());
}

#[test]
fn secrets_and_tokens_never_reach_the_output() {
    let lab = Lab::start();
    let secret = lab.info().client_secret.clone();
    assert!(secret.len() >= 8, "a secret worth looking for: {secret:?}");
    let mut provider_env = lab.provider_env();
    provider_env.extend(env(&[("TF_LOG", "trace"), ("TF_LOG_PROVIDER", "trace")]));
    let tf = Terraform::with_env(provider_env);
    tf.write_config(PROFILE);

    let applied = tf.apply();
    let planned = tf.plan().success();
    let destroyed = tf.destroy();
    for out in [&applied, &planned, &destroyed] {
        // The trace really is on: the provider's own log lines are there.
        assert!(
            out.stderr.contains("[TRACE]") || out.stderr.contains("[DEBUG]"),
            "TF_LOG=trace produced no log\n{out}"
        );
        out.assert_not_contains(&secret);
        out.assert_not_contains("Bearer ey");
        out.assert_not_contains("access_token");
        out.assert_not_contains("client_assertion=");
    }
    assert!(
        !token_requests(&lab).is_empty(),
        "the provider never asked for a token"
    );
    // The provider's own trace reached the output, including its token request.
    assert!(
        [&applied, &planned, &destroyed]
            .iter()
            .any(|out| out.text().contains("requesting an access token")),
        "the provider's log is not in the output\n{applied}"
    );
    let lab_log = lab.logs();
    assert!(!lab_log.contains(&secret), "the lab logged the secret");
}

#[test]
fn no_credentials_names_the_options() {
    let lab = Lab::start();
    let tf = Terraform::with_env(endpoints(&lab));
    tf.write_config(PROFILE);
    let out = tf.plan().expect_failure();
    let said = out.diagnostics();
    for option in [
        "No credentials configured",
        "client_certificate_path",
        "client_secret",
        "ARM_CLIENT_SECRET",
        "use_oidc",
        "use_msi",
        "use_cli",
        "use_device_code",
    ] {
        assert!(said.contains(option), "{option:?} not named\n{out}");
    }
    assert_eq!(token_requests(&lab), Vec::<Request>::new());
    assert!(lab.objects("deviceConfigurations").is_empty());
}

/// The whole cycle against a lab serving HTTPS with its own CA, which the
/// provider trusts through SSL_CERT_FILE as it would a corporate CA.
#[test]
fn https_lab_trusted_through_ssl_cert_file() {
    let tls_dir = tempfile::tempdir().expect("tls dir");
    let tls_path = tls_dir.path().to_string_lossy().into_owned();
    let lab = Lab::start_with_args(&["--tls", "--tls-dir", &tls_path]);
    assert!(
        lab.info().graph_url.starts_with("https://"),
        "the lab serves HTTPS"
    );
    let mut env = lab.provider_env();
    env.push((
        "SSL_CERT_FILE".to_string(),
        tls_dir.path().join("ca.pem").to_string_lossy().into_owned(),
    ));
    let tf = Terraform::with_env(env);
    tf.write_config(
        r#"
resource "autopilot_domain_join_profile" "x" {
  display_name                 = "DJ-TLS"
  active_directory_domain_name = "contoso.com"
  computer_name_static_prefix  = "CTS-"
}
"#,
    );
    tf.apply().assert_contains("1 added");
    assert_eq!(
        tf.plan_detailed_exitcode(),
        0,
        "second plan over HTTPS is empty"
    );
    tf.destroy();
}

/// Graph's answer to a token it no longer accepts (expired early, revoked).
fn expired_token_rule(count: Option<u64>) -> serde_json::Value {
    let mut rule = json!({
        "id": "expired-token",
        "method": "POST",
        "path": "deviceConfigurations$",
        "status": 401,
        "body": {"error": {
            "code": "InvalidAuthenticationToken",
            "message": "Access token has expired or is not yet valid.",
            "innerError": {"date": "2026-12-06T04:00:00", "request-id": "00000000-0000-0000-0000-000000000401"}
        }}
    });
    if let Some(count) = count {
        rule["count"] = json!(count);
    }
    json!({"rules": [rule]})
}

/// The token requests and profile creates of the lab's log, in order, as `token 200` or
/// `POST 401`.
fn token_and_create_sequence(lab: &Lab) -> Vec<String> {
    lab.requests()
        .into_iter()
        .filter_map(|r| {
            if r.path.ends_with("/oauth2/v2.0/token") {
                Some(format!("token {}", r.status))
            } else if r.method == "POST" && r.path.ends_with("/deviceConfigurations") {
                Some(format!("POST {}", r.status))
            } else {
                None
            }
        })
        .collect()
}

/// That sequence from the first refused create on.
fn from_first_refusal(lab: &Lab) -> Vec<String> {
    let sequence = token_and_create_sequence(lab);
    let refused = sequence
        .iter()
        .position(|s| s == "POST 401")
        .unwrap_or_else(|| panic!("no refused create in {sequence:?}"));
    sequence[refused..].to_vec()
}

#[test]
fn a_token_graph_stops_accepting_is_renewed_once_and_the_request_sent_again() {
    let lab = Lab::start();
    let tf = Terraform::configured(&lab, PROFILE);
    acceptance_tests::devices::set_faults(&lab, &expired_token_rule(Some(1)));
    lab.clear_requests();
    let applied = tf.apply();
    assert_eq!(acceptance_tests::devices::faults_fired(&lab), vec![1]);
    assert_eq!(
        from_first_refusal(&lab),
        ["POST 401", "token 200", "POST 201"],
        "after the 401 the provider gets a new token, then sends the create again\n{applied}"
    );
    assert_eq!(lab.objects("deviceConfigurations").len(), 1);
    tf.destroy();
}

#[test]
fn a_token_graph_keeps_refusing_fails_after_one_renewal_with_graphs_reason() {
    let lab = Lab::start();
    let tf = Terraform::configured(&lab, PROFILE);
    acceptance_tests::devices::set_faults(&lab, &expired_token_rule(None));
    lab.clear_requests();
    let failed = tf.apply_expect_error();
    let said = failed.diagnostics();
    assert!(said.contains("InvalidAuthenticationToken"), "{failed}");
    assert!(said.contains("401"), "{failed}");
    assert_eq!(
        from_first_refusal(&lab),
        ["POST 401", "token 200", "POST 401"],
        "one renewal, one more attempt, then the error\n{failed}"
    );
    assert!(lab.objects("deviceConfigurations").is_empty());
    assert!(tf.state_addresses().is_empty());
}
