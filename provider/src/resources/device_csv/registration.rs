//! What `autopilot_device_csv` declares beside its resource: `export`
//! writes its devices one by one as `autopilot_device`, and it sends the
//! bulk import body (its property, user and sync calls are
//! `autopilot_device`'s, declared there).

use crate::devices::graph::{IMPORTED, ImportAction, VERSION};
use crate::payloads::{Payload, path, schema_of};
use crate::registry::Export;

/// A CSV's devices are exported as `autopilot_device` resources.
pub const EXPORT: Export = Export::Covered {
    by: "autopilot_device",
};

/// The bodies only `autopilot_device_csv` sends.
pub fn payloads() -> Vec<Payload> {
    vec![Payload {
        name: "device-import",
        method: "POST",
        path: format!("{}/import", path(VERSION, IMPORTED)),
        purpose: "autopilot_device_csv create and new rows, in chunks",
        schema: Some(schema_of::<ImportAction<'static>>()),
    }]
}
