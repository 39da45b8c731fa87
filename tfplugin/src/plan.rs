//! The generic planning rules every resource gets before its own
//! `modify_plan`: defaults, computed values, requires-replace.
//!
//! Terraform accepts a planned attribute only if it equals the configuration,
//! or equals the prior value, or — when the configuration is null and the
//! attribute is computed — anything. These rules stay inside that.

use crate::diagnostics::{AttrPath, Diagnostics};
use crate::schema::{Block, Nesting};
use crate::value::Value;

/// What a resource plans.
pub struct PlanOutcome {
    pub planned: Value,
    pub requires_replace: Vec<AttrPath>,
    pub diagnostics: Diagnostics,
}

impl PlanOutcome {
    /// The plan for a destroy: a null planned state.
    pub fn destroy() -> Self {
        PlanOutcome {
            planned: Value::Null,
            requires_replace: Vec::new(),
            diagnostics: Diagnostics::new(),
        }
    }
}

/// Plans from Terraform's proposed state:
/// - a single nested block the configuration leaves out is planned null
///   (Terraform 1.0 proposes a removed one as an object of nulls, and then
///   refuses a plan that does not follow the configuration);
/// - an optional attribute with a default that the configuration leaves
///   null is planned as the default;
/// - on create, computed attributes the configuration leaves null are
///   unknown;
/// - on update, they keep their prior value when nothing configurable
///   changes, and become unknown when something does — unless marked
///   `stable` (use-state-for-unknown), which keeps the prior value.
pub fn plan_generic(block: &Block, prior: &Value, proposed: Value, config: &Value) -> Value {
    let mut planned = proposed;
    let creating = prior.is_null();
    for nested in &block.blocks {
        if nested.nesting == Nesting::Single
            && config.attr(&nested.name).is_none_or(Value::is_null)
            && let Some(slot) = planned.attr_mut(&nested.name)
        {
            *slot = Value::Null;
        }
    }
    for attr in &block.attributes {
        let config_null = config.attr(&attr.name).is_none_or(Value::is_null);
        if !config_null || !attr.computed {
            continue;
        }
        let Some(slot) = planned.attr_mut(&attr.name) else {
            continue;
        };
        if let Some(default) = &attr.default {
            *slot = default.clone();
        } else if creating {
            *slot = Value::Unknown;
        }
    }
    if !creating && changes_configuration(block, prior, &planned, config) {
        for attr in &block.attributes {
            let config_null = config.attr(&attr.name).is_none_or(Value::is_null);
            if attr.computed
                && config_null
                && attr.default.is_none()
                && !attr.stable
                && let Some(slot) = planned.attr_mut(&attr.name)
            {
                *slot = Value::Unknown;
            }
        }
    }
    planned
}

/// True when an attribute the configuration sets differs from the prior.
fn changes_configuration(block: &Block, prior: &Value, planned: &Value, config: &Value) -> bool {
    let attrs_changed = block.attributes.iter().any(|attr| {
        let config_null = config.attr(&attr.name).is_none_or(Value::is_null);
        let driven_by_config = !attr.computed || !config_null || attr.default.is_some();
        driven_by_config && planned.attr(&attr.name) != prior.attr(&attr.name)
    });
    attrs_changed
        || block
            .blocks
            .iter()
            .any(|b| planned.attr(&b.name) != prior.attr(&b.name))
}

