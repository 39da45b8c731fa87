//! Fault injection (`PUT /_lab/faults`): rules that make matching requests slow, fail with a
//! status, or lose their connection, before or after the lab applies them.
//!
//! A rule matches on method (optional, case-insensitive) and a regex over the raw request path
//! (no query string). A matching rule *fires* for the first `count` matches, or with
//! `probability` drawn from a PRNG seeded with `seed` (deterministic per rule), or always. The
//! first rule that fires wins; a rule that matches but does not fire lets the next ones try.

use crate::sync::Lock;
use std::time::Duration;

use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use regex::Regex;
use serde_json::{Map, Value, json};

use crate::app::SharedApp;
use crate::context::RequestContext;
use crate::errors::GraphError;
use crate::net::ConnectionInfo;

/// What a firing rule does to the request.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultAction {
    /// Answer with this status (and Graph's error body, or `body`).
    Status {
        status: StatusCode,
        retry_after: Option<String>,
        body: Option<FaultBody>,
    },
    /// Close the connection without an answer.
    Drop,
    /// Only the delay: the request is then served normally.
    DelayOnly,
}

/// The body of an injected answer, instead of Graph's error body.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultBody {
    /// `body`: a JSON value, sent as `application/json`.
    Json(Value),
    /// `raw_body`: text sent verbatim (malformed JSON, an HTML page, nothing),
    /// as `content_type` (default `application/json`).
    Raw { text: String, content_type: String },
}

#[derive(Debug, Clone)]
pub struct FaultRule {
    pub id: String,
    pub method: Option<String>,
    pub path: Regex,
    pub action: FaultAction,
    pub delay_ms: u64,
    pub after_commit: bool,
    pub probability: Option<f64>,
    pub seed: u64,
    pub count: Option<u64>,
    rng: u64,
    matched: u64,
    fired: u64,
}

/// The outcome for one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub rule_id: String,
    pub delay: Duration,
    pub action: FaultAction,
    pub after_commit: bool,
}

/// Marks a response that a fault rule produced or dropped, for the request log.
#[derive(Debug, Clone)]
pub struct FaultMarker(pub String);

/// SplitMix64: small, seedable, good enough for fault dice.
fn next_random(state: &mut u64) -> f64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    // 53 random bits into [0, 1).
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// The fields a fault rule may have.
const KNOWN_FIELDS: &[&str] = &[
    "id",
    "method",
    "path",
    "status",
    "retry_after",
    "body",
    "raw_body",
    "content_type",
    "drop",
    "delay_ms",
    "after_commit",
    "probability",
    "seed",
    "count",
];

/// One rule's fields while it is parsed; every error names the rule by its index.
struct RuleFields<'a> {
    index: usize,
    map: &'a Map<String, Value>,
}

impl RuleFields<'_> {
    fn text(&self, name: &str) -> Result<Option<String>, String> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("rule {}: {name} must be a string", self.index)),
        }
    }

    fn number(&self, name: &str) -> Result<Option<u64>, String> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or_else(|| {
                format!("rule {}: {name} must be a non-negative integer", self.index)
            }),
        }
    }

    fn flag(&self, name: &str) -> Result<bool, String> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(false),
            Some(v) => v
                .as_bool()
                .ok_or_else(|| format!("rule {}: {name} must be true or false", self.index)),
        }
    }

    /// `retry_after`, a number or a string that must be a valid header value.
    fn retry_after(&self) -> Result<Option<String>, String> {
        let index = self.index;
        let retry_after = match self.map.get("retry_after") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(_) => {
                return Err(format!(
                    "rule {index}: retry_after must be a number or string"
                ));
            }
        };
        if retry_after
            .as_deref()
            .is_some_and(|v| HeaderValue::from_str(v).is_err())
        {
            return Err(format!(
                "rule {index}: retry_after is not a valid header value"
            ));
        }
        Ok(retry_after)
    }

    /// A rule that answers `status` (200 or more) with its body.
    fn status_action(
        &self,
        status: u64,
        retry_after: Option<String>,
    ) -> Result<FaultAction, String> {
        let index = self.index;
        let status = u16::try_from(status)
            .ok()
            .and_then(|s| StatusCode::from_u16(s).ok())
            .filter(|s| s.as_u16() >= 200)
            .ok_or_else(|| format!("rule {index}: status {status} is not valid"))?;
        Ok(FaultAction::Status {
            status,
            retry_after,
            body: fault_body(
                index,
                self.map.get("body"),
                self.text("raw_body")?,
                self.text("content_type")?,
            )?,
        })
    }

    /// A rule with neither status nor drop: it only delays, so it needs a delay and cannot act
    /// after the commit.
    fn delay_only(&self, delay_ms: u64, after_commit: bool) -> Result<FaultAction, String> {
        let index = self.index;
        if delay_ms == 0 {
            return Err(format!(
                "rule {index}: give a status, drop: true, or delay_ms"
            ));
        }
        if after_commit {
            return Err(format!(
                "rule {index}: after_commit needs a status or drop: true"
            ));
        }
        Ok(FaultAction::DelayOnly)
    }

    /// `probability`, between 0 and 1.
    fn probability(&self) -> Result<Option<f64>, String> {
        match self.map.get("probability") {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_f64()
                .filter(|p| (0.0..=1.0).contains(p))
                .map(Some)
                .ok_or_else(|| format!("rule {}: probability must be between 0 and 1", self.index)),
        }
    }
}

