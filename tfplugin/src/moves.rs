//! Moving another resource type's state into a resource (protocol 6.5,
//! Terraform 1.8+): a `moved { from = <other type>, to = <this type> }`
//! block across types or providers. A resource declares the sources it
//! accepts and how it maps a source's raw JSON state to its model, both in
//! one [`Moves`] ([`crate::Resource::moves`]); Terraform calls MoveResourceState
//! before the provider is configured, so the mapping reads no remote
//! system, and a ReadResource follows it.

use crate::diagnostics::Diagnostics;

/// A resource type of some provider whose state may be moved into a
/// resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MoveSource {
    /// The source provider's address as Terraform writes it:
    /// `registry.terraform.io/namespace/name`.
    pub provider: &'static str,
    /// The source resource type, e.g. `microsoft365_graph_beta_groups_group`.
    pub type_name: &'static str,
}

/// The default registry host, which provider addresses may leave out.
const DEFAULT_REGISTRY: &str = "registry.terraform.io/";

impl MoveSource {
    /// Whether Terraform's `provider` address (with or without the default
    /// registry host, any case) and `type_name` name this source.
    pub fn matches(&self, provider: &str, type_name: &str) -> bool {
        let short = |address: &str| {
            let lower = address.to_ascii_lowercase();
            lower
                .strip_prefix(DEFAULT_REGISTRY)
                .map(str::to_string)
                .unwrap_or(lower)
        };
        self.type_name == type_name && short(self.provider) == short(provider)
    }
}

/// The declared source among `sources` that `provider` and `type_name`
/// name.
pub fn find<'a>(
    sources: &'a [MoveSource],
    provider: &str,
    type_name: &str,
) -> Option<&'a MoveSource> {
    sources.iter().find(|s| s.matches(provider, type_name))
}

/// What a resource takes from `moved` blocks: the source types it accepts
/// and its state for a source's state. Called before the provider is
/// configured (no client); Terraform reads the resource right after, so the
/// id is what must be right. `None` with an error refuses the move.
pub struct Moves<M: 'static> {
    /// The resource types (of any provider) whose state may move in.
    pub sources: &'static [MoveSource],
    /// The resource's state for the state of one of `sources`.
    pub map: fn(&MoveRequest<'_>, &mut Diagnostics) -> Option<M>,
}

impl<M> Moves<M> {
    /// No source: every move is refused (the default).
    pub const NONE: Self = Moves {
        sources: &[],
        map: refuse,
    };

    /// `sources`, mapped by `map`.
    pub const fn new(
        sources: &'static [MoveSource],
        map: fn(&MoveRequest<'_>, &mut Diagnostics) -> Option<M>,
    ) -> Self {
        Moves { sources, map }
    }
}

fn refuse<M>(_request: &MoveRequest<'_>, _diags: &mut Diagnostics) -> Option<M> {
    None
}

/// A move handed to the target resource.
#[derive(Debug, Clone)]
pub struct MoveRequest<'a> {
    /// The declared source the moved state comes from.
    pub source: &'a MoveSource,
    /// The schema version of the source's state.
    pub schema_version: i64,
    /// The source's state, as its provider stored it (JSON).
    pub state: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    const GROUP: MoveSource = MoveSource {
        provider: "registry.terraform.io/deploymenttheory/microsoft365",
        type_name: "microsoft365_graph_beta_groups_group",
    };

    #[test]
    fn addresses_match_with_or_without_the_default_host() {
        let group = "microsoft365_graph_beta_groups_group";
        assert!(GROUP.matches("registry.terraform.io/deploymenttheory/microsoft365", group));
        assert!(GROUP.matches("deploymenttheory/microsoft365", group));
        assert!(GROUP.matches("registry.terraform.io/DeploymentTheory/Microsoft365", group));
        assert!(!GROUP.matches("registry.terraform.io/hashicorp/azuread", group));
        assert!(!GROUP.matches("example.com/deploymenttheory/microsoft365", group));
        assert!(!GROUP.matches("deploymenttheory/microsoft365", "azuread_group"));
        assert_eq!(
            find(&[GROUP], "deploymenttheory/microsoft365", group),
            Some(&GROUP)
        );
    }
}
