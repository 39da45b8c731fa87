//! What `autopilot_scope_tag` declares beside its resource: how `export`
//! lists scope tags and the request bodies it sends.

use crate::export::{ExportKind, Listing, listed_by_name};
use crate::graph::{ApiVersion, GraphClient};
use crate::list_resources::{Filters, ListDeclaration};
use crate::payloads::{Payload, path};

use super::{COLLECTION, DEFAULT_TAG_ID, RoleScopeTag};

/// Scope tags, but the built-in `Default` one.
#[rustfmt::skip]
pub const EXPORT: ExportKind = ExportKind::new("scope_tags", "autopilot_scope_tag", "scope_tag", &[], list_for_export);

/// Its list resource (`terraform query`): by name.
pub const LIST: ListDeclaration = ListDeclaration::by_object_id(&EXPORT, Filters::Name);

fn list_for_export(client: &GraphClient) -> Listing<'_> {
    listed_by_name(client, COLLECTION, |t| {
        t.id != DEFAULT_TAG_ID && t.is_built_in != Some(true)
    })
}

/// The bodies `autopilot_scope_tag` sends.
pub fn payloads() -> Vec<Payload> {
    Payload::create_and_update::<RoleScopeTag>(
        EXPORT.resource_type,
        &path(ApiVersion::Beta, COLLECTION),
    )
}
