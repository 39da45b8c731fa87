//! The files an export writes: `provider.tf`, one `.tf` file per kind,
//! and `import.sh` (or `imports.tf` with import blocks).

use std::path::{Path, PathBuf};

use tfplugin::Schema;

use super::ExportError;
use super::hcl::{Block, Body, Expr};
use super::kind::Kind;
use super::render::{
    self, Exported, HASH_PLACEHOLDER, HASHES_VARIABLE, PLACEHOLDER_LOCAL, References,
};

pub const PROVIDER_FILE: &str = "provider.tf";
pub const IMPORT_SCRIPT: &str = "import.sh";
pub const IMPORT_BLOCKS: &str = "imports.tf";

/// The `terraform` and `provider` blocks: the export's directory is a
/// configuration of its own, pinned to this provider's minor version
/// (`~> MAJOR.MINOR`).
pub const PROVIDER_HCL: &str = concat!(
    r#"terraform {
  required_providers {
    autopilot = {
      source  = "autopilot-iac/autopilot"
      version = "~> "#,
    env!("CARGO_PKG_VERSION_MAJOR"),
    ".",
    env!("CARGO_PKG_VERSION_MINOR"),
    r#""
    }
  }
}

# Credentials and endpoints come from the environment (ARM_TENANT_ID, ARM_CLIENT_ID,
# ARM_CLIENT_SECRET, ...), as they did for the export.
provider "autopilot" {}
"#
);

const DEVICES_NOTE: &str = "\
Graph never returns hardware hashes. After `terraform import` the state holds an empty
placeholder, and any hash configured here is taken as is, so the plan stays clean. A configured
hash is only sent when a device is registered again: after it was deleted outside Terraform, or
when its serial number or product key changes (a replacement, which `prevent_destroy` refuses).
Supply the real hashes (the `Hardware Hash` column of the CSV that Get-WindowsAutopilotInfo
writes) in var.autopilot_hardware_hashes, keyed by serial number, e.g. in a *.auto.tfvars file
kept out of version control. Until then the placeholder stands in: Autopilot refuses to register
a device with it. The variable is not marked sensitive because `hardware_hash` is sensitive in the
provider's schema already (plans never show it); a sensitive variable would make Terraform plan an
update of every device only to mark the value.";

/// Where the files go, checked before the tenant is read.
#[derive(Debug)]
pub struct OutputDir {
    dir: PathBuf,
}

