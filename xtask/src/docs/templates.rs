//! The hand-written pages (`index.md`, the guides) are Markdown templates under
//! `xtask/src/docs/templates/` with two directives:
//!
//! - `{{ file "examples/guides/gitops/main.tf" }}`: that file of the repository, fenced as code
//!   (the language comes from the extension), so the HCL a guide shows is the HCL the examples
//!   test plans;
//! - `{{ name }}`: a snippet the generator computes, such as `{{ provider_schema }}`.

use std::collections::BTreeMap;
use std::path::Path;

use thiserror::Error;

#[derive(Debug, Error)]
pub(super) enum TemplateError {
    #[error("{template}: `{{{{` without a closing `}}}}`")]
    Unclosed { template: String },
    #[error(
        "{template}: unknown directive `{{{{ {directive} }}}}` (known: file \"PATH\", {known})"
    )]
    UnknownDirective {
        template: String,
        directive: String,
        known: String,
    },
    #[error("{template}: {{{{ file \"{path}\" }}}}: {source}")]
    File {
        template: String,
        path: String,
        source: std::io::Error,
    },
}

/// Expands the directives of `text` (named `template` in errors); files are read under `root`.
pub(super) fn expand(
    template: &str,
    text: &str,
    root: &Path,
    snippets: &BTreeMap<&str, String>,
) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or_else(|| TemplateError::Unclosed {
            template: template.to_string(),
        })?;
        let directive = after[..end].trim();
        out.push_str(&directive_text(template, directive, root, snippets)?);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn directive_text(
    template: &str,
    directive: &str,
    root: &Path,
    snippets: &BTreeMap<&str, String>,
) -> Result<String, TemplateError> {
    if let Some(path) = directive
        .strip_prefix("file ")
        .map(str::trim)
        .and_then(|p| p.strip_prefix('"')?.strip_suffix('"'))
    {
        let content =
            std::fs::read_to_string(root.join(path)).map_err(|source| TemplateError::File {
                template: template.to_string(),
                path: path.to_string(),
                source,
            })?;
        return Ok(fenced(language_of(path), &content));
    }
    snippets
        .get(directive)
        .cloned()
        .ok_or_else(|| TemplateError::UnknownDirective {
            template: template.to_string(),
            directive: directive.to_string(),
            known: snippets.keys().copied().collect::<Vec<_>>().join(", "),
        })
}

/// A fenced code block ending with a newline.
pub(super) fn fenced(language: &str, code: &str) -> String {
    format!("```{language}\n{}\n```\n", code.trim_end())
}

/// The code fence language for a file name.
fn language_of(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map(|(_, e)| e).unwrap_or_default();
    match extension {
        "tf" | "tfvars" | "hcl" => "terraform",
        "sh" => "shell",
        "yml" | "yaml" => "yaml",
        "json" => "json",
        "csv" => "csv",
        _ => "text",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_files_and_snippets() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        std::fs::create_dir_all(dir.path().join("examples"))?;
        std::fs::write(
            dir.path().join("examples/a.tf"),
            "provider \"autopilot\" {}\n\n",
        )?;
        let snippets = BTreeMap::from([("provider_schema", "SCHEMA".to_string())]);
        let text = "Intro\n{{ file \"examples/a.tf\" }}\n{{provider_schema}} end";
        let out = expand("t.md", text, dir.path(), &snippets)?;
        assert_eq!(
            out,
            "Intro\n```terraform\nprovider \"autopilot\" {}\n```\n\nSCHEMA end"
        );
        Ok(())
    }

    #[test]
    fn unknown_directives_and_missing_files_are_errors() {
        let root = Path::new("/nonexistent");
        let snippets = BTreeMap::new();
        let unknown = expand("t.md", "{{ nope }}", root, &snippets);
        assert!(
            matches!(&unknown, Err(TemplateError::UnknownDirective { directive, .. }) if directive == "nope"),
            "{unknown:?}"
        );
        let missing = expand("t.md", "{{ file \"x.tf\" }}", root, &snippets);
        assert!(matches!(missing, Err(TemplateError::File { .. })));
        let unclosed = expand("t.md", "a {{ file", root, &snippets);
        assert!(matches!(unclosed, Err(TemplateError::Unclosed { .. })));
    }
}
