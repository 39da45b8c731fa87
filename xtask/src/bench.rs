//! `cargo xtask bench`: a few wall-clock benchmarks of the debug builds, printed as a table and
//! written to `bench/results.json`.
//!
//! - `provider_start_to_handshake_ms`: spawn the provider as Terraform would (magic cookie,
//!   protocol 6, no `PLUGIN_CLIENT_CERT` so plaintext) until its handshake line is on stdout.
//! - `lab_list_10000_device_identities`: import 10,000 devices into a lab, then list every
//!   `windowsAutopilotDeviceIdentity` page by page following `@odata.nextLink`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::graph::{Fetched, Graph};
use crate::lab::{Lab, LabInfo};
use crate::{cargo, ui};

const MAGIC_COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
const PROVIDER_RUNS: usize = 20;
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

const DEVICES: usize = 10_000;
const IMPORT_BATCH: usize = 500;
const LIST_RUNS: usize = 5;
const VISIBLE_TIMEOUT: Duration = Duration::from_secs(120);
const IDENTITIES_PATH: &str = "/beta/deviceManagement/windowsAutopilotDeviceIdentities";

/// One benchmark's figures, in `unit`.
struct Measurement {
    name: &'static str,
    unit: &'static str,
    samples: Vec<f64>,
    note: String,
}

impl Measurement {
    fn stats(&self) -> (f64, f64, f64) {
        let mut sorted = self.samples.clone();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        (sorted[0], median, sorted[n - 1])
    }

    fn to_json(&self) -> Value {
        let (min, median, max) = self.stats();
        json!({
            "name": self.name,
            "unit": self.unit,
            "min": round2(min),
            "median": round2(median),
            "max": round2(max),
            "runs": self.samples.len(),
            "note": self.note,
        })
    }
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn millis(elapsed: Duration) -> f64 {
    elapsed.as_secs_f64() * 1000.0
}

/// `cargo xtask bench`.
pub fn run(root: &Path) -> Result<()> {
    ui::progress("Benchmarks use the debug builds (the same ones `test` and `demo` use)");
    let binaries = cargo::build_binaries(root)?;

    ui::progress(format!(
        "provider_start_to_handshake_ms: {PROVIDER_RUNS} starts of the provider"
    ));
    ui::flush();
    let provider = bench_provider_start(&binaries.provider)?;

    ui::progress(format!(
        "lab_list_10000_device_identities: import {DEVICES} devices, list them {LIST_RUNS} times"
    ));
    ui::flush();
    let bench_dir = root.join("bench");
    std::fs::create_dir_all(&bench_dir)
        .with_context(|| format!("could not create {}", bench_dir.display()))?;
    let log = std::env::temp_dir().join(format!("xtask-bench-lab-{}.log", std::process::id()));
    let listing = bench_lab_listing(&binaries.lab, &log)?;

    let results = [provider, listing];
    print_table(&results);

    let report = json!({
        "generated_at": now_rfc3339(),
        "build": "debug",
        "results": results.iter().map(Measurement::to_json).collect::<Vec<_>>(),
    });
    let path = bench_dir.join("results.json");
    let text = serde_json::to_string_pretty(&report)? + "\n";
    std::fs::write(&path, text).with_context(|| format!("could not write {}", path.display()))?;
    ui::progress(format!("Wrote {}", path.display()));
    Ok(())
}

fn print_table(results: &[Measurement]) {
    println!();
    println!(
        "{:<36} {:>6} {:>10} {:>10} {:>10} {:>5}",
        "benchmark", "unit", "min", "median", "max", "runs"
    );
    for result in results {
        let (min, median, max) = result.stats();
        println!(
            "{:<36} {:>6} {:>10.2} {:>10.2} {:>10.2} {:>5}",
            result.name,
            result.unit,
            min,
            median,
            max,
            result.samples.len()
        );
        println!("    {}", result.note);
    }
    println!();
}

// ---------------------------------------------------------------------------------------------
// Provider start

fn bench_provider_start(provider: &Path) -> Result<Measurement> {
    let mut samples = Vec::with_capacity(PROVIDER_RUNS);
    for _ in 0..PROVIDER_RUNS {
        samples.push(millis(time_to_handshake(provider)?));
    }
    Ok(Measurement {
        name: "provider_start_to_handshake_ms",
        unit: "ms",
        samples,
        note: format!(
            "debug build; {PROVIDER_RUNS} runs of spawn until the `1|6|unix|...|grpc|` handshake \
             line is read (plaintext, no PLUGIN_CLIENT_CERT). GetProviderSchema is not timed: \
             that needs a gRPC client, which xtask does not have"
        ),
    })
}

/// Spawns the provider and measures until its handshake line; then stops it.
fn time_to_handshake(provider: &Path) -> Result<Duration> {
    let mut cmd = Command::new(provider);
    cmd.env("TF_PLUGIN_MAGIC_COOKIE", MAGIC_COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env_remove("PLUGIN_CLIENT_CERT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let shown = ui::display_command(&cmd);
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("could not start `{shown}`"))?;
    let Some(stdout) = child.stdout.take() else {
        stop_child(&mut child);
        bail!("the provider's stdout was not captured");
    };
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let read = reader
            .read_line(&mut line)
            .map(|n| (n, line, Instant::now()));
        let _ = tx.send(read);
        // Keep draining so the provider never blocks on a full pipe.
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
    });
    let outcome = rx.recv_timeout(HANDSHAKE_TIMEOUT);
    stop_child(&mut child);
    match outcome {
        Ok(Ok((n, line, at))) if n > 0 => {
            let fields: Vec<&str> = line.trim_end().split('|').collect();
            if fields.len() < 5 || fields[0] != "1" || fields[1] != "6" || fields[4] != "grpc" {
                bail!("`{shown}` printed an unexpected handshake line: {line:?}");
            }
            Ok(at.duration_since(started))
        }
        Ok(Ok(_)) => bail!("`{shown}` closed its stdout without a handshake line"),
        Ok(Err(err)) => bail!("could not read the provider's stdout: {err}"),
        Err(_) => bail!(
            "`{shown}` printed no handshake line within {}s",
            HANDSHAKE_TIMEOUT.as_secs()
        ),
    }
}

