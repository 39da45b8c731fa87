//! The peak resident set size of the provider processes Terraform starts during one command.
//!
//! Terraform starts `terraform-provider-autopilot` itself (several times per command), so the
//! sampler finds the processes in `/proc`: the command name (`comm`, cut to 15 bytes) starts
//! with `terraform-provi` and the environment carries a marker unique to the run (Terraform
//! passes its environment on to providers). It reads `VmHWM` (the kernel's high-water mark of
//! the resident set) from `/proc/<pid>/status` every [`INTERVAL`] while they live, so a peak
//! reached in the last interval before a process exits can be missed.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

pub(super) const INTERVAL: Duration = Duration::from_millis(20);
/// What `/proc/<pid>/comm` shows for `terraform-provider-autopilot` (cut to 15 bytes).
pub(super) const PROVIDER_COMM: &str = "terraform-provi";

/// Which processes to watch: command-name prefix and an `ENV=value` the environment must hold.
#[derive(Clone, Debug)]
pub(super) struct ProcessFilter {
    pub comm_prefix: String,
    pub marker: String,
}

/// What the sampler saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct PeakRss {
    /// Matching processes seen.
    pub processes: usize,
    /// The largest `VmHWM` of any of them, in KiB.
    pub peak_kib: Option<u64>,
}

impl PeakRss {
    pub(crate) fn mib(&self) -> Option<f64> {
        self.peak_kib.map(|kib| kib as f64 / 1024.0)
    }
}

/// The peaks seen so far, per process id.
///
/// Processes that do not match are looked at again on every pass: a process Terraform has
/// just forked still shows Terraform's command name until its exec.
#[derive(Default)]
pub(super) struct Scan {
    peaks: HashMap<u32, u64>,
}

impl Scan {
    /// One pass over `/proc`.
    pub(super) fn sample(&mut self, filter: &ProcessFilter) {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return;
        };
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            let dir = entry.path();
            let peak = match self.peaks.entry(pid) {
                Entry::Occupied(seen) => seen.into_mut(),
                Entry::Vacant(new) if matches(&dir, filter) => new.insert(0),
                Entry::Vacant(_) => continue,
            };
            if let Some(hwm) = std::fs::read_to_string(dir.join("status"))
                .ok()
                .and_then(|status| vm_hwm_kib(&status))
            {
                *peak = (*peak).max(hwm);
            }
        }
    }

    pub(super) fn result(&self) -> PeakRss {
        PeakRss {
            processes: self.peaks.len(),
            peak_kib: self.peaks.values().copied().filter(|&k| k > 0).max(),
        }
    }
}

fn comm_matches(dir: &Path, filter: &ProcessFilter) -> bool {
    std::fs::read_to_string(dir.join("comm"))
        .is_ok_and(|comm| comm.trim_end().starts_with(&filter.comm_prefix))
}

fn matches(dir: &Path, filter: &ProcessFilter) -> bool {
    comm_matches(dir, filter)
        && std::fs::read(dir.join("environ"))
            .is_ok_and(|environ| environ_has(&environ, &filter.marker))
}

/// Whether a NUL-separated environment block holds exactly `entry` (`NAME=value`).
pub(super) fn environ_has(environ: &[u8], entry: &str) -> bool {
    environ
        .split(|&b| b == 0)
        .any(|item| item == entry.as_bytes())
}

/// `VmHWM` from the text of `/proc/<pid>/status`, in KiB.
pub(super) fn vm_hwm_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// A background thread sampling `/proc` until [`Sampler::finish`].
pub(super) struct Sampler {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<PeakRss>,
}

impl Sampler {
    pub(super) fn start(filter: ProcessFilter) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let handle = std::thread::spawn(move || {
            let mut scan = Scan::default();
            while !flag.load(Ordering::Relaxed) {
                scan.sample(&filter);
                std::thread::sleep(INTERVAL);
            }
            scan.result()
        });
        Self { stop, handle }
    }

    pub(super) fn finish(self) -> PeakRss {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    #[test]
    fn reads_vm_hwm_in_kib() {
        let status = "Name:\tterraform-provi\nVmPeak:\t  900000 kB\nVmHWM:\t   45678 kB\nVmRSS:\t   40000 kB\n";
        assert_eq!(vm_hwm_kib(status), Some(45_678));
        assert_eq!(vm_hwm_kib("Name:\tkthreadd\nState:\tS\n"), None);
    }

    #[test]
    fn environment_entries_match_whole() {
        let environ = b"PATH=/bin\0XTASK_BENCH_RUN=12-3\0HOME=/root\0";
        assert!(environ_has(environ, "XTASK_BENCH_RUN=12-3"));
        assert!(!environ_has(environ, "XTASK_BENCH_RUN=12-"));
        assert!(!environ_has(environ, "XTASK_BENCH_RUN=12-30"));
        assert!(!environ_has(b"", "A=b"));
    }

    #[test]
    fn finds_only_the_marked_process_and_reads_its_peak() -> anyhow::Result<()> {
        let marker = format!("XTASK_RSS_TEST={}", std::process::id());
        let spawn = |marked: bool| {
            let mut cmd = Command::new("sleep");
            cmd.arg("30").stdout(Stdio::null()).stderr(Stdio::null());
            if marked {
                cmd.env("XTASK_RSS_TEST", std::process::id().to_string());
            }
            cmd.spawn()
        };
        let mut marked = spawn(true)?;
        let mut unmarked = spawn(false)?;
        let filter = ProcessFilter {
            comm_prefix: "sleep".to_string(),
            marker,
        };
        // `comm` reads `sleep` once the exec is done; until then the process is not ours yet.
        let mut scan = Scan::default();
        for _ in 0..500 {
            scan.sample(&filter);
            if scan.result().peak_kib.is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = marked.kill();
        let _ = unmarked.kill();
        let _ = marked.wait();
        let _ = unmarked.wait();
        let result = scan.result();
        assert_eq!(result.processes, 1, "{result:?}");
        assert!(result.peak_kib.is_some_and(|k| k > 0), "{result:?}");
        assert!(scan.peaks.contains_key(&marked.id()));
        assert!(!scan.peaks.contains_key(&unmarked.id()));
        Ok(())
    }
}
