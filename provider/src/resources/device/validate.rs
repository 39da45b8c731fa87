//! The `autopilot_device` rules: one function per rule, each attaching its
//! diagnostic to the attribute it is about.

use tfplugin::{Attr, AttrPath, Diagnostics};

use super::DeviceModel;
use crate::devices::{hash, validate_device_name, validate_upn};
use crate::validate::check_known;

/// Every rule of the configuration.
pub(super) fn config(config: &DeviceModel, diags: &mut Diagnostics) {
    serial_number(&config.serial_number, diags);
    hardware_hash(&config.hardware_hash, diags);
    assigned_user(&config.assigned_user_principal_name, diags);
    display_name(&config.display_name, diags);
    crate::validate::teardown_opt_ins(
        &config.destroy_enrolled,
        &config.destroy_entra_device,
        diags,
    );
}

/// A serial number exactly as the device reports it: no surrounding
/// spaces, and no comma (it would break the CSV import).
fn serial_number(serial: &Attr<String>, diags: &mut Diagnostics) {
    if let Attr::Known(serial) = serial
        && (serial.trim() != serial || serial.contains(','))
    {
        diags.error_at(
            AttrPath::root("serial_number"),
            "Invalid serial number",
            format!("{serial:?} has surrounding spaces or a comma; use the serial number exactly as the device reports it."),
        );
    }
}

/// A hardware hash Autopilot can read.
fn hardware_hash(text: &Attr<String>, diags: &mut Diagnostics) {
    if let Attr::Known(text) = text
        && let Err(e) = hash::check(text)
    {
        diags.error_at(
            AttrPath::root("hardware_hash"),
            "Invalid hardware hash",
            format!("{e}. Use the `Hardware Hash` column of the CSV that Get-WindowsAutopilotInfo writes."),
        );
    }
}

/// A user principal name.
fn assigned_user(user: &Attr<String>, diags: &mut Diagnostics) {
    check_known(
        user,
        validate_upn,
        AttrPath::root("assigned_user_principal_name"),
        "Invalid user principal name",
        diags,
    );
}

/// A device name Windows accepts.
fn display_name(name: &Attr<String>, diags: &mut Diagnostics) {
    check_known(
        name,
        validate_device_name,
        AttrPath::root("display_name"),
        "Invalid device name",
        diags,
    );
}
