//! A blocking client for a running `autopilot-lab`: its control API under `<graph_url>/_lab/`
//! (settings, fault rules, the request log, objects, reset), a client-credentials token from its
//! login endpoint, and plain JSON calls to Graph with that token.
//!
//! xtask (the demo and the benchmarks) and the acceptance tests use it, so that the lab's control
//! API has one client. It knows no Graph payload type, only JSON values: the lab and the provider
//! still share no code, and the lab itself does not depend on this crate.
//!
//! No secret or token is ever part of an error message.

use std::sync::Mutex;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

pub use ureq::http::Method;

/// The scope of an app-only Graph token.
const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
/// How much of an error body an error message shows.
const SHOWN_BODY_CHARS: usize = 600;
/// How many pages [`LabClient::graph_list`] follows before it gives up.
const MAX_PAGES: usize = 1000;

/// The ready line `autopilot-lab serve` prints first on stdout: its URLs and credentials.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct LabInfo {
    pub graph_url: String,
    pub login_url: String,
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: String,
}

impl LabInfo {
    /// Parses the ready line; URLs lose a trailing `/`.
    pub fn parse(line: &str) -> Result<Self, LabError> {
        let mut info: Self =
            serde_json::from_str(line.trim()).map_err(|source| LabError::ReadyLine {
                line: truncate(line.trim(), 200),
                source,
            })?;
        info.graph_url = info.graph_url.trim_end_matches('/').to_string();
        info.login_url = info.login_url.trim_end_matches('/').to_string();
        Ok(info)
    }

    /// The environment that points the provider at this lab.
    pub fn provider_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("ARM_TENANT_ID", self.tenant_id.clone()),
            ("ARM_CLIENT_ID", self.client_id.clone()),
            ("ARM_CLIENT_SECRET", self.client_secret.clone()),
            ("AUTOPILOT_GRAPH_URL", self.graph_url.clone()),
            ("AUTOPILOT_LOGIN_URL", self.login_url.clone()),
        ]
    }
}

/// Why a call to the lab failed.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error("the lab's ready line is not the expected JSON ({source}): {line}")]
    ReadyLine {
        line: String,
        source: serde_json::Error,
    },
    #[error("{method} {url} failed: {source}")]
    Transport {
        method: Method,
        url: String,
        source: Box<ureq::Error>,
    },
    #[error("{method} {url} returned {status}: {body}")]
    Status {
        method: Method,
        url: String,
        status: u16,
        body: String,
    },
    #[error("{method} {url}: the response is not JSON: {body}")]
    NotJson {
        method: Method,
        url: String,
        body: String,
    },
    #[error("{method} {url}: {what}")]
    Unexpected {
        method: Method,
        url: String,
        what: String,
    },
}

/// A response whatever its status: the status and the JSON body (`null` when empty, a JSON string
/// when the body is not JSON).
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The JSON body of a 2xx answer to `<method> <url>`, else an error with the status and
    /// the start of the body.
    pub fn into_success(self, method: Method, url: &str) -> Result<Value, LabError> {
        success(method, url, self)
    }
}

/// A lab's control API, its login endpoint and Graph. The Graph token is fetched on first use
/// and kept.
pub struct LabClient {
    agent: ureq::Agent,
    info: LabInfo,
    token: Mutex<Option<String>>,
}

