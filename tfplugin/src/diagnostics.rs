//! Diagnostics with attribute paths, the way Terraform shows them.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One step into a value: an attribute, a map key or a list index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Attribute(String),
    Key(String),
    Index(i64),
}

/// Where in a configuration a diagnostic points.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttrPath(pub Vec<Step>);

impl AttrPath {
    pub fn root(name: impl Into<String>) -> Self {
        AttrPath(vec![Step::Attribute(name.into())])
    }
    pub fn attr(mut self, name: impl Into<String>) -> Self {
        self.0.push(Step::Attribute(name.into()));
        self
    }
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.0.push(Step::Key(key.into()));
        self
    }
    pub fn index(mut self, index: i64) -> Self {
        self.0.push(Step::Index(index));
        self
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                Step::Attribute(name) if i == 0 => write!(f, "{name}")?,
                Step::Attribute(name) => write!(f, ".{name}")?,
                Step::Key(key) => write!(f, "[{key:?}]")?,
                Step::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    pub path: Option<AttrPath>,
}

/// An ordered collection of diagnostics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    /// Diagnostics holding one error about the whole resource or provider.
    pub fn single_error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        let mut diags = Self::new();
        diags.error(summary, detail);
        diags
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// A diagnostic of `severity`, on the attribute at `path` or (`None`) the whole resource or
    /// provider.
    fn add(
        &mut self,
        severity: Severity,
        path: Option<AttrPath>,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.push(Diagnostic {
            severity,
            summary: summary.into(),
            detail: detail.into(),
            path,
        });
    }

    /// An error about the whole resource or provider.
    pub fn error(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.add(Severity::Error, None, summary, detail);
    }

    /// An error on one attribute; Terraform underlines it in the configuration.
    pub fn error_at(
        &mut self,
        path: AttrPath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.add(Severity::Error, Some(path), summary, detail);
    }

    pub fn warning(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.add(Severity::Warning, None, summary, detail);
    }

    pub fn warning_at(
        &mut self,
        path: AttrPath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.add(Severity::Warning, Some(path), summary, detail);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_like_terraform_addresses() {
        let path = AttrPath::root("assignment").index(0).attr("group_id");
        assert_eq!(path.to_string(), "assignment[0].group_id");
        assert_eq!(
            AttrPath::root("tags").key("env").to_string(),
            "tags[\"env\"]"
        );
    }

    #[test]
    fn errors_are_detected() {
        let mut diags = Diagnostics::new();
        diags.warning("w", "");
        assert!(!diags.has_errors());
        diags.error_at(AttrPath::root("x"), "bad", "why");
        assert!(diags.has_errors());
    }
}
