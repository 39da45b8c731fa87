//! Shared helpers: a lab started in-process on 127.0.0.1:0 and a logged-in HTTP client.

use autopilot_lab::{LabConfig, LabHandle, ReadyInfo};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

pub(crate) const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

pub(crate) struct Lab {
    pub handle: LabHandle,
    pub http: reqwest::Client,
    pub token: String,
}

impl Lab {
    pub(crate) async fn start() -> Lab {
        Lab::start_with(LabConfig::default()).await
    }

    pub(crate) async fn start_with(config: LabConfig) -> Lab {
        let handle = autopilot_lab::spawn(config).await.expect("lab starts");
        let http = reqwest::Client::new();
        let token = fetch_token(&http, handle.info()).await;
        Lab {
            handle,
            http,
            token,
        }
    }

    pub(crate) fn info(&self) -> &ReadyInfo {
        self.handle.info()
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.info().graph_url, path)
    }

    /// A Graph request with the bearer token.
    pub(crate) async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        let mut request = self
            .http
            .request(method, self.url(path))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("request is sent")
    }

    pub(crate) async fn get(&self, path: &str) -> (StatusCode, Value) {
        read(self.call(Method::GET, path, None).await).await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        read(self.call(Method::POST, path, Some(body)).await).await
    }

    pub(crate) async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        read(self.call(Method::PATCH, path, Some(body)).await).await
    }

    pub(crate) async fn delete(&self, path: &str) -> (StatusCode, Value) {
        read(self.call(Method::DELETE, path, None).await).await
    }

    pub(crate) async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        read(self.call(Method::PUT, path, Some(body)).await).await
    }

    /// A control API call (no token).
    pub(crate) async fn control(
        &self,
        method: Method,
        what: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, self.url(&format!("/_lab/{what}")));
        if let Some(body) = body {
            request = request.json(&body);
        }
        read(request.send().await.unwrap()).await
    }

    /// The raw answer to a control API call (no token, no body), headers included.
    pub(crate) async fn control_raw(&self, method: Method, what: &str) -> Response {
        self.http
            .request(method, self.url(&format!("/_lab/{what}")))
            .send()
            .await
            .unwrap()
    }

    /// `PUT /_lab/settings`, asserting success.
    pub(crate) async fn settings(&self, body: Value) -> Value {
        let (status, body) = self.control(Method::PUT, "settings", Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// `GET /_lab/objects`.
    pub(crate) async fn objects(&self) -> Value {
        self.control(Method::GET, "objects", None).await.1
    }

    /// A new lab holding one domain join configuration named `name`, and its id.
    pub(crate) async fn with_domain_join(name: &str) -> (Self, String) {
        let lab = Self::start().await;
        let id = lab.create_domain_join(name).await;
        (lab, id)
    }

    /// Creates a domain join configuration and returns its id.
    pub(crate) async fn create_domain_join(&self, name: &str) -> String {
        let (status, body) = self.post(CONFIGS, domain_join(name)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// `GET /_lab/requests` (no token).
    pub(crate) async fn request_log(&self) -> Vec<Value> {
        let (_, body) = self.control(Method::GET, "requests", None).await;
        body["requests"].as_array().unwrap().clone()
    }
}

pub(crate) const CONFIGS: &str = "/beta/deviceManagement/deviceConfigurations";

pub(crate) async fn fetch_token(http: &reqwest::Client, info: &ReadyInfo) -> String {
    let response = http
        .post(info.token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", info.client_id.as_str()),
            ("client_secret", info.client_secret.as_str()),
            ("scope", GRAPH_SCOPE),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// Status and JSON body (`null` when the body is empty).
pub(crate) async fn read(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    (status, body)
}

/// A valid create body for a domain join configuration.
pub(crate) fn domain_join(name: &str) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.windowsDomainJoinConfiguration",
        "displayName": name,
        "activeDirectoryDomainName": "contoso.com",
        "computerNameStaticPrefix": "CTS-",
        "computerNameSuffixRandomCharCount": 8,
    })
}

/// Asserts Graph's error body: code, a message containing `needle`, and `innerError` ids.
pub(crate) fn assert_graph_error(body: &Value, code: &str, needle: &str) {
    let error = &body["error"];
    assert_eq!(error["code"], code, "{body}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains(needle),
        "message {message:?} lacks {needle:?}"
    );
    let inner = &error["innerError"];
    let date = inner["date"].as_str().unwrap();
    assert_eq!(date.len(), 19, "date without zone suffix: {date}");
    assert!(!date.ends_with('Z'));
    assert!(uuid::Uuid::parse_str(inner["request-id"].as_str().unwrap()).is_ok());
    assert!(inner["client-request-id"].is_string());
}

/// The `Retry-After` of a 429, in whole seconds.
pub(crate) fn retry_after_seconds(response: &Response) -> u64 {
    response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// Service principal of Microsoft's Intune provisioning client, seeded in every lab.
pub(crate) const PROVISIONING_SP: &str = "7ab1ab00-0000-4000-8000-00000000e003";

impl Lab {
    /// Makes the provisioning client an owner of group `id` (`POST /groups/{id}/owners/$ref`).
    pub(crate) async fn add_provisioning_owner(&self, id: &str) {
        let (status, body) = self
            .post(
                &format!("/v1.0/groups/{id}/owners/$ref"),
                json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{PROVISIONING_SP}")}),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }
}

/// Asserts the status of a `(status, body)` answer and returns the body.
pub(crate) fn expect((status, body): (StatusCode, Value), expected: StatusCode) -> Value {
    assert_eq!(status, expected, "{body}");
    body
}

/// Asserts the status of an answer and Graph's error body (`code`, a message with `needle`, the
/// `innerError` ids); returns the body.
pub(crate) fn assert_error(
    (status, body): (StatusCode, Value),
    expected: StatusCode,
    code: &str,
    needle: &str,
) -> Value {
    assert_eq!(status, expected, "{body}");
    assert_graph_error(&body, code, needle);
    body
}

/// Asserts a 400 with Graph's `BadRequest` error whose message has `needle`.
pub(crate) fn assert_bad_request((status, body): &(StatusCode, Value), needle: &str) {
    assert_eq!(*status, StatusCode::BAD_REQUEST, "{body}");
    assert_graph_error(body, "BadRequest", needle);
}

/// Asserts that `body` without its `@odata.type` is refused at `path`: the collection's own
/// type is abstract, so a create must name a derived one.
pub(crate) async fn assert_untyped_create_refused(lab: &Lab, path: &str, mut body: Value) {
    body.as_object_mut().unwrap().remove("@odata.type");
    assert_bad_request(
        &lab.post(path, body).await,
        "Cannot create an abstract class.",
    );
}

/// Asserts that Intune's wrapped message has `needle` in its `Message`.
pub(crate) fn assert_wrapped_contains(body: &Value, needle: &str) {
    let inner = wrapped_message(body);
    let message = inner["Message"].as_str().unwrap();
    assert!(
        message.contains(needle),
        "message {message:?} lacks {needle:?}"
    );
}

/// Parses Intune's wrapped message and returns the inner document.
pub(crate) fn wrapped_message(body: &Value) -> Value {
    let message = body["error"]["message"].as_str().unwrap();
    serde_json::from_str(message).unwrap_or_else(|e| panic!("not wrapped ({e}): {message}"))
}

/// The string `value` holds (the test fails when it is not a string).
pub(crate) fn string_of(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
}

impl Lab {
    /// A lab whose app holds only the application roles `roles`.
    pub(crate) async fn with_roles(roles: &[&str]) -> Lab {
        Lab::start_with(LabConfig {
            roles: Some(roles.iter().map(|role| (*role).to_owned()).collect()),
            ..LabConfig::default()
        })
        .await
    }

    /// `POST path` asserting 201; the created object.
    pub(crate) async fn create(&self, path: &str, body: Value) -> Value {
        expect(self.post(path, body).await, StatusCode::CREATED)
    }

    /// `POST path` asserting a success (2xx); the body.
    pub(crate) async fn post_ok(&self, path: &str, body: Value) -> Value {
        let (status, body) = self.post(path, body).await;
        assert!(status.is_success(), "{status} {body}");
        body
    }

    /// `GET path` asserting 200; the body.
    pub(crate) async fn get_ok(&self, path: &str) -> Value {
        expect(self.get(path).await, StatusCode::OK)
    }

    /// `GET path` asserting 200; the `value` array of the page.
    pub(crate) async fn values(&self, path: &str) -> Vec<Value> {
        values_of(&self.get_ok(path).await).clone()
    }

    /// `DELETE path` asserting 204, then a read of it asserting 404.
    pub(crate) async fn delete_and_gone(&self, path: &str) {
        expect(self.delete(path).await, StatusCode::NO_CONTENT);
        let (status, body) = self.get(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    }

    /// Asserts that v1.0 refuses `path` (after the version) with a 400: a beta-only collection.
    pub(crate) async fn assert_beta_only(&self, path: &str) {
        let (status, body) = self.get(&format!("/v1.0/{path}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    }
}

/// The `value` array of a collection body (the test fails when there is none).
pub(crate) fn values_of(body: &Value) -> &Vec<Value> {
    body["value"]
        .as_array()
        .unwrap_or_else(|| panic!("no value array: {body}"))
}

/// Sends a request built on the lab's client (login, metadata: no Graph token) and reads it.
pub(crate) async fn send(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    read(request.send().await.expect("request is sent")).await
}

/// An assignment to group `group` (no filter, no intent).
pub(crate) fn group_assignment(group: &str) -> Value {
    json!({"target": {
        "@odata.type": "#microsoft.graph.groupAssignmentTarget",
        "groupId": group,
    }})
}

/// An `assign` body with one assignment to group `group`.
pub(crate) fn assign_to_group(group: &str) -> Value {
    json!({"assignments": [group_assignment(group)]})
}

/// A create body for a dynamic security group of devices named `name` (its mail nickname in
/// lower case) with `rule`.
pub(crate) fn dynamic_device_group(name: &str, rule: &str) -> Value {
    json!({
        "displayName": name,
        "mailEnabled": false,
        "mailNickname": name.to_lowercase(),
        "securityEnabled": true,
        "groupTypes": ["DynamicMembership"],
        "membershipRule": rule,
    })
}

/// Asserts Entra's error shape: `error`, `error_codes`, an `AADSTS{code}: ` description with a
/// trace id, and the trace, correlation and time fields.
pub(crate) fn assert_entra_error(body: &Value, error: &str, code: u64) {
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["error_codes"], json!([code]), "{body}");
    let description = string_of(&body["error_description"]);
    assert!(
        description.starts_with(&format!("AADSTS{code}: ")),
        "{description}"
    );
    assert!(description.contains("Trace ID: "), "{description}");
    for field in ["timestamp", "trace_id", "correlation_id"] {
        assert!(body[field].is_string(), "{field} missing: {body}");
    }
    assert!(uuid::Uuid::parse_str(string_of(&body["trace_id"])).is_ok());
}
