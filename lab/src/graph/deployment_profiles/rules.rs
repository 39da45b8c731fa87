//! What Intune does to a profile's properties on the way in: the OOBE settings mirrored
//! between their two spellings, the device name template rules and the profile checks.

use serde_json::{Map, Value};

use super::{
    ENROLLMENT_STATUS_SCREEN_SETTINGS, MAX_DESCRIPTION, MAX_DISPLAY_NAME, OOBE_MIRROR,
    OOBE_SETTING, OOBE_SETTINGS,
};
use crate::errors::GraphError;
use crate::graph::collection;
use crate::graph::schema::{self, StructuredType};

/// One OOBE block (`block`, of type `from`) completed, and the other spelling made from it
/// (`names`: each property's name in `from`, then in `to`), completed as `to`.
fn mirrored<'n>(
    block: &Value,
    from: &'static StructuredType,
    to: &'static StructuredType,
    names: impl Iterator<Item = (&'n str, &'n str)>,
) -> (Value, Value) {
    let complete = schema::complete(
        from,
        block.as_object().unwrap_or(&Map::new()),
        crate::graph::ApiVersion::Beta,
    );
    let mut other = Map::new();
    for (from_name, to_name) in names {
        other.insert(
            to_name.to_owned(),
            complete.get(from_name).cloned().unwrap_or(Value::Null),
        );
    }
    let other = schema::complete(to, &other, crate::graph::ApiVersion::Beta);
    (complete, other)
}

/// Fills the deprecated OOBE block from the current one, or the other way round.
pub(super) fn mirror_oobe(given: &mut Map<String, Value>) {
    let current = given
        .get("outOfBoxExperienceSetting")
        .filter(|v| v.is_object())
        .cloned();
    let legacy = given
        .get("outOfBoxExperienceSettings")
        .filter(|v| v.is_object())
        .cloned();
    match (current, legacy) {
        (Some(current), _) => {
            let names = OOBE_MIRROR.iter().map(|(new, old)| (*new, *old));
            let (complete, legacy) = mirrored(&current, &OOBE_SETTING, &OOBE_SETTINGS, names);
            given.insert("outOfBoxExperienceSettings".into(), legacy);
            given.insert("outOfBoxExperienceSetting".into(), complete);
        }
        (None, Some(legacy)) => {
            let names = OOBE_MIRROR.iter().map(|(new, old)| (*old, *new));
            let (complete, current) = mirrored(&legacy, &OOBE_SETTINGS, &OOBE_SETTING, names);
            given.insert("outOfBoxExperienceSetting".into(), current);
            given.insert("outOfBoxExperienceSettings".into(), complete);
        }
        (None, None) => {
            // Explicit nulls clear both blocks.
            if given
                .get("outOfBoxExperienceSetting")
                .is_some_and(Value::is_null)
                || given
                    .get("outOfBoxExperienceSettings")
                    .is_some_and(Value::is_null)
            {
                given.insert("outOfBoxExperienceSetting".into(), Value::Null);
                given.insert("outOfBoxExperienceSettings".into(), Value::Null);
            }
        }
    }
}

/// Mirrors the deprecated scalar names: `language`/`locale`, `extractHardwareHash`/
/// `hardwareHashExtractionEnabled`, `enableWhiteGlove`/`preprovisioningAllowed`. The current
/// name wins when both are given.
pub(super) fn mirror_scalars(given: &mut Map<String, Value>) {
    for (current, legacy) in [
        ("locale", "language"),
        ("hardwareHashExtractionEnabled", "extractHardwareHash"),
        ("preprovisioningAllowed", "enableWhiteGlove"),
    ] {
        match (given.get(current).cloned(), given.get(legacy).cloned()) {
            (Some(value), _) => {
                let legacy_value = if value.is_null() && legacy != "language" {
                    Value::Bool(false)
                } else {
                    value.clone()
                };
                given.insert(legacy.to_owned(), legacy_value);
            }
            (None, Some(value)) => {
                given.insert(current.to_owned(), value);
            }
            (None, None) => {}
        }
    }
    if let Some(settings) = given
        .get("enrollmentStatusScreenSettings")
        .and_then(Value::as_object)
        .cloned()
    {
        given.insert(
            "enrollmentStatusScreenSettings".into(),
            schema::complete(
                &ENROLLMENT_STATUS_SCREEN_SETTINGS,
                &settings,
                crate::graph::ApiVersion::Beta,
            ),
        );
    }
}

/// Checks a device name template: letters, digits, hyphens and the macros `%SERIAL%` and
/// `%RAND:x%`; not only digits; at most 15 characters once `%RAND:x%` counts as x characters.
pub fn check_device_name_template(template: &str) -> Result<(), String> {
    let mut literal_len = 0usize;
    let mut rest = template;
    let mut digits_only = true;
    let mut has_macro = false;
    while !rest.is_empty() {
        if let Some(after) = strip_prefix_ignore_case(rest, "%SERIAL%") {
            has_macro = true;
            literal_len += 1;
            rest = after;
            continue;
        }
        if let Some(after) = strip_prefix_ignore_case(rest, "%RAND:") {
            let Some((count, tail)) = after.split_once('%') else {
                return Err("a %RAND:x% macro is not closed".into());
            };
            let count: usize = count
                .parse()
                .ok()
                .filter(|n| (1..=15).contains(n))
                .ok_or_else(|| format!("%RAND:{count}% needs a count between 1 and 15"))?;
            has_macro = true;
            literal_len += count;
            rest = tail;
            continue;
        }
        let mut chars = rest.chars();
        let Some(c) = chars.next() else { break };
        if !(c.is_ascii_alphanumeric() || c == '-') {
            return Err(format!(
                "'{c}' is not allowed; use letters, digits, hyphens, %SERIAL% and %RAND:x%"
            ));
        }
        if !c.is_ascii_digit() {
            digits_only = false;
        }
        literal_len += 1;
        rest = chars.as_str();
    }
    if template.is_empty() {
        return Err("the template is empty".into());
    }
    if digits_only && !has_macro {
        return Err("the name cannot be only digits".into());
    }
    if literal_len > 15 {
        return Err(format!(
            "the generated name would have {literal_len} characters; at most 15 are allowed"
        ));
    }
    Ok(())
}

pub(super) fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Service-side checks after a create or a merge.
pub(super) fn check_profile(object: &Map<String, Value>, url: &str) -> Result<(), GraphError> {
    collection::require_display_name(object, url)?;
    collection::at_most_chars(object, "displayName", MAX_DISPLAY_NAME, url)?;
    collection::at_most_chars(object, "description", MAX_DESCRIPTION, url)?;
    if let Some(template) = object
        .get("deviceNameTemplate")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        && let Err(reason) = check_device_name_template(template)
    {
        return Err(GraphError::intune_bad_request(
            format!("deviceNameTemplate '{template}' is not valid: {reason}."),
            url,
        ));
    }
    Ok(())
}