impl FaultRule {
    /// Parses one rule of the `PUT /_lab/faults` body. Fields are read in a fixed order, so the
    /// first problem reported is always the same one.
    pub fn parse(index: usize, value: &Value) -> Result<Self, String> {
        let Some(map) = value.as_object() else {
            return Err(format!("rule {index} is not an object"));
        };
        if let Some(unknown) = map.keys().find(|k| !KNOWN_FIELDS.contains(&k.as_str())) {
            return Err(format!("rule {index}: unknown field '{unknown}'"));
        }
        let fields = RuleFields { index, map };
        let path_text = fields
            .text("path")?
            .ok_or_else(|| format!("rule {index}: path is required"))?;
        let path = Regex::new(&path_text)
            .map_err(|e| format!("rule {index}: path is not a valid regex: {e}"))?;
        let method = fields.text("method")?.map(|m| m.to_ascii_uppercase());
        let status = fields.number("status")?;
        let drop = fields.flag("drop")?;
        let delay_ms = fields.number("delay_ms")?.unwrap_or(0);
        let after_commit = fields.flag("after_commit")?;
        let retry_after = fields.retry_after()?;
        let action = match (status, drop) {
            (Some(_), true) => {
                return Err(format!(
                    "rule {index}: give either status or drop, not both"
                ));
            }
            (Some(status), false) => fields.status_action(status, retry_after)?,
            (None, true) => FaultAction::Drop,
            (None, false) => fields.delay_only(delay_ms, after_commit)?,
        };
        let probability = fields.probability()?;
        let seed = fields.number("seed")?.unwrap_or(0);
        Ok(FaultRule {
            id: fields
                .text("id")?
                .unwrap_or_else(|| format!("rule-{index}")),
            method,
            path,
            action,
            delay_ms,
            after_commit,
            probability,
            seed,
            count: fields.number("count")?,
            rng: seed,
            matched: 0,
            fired: 0,
        })
    }

    fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("id".into(), json!(self.id));
        out.insert("method".into(), json!(self.method));
        out.insert("path".into(), json!(self.path.as_str()));
        match &self.action {
            FaultAction::Status {
                status,
                retry_after,
                body,
            } => {
                out.insert("status".into(), json!(status.as_u16()));
                out.insert("retry_after".into(), json!(retry_after));
                match body {
                    Some(FaultBody::Json(body)) => {
                        out.insert("body".into(), body.clone());
                    }
                    Some(FaultBody::Raw { text, content_type }) => {
                        out.insert("raw_body".into(), json!(text));
                        out.insert("content_type".into(), json!(content_type));
                    }
                    None => {}
                }
            }
            FaultAction::Drop => {
                out.insert("drop".into(), json!(true));
            }
            FaultAction::DelayOnly => {}
        }
        out.insert("delay_ms".into(), json!(self.delay_ms));
        out.insert("after_commit".into(), json!(self.after_commit));
        out.insert("probability".into(), json!(self.probability));
        out.insert("seed".into(), json!(self.seed));
        out.insert("count".into(), json!(self.count));
        out.insert("matched".into(), json!(self.matched));
        out.insert("fired".into(), json!(self.fired));
        Value::Object(out)
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self.path.is_match(path)
    }

    /// Counts a match and says whether the rule fires for it.
    fn roll(&mut self) -> bool {
        self.matched += 1;
        if self.count.is_some_and(|count| self.fired >= count) {
            return false;
        }
        let fire = match self.probability {
            Some(p) => next_random(&mut self.rng) < p,
            None => true,
        };
        if fire {
            self.fired += 1;
        }
        fire
    }
}

