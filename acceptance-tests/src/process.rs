//! Running a child process with captured output and a deadline.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// What a finished (or killed) child produced.
#[derive(Debug, Clone)]
pub struct Captured {
    /// Exit code; `-1` when the process was ended by a signal (including our own timeout kill).
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// True when the deadline passed and the process was killed.
    pub timed_out: bool,
    pub elapsed: Duration,
}

/// Runs `cmd` with stdin closed, stdout and stderr captured, killing it after `timeout`.
pub fn run_captured(cmd: &mut Command, timeout: Duration) -> std::io::Result<Captured> {
    let started = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());

    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > timeout {
            timed_out = true;
            // Already exited or not, we wait for it below either way.
            let _ = child.kill();
            break child.wait()?;
        }
        thread::sleep(Duration::from_millis(25));
    };
    // Grandchildren that inherited the pipes could keep them open; don't wait for them forever.
    let grace = Duration::from_secs(10);
    Ok(Captured {
        code: status.code().unwrap_or(-1),
        stdout: stdout.recv_timeout(grace).unwrap_or_default(),
        stderr: stderr.recv_timeout(grace).unwrap_or_default(),
        timed_out,
        elapsed: started.elapsed(),
    })
}

/// Reads a pipe to its end on a thread; the receiver yields the (lossily decoded) text.
fn drain(pipe: Option<impl Read + Send + 'static>) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        let _ = tx.send(String::from_utf8_lossy(&bytes).into_owned());
    });
    rx
}
