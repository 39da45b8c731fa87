//! A running `autopilot-lab` (the emulated tenant), stopped when dropped.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use lab_client::LabClient;
use reqwest::Method;
use reqwest::blocking::Client;
use serde::Deserialize;
use serde_json::Value;

use crate::paths;

/// How long the lab may take to print its ready line.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

pub use lab_client::LabInfo;

/// How long one call to the lab may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// One entry of the lab's request log (`GET /_lab/requests`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// The query string as the lab reports it (a string, an object or null).
    #[serde(default)]
    pub query: Value,
    #[serde(default)]
    pub status: u16,
    #[serde(default)]
    pub duration_ms: f64,
    /// The request body, when the lab records bodies (`record_request_bodies`).
    #[serde(default)]
    pub body: Option<Value>,
}

impl Request {
    /// A request that can change the tenant: POST, PATCH, PUT or DELETE to a Graph path
    /// (`/beta/...` or `/v1.0/...`). Token requests and the lab's control API don't count.
    /// A `$batch` POST counts, since it may carry writes; `validateFilter`, which only checks
    /// a rule, does not.
    pub fn is_graph_write(&self) -> bool {
        let write = ["POST", "PATCH", "PUT", "DELETE"]
            .iter()
            .any(|m| self.method.eq_ignore_ascii_case(m));
        let graph = self.path.starts_with("/beta/") || self.path.starts_with("/v1.0/");
        // Actions that only answer a question change nothing: `validateFilter` checks a rule.
        let query = self.path.ends_with("/validateFilter");
        write && graph && !query
    }
}

impl std::fmt::Display for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)?;
        match &self.query {
            Value::Null => {}
            Value::String(q) if q.is_empty() => {}
            Value::String(q) => write!(f, "?{q}")?,
            other => write!(f, " {other}")?,
        }
        write!(f, " -> {}", self.status)
    }
}

/// The answer to a Graph call made by a test.
#[derive(Debug, Clone)]
pub struct GraphResponse {
    pub status: u16,
    /// The parsed body, `Value::Null` when empty, a JSON string when not JSON.
    pub body: Value,
}

/// A lab process serving on a random loopback port. Killed on drop.
pub struct Lab {
    child: Child,
    info: LabInfo,
    http: Client,
    log: Arc<Mutex<String>>,
    control: LabClient,
}

impl Lab {
    /// Starts `autopilot-lab serve --listen 127.0.0.1:0` and waits for its ready line.
    pub fn start() -> Lab {
        Lab::start_with_args(&[])
    }

    /// [`Lab::start`] when the Terraform under test is at least `major.minor`, which `feature`
    /// needs; else `None`, and the calling test checks nothing on this version
    /// ([`paths::terraform_at_least`] says so on stderr).
    pub fn start_if_terraform_at_least(major: u32, minor: u32, feature: &str) -> Option<Lab> {
        paths::terraform_at_least(major, minor, feature).then(Lab::start)
    }

    /// Like [`Lab::start`], with extra arguments after `serve --listen 127.0.0.1:0`.
    pub fn start_with_args(extra: &[&str]) -> Lab {
        let bin = paths::lab_bin();
        let mut child = Command::new(&bin)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the lab {}: {e}", bin.display()));

        let log = Arc::new(Mutex::new(String::new()));
        let (ready_tx, ready_rx) = mpsc::channel::<String>();
        if let Some(stdout) = child.stdout.take() {
            let log = Arc::clone(&log);
            thread::spawn(move || {
                let mut lines = BufReader::new(stdout).lines();
                if let Some(Ok(first)) = lines.next() {
                    let _ = ready_tx.send(first);
                }
                // Keep draining so the lab never blocks on a full pipe.
                for line in lines.map_while(Result::ok) {
                    append(&log, &format!("{line}\n"));
                }
            });
        }
        if let Some(mut stderr) = child.stderr.take() {
            let log = Arc::clone(&log);
            thread::spawn(move || {
                let mut buf = [0u8; 8192];
                while let Ok(n) = stderr.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    append(&log, &String::from_utf8_lossy(&buf[..n]));
                }
            });
        }