/// The attributes marked `force_new` whose planned value differs from the
/// prior one. Empty on create.
pub fn requires_replace(block: &Block, prior: &Value, planned: &Value) -> Vec<AttrPath> {
    if prior.is_null() {
        return Vec::new();
    }
    block
        .attributes
        .iter()
        .filter(|attr| attr.force_new && planned.attr(&attr.name) != prior.attr(&attr.name))
        .map(|attr| AttrPath::root(&attr.name))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::schema::Attribute;
    use crate::value::Type;

    fn block() -> Block {
        let attr = |name: &str, f: fn(&mut Attribute)| {
            let mut a = Attribute {
                name: name.into(),
                ty: Type::String,
                ..Attribute::default()
            };
            f(&mut a);
            a
        };
        Block {
            attributes: vec![
                attr("id", |a| {
                    a.computed = true;
                    a.stable = true;
                }),
                attr("name", |a| {
                    a.required = true;
                    a.force_new = true;
                }),
                attr("description", |a| a.optional = true),
                attr("modified", |a| a.computed = true),
                attr("mode", |a| {
                    a.optional = true;
                    a.computed = true;
                    a.default = Some(Value::String("user".into()));
                }),
            ],
            ..Block::default()
        }
    }

    fn obj(pairs: &[(&str, Value)]) -> Value {
        let mut attrs: BTreeMap<String, Value> = ["id", "name", "description", "modified", "mode"]
            .iter()
            .map(|n| (n.to_string(), Value::Null))
            .collect();
        for (k, v) in pairs {
            attrs.insert(k.to_string(), v.clone());
        }
        Value::Object(attrs)
    }

    fn s(text: &str) -> Value {
        Value::String(text.into())
    }

    #[test]
    fn a_single_block_left_out_of_the_configuration_is_planned_null() {
        let mut schema = block();
        schema.blocks.push(crate::schema::NestedBlock {
            name: "timeouts".into(),
            nesting: Nesting::Single,
            block: Block {
                attributes: vec![Attribute {
                    name: "create".into(),
                    ty: Type::String,
                    optional: true,
                    ..Attribute::default()
                }],
                ..Block::default()
            },
            min_items: 0,
            max_items: 1,
        });
        let with = |timeouts: Value| {
            let mut value = obj(&[("id", s("1")), ("name", s("a"))]);
            if let Value::Object(attrs) = &mut value {
                attrs.insert("timeouts".into(), timeouts);
            }
            value
        };
        let nulls = Value::Object(BTreeMap::from([("create".to_string(), Value::Null)]));
        let set = Value::Object(BTreeMap::from([("create".to_string(), s("5m"))]));
        // Removed from the configuration: Terraform proposes an object of nulls.
        let planned = plan_generic(
            &schema,
            &with(set.clone()),
            with(nulls.clone()),
            &with(Value::Null),
        );
        assert_eq!(planned.attr("timeouts"), Some(&Value::Null));
        // Written as `timeouts {}`: the object of nulls stays.
        let planned = plan_generic(
            &schema,
            &with(set.clone()),
            with(nulls.clone()),
            &with(nulls.clone()),
        );
        assert_eq!(planned.attr("timeouts"), Some(&nulls));
        // Set: as configured.
        let planned = plan_generic(&schema, &Value::Null, with(set.clone()), &with(set.clone()));
        assert_eq!(planned.attr("timeouts"), Some(&set));
    }

    #[test]
    fn create_marks_computed_unknown_and_applies_defaults() {
        let config = obj(&[("name", s("a"))]);
        let planned = plan_generic(&block(), &Value::Null, config.clone(), &config);
        assert_eq!(planned.attr("id"), Some(&Value::Unknown));
        assert_eq!(planned.attr("modified"), Some(&Value::Unknown));
        assert_eq!(planned.attr("mode"), Some(&s("user")));
        assert_eq!(planned.attr("description"), Some(&Value::Null));
    }

    /// The state of an object created with `name = "a"`.
    fn stored() -> Value {
        obj(&[
            ("id", s("1")),
            ("name", s("a")),
            ("modified", s("t1")),
            ("mode", s("user")),
        ])
    }

    #[test]
    fn no_change_keeps_prior() {
        let prior = stored();
        let config = obj(&[("name", s("a"))]);
        let proposed = stored();
        let planned = plan_generic(&block(), &prior, proposed, &config);
        assert_eq!(planned, prior);
        assert!(requires_replace(&block(), &prior, &planned).is_empty());
    }

    #[test]
    fn update_unknowns_volatile_computed_but_keeps_stable() {
        let prior = stored();
        let config = obj(&[("name", s("a")), ("description", s("new"))]);
        let proposed = obj(&[
            ("id", s("1")),
            ("name", s("a")),
            ("description", s("new")),
            ("modified", s("t1")),
        ]);
        let planned = plan_generic(&block(), &prior, proposed, &config);
        assert_eq!(planned.attr("id"), Some(&s("1")));
        assert_eq!(planned.attr("modified"), Some(&Value::Unknown));
        assert_eq!(planned.attr("mode"), Some(&s("user")));
    }

    #[test]
    fn force_new_change_requires_replace() {
        let prior = obj(&[("id", s("1")), ("name", s("a"))]);
        let planned = obj(&[("id", s("1")), ("name", s("b"))]);
        let paths = requires_replace(&block(), &prior, &planned);
        assert_eq!(paths, vec![AttrPath::root("name")]);
    }
}