/// SIGTERM (so the provider can remove its socket), then SIGKILL after a short grace period.
fn stop_child(child: &mut Child) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    let termed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if termed {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

// ---------------------------------------------------------------------------------------------
// Lab listing

fn bench_lab_listing(lab_bin: &Path, log: &Path) -> Result<Measurement> {
    let mut lab = Lab::start(lab_bin, log)?;
    let result = lab_listing(&lab.info);
    lab.stop()?;
    if result.is_ok() {
        let _ = std::fs::remove_file(log);
    }
    result
}

fn lab_listing(info: &LabInfo) -> Result<Measurement> {
    let writer = Writer::connect(info)?;
    // `Lab::start` runs `serve --listen 127.0.0.1:0` only, so `--no-throttling` is applied as
    // the equivalent runtime setting.
    writer.send(
        "PUT",
        &format!("{}/_lab/settings", info.graph_url),
        &json!({"throttling": false, "import_processing_ms": 0}),
    )?;

    let import_url = format!(
        "{}/beta/deviceManagement/importedWindowsAutopilotDeviceIdentities/import",
        info.graph_url
    );
    let import_started = Instant::now();
    for batch in 0..DEVICES / IMPORT_BATCH {
        let devices: Vec<Value> = (batch * IMPORT_BATCH..(batch + 1) * IMPORT_BATCH)
            .map(|i| {
                json!({
                    "serialNumber": format!("BENCH-{:05}", i + 1),
                    "hardwareIdentifier": hardware_hash(i + 1),
                })
            })
            .collect();
        writer.send(
            "POST",
            &import_url,
            &json!({"importedWindowsAutopilotDeviceIdentities": devices}),
        )?;
    }
    writer.send(
        "POST",
        &format!(
            "{}/beta/deviceManagement/windowsAutopilotSettings/sync",
            info.graph_url
        ),
        &json!({}),
    )?;
    ui::detail(format!(
        "imported {DEVICES} devices in {} calls of {IMPORT_BATCH} and synced in {:.0} ms",
        DEVICES / IMPORT_BATCH,
        millis(import_started.elapsed())
    ));

    let graph = Graph::connect(info)?;
    let first = format!("{}{IDENTITIES_PATH}", info.graph_url);
    wait_until_visible(&graph, &format!("{first}?$top=1"))?;

    let mut samples = Vec::with_capacity(LIST_RUNS);
    let mut shape = (0, 0);
    for run in 0..LIST_RUNS {
        let started = Instant::now();
        let (pages, items) = list_all(&graph, &first)?;
        samples.push(millis(started.elapsed()));
        if items != DEVICES {
            bail!("listing {run} returned {items} device identities, expected {DEVICES}");
        }
        shape = (pages, items);
    }
    let (pages, items) = shape;
    Ok(Measurement {
        name: "lab_list_10000_device_identities",
        unit: "ms",
        samples,
        note: format!(
            "debug build; wall time to GET {IDENTITIES_PATH} following @odata.nextLink: \
             {pages} pages, {items} items per listing, {LIST_RUNS} listings (throttling off, \
             import_processing_ms 0, default page size)"
        ),
    })
}

/// Polls `url` (a `$top=1` listing) until it shows a device identity.
fn wait_until_visible(graph: &Graph, url: &str) -> Result<()> {
    let deadline = Instant::now() + VISIBLE_TIMEOUT;
    loop {
        if let Fetched::Found(page) = graph.get(url)?
            && page
                .get("value")
                .and_then(Value::as_array)
                .is_some_and(|v| !v.is_empty())
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "no device identity became visible within {}s",
                VISIBLE_TIMEOUT.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Lists a collection page by page: `(pages, items)`.
fn list_all(graph: &Graph, url: &str) -> Result<(usize, usize)> {
    let mut next = Some(url.to_string());
    let (mut pages, mut items) = (0, 0);
    while let Some(page_url) = next.take() {
        pages += 1;
        if pages > 1000 {
            bail!("GET {url}: more than 1000 pages, giving up");
        }
        let page = match graph.get(&page_url)? {
            Fetched::Found(page) => page,
            Fetched::NotFound => bail!("GET {page_url}: 404 Not Found"),
        };
        items += page
            .get("value")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        next = page
            .get("@odata.nextLink")
            .and_then(Value::as_str)
            .map(str::to_string);
    }
    Ok((pages, items))
}

/// A distinct, valid hardware hash per index: padded Base64 of 16 bytes that are not all equal.
fn hardware_hash(index: usize) -> String {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&(index as u64).to_be_bytes());
    bytes[8..].copy_from_slice(b"benchhsh");
    base64(&bytes)
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The writes the benchmark needs (settings, imports, sync), with its own token.
struct Writer {
    agent: ureq::Agent,
    token: String,
}

impl Writer {
    fn connect(info: &LabInfo) -> Result<Self> {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .new_agent();
        let url = format!("{}/{}/oauth2/v2.0/token", info.login_url, info.tenant_id);
        let response = agent
            .post(&url)
            .send_form([
                ("grant_type", "client_credentials"),
                ("client_id", info.client_id.as_str()),
                ("client_secret", info.client_secret.as_str()),
                ("scope", "https://graph.microsoft.com/.default"),
            ])
            .with_context(|| format!("POST {url} failed"))?;
        let status = response.status();
        let text = response.into_body().read_to_string()?;
        if !status.is_success() {
            bail!("POST {url} returned {status}");
        }
        let body: Value = serde_json::from_str(&text)
            .with_context(|| format!("POST {url}: the response is not JSON"))?;
        let token = body
            .get("access_token")
            .and_then(Value::as_str)
            .with_context(|| format!("POST {url}: the response has no access_token"))?;
        Ok(Self {
            agent,
            token: token.to_string(),
        })
    }

    fn send(&self, method: &str, url: &str, body: &Value) -> Result<()> {
        let auth = format!("Bearer {}", self.token);
        let response = match method {
            "PUT" => self
                .agent
                .put(url)
                .header("Authorization", &auth)
                .send_json(body),
            "POST" => self
                .agent
                .post(url)
                .header("Authorization", &auth)
                .send_json(body),
            other => bail!("unsupported method {other}"),
        }
        .with_context(|| format!("{method} {url} failed"))?;
        let status = response.status();
        if !status.is_success() {
            let text = response.into_body().read_to_string().unwrap_or_default();
            let short: String = text.chars().take(600).collect();
            bail!("{method} {url} returned {status}: {short}");
        }
        Ok(())
    }
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_alphabet_with_padding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_ne!(hardware_hash(1), hardware_hash(2));
        assert!(hardware_hash(1).ends_with("=="));
    }

    #[test]
    fn median_of_even_and_odd_samples() {
        let m = |samples: Vec<f64>| Measurement {
            name: "x",
            unit: "ms",
            samples,
            note: String::new(),
        };
        assert_eq!(m(vec![3.0, 1.0, 2.0]).stats(), (1.0, 2.0, 3.0));
        assert_eq!(m(vec![4.0, 1.0, 2.0, 3.0]).stats(), (1.0, 2.5, 4.0));
    }
}
