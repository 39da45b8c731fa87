//! The packaged release installs the way users install it: `terraform init` from a filesystem
//! mirror in the packed layout (`registry.terraform.io/autopilot-iac/autopilot/<the zip>`), with
//! a version constraint, on the Terraform in `TERRAFORM_BIN`. The lock file Terraform writes must
//! agree with the published SHA256SUMS; a lock file holding the published `zh:` checksums (what
//! the Registry gives users) must accept the mirror's zip and refuse a tampered one; then the
//! installed provider plans and applies against a lab.
//!
//! The release comes from `AUTOPILOT_RELEASE_DIR`: `cargo xtask test` packages the dev build it
//! just made through the same code as `cargo xtask release --profile dev` (a release-profile build
//! takes too long for every test run; the packaging is what is under test). README.md's
//! "Installation > From a filesystem mirror" gives the same steps.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use acceptance_tests::paths::release_dir;
use acceptance_tests::{Lab, Terraform};
use base64::Engine;
use sha2::{Digest, Sha256};

const VERSION: &str = env!("CARGO_PKG_VERSION");
const PLATFORM: &str = "linux_amd64";

fn zip_name() -> String {
    format!("terraform-provider-autopilot_{VERSION}_{PLATFORM}.zip")
}

/// `file name -> sha256 hex` from the release's SHA256SUMS.
fn published_sums(dist: &Path) -> BTreeMap<String, String> {
    let path = dist.join(format!("terraform-provider-autopilot_{VERSION}_SHA256SUMS"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .map(|line| {
            let (digest, name) = line
                .split_once("  ")
                .unwrap_or_else(|| panic!("a SHA256SUMS line is not `digest  name`: {line:?}"));
            assert_eq!(digest.len(), 64, "not a sha256 digest: {line:?}");
            (name.to_string(), digest.to_string())
        })
        .collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Terraform's `h1:` hash of a provider zip: SHA-256 over the sorted lines
/// `<sha256 hex of the file>  <name>\n` of the files inside, base64.
fn h1_of_zip(zip: &Path) -> String {
    let file = std::fs::File::open(zip).expect("open the zip");
    let mut archive = zip::ZipArchive::new(file).expect("a zip archive");
    let mut lines = Vec::new();
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).expect("a zip entry");
        if entry.is_dir() {
            continue;
        }
        let mut content = Vec::new();
        entry.read_to_end(&mut content).expect("read a zip entry");
        let name = entry.name().expect("a file name").into_owned();
        lines.push(format!("{}  {name}\n", sha256_hex(&content)));
    }
    lines.sort();
    let summary = Sha256::digest(lines.concat().as_bytes());
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(summary)
    )
}

/// A packed-layout filesystem mirror holding `zip` under the name the Registry gives it, and a
/// CLI configuration that installs `autopilot-iac/*` from it only.
struct Mirror {
    _dir: tempfile::TempDir,
    cli_config: PathBuf,
}

