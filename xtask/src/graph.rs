//! A minimal Microsoft Graph client for the demo's out-of-band changes against the lab.
//!
//! Only what the demo needs: a client-credentials token, GET, PATCH and the lab's control API.
//! No secret or token is ever part of an error message.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::lab::LabInfo;

pub const DOMAIN_JOIN_ODATA_TYPE: &str = "#microsoft.graph.windowsDomainJoinConfiguration";
const SCOPE: &str = "https://graph.microsoft.com/.default";

pub struct Graph {
    agent: ureq::Agent,
    graph_url: String,
    token: String,
}

/// A GET's outcome: the object, or "not found".
pub enum Fetched {
    Found(Value),
    NotFound,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        // The lab is on loopback: never send its traffic (or its secrets) through a proxy.
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .new_agent()
}

impl Graph {
    /// Gets an app-only token from `<login_url>/<tenant_id>/oauth2/v2.0/token`.
    pub fn connect(lab: &LabInfo) -> Result<Self> {
        let agent = agent();
        let url = format!("{}/{}/oauth2/v2.0/token", lab.login_url, lab.tenant_id);
        let response = agent
            .post(&url)
            .send_form([
                ("grant_type", "client_credentials"),
                ("client_id", lab.client_id.as_str()),
                ("client_secret", lab.client_secret.as_str()),
                ("scope", SCOPE),
            ])
            .with_context(|| format!("POST {url} failed"))?;
        let body = read_body(response, "POST", &url)?;
        let token = body
            .get("access_token")
            .and_then(Value::as_str)
            .with_context(|| format!("POST {url}: the response has no access_token"))?;
        Ok(Self {
            agent,
            graph_url: lab.graph_url.clone(),
            token: token.to_string(),
        })
    }

    /// `<graph_url><path>`, e.g. `url("/beta/deviceManagement/deviceConfigurations")`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.graph_url, path)
    }

    pub fn get(&self, url: &str) -> Result<Fetched> {
        let response = self
            .agent
            .get(url)
            .header("Authorization", format!("Bearer {}", self.token))
            .call()
            .with_context(|| format!("GET {url} failed"))?;
        if response.status() == 404 {
            return Ok(Fetched::NotFound);
        }
        read_body(response, "GET", url).map(Fetched::Found)
    }

    pub fn patch(&self, url: &str, body: &Value) -> Result<()> {
        let response = self
            .agent
            .patch(url)
            .header("Authorization", format!("Bearer {}", self.token))
            .send_json(body)
            .with_context(|| format!("PATCH {url} failed"))?;
        read_body(response, "PATCH", url).map(|_| ())
    }

    /// Every object of a collection, following `@odata.nextLink`.
    pub fn list(&self, url: &str) -> Result<Vec<Value>> {
        let mut items = Vec::new();
        let mut next = Some(url.to_string());
        let mut pages = 0;
        while let Some(page_url) = next.take() {
            pages += 1;
            if pages > 1000 {
                bail!("GET {url}: more than 1000 pages, giving up");
            }
            let page = match self.get(&page_url)? {
                Fetched::Found(page) => page,
                Fetched::NotFound => bail!("GET {page_url}: 404 Not Found"),
            };
            if let Some(values) = page.get("value").and_then(Value::as_array) {
                items.extend(values.iter().cloned());
            }
            next = page
                .get("@odata.nextLink")
                .and_then(Value::as_str)
                .map(str::to_string);
        }
        Ok(items)
    }
}

/// The lab's request log, `GET <graph_url>/_lab/requests` (no token needed).
pub fn lab_requests(lab: &LabInfo) -> Result<Vec<Value>> {
    let url = format!("{}/_lab/requests", lab.graph_url);
    let response = agent()
        .get(&url)
        .call()
        .with_context(|| format!("GET {url} failed"))?;
    let body = read_body(response, "GET", &url)?;
    body.get("requests")
        .and_then(Value::as_array)
        .cloned()
        .with_context(|| format!("GET {url}: the response has no `requests` array"))
}

