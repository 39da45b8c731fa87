//! The corporate identifier CSV: `manufacturer,model,serial number` lines without a header
//! (Microsoft Learn, "Add corporate identifiers": "Don't add headers", "Remove all periods ...
//! from the serial number").

use std::collections::HashMap;

use crate::devices::csv::Problem;

/// One line of the CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Row {
    /// Its line number (1-based).
    pub(super) line: usize,
    /// `manufacturer,model,serial number`, each field trimmed: Graph's `importedDeviceIdentifier`.
    pub(super) identifier: String,
}

/// How identifiers are compared: Intune matches them ignoring case.
pub(super) fn key(identifier: &str) -> String {
    identifier.to_lowercase()
}

/// Checks one line's fields: the problem, if any.
fn line_problem(text: &str) -> Option<String> {
    if text.contains('"') {
        return Some(
            "quotation marks are not allowed (Intune's CSV has none, so a name cannot hold a comma)"
                .to_owned(),
        );
    }
    let fields: Vec<&str> = text.split(',').map(str::trim).collect();
    if fields.len() != 3 {
        return Some(format!(
            "expected 3 fields (manufacturer,model,serial number), found {}",
            fields.len()
        ));
    }
    for (field, name) in fields
        .iter()
        .zip(["manufacturer", "model", "serial number"])
    {
        if field.is_empty() {
            return Some(format!("the {name} is empty"));
        }
    }
    if fields[2].contains('.') {
        return Some("the serial number has periods; Intune wants them removed".to_owned());
    }
    None
}

/// Reads the CSV. Every problem is reported, not only the first.
pub(super) fn parse(content: &str) -> Result<Vec<Row>, Vec<Problem>> {
    let content = content.strip_prefix('\u{feff}').unwrap_or(content);
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let lines = content
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty());
    for (line, text) in lines {
        if let Some(message) = line_problem(text) {
            problems.push(Problem { line, message });
            continue;
        }
        let identifier = text.split(',').map(str::trim).collect::<Vec<_>>().join(",");
        if let Some(first) = seen.insert(key(&identifier), line) {
            problems.push(Problem {
                line,
                message: format!(
                    "repeats line {first} (Intune compares identifiers ignoring case)"
                ),
            });
            continue;
        }
        rows.push(Row { line, identifier });
    }
    if rows.is_empty() && problems.is_empty() {
        problems.push(Problem {
            line: 1,
            message: "the CSV has no identifier; give one `manufacturer,model,serial number` line per device".to_owned(),
        });
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}
