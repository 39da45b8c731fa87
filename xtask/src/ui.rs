//! Progress output and subprocess helpers shared by the commands.

use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};

use anyhow::{Context, Result, bail};

/// A progress line: `==> message`.
pub(crate) fn progress(message: impl std::fmt::Display) {
    println!("==> {message}");
    flush();
}

/// A progress line set apart from the (streamed) output before it.
pub(crate) fn outcome(message: impl std::fmt::Display) {
    println!();
    progress(message);
}

/// A detail line under a progress line.
pub(crate) fn detail(message: impl std::fmt::Display) {
    println!("    {message}");
    flush();
}

/// A header for one numbered step of a longer run, set apart from the output before it.
pub(crate) fn step(number: usize, total: usize, title: impl std::fmt::Display) {
    println!();
    println!("==> [{number}/{total}] {title}");
    println!("{}", "-".repeat(72));
    flush();
}

pub(crate) fn flush() {
    let _ = std::io::stdout().flush();
}

/// Starts `cmd` with its stdout piped to us. Returns the child, its stdout (which the caller
/// must keep reading) and the command as shown in messages; `program` names it in errors.
pub(crate) fn spawn_reading_stdout(
    cmd: &mut Command,
    program: &str,
) -> Result<(Child, ChildStdout, String)> {
    cmd.stdout(Stdio::piped());
    let shown = display_command(cmd);
    let mut child = cmd
        .spawn()
        .with_context(|| format!("could not start `{shown}`"))?;
    let stdout = child
        .stdout
        .take()
        .with_context(|| format!("{program}'s stdout was not captured"))?;
    Ok((child, stdout, shown))
}

/// `program arg1 arg2 ...` for messages, quoting arguments that contain spaces.
pub(crate) fn display_command(cmd: &Command) -> String {
    let mut parts = vec![display_arg(cmd.get_program())];
    parts.extend(cmd.get_args().map(display_arg));
    parts.join(" ")
}

fn display_arg(arg: &OsStr) -> String {
    let arg = arg.to_string_lossy();
    let program = Path::new(arg.as_ref());
    // Shorten absolute paths to binaries to their file name; keep everything else as is.
    let shown = if program.is_absolute() && program.is_file() {
        program
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| arg.to_string())
    } else {
        arg.to_string()
    };
    if shown.contains(' ') || shown.is_empty() {
        format!("'{shown}'")
    } else {
        shown
    }
}

/// Runs a command with inherited stdio and fails with a clear message unless it exits 0.
pub(crate) fn run(cmd: &mut Command) -> Result<()> {
    let shown = display_command(cmd);
    let status = status(cmd)?;
    if !status.success() {
        bail!("`{shown}` failed ({})", describe_status(status));
    }
    Ok(())
}

/// Runs a command with inherited stdio and returns its exit status.
pub(crate) fn status(cmd: &mut Command) -> Result<ExitStatus> {
    let shown = display_command(cmd);
    flush();
    cmd.status()
        .with_context(|| format!("could not start `{shown}`"))
}

pub(crate) fn describe_status(status: ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("exit code {code}"),
        None => format!("{status}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_command_quotes_arguments_with_spaces() {
        let mut cmd = Command::new("terraform");
        cmd.args(["plan", "-var", "name=a b"]);
        assert_eq!(display_command(&cmd), "terraform plan -var 'name=a b'");
    }
}
