//! `cargo xtask release`: the files a Terraform registry (and `terraform providers mirror`)
//! expects for one version of the provider, written into `dist/`:
//!
//! - `terraform-provider-autopilot_<version>_<os>_<arch>.zip`, holding the binary
//!   `terraform-provider-autopilot_v<version>` (`.exe` on Windows), mode 0755, with a fixed
//!   timestamp so that the same binary always gives the same zip;
//! - `terraform-provider-autopilot_<version>_manifest.json` and `terraform-registry-manifest.json`
//!   (the same bytes): the registry manifest declaring plugin protocol 6.0;
//! - `terraform-provider-autopilot_<version>_SHA256SUMS`: `sha256  file name` for every zip of
//!   this version in `dist/` and the manifest, sorted by name;
//! - `terraform-provider-autopilot_<version>_SHA256SUMS.sig`: a binary detached OpenPGP signature
//!   of the SHA256SUMS file, when `AUTOPILOT_RELEASE_GPG_KEY` holds an ASCII-armored secret key
//!   (its passphrase, if any, in `AUTOPILOT_RELEASE_GPG_PASSPHRASE`). The key never lives in the
//!   repository.
//!
//! Only the host's platform is built here; `.github/workflows/release.yml` builds the others on
//! their own runners with `--target`, then runs `--checksums-only` over all the zips.
//! `--profile dev` packages a debug build through the same code: `cargo xtask test` does that for
//! the release acceptance test (`acceptance-tests/tests/acceptance/release.rs`).

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use pgp::composed::{Deserializable, DetachedSignature, SignedSecretKey};
use pgp::crypto::hash::HashAlgorithm;
use pgp::ser::Serialize;
use pgp::types::Password;
use sha2::{Digest, Sha256};

use crate::cargo::{PROVIDER_PACKAGE, build_executables, cargo_command};
use crate::ui;

/// The provider's version (the workspace's).
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The environment variable holding the ASCII-armored OpenPGP secret key that signs SHA256SUMS.
pub(crate) const SIGNING_KEY_VAR: &str = "AUTOPILOT_RELEASE_GPG_KEY";

/// The environment variable holding the signing key's passphrase (empty or unset: none).
pub(crate) const SIGNING_PASSPHRASE_VAR: &str = "AUTOPILOT_RELEASE_GPG_PASSPHRASE";

/// The registry manifest: this provider speaks plugin protocol 6.0 only.
pub(crate) const MANIFEST: &str =
    "{\n  \"version\": 1,\n  \"metadata\": {\n    \"protocol_versions\": [\"6.0\"]\n  }\n}\n";

/// What `cargo xtask release` was asked to do.
pub(crate) struct Options {
    /// The cargo profile (`release`, or `dev` for a quick build through the same packaging).
    pub profile: String,
    /// A Rust target triple to build for; the host's when absent.
    pub target: Option<String>,
    /// Where the files go.
    pub dist: PathBuf,
    /// Build nothing: only write the manifest, SHA256SUMS (and its signature) over the zips
    /// already in `dist`.
    pub checksums_only: bool,
}

/// A Terraform platform: `linux_amd64`, `darwin_arm64`, `windows_amd64`, ...
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Platform {
    pub os: &'static str,
    pub arch: &'static str,
}

impl Platform {
    /// The platform this xtask runs on.
    pub(crate) fn host() -> Result<Platform> {
        Platform::from_parts(std::env::consts::OS, std::env::consts::ARCH).with_context(|| {
            format!(
                "no Terraform platform for {}/{}",
                std::env::consts::OS,
                std::env::consts::ARCH
            )
        })
    }

    /// The platform of a Rust target triple (`x86_64-unknown-linux-gnu` -> linux_amd64).
    pub(crate) fn from_triple(triple: &str) -> Option<Platform> {
        let arch = triple.split('-').next()?;
        let os = if triple.contains("-linux") {
            "linux"
        } else if triple.contains("-apple-darwin") {
            "macos"
        } else if triple.contains("-windows") {
            "windows"
        } else if triple.contains("-freebsd") {
            "freebsd"
        } else {
            return None;
        };
        Platform::from_parts(os, arch)
    }

