//! `conformance_echo`: every attribute shape, stored exactly as configured.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::value::Number;
use tfplugin::{Attr, Diagnostics, Resource};

use crate::Ids;

/// Echoes its configuration into state. Only `id` and `derived` are the provider's own.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct Echo {
    /// Assigned at create and kept across updates.
    #[schemars(extend("x-tf" = "computed,stable"))]
    pub id: Attr<String>,
    /// The resource's name; changing it replaces the resource.
    #[schemars(extend("x-tf" = "required,force_new"))]
    pub name: Attr<String>,
    /// A string.
    pub text: Attr<String>,
    /// A number: big, negative and fractional numbers are kept exactly.
    pub number: Attr<Number>,
    /// A bool.
    pub flag: Attr<bool>,
    /// A list of strings.
    pub text_list: Attr<Vec<String>>,
    /// A list of numbers.
    pub number_list: Attr<Vec<Number>>,
    /// A list of bools.
    pub flag_list: Attr<Vec<bool>>,
    /// A set of strings.
    pub text_set: Attr<BTreeSet<String>>,
    /// A set of numbers.
    pub number_set: Attr<BTreeSet<Number>>,
    /// A set of bools.
    pub flag_set: Attr<BTreeSet<bool>>,
    /// A map of strings.
    pub text_map: Attr<BTreeMap<String, String>>,
    /// A map of numbers.
    pub number_map: Attr<BTreeMap<String, Number>>,
    /// A map of bools.
    pub flag_map: Attr<BTreeMap<String, bool>>,
    /// Optional with a default: `"fallback"` when unset.
    #[schemars(extend("x-tf-default" = "fallback"))]
    pub defaulted: Attr<String>,
    /// Optional number with a default: `7` when unset.
    #[schemars(extend("x-tf-default" = 7))]
    pub defaulted_number: Attr<Number>,
    /// Optional and computed: `derived-<name>` when unset.
    #[schemars(extend("x-tf" = "optional,computed"))]
    pub derived: Attr<String>,
    /// A sensitive string.
    #[schemars(extend("x-tf" = "sensitive"))]
    pub secret: Attr<String>,
    /// A number whose change replaces the resource.
    #[schemars(extend("x-tf" = "optional,force_new"))]
    pub generation: Attr<Number>,
    /// A single nested block.
    #[schemars(extend("x-tf" = "block"))]
    pub settings: Attr<Settings>,
    /// A list of nested blocks.
    #[schemars(extend("x-tf" = "block"))]
    pub rule: Attr<Vec<Rule>>,
    /// A set of nested blocks.
    #[schemars(extend("x-tf" = "block", "uniqueItems" = true))]
    pub member: Attr<Vec<Member>>,
}

/// The single nested block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct Settings {
    /// A string.
    pub mode: Attr<String>,
    /// A number.
    pub level: Attr<Number>,
    /// A set of strings inside a block.
    pub tags: Attr<BTreeSet<String>>,
}

/// One block of the nested list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct Rule {
    /// A string.
    pub key: Attr<String>,
    /// A number.
    pub weight: Attr<Number>,
    /// A flag.
    pub enabled: Attr<bool>,
}

/// One block of the nested set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct Member {
    /// A string.
    pub key: Attr<String>,
    /// A list of strings inside a set block.
    pub values: Attr<Vec<String>>,
}

/// The `conformance_echo` resource type.
pub struct EchoResource;

impl Echo {
    /// Fills what only the provider knows: a new `id` when there is none, `derived` when the
    /// configuration leaves it to the provider.
    fn settle(mut self, ids: &Ids) -> Echo {
        if !self.id.is_known() {
            self.id = Attr::Known(ids.next("echo"));
        }
        if self.derived.is_unknown() {
            let name = self.name.known().cloned().unwrap_or_default();
            self.derived = Attr::Known(format!("derived-{name}"));
        }
        self
    }
}

#[async_trait]
impl Resource<Ids> for EchoResource {
    type Model = Echo;
    const TYPE_NAME: &'static str = "conformance_echo";

    async fn create(&self, ids: &Ids, planned: Echo, _diags: &mut Diagnostics) -> Option<Echo> {
        Some(planned.settle(ids))
    }

    async fn read(&self, _ids: &Ids, current: Echo, _diags: &mut Diagnostics) -> Option<Echo> {
        Some(current)
    }

    async fn update(
        &self,
        ids: &Ids,
        _prior: Echo,
        planned: Echo,
        _diags: &mut Diagnostics,
    ) -> Option<Echo> {
        Some(planned.settle(ids))
    }

    async fn delete(&self, _ids: &Ids, _prior: Echo, _diags: &mut Diagnostics) {}

    async fn import(&self, _ids: &Ids, id: &str, _diags: &mut Diagnostics) -> Option<Echo> {
        Some(Echo {
            id: Attr::Known(id.to_string()),
            name: Attr::Known(id.to_string()),
            defaulted: Attr::Known("fallback".into()),
            defaulted_number: Attr::Known(Number::from(7i64)),
            derived: Attr::Known(format!("derived-{id}")),
            ..Echo::default()
        })
    }
}
