//! What `autopilot_assignment_filter` declares beside its resource: how
//! `export` lists filters and the request bodies it sends.

use crate::export::{ExportKind, Listing, listed_by_name};
use crate::graph::{ApiVersion, GraphClient};
use crate::list_resources::{Filters, ListDeclaration};
use crate::payloads::{Payload, path};

use super::graph::WINDOWS;
use super::{AssignmentFilter, COLLECTION, ValidateBody};

/// Assignment filters: the tenant's Windows 10 and later filters.
#[rustfmt::skip]
pub const EXPORT: ExportKind = ExportKind::new("assignment_filters", "autopilot_assignment_filter", "filter", &[], list_for_export);

/// Its list resource (`terraform query`): by name.
pub const LIST: ListDeclaration = ListDeclaration::by_object_id(&EXPORT, Filters::Name);

fn list_for_export(client: &GraphClient) -> Listing<'_> {
    listed_by_name(client, COLLECTION, |f| {
        f.platform.as_deref() == Some(WINDOWS)
    })
}

/// The bodies `autopilot_assignment_filter` sends.
pub fn payloads() -> Vec<Payload> {
    let filters = path(ApiVersion::Beta, COLLECTION);
    let mut bodies = Payload::create_and_update::<AssignmentFilter>(EXPORT.resource_type, &filters);
    #[rustfmt::skip]
    let validate = Payload::of::<ValidateBody>("assignment-filter-validate", "POST", format!("{filters}/validateFilter"), "autopilot_assignment_filter plan (Intune's check of a new or changed rule)");
    bodies.push(validate);
    bodies
}