impl LabClient {
    /// A client of the lab `info` describes, each call limited to `timeout`.
    pub fn new(info: &LabInfo, timeout: Duration) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // The lab is on loopback: never send its traffic (or its secrets) through a proxy.
            .proxy(None)
            .timeout_global(Some(timeout))
            .build()
            .new_agent();
        Self {
            agent,
            info: info.clone(),
            token: Mutex::new(None),
        }
    }

    /// The lab this client calls.
    pub fn info(&self) -> &LabInfo {
        &self.info
    }

    /// `<graph_url>/_lab/<what>`.
    pub fn control_url(&self, what: &str) -> String {
        format!(
            "{}/_lab/{}",
            self.info.graph_url.trim_end_matches('/'),
            what.trim_start_matches('/')
        )
    }

    /// A control call (`<method> /_lab/<what>`, no token needed); its JSON body (`null` when
    /// empty), or an error unless 2xx.
    pub fn control(
        &self,
        method: Method,
        what: &str,
        body: Option<&Value>,
    ) -> Result<Value, LabError> {
        let url = self.control_url(what);
        let answer = self.send(method.clone(), &url, body, None)?;
        success(method, &url, answer)
    }

    /// `PUT /_lab/settings` with a partial settings object; the lab's new settings.
    pub fn put_settings(&self, settings: &Value) -> Result<Value, LabError> {
        self.control(Method::PUT, "settings", Some(settings))
    }

    /// `GET /_lab/settings`.
    pub fn settings(&self) -> Result<Value, LabError> {
        self.control(Method::GET, "settings", None)
    }

    /// Replaces the lab's fault rules (`PUT /_lab/faults`).
    pub fn set_faults(&self, rules: &Value) -> Result<(), LabError> {
        self.control(Method::PUT, "faults", Some(rules)).map(drop)
    }

    /// How often each fault rule fired (`GET /_lab/faults`), in rule order.
    pub fn faults_fired(&self) -> Result<Vec<u64>, LabError> {
        let body = self.control(Method::GET, "faults", None)?;
        Ok(body["rules"]
            .as_array()
            .map(|rules| {
                rules
                    .iter()
                    .map(|r| r["fired"].as_u64().unwrap_or(0))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The request log, oldest first (`GET /_lab/requests`), each entry as the lab wrote it.
    pub fn requests(&self) -> Result<Vec<Value>, LabError> {
        let body = self.control(Method::GET, "requests", None)?;
        match body.get("requests") {
            Some(Value::Array(entries)) => Ok(entries.clone()),
            _ => Err(LabError::Unexpected {
                method: Method::GET,
                url: self.control_url("requests"),
                what: "the response has no `requests` array".to_string(),
            }),
        }
    }

    /// Empties the request log (`DELETE /_lab/requests`).
    pub fn clear_requests(&self) -> Result<(), LabError> {
        self.control(Method::DELETE, "requests", None).map(drop)
    }

    /// Every collection of the tenant (`GET /_lab/objects`): each a list of objects, plus `_lab`
    /// with the relations.
    pub fn objects(&self) -> Result<Value, LabError> {
        self.control(Method::GET, "objects", None)
    }

    /// Puts the tenant back to its seeded state (`POST /_lab/reset`).
    pub fn reset(&self) -> Result<(), LabError> {
        self.control(Method::POST, "reset", None).map(drop)
    }

    /// An app-only Graph token from `<login_url>/<tenant_id>/oauth2/v2.0/token` (client
    /// credentials); fetched once, then kept.
    pub fn token(&self) -> Result<String, LabError> {
        let mut cached = self.token.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(token) = cached.as_ref() {
            return Ok(token.clone());
        }
        let i = &self.info;
        let url = format!(
            "{}/{}/oauth2/v2.0/token",
            i.login_url.trim_end_matches('/'),
            i.tenant_id
        );
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", i.client_id.as_str()),
            ("client_secret", i.client_secret.as_str()),
            ("scope", GRAPH_SCOPE),
        ];
        let response = self
            .agent
            .post(&url)
            .send_form(form)
            .map_err(|source| transport(Method::POST, &url, source))?;
        let body = success(Method::POST, &url, read(Method::POST, &url, response)?)?;
        let token = body
            .get("access_token")
            .and_then(Value::as_str)
            .ok_or_else(|| LabError::Unexpected {
                method: Method::POST,
                url: url.clone(),
                what: "the response has no access_token".to_string(),
            })?
            .to_string();
        *cached = Some(token.clone());
        Ok(token)
    }

    /// `<graph_url><path>`, e.g. `graph_url("/beta/groups")`.
    pub fn graph_url(&self, path: &str) -> String {
        format!("{}{path}", self.info.graph_url.trim_end_matches('/'))
    }

    /// A Graph call with the client's token to a full `url`; the answer whatever its status.
    pub fn graph(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Answer, LabError> {
        let token = self.token()?;
        self.send(method, url, body, Some(&token))
    }

    /// A Graph call that must succeed (2xx): its JSON body.
    pub fn graph_ok(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Value, LabError> {
        let answer = self.graph(method.clone(), url, body)?;
        success(method, url, answer)
    }

    /// Every item of a Graph collection from `url`, following `@odata.nextLink`; also the page
    /// count.
    pub fn graph_list(&self, url: &str) -> Result<(Vec<Value>, usize), LabError> {
        let mut next = Some(url.to_string());
        let (mut items, mut pages) = (Vec::new(), 0);
        while let Some(page_url) = next.take() {
            pages += 1;
            if pages > MAX_PAGES {
                return Err(LabError::Unexpected {
                    method: Method::GET,
                    url: url.to_string(),
                    what: format!("more than {MAX_PAGES} pages, giving up"),
                });
            }
            let page = self.graph_ok(Method::GET, &page_url, None)?;
            if let Some(values) = page.get("value").and_then(Value::as_array) {
                items.extend(values.iter().cloned());
            }
            next = page
                .get("@odata.nextLink")
                .and_then(Value::as_str)
                .map(str::to_string);
        }
        Ok((items, pages))
    }

    fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        token: Option<&str>,
    ) -> Result<Answer, LabError> {
        let mut request = ureq::http::Request::builder()
            .method(method.clone())
            .uri(url);
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let response = match body {
            Some(body) => {
                let request = request
                    .header("Content-Type", "application/json")
                    .body(body.to_string())
                    .map_err(|e| unexpected(&method, url, &e))?;
                self.agent.run(request)
            }
            None => {
                let request = request.body(()).map_err(|e| unexpected(&method, url, &e))?;
                self.agent.run(request)
            }
        }
        .map_err(|source| transport(method.clone(), url, source))?;
        read(method, url, response)
    }
}

fn unexpected(method: &Method, url: &str, error: &dyn std::fmt::Display) -> LabError {
    LabError::Unexpected {
        method: method.clone(),
        url: url.to_string(),
        what: error.to_string(),
    }
}

fn transport(method: Method, url: &str, source: ureq::Error) -> LabError {
    LabError::Transport {
        method,
        url: url.to_string(),
        source: Box::new(source),
    }
}

/// The status and JSON body of a response, whatever its status.
fn read(
    method: Method,
    url: &str,
    response: ureq::http::Response<ureq::Body>,
) -> Result<Answer, LabError> {
    let status = response.status().as_u16();
    let text = response
        .into_body()
        .with_config()
        // The request log of a long run (bodies recorded) is larger than ureq's default limit.
        .limit(u64::MAX)
        .read_to_string()
        .map_err(|source| transport(method, url, source))?;
    let body = if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Ok(Answer { status, body })
}

/// The body of a 2xx answer that is JSON (or empty), else an error with the status and the
/// start of the body.
fn success(method: Method, url: &str, answer: Answer) -> Result<Value, LabError> {
    let shown = |body: &Value| match body {
        Value::String(text) => truncate(text.trim(), SHOWN_BODY_CHARS),
        other => truncate(&other.to_string(), SHOWN_BODY_CHARS),
    };
    if !answer.is_success() {
        return Err(LabError::Status {
            method,
            url: url.to_string(),
            status: answer.status,
            body: shown(&answer.body),
        });
    }
    if let Value::String(text) = &answer.body {
        return Err(LabError::NotJson {
            method,
            url: url.to_string(),
            body: truncate(text, 200),
        });
    }
    Ok(answer.body)
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}...")
    }
}

#[cfg(test)]
mod tests;
