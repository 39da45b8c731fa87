//! The token endpoint and the bearer check in front of Graph.

use std::time::Duration;

use crate::common::{
    CONFIGS, GRAPH_SCOPE, Lab, assert_entra_error, assert_error, read, send, string_of,
};
use autopilot_lab::LabConfig;
use reqwest::StatusCode;
use serde_json::Value;

async fn token_request(lab: &Lab, tenant: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let url = format!("{}/{tenant}/oauth2/v2.0/token", lab.info().login_url);
    send(lab.http.post(url).form(form)).await
}

fn good_form(lab: &Lab) -> Vec<(&'static str, String)> {
    vec![
        ("grant_type", "client_credentials".to_owned()),
        ("client_id", lab.info().client_id.clone()),
        ("client_secret", lab.info().client_secret.clone()),
        ("scope", GRAPH_SCOPE.to_owned()),
    ]
}

fn with(
    form: &[(&'static str, String)],
    key: &str,
    value: Option<&str>,
) -> Vec<(&'static str, String)> {
    let mut out: Vec<_> = form.iter().filter(|(k, _)| *k != key).cloned().collect();
    if let Some(value) = value {
        let key = form
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(k, _)| *k)
            .unwrap();
        out.push((key, value.to_owned()));
    }
    out
}

fn as_refs<'a>(form: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    form.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test]
async fn client_credentials_issue_a_bearer_token_that_graph_accepts() {
    let lab = Lab::start().await;
    let tenant = lab.info().tenant_id.clone();
    let (status, body) = token_request(&lab, &tenant, &as_refs(&good_form(&lab))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(body["ext_expires_in"], 3599);
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(token.split('.').count(), 3, "JWT-like token: {token}");

    let response = lab
        .http
        .get(lab.url(CONFIGS))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn token_endpoint_failures_look_like_entra() {
    let lab = Lab::start().await;
    let tenant = lab.info().tenant_id.clone();
    let good = good_form(&lab);

    let (status, body) = token_request(
        &lab,
        &tenant,
        &as_refs(&with(&good, "client_secret", Some("wrong"))),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_entra_error(&body, "invalid_client", 7000215);
    assert!(string_of(&body["error_description"]).contains("Invalid client secret provided"));

    // Each request differs from a good one in its tenant or in one form field (changed, or
    // removed with `None`).
    let other_tenant = "11111111-1111-1111-1111-111111111111";
    let unknown_client = "22222222-2222-2222-2222-222222222222";
    let refusals = [
        (
            other_tenant,
            None,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
        ),
        (
            &*tenant,
            Some(("scope", Some("https://graph.microsoft.com/User.Read"))),
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            70011,
        ),
        (
            &*tenant,
            Some(("grant_type", Some("password"))),
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
        ),
        (
            &*tenant,
            Some(("client_id", Some(unknown_client))),
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
        ),
        (
            &*tenant,
            Some(("client_secret", None)),
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
        ),
        (
            &*tenant,
            Some(("scope", None)),
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
        ),
    ];
    for (tenant, change, expected, error, code) in refusals {
        let form = match change {
            Some((field, value)) => with(&good, field, value),
            None => good.clone(),
        };
        let (status, body) = token_request(&lab, tenant, &as_refs(&form)).await;
        assert_eq!(status, expected, "{body}");
        assert_entra_error(&body, error, code);
    }

    // A JSON body is not a form: no grant_type.
    let url = lab.info().token_url();
    let (status, body) = send(
        lab.http
            .post(url)
            .json(&serde_json::json!({"grant_type": "client_credentials"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_entra_error(&body, "invalid_request", 900144);
    assert!(string_of(&body["error_description"]).contains("'grant_type'"));

    // None of these issued a token usable on Graph, and the log saw every attempt.
    let log = lab.request_log().await;
    let token_calls = log
        .iter()
        .filter(|e| string_of(&e["path"]).ends_with("/oauth2/v2.0/token"))
        .count();
    assert_eq!(token_calls, 1 + 8, "{log:?}");
}

#[tokio::test]
async fn graph_rejects_missing_and_bad_tokens() {
    let lab = Lab::start().await;

    assert_error(
        send(lab.http.get(lab.url(CONFIGS))).await,
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        "Access token is empty.",
    );

    let response = lab
        .http
        .get(lab.url(CONFIGS))
        .bearer_auth("not-a-token")
        .header("client-request-id", "3f2c8f0e-1111-4222-8333-444455556666")
        .send()
        .await
        .unwrap();
    assert!(response.headers().contains_key("www-authenticate"));
    assert_eq!(
        response.headers()["client-request-id"],
        "3f2c8f0e-1111-4222-8333-444455556666"
    );
    let body = assert_error(
        read(response).await,
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        "Access token validation failure. Invalid audience.",
    );
    assert_eq!(
        body["error"]["innerError"]["client-request-id"],
        "3f2c8f0e-1111-4222-8333-444455556666"
    );

    // A token for another resource is refused by Graph.
    let form = with(
        &good_form(&lab),
        "scope",
        Some("https://management.azure.com/.default"),
    );
    let tenant = lab.info().tenant_id.clone();
    let (status, body) = token_request(&lab, &tenant, &as_refs(&form)).await;
    assert_eq!(status, StatusCode::OK);
    let arm_token = body["access_token"].as_str().unwrap();
    assert_error(
        send(lab.http.get(lab.url(CONFIGS)).bearer_auth(arm_token)).await,
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        "Invalid audience",
    );
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let lab = Lab::start_with(LabConfig {
        token_lifetime: Duration::from_millis(300),
        ..LabConfig::default()
    })
    .await;
    let _ = lab.get_ok(CONFIGS).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_error(
        lab.get(CONFIGS).await,
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        "token is expired",
    );
}
