//! Configuration from a state (GenerateResourceConfig, Terraform 1.14 and
//! later): what `terraform query -generate-config-out` writes for a listed
//! object. The generic rule keeps what a configuration may set and leaves
//! out what the provider would plan anyway: computed-only attributes, and
//! values equal to the attribute's default. A provider with better
//! knowledge (service defaults, mutually exclusive attributes) overrides
//! [`crate::Provider::generate_resource_config`].

use crate::schema::Block;
use crate::value::Value;

/// `state` as a configuration of `block`: computed-only attributes and
/// attributes holding their default are null; nested blocks likewise.
pub fn config_from_state(block: &Block, state: &Value) -> Value {
    let Value::Object(attrs) = state else {
        return state.clone();
    };
    let mut config = attrs.clone();
    for attr in &block.attributes {
        let Some(slot) = config.get_mut(&attr.name) else {
            continue;
        };
        let computed_only = attr.computed && !attr.optional && !attr.required;
        if computed_only || attr.default.as_ref() == Some(slot) {
            *slot = Value::Null;
        }
    }
    for nested in &block.blocks {
        let Some(slot) = config.get_mut(&nested.name) else {
            continue;
        };
        *slot = match &*slot {
            Value::List(items) => Value::List(
                items
                    .iter()
                    .map(|i| config_from_state(&nested.block, i))
                    .collect(),
            ),
            Value::Set(items) => Value::set(
                items
                    .iter()
                    .map(|i| config_from_state(&nested.block, i))
                    .collect(),
            ),
            other => config_from_state(&nested.block, other),
        };
    }
    Value::Object(config)
}