        let started = Instant::now();
        let line = match ready_rx.recv_timeout(READY_TIMEOUT) {
            Ok(line) => line,
            Err(why) => {
                let _ = child.kill();
                let status = child.wait();
                // Let the stderr reader catch up before showing the log.
                thread::sleep(Duration::from_millis(200));
                let what = match why {
                    mpsc::RecvTimeoutError::Timeout => "printed no ready line",
                    mpsc::RecvTimeoutError::Disconnected => "closed stdout without a ready line",
                };
                panic!(
                    "the lab {} {what} after {:?} (`serve --listen 127.0.0.1:0`, exit: {status:?}).\n\
                     lab output:\n{}",
                    bin.display(),
                    started.elapsed(),
                    snapshot(&log)
                );
            }
        };
        let info = match LabInfo::parse(&line) {
            Ok(info) => info,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{e}");
            }
        };
        let http = Client::builder()
            .no_proxy()
            .timeout(CALL_TIMEOUT)
            .build()
            .expect("build an HTTP client");
        let control = LabClient::new(&info, CALL_TIMEOUT);
        Lab {
            child,
            info,
            http,
            log,
            control,
        }
    }

    /// The lab's ready line: URLs and credentials.
    pub fn info(&self) -> &LabInfo {
        &self.info
    }

    /// Everything the lab wrote to stderr (and to stdout after the ready line) so far.
    pub fn logs(&self) -> String {
        snapshot(&self.log)
    }

    /// The environment that points the provider at this lab.
    pub fn provider_env(&self) -> Vec<(String, String)> {
        let i = &self.info;
        [
            ("ARM_TENANT_ID", &i.tenant_id),
            ("ARM_CLIENT_ID", &i.client_id),
            ("ARM_CLIENT_SECRET", &i.client_secret),
            ("AUTOPILOT_GRAPH_URL", &i.graph_url),
            ("AUTOPILOT_LOGIN_URL", &i.login_url),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
    }

    /// The client of the lab's control API (and its login endpoint).
    pub fn control(&self) -> &LabClient {
        &self.control
    }

    /// An access token from the lab's login endpoint (client credentials). Cached.
    pub fn token(&self) -> String {
        self.control
            .token()
            .unwrap_or_else(|e| panic!("{e}\nlab output:\n{}", self.logs()))
    }

    /// The URL of a Graph path, relative to `<graph_url>/beta/`.
    pub fn graph_url(&self, path: &str) -> String {
        format!(
            "{}/beta/{}",
            self.info.graph_url.trim_end_matches('/'),
            path.trim_start_matches('/')
        )
    }

    /// Calls Graph (`<graph_url>/beta/<path>`) with a token; returns whatever status comes back.
    pub fn graph(&self, method: Method, path: &str, body: Option<&Value>) -> GraphResponse {
        let url = self.graph_url(path);
        self.call(method, &url, body)
    }

    /// GET a Graph path; panics unless 2xx.
    pub fn graph_get(&self, path: &str) -> Value {
        self.graph_ok(Method::GET, path, None)
    }

    /// The group `id` as Graph answers it; panics unless it exists.
    pub fn group(&self, id: &str) -> Value {
        self.graph_get(&format!("groups/{id}"))
    }

    /// PATCH a Graph path; panics unless 2xx.
    pub fn graph_patch(&self, path: &str, body: &Value) -> Value {
        self.graph_ok(Method::PATCH, path, Some(body))
    }

    /// POST to a Graph path; panics unless 2xx.
    pub fn graph_post(&self, path: &str, body: &Value) -> Value {
        self.graph_ok(Method::POST, path, Some(body))
    }

    /// `POST <path>` with `body` through Graph, as in the portal; the new object's id.
    #[track_caller]
    pub fn graph_create(&self, path: &str, body: &Value) -> String {
        let created = self.graph_post(path, body);
        created["id"]
            .as_str()
            .unwrap_or_else(|| panic!("POST {path} returned no id: {created}"))
            .to_string()
    }

    /// DELETE a Graph path; panics unless 2xx.
    pub fn graph_delete(&self, path: &str) {
        self.graph_ok(Method::DELETE, path, None);
    }

    fn graph_ok(&self, method: Method, path: &str, body: Option<&Value>) -> Value {
        let shown = format!("{method} {}", self.graph_url(path));
        let response = self.graph(method, path, body);
        if !(200..300).contains(&response.status) {
            panic!(
                "{shown} -> {}: {}\nrequest body: {}",
                response.status,
                response.body,
                body.map(Value::to_string).unwrap_or_default()
            );
        }
        response.body
    }

    /// The lab's request log, oldest first.
    pub fn requests(&self) -> Vec<Request> {
        let entries = self.control.requests().unwrap_or_else(|e| panic!("{e}"));
        serde_json::from_value(Value::Array(entries))
            .unwrap_or_else(|e| panic!("unexpected /_lab/requests entries ({e})"))
    }

    /// The requests in the lab's log for which `keep` holds, oldest first.
    pub fn requests_matching(&self, keep: impl Fn(&Request) -> bool) -> Vec<Request> {
        self.requests().into_iter().filter(|r| keep(r)).collect()
    }

    /// Empties the lab's request log.
    pub fn clear_requests(&self) {
        self.control
            .clear_requests()
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Every stored object of one collection (e.g. `deviceConfigurations`), from `GET /_lab/objects`.
    /// An absent collection is empty.
    pub fn objects(&self, collection: &str) -> Vec<Value> {
        let body = self.control.objects().unwrap_or_else(|e| panic!("{e}"));
        match body.get(collection) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items.clone(),
            Some(other) => panic!("/_lab/objects: {collection} is not an array: {other}"),
        }
    }

    fn call(&self, method: Method, url: &str, body: Option<&Value>) -> GraphResponse {
        let what = format!("{method} {url}");
        let mut request = self.http.request(method, url).bearer_auth(self.token());
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request
            .send()
            .unwrap_or_else(|e| panic!("{what}: {e}\nlab output:\n{}", self.logs()));
        let status = response.status().as_u16();
        let text = response.text().unwrap_or_default();
        let body = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        GraphResponse { status, body }
    }

    /// The lab's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        // SIGTERM first so the lab can shut down cleanly, SIGKILL if it doesn't within 5 s.
        let pid = self.child.id().to_string();
        let _ = Command::new("kill")
            .args(["-TERM", &pid])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn append(log: &Mutex<String>, text: &str) {
    log.lock().unwrap_or_else(|p| p.into_inner()).push_str(text);
}

fn snapshot(log: &Mutex<String>) -> String {
    log.lock().unwrap_or_else(|p| p.into_inner()).clone()
}
