//! The kinds of object an export writes, one `.tf` file each. A kind is
//! declared by its resource, beside the resource's code (`EXPORT` in each
//! resource's `registration.rs`); this module only knows the declaration's
//! shape and the order of the provider's registry.

use std::cmp::Ordering;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::LazyLock;

use serde::Deserialize;

use super::tenant::Listed;
use crate::graph::{ApiVersion, GraphClient, GraphError};
use crate::registry::{self, Export};
use crate::resources::{deployment_profile, device, enrollment_status_page, group};

/// What listing a kind's objects returns.
pub type Listing<'a> = Pin<Box<dyn Future<Output = Result<Vec<Listed>, GraphError>> + Send + 'a>>;

/// What a resource declares to be exported: its `--only` name, how its
/// objects are found and how they are written.
#[derive(Debug)]
pub struct ExportKind {
    /// The name `--only` takes, and the `.tf` file's stem.
    pub name: &'static str,
    /// The resource type the kind is exported as.
    pub resource_type: &'static str,
    /// What a resource name falls back to when its display name gives none
    /// (or starts with a digit).
    pub fallback_name: &'static str,
    /// The attributes that hold group object ids, written as references to
    /// `autopilot_group` resources where the group is exported too.
    pub group_id_attributes: &'static [&'static str],
    /// The ids and names of the tenant's objects of this kind, except those
    /// no resource manages (one paged listing).
    pub list: for<'a> fn(&'a GraphClient) -> Listing<'a>,
}

impl ExportKind {
    /// A declaration; see the fields.
    pub const fn new(
        name: &'static str,
        resource_type: &'static str,
        fallback_name: &'static str,
        group_id_attributes: &'static [&'static str],
        list: for<'a> fn(&'a GraphClient) -> Listing<'a>,
    ) -> ExportKind {
        ExportKind {
            name,
            resource_type,
            fallback_name,
            group_id_attributes,
            list,
        }
    }
}

/// A [`Listing`] from a Graph listing: `keep` turns each item into the
/// object to export, or `None` for one no resource manages.
pub fn listed<'a, T: Send + 'a>(
    items: impl Future<Output = Result<Vec<T>, GraphError>> + Send + 'a,
    keep: impl Fn(T) -> Option<Listed> + Send + 'a,
) -> Listing<'a> {
    Box::pin(async move { Ok(items.await?.into_iter().filter_map(keep).collect()) })
}

/// An Intune object as the listings of plain collections read it: the
/// properties they tell their kind's objects apart by (each reads those
/// it needs; Graph sends the others, or not).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default, rename = "@odata.type")]
    pub odata_type: Option<String>,
    #[serde(default)]
    pub platform: Option<String>,
    #[serde(default)]
    pub is_built_in: Option<bool>,
}

/// A [`Listing`] of the objects of the beta collection `collection` that
/// `ours` keeps, known by their display names.
pub fn listed_by_name<'a>(
    client: &'a GraphClient,
    collection: &'a str,
    ours: fn(&Summary) -> bool,
) -> Listing<'a> {
    listed(
        client.list::<Summary>(ApiVersion::Beta, collection),
        move |s| ours(&s).then(|| Listed::named(s.id, s.display_name)),
    )
}

