//! What `autopilot_device_csv` declares beside its resource: `export`
//! writes its devices one by one as `autopilot_device`, and it sends the
//! bulk import body (its property, user and sync calls are
//! `autopilot_device`'s, declared there).

use crate::devices::graph::{IMPORTED, ImportAction, VERSION};
use crate::payloads::{Payload, path};
use crate::registry::Export;

/// A CSV's devices are exported as `autopilot_device` resources.
pub const EXPORT: Export = Export::Covered {
    by: "autopilot_device",
};

/// The bodies only `autopilot_device_csv` sends.
pub fn payloads() -> Vec<Payload> {
    let import = format!("{}/import", path(VERSION, IMPORTED));
    let purpose = "autopilot_device_csv create and new rows, in chunks";
    vec![Payload::of::<ImportAction<'static>>(
        "device-import",
        "POST",
        import,
        purpose,
    )]
}