/// The rule set of one lab.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Lock<Vec<FaultRule>>,
}

impl Faults {
    /// Replaces the rules with those in `body` (`{"rules":[...]}` or a bare array).
    pub fn replace(&self, body: &Value) -> Result<Value, String> {
        let items = match body {
            Value::Array(items) => items,
            Value::Object(map) => match map.get("rules") {
                Some(Value::Array(items)) if map.len() == 1 => items,
                _ => return Err("expected {\"rules\": [...]}".into()),
            },
            _ => return Err("expected {\"rules\": [...]}".into()),
        };
        let rules = items
            .iter()
            .enumerate()
            .map(|(i, v)| FaultRule::parse(i, v))
            .collect::<Result<Vec<_>, _>>()?;
        let mut current = self.rules.lock();
        *current = rules;
        Ok(rules_json(&current))
    }

    pub fn clear(&self) {
        self.rules.lock().clear();
    }

    /// The rules with their `matched` and `fired` counters.
    pub fn to_json(&self) -> Value {
        rules_json(&self.rules.lock())
    }

    /// The fault for one request, if a rule fires.
    pub fn decide(&self, method: &str, path: &str) -> Option<Decision> {
        let mut rules = self.rules.lock();
        for rule in rules.iter_mut() {
            if rule.matches(method, path) && rule.roll() {
                return Some(Decision {
                    rule_id: rule.id.clone(),
                    delay: Duration::from_millis(rule.delay_ms),
                    action: rule.action.clone(),
                    after_commit: rule.after_commit,
                });
            }
        }
        None
    }
}

fn rules_json(rules: &[FaultRule]) -> Value {
    json!({ "rules": rules.iter().map(FaultRule::to_json).collect::<Vec<_>>() })
}

/// The body of a status rule: `body` (JSON) or `raw_body` (verbatim text, with
/// `content_type`), not both.
fn fault_body(
    index: usize,
    json_body: Option<&Value>,
    raw_body: Option<String>,
    content_type: Option<String>,
) -> Result<Option<FaultBody>, String> {
    let json_body = json_body.filter(|b| !b.is_null()).cloned();
    if content_type
        .as_deref()
        .is_some_and(|c| HeaderValue::from_str(c).is_err())
    {
        return Err(format!(
            "rule {index}: content_type is not a valid header value"
        ));
    }
    match (json_body, raw_body, content_type) {
        (Some(_), Some(_), _) => Err(format!(
            "rule {index}: give either body or raw_body, not both"
        )),
        (_, None, Some(_)) => Err(format!("rule {index}: content_type needs raw_body")),
        (Some(body), None, None) => Ok(Some(FaultBody::Json(body))),
        (None, Some(text), content_type) => Ok(Some(FaultBody::Raw {
            text,
            content_type: content_type.unwrap_or_else(|| "application/json".to_string()),
        })),
        (None, None, None) => Ok(None),
    }
}