    /// From Rust's `std::env::consts::{OS, ARCH}` names.
    fn from_parts(os: &str, arch: &str) -> Option<Platform> {
        let os = match os {
            "linux" => "linux",
            "macos" => "darwin",
            "windows" => "windows",
            "freebsd" => "freebsd",
            _ => return None,
        };
        let arch = match arch {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" | "i686" => "386",
            "arm" => "arm",
            _ => return None,
        };
        Some(Platform { os, arch })
    }

    fn executable_suffix(&self) -> &'static str {
        if self.os == "windows" { ".exe" } else { "" }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}_{}", self.os, self.arch)
    }
}

/// `terraform-provider-autopilot_<version>_<os>_<arch>.zip`.
pub(crate) fn zip_name(version: &str, platform: &Platform) -> String {
    format!("{PROVIDER_PACKAGE}_{version}_{platform}.zip")
}

/// `terraform-provider-autopilot_<version>_SHA256SUMS`.
pub(crate) fn sums_name(version: &str) -> String {
    format!("{PROVIDER_PACKAGE}_{version}_SHA256SUMS")
}

/// `terraform-provider-autopilot_<version>_manifest.json`.
pub(crate) fn manifest_name(version: &str) -> String {
    format!("{PROVIDER_PACKAGE}_{version}_manifest.json")
}

/// `cargo xtask release`.
pub(crate) fn run(root: &Path, options: &Options) -> Result<()> {
    let signer = Signer::from_env()?;
    fs::create_dir_all(&options.dist)
        .with_context(|| format!("could not create {}", options.dist.display()))?;
    if !options.checksums_only {
        let platform = match &options.target {
            Some(triple) => Platform::from_triple(triple)
                .with_context(|| format!("no Terraform platform for the target `{triple}`"))?,
            None => Platform::host()?,
        };
        let binary = build_provider(root, &options.profile, options.target.as_deref())?;
        let zip = write_zip(&binary, VERSION, &platform, &options.dist)?;
        ui::detail(format!("wrote {}", zip.display()));
    }
    let written = write_checksums(&options.dist, VERSION, signer.as_ref())?;
    for path in &written {
        ui::detail(format!("wrote {}", path.display()));
    }
    let signed = if signer.is_some() {
        " (SHA256SUMS signed)".to_string()
    } else {
        format!(" (not signed: {SIGNING_KEY_VAR} is not set)")
    };
    ui::progress(format!(
        "Release {VERSION} is in {}{signed}",
        options.dist.display()
    ));
    Ok(())
}

/// Packages the provider `cargo xtask test` just built (the dev profile) as `cargo xtask release
/// --profile dev` would, into `<target>/release-test-dist/` (emptied first, never signed);
/// returns that directory. `acceptance-tests/tests/acceptance/release.rs` installs from it
/// (`AUTOPILOT_RELEASE_DIR`).
pub(crate) fn package_for_tests(target_dir: &Path, provider: &Path) -> Result<PathBuf> {
    let dist = target_dir.join("release-test-dist");
    if dist.exists() {
        fs::remove_dir_all(&dist).with_context(|| format!("could not empty {}", dist.display()))?;
    }
    fs::create_dir_all(&dist).with_context(|| format!("could not create {}", dist.display()))?;
    ui::progress(format!(
        "Packaging the provider as a release into {}",
        dist.display()
    ));
    write_zip(provider, VERSION, &Platform::host()?, &dist)?;
    write_checksums(&dist, VERSION, None)?;
    Ok(dist)
}

/// `cargo build -p terraform-provider-autopilot --profile <profile> [--target <triple>]`; the
/// executable cargo reports.
pub(crate) fn build_provider(root: &Path, profile: &str, target: Option<&str>) -> Result<PathBuf> {
    let mut cmd = cargo_command(root);
    cmd.args(["build", "-p", PROVIDER_PACKAGE, "--profile", profile]);
    if let Some(target) = target {
        cmd.args(["--target", target]);
    }
    build_executables(cmd)?
        .remove(PROVIDER_PACKAGE)
        .with_context(|| format!("cargo reported no `{PROVIDER_PACKAGE}` executable"))
}

