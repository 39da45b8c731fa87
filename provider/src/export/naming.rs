//! Terraform resource names derived from display names: snake_case,
//! ASCII, valid identifiers, unique within one resource type.

use std::collections::BTreeSet;

/// The snake_case identifier for `text`: ASCII letters and digits kept
/// (lowercased), every other run of characters one `_`, no leading or
/// trailing `_`. Starts with a letter: `fallback_` is put in front of a
/// name that would start with a digit, and `fallback` stands for a name
/// with no letter or digit at all.
pub fn identifier(text: &str, fallback: &str) -> String {
    let mut name = String::with_capacity(text.len());
    let mut pending_separator = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_separator && !name.is_empty() {
                name.push('_');
            }
            pending_separator = false;
            name.push(c.to_ascii_lowercase());
        } else {
            pending_separator = true;
        }
    }
    if name.is_empty() {
        return fallback.to_string();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        return format!("{fallback}_{name}");
    }
    name
}

/// Hands out names unique within one resource type: the second
/// `contoso` becomes `contoso_2`, the third `contoso_3`.
#[derive(Debug, Default)]
pub struct UniqueNames {
    taken: BTreeSet<String>,
}

impl UniqueNames {
    /// A unique identifier for `text` (see [`identifier`]).
    pub fn claim(&mut self, text: &str, fallback: &str) -> String {
        let base = identifier(text, fallback);
        let mut name = base.clone();
        let mut n = 2;
        while self.taken.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        self.taken.insert(name.clone());
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_become_snake_case() {
        assert_eq!(
            identifier("Autopilot - Sales (EU)", "group"),
            "autopilot_sales_eu"
        );
        assert_eq!(identifier("CamelCase Name", "group"), "camelcase_name");
        assert_eq!(identifier("  trailing!!  ", "group"), "trailing");
        assert_eq!(identifier("a__b--c", "group"), "a_b_c");
    }

    #[test]
    fn names_start_with_a_letter() {
        assert_eq!(identifier("2024 pilots", "group"), "group_2024_pilots");
        assert_eq!(identifier("5CG1234XYZ", "device"), "device_5cg1234xyz");
        assert_eq!(identifier("", "profile"), "profile");
        assert_eq!(identifier("€ — ✓", "profile"), "profile");
    }

    #[test]
    fn non_ascii_letters_separate_words() {
        assert_eq!(identifier("Geräte Süd", "group"), "ger_te_s_d");
    }

    #[test]
    fn identifiers_are_valid_terraform_names() {
        for text in ["${x}", "%{if}", "\"quoted\"", "a.b", "-lead", "x\ny", "ÄÖÜ"] {
            let name = identifier(text, "thing");
            let mut chars = name.chars();
            let first = chars.next().expect("never empty");
            assert!(first.is_ascii_lowercase(), "{name:?} from {text:?}");
            assert!(
                chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{name:?} from {text:?}"
            );
        }
    }

    #[test]
    fn repeated_names_get_numbered() {
        let mut names = UniqueNames::default();
        assert_eq!(names.claim("Contoso", "group"), "contoso");
        assert_eq!(names.claim("contoso", "group"), "contoso_2");
        assert_eq!(names.claim("CONTOSO!", "group"), "contoso_3");
        assert_eq!(names.claim("Fabrikam", "group"), "fabrikam");
    }

    #[test]
    fn a_numbered_name_taken_by_a_display_name_is_skipped() {
        let mut names = UniqueNames::default();
        assert_eq!(names.claim("x 2", "group"), "x_2");
        assert_eq!(names.claim("x", "group"), "x");
        assert_eq!(names.claim("x", "group"), "x_3");
    }
}