/// Graph's error for an injected status.
fn status_response(
    status: StatusCode,
    retry_after: Option<&str>,
    body: Option<&FaultBody>,
    ctx: &RequestContext,
) -> Response {
    let content_type = |value: &str| {
        HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("application/json"))
    };
    let mut response = match body {
        Some(FaultBody::Json(body)) => (
            status,
            [(header::CONTENT_TYPE, content_type("application/json"))],
            body.to_string(),
        )
            .into_response(),
        Some(FaultBody::Raw {
            text,
            content_type: kind,
        }) => (
            status,
            [(header::CONTENT_TYPE, content_type(kind))],
            text.clone(),
        )
            .into_response(),
        None => {
            let (code, message) = match status.as_u16() {
                429 => ("TooManyRequests", "Please retry again later."),
                500 => ("InternalServerError", "An internal server error occurred."),
                502 => ("BadGateway", "The gateway received an invalid response."),
                503 => (
                    "ServiceUnavailable",
                    "The service is temporarily unavailable. Please try again later.",
                ),
                504 => (
                    "GatewayTimeout",
                    "The gateway did not receive a response in time.",
                ),
                _ => ("LabInjectedFault", "autopilot-lab injected this error."),
            };
            GraphError::new(status, code, message).render(ctx)
        }
    };
    if let Some(value) = retry_after.and_then(|v| HeaderValue::from_str(v).ok()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// Middleware: applies the first firing rule to every non-`/_lab` request.
pub async fn inject(State(app): State<SharedApp>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if path.starts_with("/_lab") {
        return next.run(request).await;
    }
    let Some(decision) = app.faults.decide(request.method().as_str(), &path) else {
        return next.run(request).await;
    };
    tracing::info!(rule = %decision.rule_id, %path, "fault injected");
    let ctx = RequestContext::of(&request);
    let kill = request
        .extensions()
        .get::<ConnectInfo<ConnectionInfo>>()
        .map(|info| info.0.kill.clone());
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }
    if decision.action == FaultAction::DelayOnly {
        return next.run(request).await;
    }
    // After commit: the lab serves the request (and saves the change) first.
    let served = if decision.after_commit {
        Some(next.run(request).await)
    } else {
        None
    };
    let (mut response, kind) = match &decision.action {
        FaultAction::Status {
            status,
            retry_after,
            body,
        } => (
            status_response(*status, retry_after.as_deref(), body.as_ref(), &ctx),
            if decision.after_commit {
                "status_after_commit"
            } else {
                "status"
            },
        ),
        FaultAction::Drop | FaultAction::DelayOnly => {
            match kill {
                Some(kill) => kill.trip(),
                None => tracing::warn!("no connection to drop; answering 502 instead"),
            }
            // Never seen by the client when the connection is dropped; the log shows what the
            // lab did.
            (
                served.unwrap_or_else(|| StatusCode::BAD_GATEWAY.into_response()),
                "drop",
            )
        }
    };
    response
        .extensions_mut()
        .insert(FaultMarker(format!("{}:{kind}", decision.rule_id)));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_and_probability() {
        let faults = Faults::default();
        faults
            .replace(&json!({"rules": [
                {"method": "post", "path": "^/beta/groups$", "status": 503, "count": 2},
                {"path": "/beta/", "drop": true, "probability": 0.5, "seed": 7},
            ]}))
            .unwrap();
        let a = faults.decide("POST", "/beta/groups").unwrap();
        assert_eq!(a.rule_id, "rule-0");
        assert!(faults.decide("POST", "/beta/groups").is_some());
        // Count used up: the second rule may fire instead, deterministically.
        let first: Vec<bool> = (0..20)
            .map(|_| faults.decide("GET", "/beta/x").is_some())
            .collect();
        let again = Faults::default();
        again
            .replace(&json!([{"path": "/beta/", "drop": true, "probability": 0.5, "seed": 7}]))
            .unwrap();
        let second: Vec<bool> = (0..20)
            .map(|_| again.decide("GET", "/beta/x").is_some())
            .collect();
        assert_eq!(first, second, "same seed, same dice");
        assert!(first.iter().any(|f| *f) && first.iter().any(|f| !*f));
    }

    #[test]
    fn raw_bodies_are_kept_verbatim() {
        let faults = Faults::default();
        let listed = faults
            .replace(&json!([
                {"path": "^/beta/a$", "status": 200, "raw_body": "{\"value\": [", "count": 1},
                {"path": "^/beta/b$", "status": 502, "raw_body": "<html></html>", "content_type": "text/html"},
            ]))
            .unwrap();
        assert_eq!(listed["rules"][0]["raw_body"], json!("{\"value\": ["));
        assert_eq!(
            listed["rules"][0]["content_type"],
            json!("application/json")
        );
        let decision = faults.decide("GET", "/beta/b").unwrap();
        assert_eq!(
            decision.action,
            FaultAction::Status {
                status: StatusCode::BAD_GATEWAY,
                retry_after: None,
                body: Some(FaultBody::Raw {
                    text: "<html></html>".into(),
                    content_type: "text/html".into()
                }),
            }
        );
    }

    #[test]
    fn refusals() {
        let faults = Faults::default();
        for bad in [
            json!([{"status": 503}]),
            json!([{"path": "(", "status": 503}]),
            json!([{"path": "x", "status": 503, "drop": true}]),
            json!([{"path": "x"}]),
            json!([{"path": "x", "delay_ms": 5, "after_commit": true}]),
            json!([{"path": "x", "status": 503, "probability": 2}]),
            json!([{"path": "x", "status": 503, "bogus": 1}]),
            json!([{"path": "x", "status": 200, "body": {}, "raw_body": "{"}]),
            json!([{"path": "x", "status": 200, "content_type": "text/html"}]),
            json!([{"path": "x", "status": 200, "raw_body": "<p>", "content_type": "a\nb"}]),
            json!({"nope": []}),
        ] {
            assert!(faults.replace(&bad).is_err(), "{bad}");
        }
    }
}