fn mirror_with(zip: &Path) -> Mirror {
    let dir = tempfile::Builder::new()
        .prefix("release-mirror-")
        .tempdir()
        .expect("a mirror directory");
    let package_dir = dir
        .path()
        .join("mirror/registry.terraform.io/autopilot-iac/autopilot");
    std::fs::create_dir_all(&package_dir).expect("create the mirror's directories");
    std::fs::copy(zip, package_dir.join(zip_name())).expect("copy the zip into the mirror");
    let cli_config = dir.path().join("mirror.tfrc");
    std::fs::write(
        &cli_config,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/autopilot-iac/*\"]\n  }}\n  direct {{\n    exclude = [\"registry.terraform.io/autopilot-iac/*\"]\n  }}\n}}\n",
            dir.path().join("mirror").display()
        ),
    )
    .expect("write the CLI configuration");
    Mirror {
        _dir: dir,
        cli_config,
    }
}

fn workspace(lab: &Lab, mirror: &Mirror) -> Terraform {
    let mut env = lab.provider_env();
    env.push((
        "TF_CLI_CONFIG_FILE".to_string(),
        mirror.cli_config.to_string_lossy().into_owned(),
    ));
    let tf = Terraform::with_env(env);
    tf.write_main(
        r#"terraform {
  required_providers {
    autopilot = {
      source  = "autopilot-iac/autopilot"
      version = "~> 0.1"
    }
  }
}

provider "autopilot" {}

resource "autopilot_group" "devices" {
  display_name          = "Autopilot devices"
  all_autopilot_devices = true
}
"#,
    );
    tf
}

/// The `hashes` of the one provider in a lock file.
fn locked_hashes(lock: &str) -> Vec<String> {
    assert!(
        lock.contains("provider \"registry.terraform.io/autopilot-iac/autopilot\""),
        "the lock file has no entry for the provider:\n{lock}"
    );
    assert!(
        lock.contains(&format!("version     = \"{VERSION}\"")),
        "the lock file does not pin {VERSION}:\n{lock}"
    );
    lock.split('"')
        .filter(|s| s.starts_with("h1:") || s.starts_with("zh:"))
        .map(str::to_string)
        .collect()
}

fn lock_file(tf: &Terraform) -> String {
    std::fs::read_to_string(tf.dir().join(".terraform.lock.hcl"))
        .expect("terraform init wrote .terraform.lock.hcl")
}

#[test]
fn the_release_installs_from_a_packed_mirror_and_plans() {
    let dist = release_dir();
    let sums = published_sums(&dist);
    let zip = dist.join(zip_name());
    let zip_bytes =
        std::fs::read(&zip).unwrap_or_else(|e| panic!("the release has no {}: {e}", zip.display()));
    assert_eq!(
        sums.get(&zip_name()),
        Some(&sha256_hex(&zip_bytes)),
        "SHA256SUMS does not hold the zip's checksum: {sums:?}"
    );
    let manifest_name = format!("terraform-provider-autopilot_{VERSION}_manifest.json");
    let manifest = std::fs::read(dist.join(&manifest_name)).expect("the release's manifest");
    assert_eq!(sums.get(&manifest_name), Some(&sha256_hex(&manifest)));
    let manifest: serde_json::Value = serde_json::from_slice(&manifest).expect("manifest JSON");
    assert_eq!(
        manifest["metadata"]["protocol_versions"],
        serde_json::json!(["6.0"])
    );

    let lab = Lab::start();
    let mirror = mirror_with(&zip);
    let tf = workspace(&lab, &mirror);
    tf.run(&["init", "-no-color", "-input=false"])
        .success()
        .assert_contains(&format!("Installing autopilot-iac/autopilot v{VERSION}"));
    let hashes = locked_hashes(&lock_file(&tf));
    let h1 = h1_of_zip(&zip);
    assert!(
        hashes.contains(&h1),
        "the lock file lacks the h1: hash of the zip's contents ({h1}): {hashes:?}"
    );
    let published: Vec<&String> = sums.values().collect();
    for zh in hashes.iter().filter_map(|h| h.strip_prefix("zh:")) {
        assert!(
            published.contains(&&zh.to_string()),
            "the lock file holds zh:{zh}, which SHA256SUMS does not publish: {sums:?}"
        );
    }

    let plan = tf.plan_detailed().expect_code(2);
    plan.assert_contains("Plan: 1 to add, 0 to change, 0 to destroy.");
    tf.apply();
    tf.assert_no_changes();
}

/// What a user whose lock file came from the Registry has: the `zh:` checksums of every
/// platform's zip, as SHA256SUMS publishes them. `terraform init` from the mirror checks the zip
/// against them: the release's own zip passes, a tampered one is refused.
#[test]
fn a_lock_file_with_the_published_checksums_accepts_the_zip_and_refuses_a_tampered_one() {
    let dist = release_dir();
    let sums = published_sums(&dist);
    let zh: Vec<String> = sums
        .iter()
        .filter(|(name, _)| name.ends_with(".zip"))
        .map(|(_, digest)| format!("zh:{digest}"))
        .collect();
    assert!(!zh.is_empty(), "SHA256SUMS lists no zip: {sums:?}");
    let lock = format!(
        "provider \"registry.terraform.io/autopilot-iac/autopilot\" {{\n  version     = \"{VERSION}\"\n  constraints = \"~> 0.1\"\n  hashes = [\n{}  ]\n}}\n",
        zh.iter()
            .map(|h| format!("    \"{h}\",\n"))
            .collect::<String>()
    );

    let lab = Lab::start();
    let genuine = mirror_with(&dist.join(zip_name()));
    let tf = workspace(&lab, &genuine);
    std::fs::write(tf.dir().join(".terraform.lock.hcl"), &lock).expect("write the lock file");
    tf.run(&["init", "-no-color", "-input=false"]).success();
    let hashes = locked_hashes(&lock_file(&tf));
    for h in &zh {
        assert!(
            hashes.contains(h),
            "init dropped the published {h}: {hashes:?}"
        );
    }
    tf.plan_detailed().expect_code(2);

    // The same zip with one byte of its content changed (a corrupted or substituted download).
    let tampered_dir = tempfile::tempdir().expect("a directory");
    let tampered = tampered_dir.path().join(zip_name());
    let mut bytes = std::fs::read(dist.join(zip_name())).expect("read the zip");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&tampered, bytes).expect("write the tampered zip");
    let forged = mirror_with(&tampered);
    let tf = workspace(&lab, &forged);
    std::fs::write(tf.dir().join(".terraform.lock.hcl"), &lock).expect("write the lock file");
    let refused = tf
        .run(&["init", "-no-color", "-input=false"])
        .expect_failure();
    let said = refused.diagnostics();
    assert!(
        said.contains("checksum") || said.contains("doesn't match"),
        "init refused the tampered zip for another reason\n{refused}"
    );
}