/// The JSON body of a 2xx response (`null` when empty), or an error with status and body.
fn read_body(response: ureq::http::Response<ureq::Body>, method: &str, url: &str) -> Result<Value> {
    let status = response.status();
    let text = response
        .into_body()
        .read_to_string()
        .with_context(|| format!("{method} {url}: could not read the response body"))?;
    if !status.is_success() {
        bail!(
            "{method} {url} returned {status}: {}",
            truncate(text.trim(), 600)
        );
    }
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{method} {url}: the response is not JSON: {}",
            truncate(&text, 200)
        )
    })
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
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;

    /// A one-connection-per-request HTTP server answering from `respond(method, path, body)`.
    fn serve(
        requests: usize,
        respond: impl Fn(&str, &str, &str) -> (u16, String) + Send + 'static,
    ) -> Result<(String, std::thread::JoinHandle<Vec<String>>)> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let base = format!("http://{}", listener.local_addr()?);
        let handle = std::thread::spawn(move || {
            let mut seen = Vec::new();
            for _ in 0..requests {
                let Ok((stream, _)) = listener.accept() else {
                    break;
                };
                let mut reader = BufReader::new(match stream.try_clone() {
                    Ok(s) => s,
                    Err(_) => break,
                });
                let mut request_line = String::new();
                let _ = reader.read_line(&mut request_line);
                let mut length = 0usize;
                let mut auth = String::new();
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                        break;
                    }
                    let lower = header.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    if lower.starts_with("authorization:") {
                        auth = header.trim().to_string();
                    }
                }
                let mut body = vec![0u8; length];
                let _ = reader.read_exact(&mut body);
                let body = String::from_utf8_lossy(&body).into_owned();
                let mut parts = request_line.split_whitespace();
                let method = parts.next().unwrap_or_default().to_string();
                let path = parts.next().unwrap_or_default().to_string();
                seen.push(format!("{method} {path} {auth} {body}"));
                let (status, reply) = respond(&method, &path, &body);
                let mut stream = stream;
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                    reply.len()
                );
            }
            seen
        });
        Ok((base, handle))
    }

    fn lab_info(base: &str) -> LabInfo {
        LabInfo {
            graph_url: base.to_string(),
            login_url: format!("{base}/login"),
            tenant_id: "tenant".to_string(),
            client_id: "client".to_string(),
            client_secret: "s3cret".to_string(),
        }
    }

    #[test]
    fn token_then_patch_and_not_found() -> Result<()> {
        let (base, server) = serve(3, |method, path, _| match (method, path) {
            ("POST", "/login/tenant/oauth2/v2.0/token") => (
                200,
                r#"{"access_token":"tok","token_type":"Bearer"}"#.to_string(),
            ),
            ("PATCH", _) => (204, String::new()),
            _ => (404, r#"{"error":{"code":"ResourceNotFound"}}"#.to_string()),
        })?;
        let graph = Graph::connect(&lab_info(&base))?;
        let url = graph.url("/beta/deviceManagement/deviceConfigurations/abc");
        graph.patch(
            &url,
            &serde_json::json!({"@odata.type": DOMAIN_JOIN_ODATA_TYPE, "description": "x"}),
        )?;
        assert!(matches!(graph.get(&url)?, Fetched::NotFound));
        let seen = server
            .join()
            .map_err(|_| anyhow::anyhow!("server panicked"))?;
        assert!(
            seen[0].contains("grant_type=client_credentials"),
            "{}",
            seen[0]
        );
        assert!(seen[0].contains("client_secret=s3cret"), "{}", seen[0]);
        assert!(seen[1].starts_with("PATCH /beta/deviceManagement/deviceConfigurations/abc"));
        assert!(seen[1].contains("Bearer tok"), "{}", seen[1]);
        assert!(
            seen[1].contains("windowsDomainJoinConfiguration"),
            "{}",
            seen[1]
        );
        Ok(())
    }

    #[test]
    fn errors_carry_status_and_body_but_not_the_secret() -> Result<()> {
        let (base, _server) = serve(1, |_, _, _| {
            (401, r#"{"error":"invalid_client"}"#.to_string())
        })?;
        let err = match Graph::connect(&lab_info(&base)) {
            Ok(_) => bail!("a 401 must fail"),
            Err(err) => format!("{err:#}"),
        };
        assert!(err.contains("401"), "{err}");
        assert!(err.contains("invalid_client"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
        Ok(())
    }
}