impl OutputDir {
    /// Creates `dir` if needed and makes sure files can be written there
    /// and that none of `files` would be overwritten unless `force`.
    pub fn prepare(dir: &Path, files: &[String], force: bool) -> Result<OutputDir, ExportError> {
        let output_error = |source| ExportError::Output {
            path: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(output_error)?;
        if !force {
            let existing: Vec<String> = files
                .iter()
                .filter(|f| dir.join(f).exists())
                .cloned()
                .collect();
            if !existing.is_empty() {
                return Err(ExportError::WouldOverwrite {
                    dir: dir.to_path_buf(),
                    files: existing,
                });
            }
        }
        let probe = dir.join(".terraform-provider-autopilot-export");
        std::fs::write(&probe, b"").map_err(output_error)?;
        std::fs::remove_file(&probe).map_err(output_error)?;
        Ok(OutputDir {
            dir: dir.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    pub fn write(&self, name: &str, content: &str) -> Result<(), ExportError> {
        let path = self.dir.join(name);
        std::fs::write(&path, content).map_err(|source| ExportError::Output {
            path: path.clone(),
            source,
        })
    }

    /// Writes a file and makes it executable.
    pub fn write_executable(&self, name: &str, content: &str) -> Result<(), ExportError> {
        self.write(name, content)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let path = self.dir.join(name);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .map_err(|source| ExportError::Output { path, source })?;
        }
        Ok(())
    }
}

/// What a kind's file holds besides its resources.
#[derive(Debug, Default, Clone, Copy)]
pub struct Extras {
    /// The tenant's default ESP, read through the data source.
    pub default_esp: bool,
    /// The Intune Provisioning Client, read through the data source.
    pub provisioning_client: bool,
}

/// The `.tf` file of one kind; `None` when it would hold nothing.
pub fn kind_file(
    kind: Kind,
    objects: &[Exported],
    schema: &Schema,
    refs: &References,
    extras: Extras,
) -> Option<String> {
    if objects.is_empty() && !extras.default_esp {
        return None;
    }
    let mut file = Body::default();
    file.comment(&format!(
        "{} resources exported from the tenant by `terraform-provider-autopilot export`.",
        kind.resource_type()
    ))
    .blank();
    if extras.default_esp {
        let mut data = Block::new("data", &["autopilot_enrollment_status_page", "default"]);
        data.body.attribute("default", Expr::Bool(true));
        file.comment(
            "The tenant's default Enrollment Status Page (\"All users and all devices\", priority 0)\n\
             cannot be deleted or reassigned, so no resource manages it: it is read here.",
        )
        .block(data)
        .blank();
    }
    if extras.provisioning_client {
        file.comment(
            "The Intune Provisioning Client, which owns the groups below that set\n\
             `provisioning_client_owner = true`. It is read here, never managed.",
        )
        .block(Block::new(
            "data",
            &["autopilot_provisioning_client", "this"],
        ))
        .blank();
    }
    if kind == Kind::DEVICES {
        file.comment(DEVICES_NOTE).blank();
        let mut variable = Block::new("variable", &[HASHES_VARIABLE]);
        variable
            .body
            .attribute(
                "description",
                Expr::String(
                    "Hardware hashes (Base64, as in Get-WindowsAutopilotInfo's CSV) by serial number."
                        .into(),
                ),
            )
            .attribute("type", Expr::Raw("map(string)".into()))
            .attribute("default", Expr::Raw("{}".into()));
        let mut locals = Block::new("locals", &[]);
        locals
            .body
            .comment("Base64 letters that decode to no hardware hash.")
            .attribute(PLACEHOLDER_LOCAL, Expr::String(HASH_PLACEHOLDER.into()));
        file.block(variable).blank().block(locals).blank();
    }
    for (i, object) in objects.iter().enumerate() {
        if i > 0 {
            file.blank();
        }
        file.block(render::resource_block(object, schema, refs));
    }
    let mut text = file.to_file();
    // No blank line at the end of a file that holds only data sources.
    while text.ends_with("\n\n") {
        text.pop();
    }
    Some(text)
}

/// `text` as one single-quoted shell word.
fn shell_word(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// `import.sh`: one `terraform import` per object, skipping what the state
/// already holds, so that it can be run again after a failure.
pub fn import_script(objects: &[&Exported]) -> String {
    let mut script = String::from(
        "#!/bin/sh\n\
         # Imports the objects `terraform-provider-autopilot export` wrote into the Terraform state of\n\
         # this directory. Run `terraform init` first. Objects already in the state are skipped, so\n\
         # the script can be run again after a failure. TERRAFORM names the binary (default:\n\
         # terraform; e.g. TERRAFORM=tofu).\n\
         set -eu\n\
         cd \"$(dirname \"$0\")\"\n\
         terraform=\"${TERRAFORM:-terraform}\"\n\
         in_state=\"$(\"$terraform\" state list 2>/dev/null || true)\"\n\
         \n\
         import() {\n\
         \x20 if printf '%s\\n' \"$in_state\" | grep -qxF \"$1\"; then\n\
         \x20   echo \"$1: already in the state\"\n\
         \x20 else\n\
         \x20   \"$terraform\" import -input=false \"$1\" \"$2\"\n\
         \x20 fi\n\
         }\n\
         \n",
    );
    for object in objects {
        script.push_str(&format!(
            "import {} {}\n",
            shell_word(&object.address()),
            shell_word(&object.id)
        ));
    }
    script
}

/// `imports.tf`: `import` blocks (Terraform 1.5 or later).
pub fn import_blocks(objects: &[&Exported]) -> String {
    let mut file = Body::default();
    file.comment(
        "Import blocks for the objects `terraform-provider-autopilot export` wrote. They need\n\
         Terraform 1.5 or later (older versions reject this file): `terraform plan` shows the\n\
         imports and `terraform apply` performs them. Delete this file afterwards.",
    );
    for object in objects {
        let mut block = Block::new("import", &[]);
        block
            .body
            .attribute("to", Expr::Raw(object.address()))
            .attribute("id", Expr::String(object.id.clone()));
        file.blank().block(block);
    }
    file.to_file()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::Value;

    fn exported(kind: Kind, name: &str, id: &str) -> Exported {
        Exported {
            kind,
            id: id.into(),
            label: name.into(),
            name: name.into(),
            value: Value::Null,
        }
    }

    #[test]
    fn the_import_script_quotes_its_words() {
        let group = exported(Kind::GROUPS, "sales", "1111-2222");
        let odd = exported(Kind::DEVICES, "device_x", "it's");
        let script = import_script(&[&group, &odd]);
        assert!(script.starts_with("#!/bin/sh\n"));
        assert!(script.contains("terraform=\"${TERRAFORM:-terraform}\"\n"));
        assert!(script.contains("\nimport 'autopilot_group.sales' '1111-2222'\n"));
        assert!(script.contains("\nimport 'autopilot_device.device_x' 'it'\\''s'\n"));
    }

    #[test]
    fn import_blocks_name_address_and_id() {
        let group = exported(Kind::GROUPS, "sales", "1111");
        let text = import_blocks(&[&group]);
        assert!(
            text.ends_with("\nimport {\n  to = autopilot_group.sales\n  id = \"1111\"\n}\n"),
            "{text}"
        );
    }

    #[test]
    fn an_empty_kind_writes_no_file_but_the_default_esp_is_kept() {
        let schema =
            Schema::of::<crate::resources::enrollment_status_page::EnrollmentStatusPageModel>(0)
                .expect("schema");
        let refs = References::default();
        assert_eq!(
            kind_file(
                Kind::ENROLLMENT_STATUS_PAGES,
                &[],
                &schema,
                &refs,
                Extras::default()
            ),
            None
        );
        let text = kind_file(
            Kind::ENROLLMENT_STATUS_PAGES,
            &[],
            &schema,
            &refs,
            Extras {
                default_esp: true,
                provisioning_client: false,
            },
        )
        .expect("a file");
        assert!(
            text.ends_with(
                "data \"autopilot_enrollment_status_page\" \"default\" {\n  default = true\n}\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn output_directories_refuse_to_overwrite_without_force() {
        let dir =
            std::env::temp_dir().join(format!("autopilot-export-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let files = vec![PROVIDER_FILE.to_string()];
        let out = OutputDir::prepare(&dir, &files, false).expect("a fresh directory");
        out.write(PROVIDER_FILE, PROVIDER_HCL).expect("written");
        match OutputDir::prepare(&dir, &files, false) {
            Err(ExportError::WouldOverwrite { files, .. }) => assert_eq!(files, ["provider.tf"]),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(OutputDir::prepare(&dir, &files, true).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
