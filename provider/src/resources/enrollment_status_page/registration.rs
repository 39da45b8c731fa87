//! What `autopilot_enrollment_status_page` declares beside its resource:
//! how `export` lists ESPs and the request bodies the resource sends.

use crate::export::{ExportKind, Listed, Listing, listed};
use crate::graph::{ApiVersion, GraphClient};
use crate::list_resources::{Filters, ListDeclaration};
use crate::payloads::{Payload, path};

use super::{AssignBody, COLLECTION, EspPayload, PriorityBody, is_default_esp, list_esps};

/// Enrollment Status Pages; the default one (priority 0) is no resource's.
#[rustfmt::skip]
pub const EXPORT: ExportKind = ExportKind::new("enrollment_status_pages", "autopilot_enrollment_status_page", "esp", &["include_group_ids", "exclude_group_ids"], list_for_export);

/// Its list resource (`terraform query`): by name, by assigned group.
pub const LIST: ListDeclaration = ListDeclaration::by_object_id(&EXPORT, Filters::Intune);

fn list_for_export(client: &GraphClient) -> Listing<'_> {
    listed(list_esps(client), |esp| {
        let id = esp
            .id
            .filter(|id| esp.priority != Some(0) && !is_default_esp(id))?;
        Some(Listed::named(id, esp.display_name))
    })
}

/// The bodies `autopilot_enrollment_status_page` sends.
pub fn payloads() -> Vec<Payload> {
    let esps = path(ApiVersion::Beta, COLLECTION);
    let esp = format!("{esps}/{{id}}");
    let mut bodies = Payload::create_and_update::<EspPayload>(EXPORT.resource_type, &esps);
    #[rustfmt::skip]
    let actions = [
        Payload::of::<AssignBody>("enrollment-status-page-assign", "POST", format!("{esp}/assign"), "autopilot_enrollment_status_page assignments (the whole list)"),
        Payload::of::<PriorityBody>("enrollment-status-page-set-priority", "POST", format!("{esp}/setPriority"), "autopilot_enrollment_status_page priority"),
    ];
    bodies.extend(actions);
    bodies
}