/// A kind of exported object: one resource's export declaration.
#[derive(Clone, Copy)]
pub struct Kind(&'static ExportKind);

/// Every exported kind, in the order of the provider's registry (the order
/// files are written and reported).
static ALL: LazyLock<Vec<Kind>> = LazyLock::new(|| {
    registry::managed_types()
        .into_iter()
        .filter_map(|managed| match managed.export {
            Export::As(kind) => Some(Kind(kind)),
            Export::Covered { .. } => None,
        })
        .collect()
});

impl Kind {
    /// The kind whose objects other kinds reference: groups.
    pub const GROUPS: Kind = Kind(&group::EXPORT);
    /// Devices: exported with a hash variable and `prevent_destroy`.
    pub const DEVICES: Kind = Kind(&device::EXPORT);
    /// Deployment profiles: names Intune refuses are written as the nearest
    /// accepted text.
    pub const DEPLOYMENT_PROFILES: Kind = Kind(&deployment_profile::EXPORT);
    /// Enrollment Status Pages: the file also reads the default ESP.
    pub const ENROLLMENT_STATUS_PAGES: Kind = Kind(&enrollment_status_page::EXPORT);

    /// The kind a resource declares.
    pub const fn new(declaration: &'static ExportKind) -> Kind {
        Kind(declaration)
    }

    /// Every kind, in the order files are written and reported.
    pub fn all() -> Vec<Kind> {
        ALL.clone()
    }

    /// The declaration behind the kind.
    pub fn declaration(self) -> &'static ExportKind {
        self.0
    }

    /// The name `--only` takes.
    pub fn name(self) -> &'static str {
        self.0.name
    }

    /// The resource type the kind is exported as.
    pub fn resource_type(self) -> &'static str {
        self.0.resource_type
    }

    /// The file the kind's resources are written to.
    pub fn file_name(self) -> String {
        format!("{}.tf", self.name())
    }

    /// See [`ExportKind::fallback_name`].
    pub fn fallback_name(self) -> &'static str {
        self.0.fallback_name
    }

    /// See [`ExportKind::group_id_attributes`].
    pub fn group_id_attributes(self) -> &'static [&'static str] {
        self.0.group_id_attributes
    }

    /// The tenant's objects of this kind (see [`ExportKind::list`]).
    pub fn list(self, client: &GraphClient) -> Listing<'_> {
        (self.0.list)(client)
    }

    /// The names `--only` accepts, for messages and help.
    pub fn names() -> String {
        ALL.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
    }

    /// The kind's place in [`Kind::all`].
    fn position(self) -> usize {
        ALL.iter().position(|k| *k == self).unwrap_or(usize::MAX)
    }
}

impl PartialEq for Kind {
    fn eq(&self, other: &Kind) -> bool {
        self.0.name == other.0.name
    }
}

impl Eq for Kind {}

impl Ord for Kind {
    fn cmp(&self, other: &Kind) -> Ordering {
        (self.position(), self.0.name).cmp(&(other.position(), other.0.name))
    }
}

impl PartialOrd for Kind {
    fn partial_cmp(&self, other: &Kind) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::hash::Hash for Kind {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.name.hash(state);
    }
}

impl fmt::Debug for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kind({})", self.name())
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A `--only` value that names no kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{given:?} is not a kind to export; the kinds are: {}", Kind::names())]
pub struct UnknownKind {
    pub given: String,
}

impl FromStr for Kind {
    type Err = UnknownKind;

    /// A kind by its name (`deployment_profiles`) or its resource type
    /// (`autopilot_deployment_profile`), in any case.
    fn from_str(text: &str) -> Result<Kind, UnknownKind> {
        let wanted = text.trim().to_ascii_lowercase();
        ALL.iter()
            .copied()
            .find(|k| k.name() == wanted || k.resource_type() == wanted)
            .ok_or_else(|| UnknownKind {
                given: text.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_by_name_or_resource_type() {
        assert_eq!("groups".parse::<Kind>(), Ok(Kind::GROUPS));
        assert_eq!(" Devices ".parse::<Kind>(), Ok(Kind::DEVICES));
        assert_eq!(
            "autopilot_enrollment_status_page".parse::<Kind>(),
            Ok(Kind::ENROLLMENT_STATUS_PAGES)
        );
        for kind in Kind::all() {
            assert_eq!(kind.name().parse::<Kind>(), Ok(kind));
        }
    }

    #[test]
    fn an_unknown_kind_names_the_allowed_ones() {
        let error = "profiles".parse::<Kind>().expect_err("not a kind");
        let message = error.to_string();
        assert!(
            message.starts_with("\"profiles\" is not a kind"),
            "{message}"
        );
        for kind in Kind::all() {
            assert!(message.contains(kind.name()), "{message}");
        }
    }

    #[test]
    fn kinds_are_ordered_as_the_registry_lists_them() {
        let all = Kind::all();
        assert!(all.len() >= 6, "{all:?}");
        assert!(all.windows(2).all(|pair| pair[0] < pair[1]), "{all:?}");
        assert_eq!(all[0], Kind::GROUPS, "groups are written first");
    }
}
