//! The hardware-hash normaliser (`devices::hash`).

use base64::Engine;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use terraform_provider_autopilot::devices::hash;

/// Padded Base64 as `Edm.Binary` reads it: padding required, unused low
/// bits of the last character not checked.
const EDM_BINARY: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

fn is_base64_text(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
}

/// Any text: either refused (and the refusal never quotes the hash), or
/// normalised to canonical padded Base64 that keeps the input's data
/// characters, and normalising again changes nothing.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let trimmed = text.trim();
    match hash::normalize(text) {
        Ok(normal) => {
            let decoded = EDM_BINARY.decode(&normal).unwrap_or_else(|e| {
                panic!("{text:?} normalised to {normal:?}, which is not padded Base64: {e}")
            });
            assert!(!decoded.is_empty(), "{text:?} normalised to an empty hash");
            let body = trimmed.trim_end_matches('=');
            assert!(!body.is_empty(), "{text:?} has no data yet was accepted");
            assert!(
                normal.starts_with(body),
                "{text:?} normalised to {normal:?}, which lost data characters"
            );
            assert!(
                normal[body.len()..].chars().all(|c| c == 'A' || c == '='),
                "{text:?} normalised to {normal:?}: only `A`s and padding may be added"
            );
            assert_eq!(
                hash::normalize(&normal).as_ref(),
                Ok(&normal),
                "normalising {text:?} twice changed it"
            );
            assert!(
                hash::same(text, &normal),
                "{text:?} is not the same as {normal:?}"
            );
        }
        Err(error) => {
            assert!(
                hash::check(text).is_err(),
                "{text:?} passes the check but cannot be normalised ({error})"
            );
            let message = error.to_string();
            if trimmed.len() >= 12 && is_base64_text(trimmed) {
                assert!(
                    !message.contains(trimmed),
                    "the message quotes the hash: {message}"
                );
            }
        }
    }
}
