//! The characters Intune accepts in a deployment profile's name and
//! description.
//!
//! Intune's deployment profile service refuses a `displayName` with any
//! character outside letters, digits, spaces and `: " ? . @ $ & _ [ ] { } | \`
//! (a hyphen is the common offender), with an opaque 500 or a 400 that gives
//! no reason (CIPP-API `Modules/CIPPCore/Public/Test-CIPPAutopilotProfileName.ps1`;
//! Microsoft365DSC issue #3892). Descriptions holding `! # % ^ * ( ) - + = ; ' < >`
//! are refused the same way (microsoftgraph/microsoft-graph-docs #4934,
//! MicrosoftDocs/IntuneDocs #2629; the deploymenttheory provider's profile
//! validators refuse the same set in both).

/// The punctuation Intune accepts in a profile name, besides letters,
/// digits and spaces.
pub const NAME_PUNCTUATION: &str = ": \" ? . @ $ & _ [ ] { } | \\";

/// The characters Intune refuses in a profile description.
pub const DESCRIPTION_REFUSED: &[char] = &[
    '!', '#', '%', '^', '*', '(', ')', '-', '+', '=', ';', '\'', '<', '>',
];

/// The regular expression (JSON Schema `pattern`) of a name Intune accepts.
pub const NAME_PATTERN: &str = r#"^[\p{L}\p{N} :"?.@$&_\[\]{}|\\]*[\p{L}\p{N}:"?.@$&_\[\]{}|\\][\p{L}\p{N} :"?.@$&_\[\]{}|\\]*$"#;

/// The regular expression (JSON Schema `pattern`) of a description Intune
/// accepts.
pub const DESCRIPTION_PATTERN: &str = r"^[^!#%^*()\-+=;'<>]*$";

fn name_char_accepted(c: char) -> bool {
    c.is_alphabetic() || c.is_numeric() || c == ' ' || ":\"?.@$&_[]{}|\\".contains(c)
}

fn description_char_accepted(c: char) -> bool {
    !DESCRIPTION_REFUSED.contains(&c)
}

/// The distinct characters of `text` that `accepted` refuses, each quoted.
fn refused(text: &str, accepted: fn(char) -> bool) -> Option<String> {
    let mut seen: Vec<char> = Vec::new();
    for c in text.chars().filter(|c| !accepted(*c)) {
        if !seen.contains(&c) {
            seen.push(c);
        }
    }
    (!seen.is_empty()).then(|| {
        seen.iter()
            .map(|c| format!("{c:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

/// A deployment profile `display_name` Intune accepts: letters, digits,
/// spaces and `: " ? . @ $ & _ [ ] { } | \`, not only spaces.
pub fn profile_name(name: &str) -> Result<(), String> {
    if let Some(chars) = refused(name, name_char_accepted) {
        return Err(format!(
            "{name:?} contains {chars}. Intune refuses deployment profile names with characters other than \
             letters, digits, spaces and {NAME_PUNCTUATION} (with an error that gives no reason); a hyphen \
             is the usual offender. Try {:?}.",
            accepted_profile_name(name)
        ));
    }
    if !name.is_empty() && name.trim().is_empty() {
        return Err("The name is only spaces; Intune needs a letter, digit or sign in it.".into());
    }
    Ok(())
}

/// A deployment profile `description` Intune accepts: none of
/// `! # % ^ * ( ) - + = ; ' < >`.
pub fn profile_description(description: &str) -> Result<(), String> {
    match refused(description, description_char_accepted) {
        Some(chars) => Err(format!(
            "The description contains {chars}. Intune refuses deployment profile descriptions with any of \
             ! # % ^ * ( ) - + = ; ' < > (with an error that gives no reason). Try {:?}.",
            accepted_profile_description(description)
        )),
        None => Ok(()),
    }
}

/// `text` with every refused character replaced by a space, runs of spaces
/// made one and the ends trimmed.
fn replace_refused(text: &str, accepted: fn(char) -> bool) -> String {
    let replaced: String = text
        .chars()
        .map(|c| if accepted(c) { c } else { ' ' })
        .collect();
    replaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The nearest name Intune accepts: `name` itself when Intune accepts it,
/// else `name` with each refused character turned into a space (`"Sales -
/// Entra (EU)"` becomes `"Sales Entra EU"`); `"Autopilot profile"` when
/// nothing is left.
pub fn accepted_profile_name(name: &str) -> String {
    if refused(name, name_char_accepted).is_none() && !name.trim().is_empty() {
        return name.to_string();
    }
    let replaced = replace_refused(name, name_char_accepted);
    if replaced.is_empty() {
        "Autopilot profile".to_string()
    } else {
        replaced
    }
}

/// The nearest description Intune accepts (see [`accepted_profile_name`]).
pub fn accepted_profile_description(description: &str) -> String {
    if refused(description, description_char_accepted).is_none() {
        return description.to_string();
    }
    replace_refused(description, description_char_accepted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_take_letters_digits_spaces_and_the_listed_signs() {
        for ok in [
            "Entra join Sales",
            "Autopilot: Kiosk [EU] {2} | A&B @ $5 _x_ \"q\"? C:\\path.",
            "Équipe Zürich 東京",
            " padded ",
        ] {
            assert!(profile_name(ok).is_ok(), "{ok}");
        }
        let error = profile_name("Entra join - Sales (EU)").expect_err("refused");
        assert!(error.contains("'-', '(', ')'"), "{error}");
        assert!(error.contains("\"Entra join Sales EU\""), "{error}");
        for bad in [
            "a-b", "a,b", "a'b", "a!b", "a#b", "a/b", "a+b", "a;b", "   ",
        ] {
            assert!(profile_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn descriptions_refuse_the_reported_signs_only() {
        assert!(profile_description("Devices of Sales, Finance & HR: shared / kiosk.").is_ok());
        let error = profile_description("Entra-joined (pilot)").expect_err("refused");
        assert!(error.contains("'-', '(', ')'"), "{error}");
        assert!(error.contains("\"Entra joined pilot\""), "{error}");
        for c in DESCRIPTION_REFUSED {
            assert!(profile_description(&format!("a{c}b")).is_err(), "{c}");
        }
    }

    #[test]
    fn the_nearest_accepted_text() {
        assert_eq!(
            accepted_profile_name("Sales - Entra (EU)"),
            "Sales Entra EU"
        );
        assert_eq!(accepted_profile_name("Sales"), "Sales");
        assert_eq!(accepted_profile_name("---"), "Autopilot profile");
        assert_eq!(accepted_profile_name(""), "Autopilot profile");
        assert_eq!(
            accepted_profile_description("Pilot - wave 2 (Sales)"),
            "Pilot wave 2 Sales"
        );
        for text in ["a-b", "x (y)", "'q'"] {
            assert!(profile_name(&accepted_profile_name(text)).is_ok());
            assert!(profile_description(&accepted_profile_description(text)).is_ok());
        }
    }

    #[test]
    fn the_patterns_agree_with_the_rules() {
        let name = regex::Regex::new(NAME_PATTERN).expect("name pattern");
        let description = regex::Regex::new(DESCRIPTION_PATTERN).expect("description pattern");
        for text in [
            "Entra join Sales",
            "a-b",
            "Zürich [1]",
            "x (y)",
            "a,b",
            " ",
            "A & B: \"q\"?",
            "a=b",
            "semi;colon",
        ] {
            assert_eq!(
                name.is_match(text),
                profile_name(text).is_ok() && !text.is_empty(),
                "name {text:?}"
            );
            assert_eq!(
                description.is_match(text),
                profile_description(text).is_ok(),
                "description {text:?}"
            );
        }
    }
}
