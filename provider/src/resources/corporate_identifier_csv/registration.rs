//! What `autopilot_corporate_identifier_csv` declares beside its resource: `export` writes the
//! tenant's Windows corporate identifiers as one resource (imported by the id `all`), and the
//! import body it sends.

use crate::export::{ExportKind, Listed, Listing};
use crate::graph::{ApiVersion, GraphClient};
use crate::payloads::{Payload, path};

use super::IMPORT_ALL;
use super::graph::{IMPORT_ACTION, ImportList, list_all};

/// One resource for every Windows corporate identifier, when the tenant has any.
#[rustfmt::skip]
pub const EXPORT: ExportKind = ExportKind::new("corporate_identifiers", "autopilot_corporate_identifier_csv", "corporate_identifiers", &[], list_for_export);

fn list_for_export(client: &GraphClient) -> Listing<'_> {
    Box::pin(async move {
        let any = list_all(client).await?.iter().any(|i| i.is_windows());
        Ok(if any {
            vec![Listed::named(
                IMPORT_ALL.to_owned(),
                Some("corporate_identifiers".to_owned()),
            )]
        } else {
            Vec::new()
        })
    })
}

/// The bodies `autopilot_corporate_identifier_csv` sends.
pub fn payloads() -> Vec<Payload> {
    vec![Payload::of::<ImportList>(
        "corporate-identifier-import",
        "POST",
        path(ApiVersion::Beta, IMPORT_ACTION),
        "autopilot_corporate_identifier_csv create and new rows, in chunks",
    )]
}