/// Writes `dist/terraform-provider-autopilot_<version>_<platform>.zip` holding `binary` as
/// `terraform-provider-autopilot_v<version>` (mode 0755, timestamp 1980-01-01); returns its path.
pub(crate) fn write_zip(
    binary: &Path,
    version: &str,
    platform: &Platform,
    dist: &Path,
) -> Result<PathBuf> {
    let path = dist.join(zip_name(version, platform));
    let inner = format!(
        "{PROVIDER_PACKAGE}_v{version}{}",
        platform.executable_suffix()
    );
    let mut source =
        File::open(binary).with_context(|| format!("could not open {}", binary.display()))?;
    let partial = dist.join(format!(".{}.partial", zip_name(version, platform)));
    let file = File::create(&partial)
        .with_context(|| format!("could not create {}", partial.display()))?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o755)
        .last_modified_time(zip::DateTime::default())
        .large_file(false);
    zip.start_file(inner.as_str(), options)
        .with_context(|| format!("could not start {inner} in {}", partial.display()))?;
    std::io::copy(&mut source, &mut zip)
        .with_context(|| format!("could not compress {}", binary.display()))?;
    zip.finish()
        .with_context(|| format!("could not finish {}", partial.display()))?
        .flush()
        .with_context(|| format!("could not write {}", partial.display()))?;
    fs::rename(&partial, &path)
        .with_context(|| format!("could not move the zip to {}", path.display()))?;
    Ok(path)
}

/// Writes the registry manifest (both names), SHA256SUMS over every zip of `version` in `dist`
/// and the manifest, and its signature when `signer` is given; returns the paths written.
pub(crate) fn write_checksums(
    dist: &Path,
    version: &str,
    signer: Option<&Signer>,
) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for name in [
        manifest_name(version),
        "terraform-registry-manifest.json".to_string(),
    ] {
        let path = dist.join(name);
        fs::write(&path, MANIFEST)
            .with_context(|| format!("could not write {}", path.display()))?;
        written.push(path);
    }

    let zip_prefix = format!("{PROVIDER_PACKAGE}_{version}_");
    let mut summed = BTreeMap::new();
    for entry in fs::read_dir(dist).with_context(|| format!("could not list {}", dist.display()))? {
        let name = entry
            .with_context(|| format!("could not list {}", dist.display()))?
            .file_name()
            .to_string_lossy()
            .into_owned();
        let is_zip = name.starts_with(&zip_prefix) && name.ends_with(".zip");
        if is_zip || name == manifest_name(version) {
            summed.insert(name.clone(), sha256_file(&dist.join(&name))?);
        }
    }
    if !summed.keys().any(|name| name.ends_with(".zip")) {
        bail!(
            "no {zip_prefix}<os>_<arch>.zip in {}: nothing to checksum",
            dist.display()
        );
    }
    let sums: String = summed
        .iter()
        .map(|(name, digest)| format!("{digest}  {name}\n"))
        .collect();
    let sums_path = dist.join(sums_name(version));
    fs::write(&sums_path, &sums)
        .with_context(|| format!("could not write {}", sums_path.display()))?;
    written.push(sums_path);

    let signature_path = dist.join(format!("{}.sig", sums_name(version)));
    match signer {
        Some(signer) => {
            let signature = signer.sign(sums.as_bytes())?;
            fs::write(&signature_path, signature)
                .with_context(|| format!("could not write {}", signature_path.display()))?;
            written.push(signature_path);
        }
        None => {
            // A signature of an earlier SHA256SUMS would no longer match.
            if signature_path.exists() {
                fs::remove_file(&signature_path).with_context(|| {
                    format!("could not remove the stale {}", signature_path.display())
                })?;
            }
        }
    }
    Ok(written)
}

