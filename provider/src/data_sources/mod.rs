//! One module per data source type, plus what several of them share.

pub mod configuration_file;
pub mod deployment_profile;
pub mod devices;
pub mod enrollment_status_page;
pub mod group_tag_rule;
pub mod provisioning_client;

use tfplugin::{Attr, AttrPath, Diagnostics};

/// Checks that exactly one of the lookup attributes is set (a value or an
/// unknown); the diagnostic names each of them.
pub fn exactly_one(choices: &[(&str, bool)], what: &str, diags: &mut Diagnostics) {
    let set: Vec<&str> = choices
        .iter()
        .filter(|(_, set)| *set)
        .map(|(name, _)| *name)
        .collect();
    let names = choices
        .iter()
        .map(|(n, _)| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match set.as_slice() {
        [_] => {}
        [] => {
            for (name, _) in choices {
                diags.error_at(
                    AttrPath::root(*name),
                    format!("No way to find the {what}"),
                    format!("Set exactly one of {names}."),
                );
            }
        }
        several => {
            for name in several {
                diags.error_at(
                    AttrPath::root(*name),
                    format!("Several ways to find the {what}"),
                    format!(
                        "Set exactly one of {names}; {} are set.",
                        several.join(" and ")
                    ),
                );
            }
        }
    }
}

/// Whether a lookup attribute is given (known or not yet known).
pub fn given<T>(attr: &Attr<T>) -> bool {
    !attr.is_null()
}
