//! Running `autopilot-lab serve` as a child process.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::ui;

/// How long the lab may take to print its ready line.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the lab may take to exit after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// The ready line `autopilot-lab serve` prints first on stdout.
pub(crate) use lab_client::LabInfo;

/// A running lab; stopped (SIGTERM, then SIGKILL) when dropped.
pub(crate) struct Lab {
    child: Option<Child>,
    pub info: LabInfo,
    pub log: PathBuf,
}

impl Lab {
    /// Spawns `<bin> serve --listen 127.0.0.1:0`, its stderr (and any stdout after the ready
    /// line) going to `log`, and waits for the ready line.
    pub(crate) fn start(bin: &Path, log: &Path) -> Result<Self> {
        let log_file =
            File::create(log).with_context(|| format!("could not create {}", log.display()))?;
        let mut cmd = Command::new(bin);
        cmd.args(["serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stderr(Stdio::from(log_file));
        let (child, stdout, shown) = ui::spawn_reading_stdout(&mut cmd, "the lab")?;
        let (ready_tx, ready_rx) = mpsc::channel();
        let log_path = log.to_path_buf();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let first = reader.read_line(&mut line).map(|n| (n, line));
            let _ = ready_tx.send(first);
            // Keep draining stdout so the lab never blocks on a full pipe.
            if let Ok(mut sink) = OpenOptions::new().append(true).open(&log_path) {
                let _ = std::io::copy(&mut reader, &mut sink);
            } else {
                let _ = std::io::copy(&mut reader, &mut std::io::sink());
            }
        });

        // From here on the child is owned by `lab`, so every early return stops it.
        let mut lab = Self {
            child: Some(child),
            info: LabInfo {
                graph_url: String::new(),
                login_url: String::new(),
                tenant_id: String::new(),
                client_id: String::new(),
                client_secret: String::new(),
            },
            log: log.to_path_buf(),
        };
        let line = match ready_rx.recv_timeout(READY_TIMEOUT) {
            Ok(Ok((n, line))) if n > 0 => line,
            Ok(Ok(_)) => {
                let status = lab.wait_exit(Duration::from_secs(2));
                bail!(
                    "`{shown}` exited before printing its ready line ({status}){}",
                    lab.log_tail()
                );
            }
            Ok(Err(err)) => {
                bail!("could not read the lab's stdout: {err}{}", lab.log_tail())
            }
            Err(_) => bail!(
                "`{shown}` printed no ready line within {}s{}",
                READY_TIMEOUT.as_secs(),
                lab.log_tail()
            ),
        };
        lab.info =
            LabInfo::parse(&line).map_err(|err| anyhow::anyhow!("{err:#}{}", lab.log_tail()))?;
        Ok(lab)
    }

    /// Stops the lab: SIGTERM, then SIGKILL after a grace period. Idempotent.
    pub(crate) fn stop(&mut self) -> Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        if child.try_wait()?.is_some() {
            return Ok(());
        }
        let termed = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if termed {
            let deadline = Instant::now() + STOP_TIMEOUT;
            while Instant::now() < deadline {
                if child.try_wait()?.is_some() {
                    return Ok(());
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        child.kill().context("could not kill the lab")?;
        child.wait().context("could not wait for the lab")?;
        Ok(())
    }

    /// Waits up to `timeout` for the lab to exit on its own; describes how it ended.
    fn wait_exit(&mut self, timeout: Duration) -> String {
        let Some(child) = self.child.as_mut() else {
            return "already stopped".to_string();
        };
        let deadline = Instant::now() + timeout;
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return ui::describe_status(status),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                Ok(None) => return "still running, stdout closed".to_string(),
                Err(err) => return format!("unknown status: {err}"),
            }
        }
    }

    /// The last lines of the lab's log, formatted for an error message.
    fn log_tail(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = File::open(&self.log) {
            let _ = file.read_to_string(&mut text);
        }
        let lines: Vec<&str> = text.lines().collect();
        let tail = &lines[lines.len().saturating_sub(20)..];
        if tail.is_empty() {
            format!("; its log {} is empty", self.log.display())
        } else {
            format!(
                "; last lines of its log {}:\n    {}",
                self.log.display(),
                tail.join("\n    ")
            )
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_ready_line() -> Result<()> {
        let line = r#"{"graph_url":"http://127.0.0.1:4000/","login_url":"http://127.0.0.1:4000/login","tenant_id":"t","client_id":"c","client_secret":"s"}"#;
        let info = LabInfo::parse(line)?;
        assert_eq!(info.graph_url, "http://127.0.0.1:4000");
        assert_eq!(info.login_url, "http://127.0.0.1:4000/login");
        assert_eq!(info.client_secret, "s");
        assert!(LabInfo::parse(r#"{"graph_url":"x"}"#).is_err());
        assert!(LabInfo::parse("listening on 127.0.0.1:4000").is_err());
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn starts_reads_the_ready_line_and_stops_a_lab() -> Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("xtask-lab-stop-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let script = dir.join("fake-lab");
        std::fs::write(
            &script,
            "#!/bin/sh\n[ \"$1 $2 $3\" = 'serve --listen 127.0.0.1:0' ] || exit 3\n\
             echo '{\"graph_url\":\"http://127.0.0.1:1\",\"login_url\":\"http://127.0.0.1:1\",\
             \"tenant_id\":\"t\",\"client_id\":\"c\",\"client_secret\":\"s\"}'\n\
             echo 'serving' >&2\nexec sleep 300\n",
        )?;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))?;
        let log = dir.join("lab.log");
        // A freshly written script can briefly be "text file busy" while other tests fork.
        let mut lab = loop {
            match Lab::start(&script, &log) {
                Ok(lab) => break lab,
                Err(err) if format!("{err:#}").contains("busy") => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                Err(err) => return Err(err),
            }
        };
        assert_eq!(lab.info.tenant_id, "t");
        let started = Instant::now();
        lab.stop()?;
        assert!(started.elapsed() < STOP_TIMEOUT, "SIGTERM should stop it");
        assert!(lab.child.is_none());
        lab.stop()?;
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn reports_a_lab_that_exits_without_a_ready_line() -> Result<()> {
        let log = std::env::temp_dir().join(format!("xtask-lab-test-{}.log", std::process::id()));
        let err = match Lab::start(Path::new("/bin/false"), &log) {
            Ok(_) => bail!("a lab that exits at once must not start"),
            Err(err) => format!("{err:#}"),
        };
        let _ = std::fs::remove_file(&log);
        assert!(
            err.contains("exited before printing its ready line"),
            "{err}"
        );
        Ok(())
    }
}