/// The lowercase hex SHA-256 of a file.
pub(crate) fn sha256_file(path: &Path) -> Result<String> {
    let mut file =
        File::open(path).with_context(|| format!("could not open {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let read = file
            .read(&mut buffer)
            .with_context(|| format!("could not read {}", path.display()))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An OpenPGP secret key that signs SHA256SUMS.
pub(crate) struct Signer {
    key: SignedSecretKey,
    passphrase: Password,
}

impl Signer {
    /// The key in [`SIGNING_KEY_VAR`], if set (and its passphrase in [`SIGNING_PASSPHRASE_VAR`]).
    pub(crate) fn from_env() -> Result<Option<Signer>> {
        let Some(armored) = std::env::var(SIGNING_KEY_VAR)
            .ok()
            .filter(|v| !v.trim().is_empty())
        else {
            return Ok(None);
        };
        let passphrase = std::env::var(SIGNING_PASSPHRASE_VAR).unwrap_or_default();
        Signer::from_armored(&armored, &passphrase)
            .with_context(|| format!("{SIGNING_KEY_VAR} holds no usable OpenPGP secret key"))
            .map(Some)
    }

    /// An ASCII-armored secret key and its passphrase (empty: none).
    pub(crate) fn from_armored(armored: &str, passphrase: &str) -> Result<Signer> {
        let (key, _headers) = SignedSecretKey::from_string(armored)
            .context("not an ASCII-armored OpenPGP secret key")?;
        key.verify_bindings()
            .context("the secret key's self-signatures do not verify")?;
        let passphrase = if passphrase.is_empty() {
            Password::empty()
        } else {
            Password::from(passphrase)
        };
        Ok(Signer { key, passphrase })
    }

    /// A binary detached signature of `data` by the primary key (SHA-256), as
    /// `gpg --detach-sign` writes it and the Terraform registry expects.
    pub(crate) fn sign(&self, data: &[u8]) -> Result<Vec<u8>> {
        let signature = DetachedSignature::sign_binary_data(
            rand::thread_rng(),
            &self.key.primary_key,
            &self.passphrase,
            HashAlgorithm::Sha256,
            data,
        )
        .context("could not sign (is the passphrase right?)")?;
        signature
            .to_bytes()
            .context("could not serialize the signature")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pgp::composed::{KeyType, SecretKeyParamsBuilder, SignedPublicKey};

    /// A throwaway Ed25519 key, made for this test only.
    fn throwaway_key(passphrase: &str) -> SignedSecretKey {
        SecretKeyParamsBuilder::default()
            .key_type(KeyType::Ed25519Legacy)
            .can_certify(true)
            .can_sign(true)
            .primary_user_id("Release test <release-test@example.invalid>".into())
            .passphrase(Some(passphrase.to_string()))
            .build()
            .expect("key parameters")
            .generate(rand::thread_rng())
            .expect("a generated key")
    }

    #[test]
    fn platforms_from_triples() {
        for (triple, os, arch) in [
            ("x86_64-unknown-linux-gnu", "linux", "amd64"),
            ("aarch64-unknown-linux-gnu", "linux", "arm64"),
            ("aarch64-apple-darwin", "darwin", "arm64"),
            ("x86_64-pc-windows-msvc", "windows", "amd64"),
        ] {
            assert_eq!(
                Platform::from_triple(triple),
                Some(Platform { os, arch }),
                "{triple}"
            );
        }
        assert_eq!(Platform::from_triple("wasm32-unknown-unknown"), None);
    }

    #[test]
    fn packages_checksums_and_signs() {
        let dist = tempfile::tempdir().expect("a temporary directory");
        let binary = dist.path().join("built-binary");
        fs::write(&binary, b"#!/bin/sh\necho provider\n").expect("write a stand-in binary");
        let linux = Platform {
            os: "linux",
            arch: "amd64",
        };
        let windows = Platform {
            os: "windows",
            arch: "amd64",
        };
        let zip_path = write_zip(&binary, "9.8.7", &linux, dist.path()).expect("the zip");
        write_zip(&binary, "9.8.7", &windows, dist.path()).expect("the Windows zip");
        let first = fs::read(&zip_path).expect("read the zip");
        write_zip(&binary, "9.8.7", &linux, dist.path()).expect("the zip again");
        assert_eq!(
            first,
            fs::read(&zip_path).expect("read the zip"),
            "the same binary gives a different zip"
        );

        let mut archive =
            zip::ZipArchive::new(File::open(&zip_path).expect("open the zip")).expect("a zip");
        assert_eq!(archive.len(), 1);
        let mut entry = archive.by_index(0).expect("the entry");
        assert_eq!(
            entry.name().expect("a file name").as_ref(),
            "terraform-provider-autopilot_v9.8.7"
        );
        assert_eq!(entry.unix_mode().map(|m| m & 0o777), Some(0o755));
        let mut content = Vec::new();
        entry.read_to_end(&mut content).expect("read the entry");
        assert_eq!(content, b"#!/bin/sh\necho provider\n");
        drop(entry);
        let mut archive = zip::ZipArchive::new(
            File::open(dist.path().join(zip_name("9.8.7", &windows))).expect("open"),
        )
        .expect("a zip");
        assert_eq!(
            archive
                .by_index(0)
                .expect("the entry")
                .name()
                .expect("a file name")
                .as_ref(),
            "terraform-provider-autopilot_v9.8.7.exe"
        );

        let key = throwaway_key("correct horse");
        let armored = key
            .to_armored_string(Default::default())
            .expect("armor the key");
        let signer = Signer::from_armored(&armored, "correct horse").expect("a signer");
        write_checksums(dist.path(), "9.8.7", Some(&signer)).expect("checksums");

        let sums = fs::read_to_string(dist.path().join(sums_name("9.8.7"))).expect("sums");
        let lines: Vec<&str> = sums.lines().collect();
        assert_eq!(
            lines,
            vec![
                format!(
                    "{}  terraform-provider-autopilot_9.8.7_linux_amd64.zip",
                    sha256_file(&zip_path).expect("hash")
                ),
                format!(
                    "{}  terraform-provider-autopilot_9.8.7_manifest.json",
                    hex(&Sha256::digest(MANIFEST.as_bytes()))
                ),
                format!(
                    "{}  terraform-provider-autopilot_9.8.7_windows_amd64.zip",
                    sha256_file(&dist.path().join(zip_name("9.8.7", &windows))).expect("hash")
                ),
            ]
        );
        let manifest: serde_json::Value = serde_json::from_str(
            &fs::read_to_string(dist.path().join("terraform-registry-manifest.json"))
                .expect("manifest"),
        )
        .expect("JSON");
        assert_eq!(
            manifest,
            serde_json::json!({"version": 1, "metadata": {"protocol_versions": ["6.0"]}})
        );

        let signature_bytes =
            fs::read(dist.path().join(format!("{}.sig", sums_name("9.8.7")))).expect("sig");
        let signature =
            DetachedSignature::from_bytes(&signature_bytes[..]).expect("a detached signature");
        let public = SignedPublicKey::from(key);
        signature
            .verify(&public, sums.as_bytes())
            .expect("the signature verifies with the public key");
        assert!(
            signature.verify(&public, b"something else").is_err(),
            "the signature verifies other content"
        );

        // Without a key, no signature is left behind that would not match.
        write_checksums(dist.path(), "9.8.7", None).expect("checksums");
        assert!(
            !dist
                .path()
                .join(format!("{}.sig", sums_name("9.8.7")))
                .exists()
        );
    }

    #[test]
    fn a_wrong_passphrase_or_key_is_refused() {
        let key = throwaway_key("right");
        let armored = key
            .to_armored_string(Default::default())
            .expect("armor the key");
        let signer = Signer::from_armored(&armored, "wrong").expect("the key parses");
        assert!(signer.sign(b"data").is_err());
        assert!(Signer::from_armored("not a key", "").is_err());
    }

    #[test]
    fn checksums_need_a_zip() {
        let dist = tempfile::tempdir().expect("a temporary directory");
        let err = write_checksums(dist.path(), "1.0.0", None).expect_err("no zip");
        assert!(err.to_string().contains("nothing to checksum"), "{err}");
    }
}
