//! `conformance_source`: values of every type that are unknown until apply.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::value::Number;
use tfplugin::{Attr, Diagnostics, Resource};

use crate::Ids;

/// Derives computed values from `seed` at apply; distinct seeds give distinct values.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct Source {
    /// What the values are made from; changing it replaces the resource.
    #[schemars(extend("x-tf" = "required,force_new"))]
    pub seed: Attr<String>,
    /// Assigned at create.
    #[schemars(extend("x-tf" = "computed,stable"))]
    pub id: Attr<String>,
    /// `<seed>-text`.
    #[schemars(extend("x-tf" = "computed,stable"))]
    pub text: Attr<String>,
    /// A fractional number made from the seed's length and characters.
    #[schemars(extend("x-tf" = "computed,stable"))]
    pub number: Attr<Number>,
    /// Whether the seed has an even length.
    #[schemars(extend("x-tf" = "computed,stable"))]
    pub flag: Attr<bool>,
    /// `[<seed>-a, <seed>-b]`.
    #[schemars(extend("x-tf" = "computed,stable"))]
    pub texts: Attr<Vec<String>>,
    /// `{<seed>-x, <seed>-y}`.
    #[schemars(extend("x-tf" = "computed,stable"))]
    pub tags: Attr<BTreeSet<String>>,
    /// `{seed = <seed>}`.
    #[schemars(extend("x-tf" = "computed,stable"))]
    pub labels: Attr<BTreeMap<String, String>>,
}

/// The `conformance_source` resource type.
pub struct SourceResource;

impl Source {
    fn derive(seed: String, id: String) -> Source {
        let code: u64 = seed.bytes().map(u64::from).sum();
        let number = format!("{}.{}", code, seed.len())
            .parse()
            .unwrap_or_else(|_| Number::from(code));
        Source {
            id: Attr::Known(id),
            text: Attr::Known(format!("{seed}-text")),
            number: Attr::Known(number),
            flag: Attr::Known(seed.len().is_multiple_of(2)),
            texts: Attr::Known(vec![format!("{seed}-a"), format!("{seed}-b")]),
            tags: Attr::Known(BTreeSet::from([format!("{seed}-x"), format!("{seed}-y")])),
            labels: Attr::Known(BTreeMap::from([("seed".to_string(), seed.clone())])),
            seed: Attr::Known(seed),
        }
    }
}

#[async_trait]
impl Resource<Ids> for SourceResource {
    type Model = Source;
    const TYPE_NAME: &'static str = "conformance_source";

    async fn create(&self, ids: &Ids, planned: Source, diags: &mut Diagnostics) -> Option<Source> {
        let Some(seed) = planned.seed.into_known() else {
            diags.error("`seed` is not known at apply", "Terraform sent no seed.");
            return None;
        };
        Some(Source::derive(seed, ids.next("source")))
    }

    async fn read(&self, _ids: &Ids, current: Source, _diags: &mut Diagnostics) -> Option<Source> {
        Some(current)
    }

    async fn update(
        &self,
        _ids: &Ids,
        prior: Source,
        _planned: Source,
        _diags: &mut Diagnostics,
    ) -> Option<Source> {
        Some(prior)
    }

    async fn delete(&self, _ids: &Ids, _prior: Source, _diags: &mut Diagnostics) {}

    async fn import(&self, ids: &Ids, id: &str, _diags: &mut Diagnostics) -> Option<Source> {
        Some(Source::derive(id.to_string(), ids.next("source")))
    }
}
