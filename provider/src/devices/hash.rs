//! Hardware hashes: Base64 checks and the padding fix Autopilot documents.
//!
//! Devices produce unpadded Base64, but Graph decodes `hardwareIdentifier`
//! as `Edm.Binary` and answers 400 "Cannot convert the literal ... to the
//! expected type 'Edm.Binary'" to a badly padded one. The documented fix
//! ("Windows Autopilot - known issues"): while decoding fails, if the text
//! ends with `==` replace both with one `A`, else append `=`. Trailing `A`s
//! carry no data. Anything that is not Base64 at all (other characters,
//! padding in the middle) is refused, so a configuration can be checked at
//! plan time.
//!
//! Hashes are secrets to this provider: nothing here puts one in an error
//! message, only positions and characters.

use std::fmt;

/// Why a text is not a hardware hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashError {
    Empty,
    /// A character outside the Base64 alphabet, at a 1-based position.
    Character {
        position: usize,
        found: char,
    },
    /// `=` followed by something other than `=`.
    PaddingInside {
        position: usize,
    },
    /// More than two `=` at the end.
    TooMuchPadding,
}

impl fmt::Display for HashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HashError::Empty => f.write_str("the hardware hash is empty"),
            HashError::Character { position, found } => {
                let hint = match found {
                    '-' | '_' => " (URL-safe Base64 is not accepted; use + and /)",
                    c if c.is_whitespace() => " (whitespace is not allowed inside a hash)",
                    '"' => " (remove the quotation marks)",
                    _ => "",
                };
                write!(
                    f,
                    "the hardware hash is not Base64: character {position} is {found:?}{hint}"
                )
            }
            HashError::PaddingInside { position } => write!(
                f,
                "the hardware hash is not Base64: \"=\" at character {position} is not at the end"
            ),
            HashError::TooMuchPadding => f.write_str(
                "the hardware hash is not Base64: it ends with more than two \"=\" characters",
            ),
        }
    }
}

fn is_alphabet(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '+' || c == '/'
}

/// Whether `text` (alphabet and trailing `=` only) decodes as padded Base64.
/// Like .NET's decoder behind `Edm.Binary`, the unused low bits of the last
/// character are not checked.
fn decodes(text: &str) -> bool {
    let body = text.trim_end_matches('=');
    let padding = text.len() - body.len();
    text.len().is_multiple_of(4)
        && match padding {
            0 => true,
            1 => body.len() % 4 == 3,
            2 => body.len() % 4 == 2,
            _ => false,
        }
}

/// Checks that `text` is Base64 apart from its padding, without fixing it.
pub fn check(text: &str) -> Result<(), HashError> {
    let text = text.trim();
    // Padding alone ("==") carries no data: normalising it would invent a hash.
    if text.trim_end_matches('=').is_empty() {
        return Err(HashError::Empty);
    }
    let body_len = text.trim_end_matches('=').len();
    for (i, c) in text.chars().enumerate() {
        if c == '=' {
            if i < body_len {
                return Err(HashError::PaddingInside { position: i + 1 });
            }
        } else if !is_alphabet(c) {
            return Err(HashError::Character {
                position: i + 1,
                found: c,
            });
        }
    }
    if text.len() - body_len > 2 {
        return Err(HashError::TooMuchPadding);
    }
    Ok(())
}

/// The hash as Graph wants it: surrounding whitespace removed and padded
/// with the documented rule. Already valid Base64 comes back unchanged.
pub fn normalize(text: &str) -> Result<String, HashError> {
    check(text)?;
    let mut hash = text.trim().to_string();
    // The rule reaches a decodable text within six steps from any input
    // that passed `check`; the bound only guards against a logic error.
    for _ in 0..16 {
        if decodes(&hash) {
            return Ok(hash);
        }
        if hash.ends_with("==") {
            hash.truncate(hash.len() - 2);
            hash.push('A');
        } else {
            hash.push('=');
        }
    }
    Err(HashError::TooMuchPadding)
}

/// Whether two configured hashes are the same hash once normalised.
pub fn same(a: &str, b: &str) -> bool {
    match (normalize(a), normalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_base64_is_unchanged() {
        for ok in ["QUJD", "QUI=", "QQ==", "T0FBQUFB", "a+b/"] {
            assert_eq!(normalize(ok).as_deref(), Ok(ok));
        }
    }

    #[test]
    fn missing_padding_is_added() {
        assert_eq!(normalize("QUI").as_deref(), Ok("QUI="));
        assert_eq!(normalize("QQ").as_deref(), Ok("QQ=="));
        assert_eq!(normalize("QQ=").as_deref(), Ok("QQ=="));
        assert_eq!(normalize("  QUI\r").as_deref(), Ok("QUI="));
    }

    #[test]
    fn documented_rule_for_odd_lengths() {
        // One character left over: "==" becomes "A", then padding again.
        assert_eq!(normalize("QUJDR").as_deref(), Ok("QUJDRA=="));
        // Padding where none fits: "==" becomes "A".
        assert_eq!(normalize("QUI==").as_deref(), Ok("QUIA"));
        assert_eq!(normalize("QUJD=").as_deref(), Ok("QUJDAA=="));
    }

    #[test]
    fn every_length_converges() {
        let body = "T0FBQUFBQUFBQUFBQUFBQUFB";
        for len in 1..body.len() {
            for pad in 0..=2 {
                let text = format!("{}{}", &body[..len], "=".repeat(pad));
                let fixed = normalize(&text).expect("converges");
                assert!(decodes(&fixed), "{text} -> {fixed}");
                assert!(fixed.starts_with(&body[..len]), "{text} -> {fixed}");
            }
        }
    }

    #[test]
    fn not_base64_is_refused_with_a_position() {
        assert_eq!(normalize(""), Err(HashError::Empty));
        assert_eq!(normalize("   "), Err(HashError::Empty));
        assert_eq!(normalize("=="), Err(HashError::Empty));
        assert_eq!(normalize(" = "), Err(HashError::Empty));
        assert_eq!(
            normalize("QU!D"),
            Err(HashError::Character {
                position: 3,
                found: '!'
            })
        );
        assert_eq!(
            normalize("QU=D"),
            Err(HashError::PaddingInside { position: 3 })
        );
        assert_eq!(normalize("QUJ==="), Err(HashError::TooMuchPadding));
        let url_safe = normalize("ab-_").expect_err("URL-safe");
        assert!(url_safe.to_string().contains("URL-safe"), "{url_safe}");
        let spaced = normalize("QU JD").expect_err("space");
        assert!(spaced.to_string().contains("whitespace"), "{spaced}");
    }

    #[test]
    fn messages_never_quote_the_hash() {
        let secret = "c2VjcmV0aGFzaA!";
        let message = normalize(secret).expect_err("invalid").to_string();
        assert!(!message.contains("c2VjcmV0"), "{message}");
    }

    #[test]
    fn sameness_ignores_padding() {
        assert!(same("QUI", "QUI="));
        assert!(same("QQ", "QQ=="));
        assert!(!same("QUI", "QUJ="));
    }
}
