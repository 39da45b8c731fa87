//! Generated trees checked into the repository (`docs/`, `schemas/`): writing them,
//! removing what is no longer generated, and saying how the checked-in copy differs
//! (`--check` and the freshness tests).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::ui;

/// A generated tree: paths relative to its directory -> content.
pub(crate) type Files = BTreeMap<String, String>;

/// A directory that holds only generated files.
pub(crate) struct Tree {
    /// The directory.
    pub dir: PathBuf,
    /// Its name in messages: `docs`.
    pub label: &'static str,
    /// The command that writes it: `cargo xtask docs`.
    pub command: &'static str,
}

impl Tree {
    /// `label` under the workspace `root`, written by `command`.
    pub(crate) fn new(root: &Path, label: &'static str, command: &'static str) -> Tree {
        Tree {
            dir: root.join(label),
            label,
            command,
        }
    }

    /// `cargo xtask <command> [--check]`: with `check`, fails when the tree differs from
    /// `files`; else writes the files that differ and removes those not generated.
    pub(crate) fn sync(&self, files: &Files, check: bool) -> Result<()> {
        if check {
            let stale = self.differences(files)?;
            if !stale.is_empty() {
                bail!("{}", self.stale_message(&stale));
            }
            ui::progress(format!(
                "{}/ is up to date ({} files)",
                self.label,
                files.len()
            ));
            return Ok(());
        }
        let written = self.write_changed(files)?;
        let removed = self.remove_stray(files)?;
        ui::progress(format!(
            "{}/: {} files, {written} written, {removed} removed",
            self.label,
            files.len()
        ));
        Ok(())
    }

    fn write_changed(&self, files: &Files) -> Result<usize> {
        let mut written = 0;
        for (relative, content) in files {
            let path = self.dir.join(relative);
            if fs::read_to_string(&path).ok().as_deref() == Some(content.as_str()) {
                continue;
            }
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)
                    .with_context(|| format!("could not create {}", parent.display()))?;
            }
            fs::write(&path, content)
                .with_context(|| format!("could not write {}", path.display()))?;
            ui::detail(format!("wrote {}/{relative}", self.label));
            written += 1;
        }
        Ok(written)
    }

    fn remove_stray(&self, files: &Files) -> Result<usize> {
        let mut removed = 0;
        for relative in existing_files(&self.dir)? {
            if !files.contains_key(&relative) {
                let path = self.dir.join(&relative);
                fs::remove_file(&path)
                    .with_context(|| format!("could not remove {}", path.display()))?;
                ui::detail(format!("removed {}/{relative} (not generated)", self.label));
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// What differs between the tree and `files`: one line per file.
    pub(crate) fn differences(&self, files: &Files) -> Result<Vec<String>> {
        let label = self.label;
        let mut out = Vec::new();
        for (relative, content) in files {
            match fs::read_to_string(self.dir.join(relative)) {
                Ok(existing) if &existing == content => {}
                Ok(existing) => out.push(format!(
                    "{label}/{relative} differs ({})",
                    first_difference(&existing, content)
                )),
                Err(_) => out.push(format!("{label}/{relative} is missing")),
            }
        }
        for relative in existing_files(&self.dir)? {
            if !files.contains_key(&relative) {
                out.push(format!("{label}/{relative} is not generated"));
            }
        }
        Ok(out)
    }

    /// The failure of `--check` and of the freshness tests.
    pub(crate) fn stale_message(&self, stale: &[String]) -> String {
        format!(
            "{}/ is stale; run `{}` and commit the result:\n  - {}",
            self.label,
            self.command,
            stale.join("\n  - ")
        )
    }
}

/// Files under `dir`, relative, with `/` separators, sorted.
pub(crate) fn existing_files(dir: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    if !dir.exists() {
        return Ok(out);
    }
    let mut stack = vec![PathBuf::new()];
    while let Some(relative) = stack.pop() {
        let here = dir.join(&relative);
        let entries =
            fs::read_dir(&here).with_context(|| format!("could not list {}", here.display()))?;
        for entry in entries {
            let entry = entry?;
            let child = relative.join(entry.file_name());
            if entry.file_type()?.is_dir() {
                stack.push(child);
            } else {
                let parts: Vec<String> = child
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push(parts.join("/"));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The first line where `existing` and `expected` differ, for the message.
fn first_difference(existing: &str, expected: &str) -> String {
    let mut existing_lines = existing.lines();
    let mut expected_lines = expected.lines();
    for number in 1.. {
        match (existing_lines.next(), expected_lines.next()) {
            (Some(a), Some(b)) if a == b => continue,
            (None, None) => return "line endings".into(),
            (a, b) => {
                return format!(
                    "line {number}: has {:?}, expected {:?}",
                    a.unwrap_or("<end of file>"),
                    b.unwrap_or("<end of file>")
                );
            }
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tree in a new temporary folder (returned too: the tree lives as long as it), already holding `existing`
    /// (path, text) files.
    fn tree_holding(
        label: &'static str,
        command: &'static str,
        existing: &[(&str, &str)],
    ) -> Result<(tempfile::TempDir, Tree)> {
        let root = tempfile::tempdir()?;
        let tree = Tree::new(root.path(), label, command);
        for (path, text) in existing {
            let path = tree.dir.join(path);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(path, text)?;
        }
        Ok((root, tree))
    }

    #[test]
    fn stale_and_stray_files_are_reported() -> Result<()> {
        let (_root, tree) = tree_holding(
            "docs",
            "cargo xtask docs",
            &[("index.md", "old\n"), ("resources/stray.md", "x\n")],
        )?;
        let files = Files::from([
            ("index.md".to_string(), "new\n".to_string()),
            ("resources/group.md".to_string(), "g\n".to_string()),
        ]);
        let stale = tree.differences(&files)?;
        assert_eq!(
            stale,
            [
                "docs/index.md differs (line 1: has \"old\", expected \"new\")",
                "docs/resources/group.md is missing",
                "docs/resources/stray.md is not generated",
            ]
        );
        assert!(
            tree.stale_message(&stale)
                .contains("run `cargo xtask docs`")
        );
        assert!(tree.sync(&files, true).is_err());
        Ok(())
    }

    #[test]
    fn a_sync_writes_what_differs_and_removes_strays() -> Result<()> {
        let (_root, tree) = tree_holding(
            "schemas",
            "cargo xtask schemas",
            &[("graph/gone.json", "{}\n")],
        )?;
        let files = Files::from([("graph/a.json".to_string(), "{}\n".to_string())]);
        tree.sync(&files, false)?;
        assert_eq!(fs::read_to_string(tree.dir.join("graph/a.json"))?, "{}\n");
        assert!(!tree.dir.join("graph/gone.json").exists());
        assert_eq!(tree.differences(&files)?, Vec::<String>::new());
        tree.sync(&files, true)?;
        Ok(())
    }
}
