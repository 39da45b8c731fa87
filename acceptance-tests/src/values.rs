//! Small readers for Terraform state values and the lab's request log,
//! shared by the test files.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::{Lab, Request, show_requests, write_requests};

/// Fails unless the lab's log holds no Graph write (POST, PATCH, PUT, DELETE).
#[track_caller]
pub fn assert_no_writes(lab: &Lab, during: &str) {
    assert_none_written(&write_requests(lab), during);
}

/// Fails unless `writes` (Graph writes from the lab's log) is empty; `during` names what ran.
#[track_caller]
pub fn assert_none_written(writes: &[Request], during: &str) {
    assert!(
        writes.is_empty(),
        "{during} wrote to Graph:\n{}",
        show_requests(writes)
    );
}

/// A string attribute of a state object.
#[track_caller]
pub fn string_attr(values: &Value, name: &str) -> String {
    values[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} is not a string: {values}"))
        .to_string()
}

/// A list or set attribute of a state object, as a set of strings.
#[track_caller]
pub fn set_attr(values: &Value, name: &str) -> BTreeSet<String> {
    values[name]
        .as_array()
        .unwrap_or_else(|| panic!("{name} is not a list/set: {values}"))
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string())
        })
        .collect()
}

/// A set of strings, for comparing with [`set_attr`].
pub fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}
