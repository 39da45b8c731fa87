//! What `autopilot_domain_join_profile` declares beside its resource: how
//! `export` lists domain join profiles and the request bodies it sends.

use crate::export::{ExportKind, Listing, listed_by_name};
use crate::graph::{ApiVersion, GraphClient};
use crate::list_resources::{Filters, ListDeclaration};
use crate::payloads::{Payload, path};

use super::{AssignBody, COLLECTION, DomainJoinConfiguration, ODATA_TYPE};

/// Domain join profiles: the device configurations of their type.
#[rustfmt::skip]
pub const EXPORT: ExportKind = ExportKind::new("domain_join_profiles", "autopilot_domain_join_profile", "domain_join", &["include_group_ids", "exclude_group_ids"], list_for_export);

/// Its list resource (`terraform query`): by name, by assigned group.
pub const LIST: ListDeclaration = ListDeclaration::by_object_id(&EXPORT, Filters::Intune);

fn list_for_export(client: &GraphClient) -> Listing<'_> {
    listed_by_name(client, COLLECTION, |c| {
        c.odata_type.as_deref() == Some(ODATA_TYPE)
    })
}

/// The bodies `autopilot_domain_join_profile` sends.
pub fn payloads() -> Vec<Payload> {
    let configs = path(ApiVersion::Beta, COLLECTION);
    let mut bodies =
        Payload::create_and_update::<DomainJoinConfiguration>(EXPORT.resource_type, &configs);
    #[rustfmt::skip]
    let assign = Payload::of::<AssignBody>("domain-join-profile-assign", "POST", format!("{configs}/{{id}}/assign"), "autopilot_domain_join_profile assignments (the whole list)");
    bodies.push(assign);
    bodies
}
