//! A Terraform working directory for one benchmark: the provider under test through
//! `dev_overrides` (no `terraform init`), the lab's credentials in the environment, and each
//! command timed with the peak RSS of the provider processes it started.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::rss::{PROVIDER_COMM, PeakRss, ProcessFilter, Sampler};
use crate::lab::LabInfo;
use crate::terraform::{PROVIDER_NAMESPACE, PROVIDER_TYPE, Terraform};
use crate::ui;

/// The environment variable that tells this run's provider processes from any other.
const MARKER_VAR: &str = "XTASK_BENCH_RUN";

/// A CLI configuration that runs the provider binary found in `provider_dir` for
/// `autopilot-iac/autopilot` and installs everything else as usual.
pub(super) fn dev_overrides_config(provider_dir: &Path) -> String {
    let dir = provider_dir
        .display()
        .to_string()
        .replace('\\', "\\\\")
        .replace('"', "\\\"");
    format!(
        "provider_installation {{\n  dev_overrides {{\n    \"{PROVIDER_NAMESPACE}/{PROVIDER_TYPE}\" = \"{dir}\"\n  }}\n  direct {{}}\n}}\n"
    )
}

/// One finished Terraform command.
pub(crate) struct TimedRun {
    pub status: ExitStatus,
    pub wall: Duration,
    pub stdout: String,
    pub stderr: String,
    pub rss: PeakRss,
}

impl TimedRun {
    /// Both outputs, the last `lines` lines of each, for an error message.
    pub(crate) fn tail(&self, lines: usize) -> String {
        let cut = |text: &str| {
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n    ")
        };
        format!(
            "\n  stdout:\n    {}\n  stderr:\n    {}",
            cut(&self.stdout),
            cut(&self.stderr)
        )
    }
}

pub(crate) struct Workdir {
    pub dir: PathBuf,
    tf: Terraform,
    marker: String,
}

impl Workdir {
    /// Creates `<work>/<name>` (emptied first) and its CLI configuration `<work>/<name>.tfrc`.
    pub(crate) fn create(
        work: &Path,
        name: &str,
        terraform: &Path,
        provider: &Path,
        lab: &LabInfo,
    ) -> Result<Self> {
        let dir = work.join(name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("could not remove {}", dir.display()))?;
        }
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("could not create {}", dir.display()))?;
        let provider_dir = provider
            .parent()
            .context("the provider binary has no parent directory")?;
        let cli_config = work.join(format!("{name}.tfrc"));
        std::fs::write(&cli_config, dev_overrides_config(provider_dir))
            .with_context(|| format!("could not write {}", cli_config.display()))?;
        let marker_value = format!("{}-{name}", std::process::id());
        let mut tf = Terraform::new(terraform, &dir, &cli_config);
        for (var, value) in lab.provider_env() {
            tf.env(var, &value);
        }
        tf.env(MARKER_VAR, &marker_value);
        Ok(Self {
            dir,
            tf,
            marker: format!("{MARKER_VAR}={marker_value}"),
        })
    }

    pub(crate) fn write(&self, file: &str, text: &str) -> Result<()> {
        let path = self.dir.join(file);
        std::fs::write(&path, text).with_context(|| format!("could not write {}", path.display()))
    }

    pub(crate) fn read(&self, file: &str) -> Result<String> {
        let path = self.dir.join(file);
        std::fs::read_to_string(&path).with_context(|| format!("could not read {}", path.display()))
    }

    /// Runs `terraform <args>`, timing it from spawn to exit and sampling the provider's RSS.
    pub(crate) fn run(&self, args: &[&str]) -> Result<TimedRun> {
        let mut cmd = self.tf.plain_command(args);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let shown = ui::display_command(&cmd);
        let sampler = Sampler::start(ProcessFilter {
            comm_prefix: PROVIDER_COMM.to_string(),
            marker: self.marker.clone(),
        });
        let started = Instant::now();
        let mut child = match cmd.spawn() {
            Ok(child) => child,
            Err(err) => {
                sampler.finish();
                return Err(err).with_context(|| format!("could not start `{shown}`"));
            }
        };
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        let status = child.wait();
        let wall = started.elapsed();
        let rss = sampler.finish();
        let status = status.with_context(|| format!("could not wait for `{shown}`"))?;
        Ok(TimedRun {
            status,
            wall,
            stdout: stdout.join().unwrap_or_default(),
            stderr: stderr.join().unwrap_or_default(),
            rss,
        })
    }

    /// `terraform apply -auto-approve`; fails with its output unless it succeeds.
    pub(crate) fn apply(&self) -> Result<TimedRun> {
        let run = self.run(&["apply", "-auto-approve", "-input=false"])?;
        if !run.status.success() {
            bail!(
                "terraform apply failed in {} ({}):{}",
                self.dir.display(),
                ui::describe_status(run.status),
                run.tail(40)
            );
        }
        Ok(run)
    }

    /// `terraform plan -detailed-exitcode`, which must find nothing to change: otherwise the
    /// figure would not be the one of a refresh, and the benchmark fails with the plan.
    pub(crate) fn plan_without_changes(&self) -> Result<TimedRun> {
        let run = self.run(&["plan", "-detailed-exitcode", "-input=false"])?;
        match run.status.code() {
            Some(0) => Ok(run),
            Some(2) => bail!(
                "terraform plan in {} wants changes, so its figures are invalid:{}",
                self.dir.display(),
                run.tail(60)
            ),
            _ => bail!(
                "terraform plan failed in {} ({}):{}",
                self.dir.display(),
                ui::describe_status(run.status),
                run.tail(40)
            ),
        }
    }
}

/// Reads a pipe to its end on a thread, so the child never blocks on a full pipe.
fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
        text
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_overrides_point_our_provider_at_the_build_directory() {
        let config = dev_overrides_config(Path::new("/work/main/target/debug"));
        assert!(
            config.contains("\"autopilot-iac/autopilot\" = \"/work/main/target/debug\""),
            "{config}"
        );
        assert!(config.contains("direct {}"), "{config}");
        assert_eq!(config.matches('{').count(), config.matches('}').count());
    }
}
