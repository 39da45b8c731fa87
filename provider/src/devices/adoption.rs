//! Telling the user about registrations taken over rather than made.
//!
//! An import that Intune refuses with 806 (`ZtdDeviceAlreadyAssigned`) whose
//! serial number has exactly one registration in the tenant is that device,
//! registered before this apply (by an OEM, a reseller, another tool or by
//! hand). Adopting it is the idempotent outcome, but from then on a destroy
//! deletes a registration Terraform never made, so the adoption is always
//! reported as a warning naming each device.

use tfplugin::{AttrPath, Diagnostics};

use super::graph::DeviceIdentity;

/// How many adopted devices a warning lists one by one.
const MAX_LISTED: usize = 50;

/// Warns, at `path`, about the `adopted` registrations; `line_of` gives a
/// serial number's CSV line when there is one.
pub fn warn_adopted(
    adopted: &[DeviceIdentity],
    line_of: impl Fn(&str) -> Option<usize>,
    path: AttrPath,
    diags: &mut Diagnostics,
) {
    let serials: Vec<&str> = adopted
        .iter()
        .map(|d| d.serial_number.as_deref().unwrap_or("(no serial number)"))
        .collect();
    let summary = match serials.as_slice() {
        [] => return,
        [one] => format!("Adopted Autopilot device {one}, registered before this apply"),
        many => format!(
            "Adopted {} Autopilot devices registered before this apply: {}{}",
            many.len(),
            many.iter().take(10).copied().collect::<Vec<_>>().join(", "),
            if many.len() > 10 { ", ..." } else { "" }
        ),
    };
    let mut lines: Vec<String> = adopted
        .iter()
        .zip(&serials)
        .take(MAX_LISTED)
        .map(|(device, serial)| {
            let line = line_of(serial)
                .map(|l| format!(" (line {l})"))
                .unwrap_or_default();
            let contact = device.last_contact().map_or_else(
                || "never contacted Autopilot".to_string(),
                |t| format!("last contact {t}"),
            );
            format!(
                "- {serial}{line}: Autopilot device {}, {contact}",
                device.id
            )
        })
        .collect();
    if adopted.len() > MAX_LISTED {
        lines.push(format!("... and {} more", adopted.len() - MAX_LISTED));
    }
    let detail = format!(
        "{}\n\nIntune answered the import with 806 ZtdDeviceAlreadyAssigned: the hardware hash was \
         registered in this tenant before this apply, by an OEM, a reseller, another tool or by \
         hand. Graph records no registration date; the last contact is the nearest it tells. \
         Terraform now manages these registrations: their group tag, assigned user and display \
         name follow this configuration, and `terraform destroy` (or taking a device out of the \
         configuration) deletes its registration from Autopilot.",
        lines.join("\n")
    );
    diags.warning_at(path, summary, detail);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(id: &str, serial: &str, contact: &str) -> DeviceIdentity {
        DeviceIdentity {
            id: id.into(),
            serial_number: Some(serial.into()),
            last_contacted_date_time: Some(contact.into()),
            ..DeviceIdentity::default()
        }
    }

    #[test]
    fn one_adopted_device_is_named_with_its_line_and_last_contact() {
        let mut diags = Diagnostics::new();
        warn_adopted(
            &[device("d1", "SN1", "2026-11-02T08:00:00Z")],
            |s| (s == "SN1").then_some(4),
            AttrPath::root("content"),
            &mut diags,
        );
        let d = diags.iter().next().expect("a warning");
        assert_eq!(d.severity, tfplugin::Severity::Warning);
        assert_eq!(
            d.summary,
            "Adopted Autopilot device SN1, registered before this apply"
        );
        assert!(
            d.detail
                .contains("- SN1 (line 4): Autopilot device d1, last contact 2026-11-02T08:00:00Z"),
            "{}",
            d.detail
        );
        assert!(d.detail.contains("terraform destroy"), "{}", d.detail);
    }

    #[test]
    fn many_adopted_devices_are_all_counted_and_the_zero_date_is_never() {
        let adopted: Vec<DeviceIdentity> = (0..60)
            .map(|i| device(&format!("d{i}"), &format!("SN{i}"), "0001-01-01T00:00:00Z"))
            .collect();
        let mut diags = Diagnostics::new();
        warn_adopted(&adopted, |_| None, AttrPath::root("content"), &mut diags);
        let d = diags.iter().next().expect("a warning");
        assert!(
            d.summary.starts_with("Adopted 60 Autopilot devices"),
            "{}",
            d.summary
        );
        assert!(d.summary.ends_with(", ..."), "{}", d.summary);
        assert!(
            d.detail
                .contains("- SN0: Autopilot device d0, never contacted Autopilot")
        );
        assert!(d.detail.contains("... and 10 more"), "{}", d.detail);
    }

    #[test]
    fn nothing_adopted_says_nothing() {
        let mut diags = Diagnostics::new();
        warn_adopted(&[], |_| None, AttrPath::root("content"), &mut diags);
        assert!(diags.iter().next().is_none());
    }
}
