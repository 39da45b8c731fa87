//! `lab_list_10000_device_identities`: import 10,000 devices into a lab, then list every
//! `windowsAutopilotDeviceIdentity` page by page following `@odata.nextLink`.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use serde_json::{Value, json};

use super::Bench;
use super::control::{BenchDevice, IDENTITIES_PATH, LabClient};
use super::report::{Measurement, millis};
use crate::ui;

const DEVICES: usize = 10_000;
const RUNS: usize = 5;
const VISIBLE_TIMEOUT: Duration = Duration::from_secs(120);

pub(super) fn run(bench: &Bench) -> Result<Measurement> {
    let lab = bench.start_lab("listing")?;
    let client = LabClient::connect(&lab.info)?;
    client.settings(&json!({"throttling": false, "import_processing_ms": 0}))?;

    let devices: Vec<BenchDevice> = (1..=DEVICES)
        .map(|i| BenchDevice::numbered("LIST", i, "BENCH"))
        .collect();
    let import_started = Instant::now();
    let calls = client.import_devices(&devices)?;
    client.post(
        "/beta/deviceManagement/windowsAutopilotSettings/sync",
        &json!({}),
    )?;
    ui::detail(format!(
        "imported {DEVICES} devices in {calls} calls and synced in {:.0} ms",
        millis(import_started.elapsed())
    ));
    wait_until_listed(&client, DEVICES)?;

    let mut samples = Vec::with_capacity(RUNS);
    let mut pages = 0;
    for run in 0..RUNS {
        let started = Instant::now();
        let (items, listed_pages) = client.list(IDENTITIES_PATH)?;
        samples.push(millis(started.elapsed()));
        if items.len() != DEVICES {
            bail!(
                "listing {run} returned {} device identities, expected {DEVICES}",
                items.len()
            );
        }
        pages = listed_pages;
    }
    Ok(
        Measurement::new("lab_list_10000_device_identities_ms", "ms", samples).note(format!(
            "debug build of the lab; wall time to GET {IDENTITIES_PATH} following \
             @odata.nextLink: {pages} pages of the lab's default size, {DEVICES} items per \
             listing, {RUNS} listings (throttling off, import_processing_ms 0)"
        )),
    )
}

/// Polls until the collection holds `count` device identities (imports are processed lazily).
pub(super) fn wait_until_listed(client: &LabClient, count: usize) -> Result<Vec<Value>> {
    let deadline = Instant::now() + VISIBLE_TIMEOUT;
    loop {
        let (items, _) = client.list(IDENTITIES_PATH)?;
        if items.len() >= count {
            return Ok(items);
        }
        if Instant::now() > deadline {
            bail!(
                "{} of {count} device identities were listed after {}s",
                items.len(),
                VISIBLE_TIMEOUT.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
