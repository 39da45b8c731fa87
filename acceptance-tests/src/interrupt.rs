//! Interrupting Terraform as users do: the provider process killed, Ctrl-C sent to Terraform's
//! process group, and the waits around them.

use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::thread;
use std::time::{Duration, Instant};

use crate::{Lab, Terraform, TfOutput};

/// The provider processes started by Terraform for this lab (found by the lab URL in their
/// environment), so that only this test's provider is killed.
pub fn provider_pids(lab: &Lab) -> Vec<u32> {
    let marker = format!("AUTOPILOT_GRAPH_URL={}", lab.info().graph_url);
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_string_lossy().parse::<u32>().ok())
        .filter(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            String::from_utf8_lossy(&cmdline).contains("terraform-provider-autopilot")
                && environ
                    .split(|b| *b == 0)
                    .any(|var| var == marker.as_bytes())
        })
        .collect()
}

/// `kill <signal> -- <target>` (a pid, or `-<pgid>` for a whole process group).
pub fn signal(target: &str, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([signal, "--", target])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill {signal} -- {target} failed");
}

/// Waits (bounded) until `ready` holds.
#[track_caller]
pub fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "gave up waiting for {what}"
        );
        thread::sleep(Duration::from_millis(50));
    }
}

pub fn finish(child: std::process::Child) -> TfOutput {
    let output = child.wait_with_output().expect("wait for terraform");
    TfOutput {
        command: "terraform apply (interrupted)".into(),
        dir: std::path::PathBuf::from("(the test's working directory)"),
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        timed_out: false,
        elapsed: Duration::ZERO,
    }
}

/// `terraform apply` in a process group of its own, as a shell runs a foreground job: Ctrl-C is
/// then a SIGINT to that group (Terraform and the provider alike).
pub fn spawn_apply(tf: &Terraform) -> std::process::Child {
    tf.command(&["apply", "-auto-approve", "-no-color", "-input=false"])
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start terraform apply")
}

/// Kills (SIGKILL) every provider process of this lab; panics when there is none.
pub fn kill_providers(lab: &Lab) {
    let pids = provider_pids(lab);
    assert!(!pids.is_empty(), "no provider process found for this lab");
    for pid in pids {
        signal(&pid.to_string(), "-KILL");
    }
}
