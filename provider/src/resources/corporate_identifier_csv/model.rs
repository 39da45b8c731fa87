//! The `autopilot_corporate_identifier_csv` model: the schema Terraform sees.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::Attr;

use crate::resources::timeouts::{Timeouts, timed_model};

/// Windows corporate device identifiers (Intune's "Corporate device identifiers", type
/// "Manufacturer, model, and serial number (Windows only)") from a CSV, managed as one set. Intune
/// marks an enrolling Windows device corporate-owned when its manufacturer, model and serial
/// number match one of them; Windows Autopilot device preparation needs them when personal
/// enrollments are blocked. Rows added to the CSV are imported (`importDeviceIdentityList`),
/// removed rows are deleted, and an identifier deleted outside Terraform is imported again by the
/// next apply. A row already in Intune (added by hand or another tool) is adopted, with a
/// warning: from then on Terraform manages it, and a destroy deletes it. The CSV is checked at
/// plan time, with line numbers. Imports are sent in chunks of 500 rows, so a CSV may have more
/// rows than the 5,000 the admin center takes per file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct CorporateIdentifierCsvModel {
    /// An id for this set of identifiers (generated).
    #[schemars(extend("x-tf" = "computed,stable"))]
    pub id: Attr<String>,
    /// The CSV text, usually `file("corporate-identifiers.csv")`: one `manufacturer,model,serial number` line per device, as the Intune admin center takes it, without a header (for example `Microsoft Corporation,Surface Laptop 5,0123456789`; PowerShell: `Get-CimInstance Win32_ComputerSystem` gives `Manufacturer` and `Model`, `Win32_BIOS` gives `SerialNumber`). Exactly three fields per line, none empty; no quotation marks, so a name cannot hold a comma; no periods in serial numbers (Intune's rule: remove them); blank lines are ignored. A line that repeats another (ignoring case, as Intune compares them) is refused. Reordering lines or changing their case plans an in-place update of `content` that writes nothing to Intune. An import writes `content` as the identifiers sorted, one per line (`\n`).
    #[schemars(extend("x-tf" = "required"))]
    pub content: Attr<String>,
    /// The identifiers in Intune, by identifier (`manufacturer,model,serial number`, as written in the CSV).
    #[schemars(extend("x-tf" = "computed"))]
    pub identifiers: Attr<BTreeMap<String, CorporateIdentity>>,
    /// The ids of the identifiers in Intune, sorted, and the resource's identity (Terraform 1.12+: `import { identity = { ids = [...] } }`, like `terraform import` of the ids joined by commas). It changes as rows are added or removed.
    #[schemars(extend("x-tf" = "computed"))]
    pub ids: Attr<Vec<String>>,
    /// How long each operation may take, retries of throttled requests included. Unset, an operation has no limit of its own (each Graph request gives up after 10 minutes of retries).
    #[schemars(extend("x-tf" = "block"))]
    pub timeouts: Attr<Timeouts>,
}

/// One corporate identifier as Intune knows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct CorporateIdentity {
    /// The id of the `importedDeviceIdentity`.
    pub id: Attr<String>,
    /// Whether the device enrolled, e.g. `notContacted` or `enrolled`.
    pub enrollment_state: Attr<String>,
    /// When the identifier was added (RFC 3339).
    pub created_date_time: Attr<String>,
    /// When the device last contacted Intune (RFC 3339; `0001-01-01T00:00:00Z` while it never has).
    pub last_contacted_date_time: Attr<String>,
}

impl CorporateIdentity {
    /// A row still to import: what Intune will know about it is unknown.
    pub(super) fn to_import() -> Self {
        CorporateIdentity {
            id: Attr::Unknown,
            enrollment_state: Attr::Unknown,
            created_date_time: Attr::Unknown,
            last_contacted_date_time: Attr::Unknown,
        }
    }
}

impl CorporateIdentifierCsvModel {
    /// Sets `identifiers` and, with them, `ids` (known when every identifier's id is).
    pub(super) fn set_identifiers(
        &mut self,
        identifiers: Attr<BTreeMap<String, CorporateIdentity>>,
    ) {
        self.ids = match &identifiers {
            Attr::Known(map) => {
                let ids: Option<Vec<String>> =
                    map.values().map(|e| e.id.known().cloned()).collect();
                ids.map_or(Attr::Unknown, |mut ids| {
                    ids.sort();
                    Attr::Known(ids)
                })
            }
            Attr::Null => Attr::Null,
            Attr::Unknown => Attr::Unknown,
        };
        self.identifiers = identifiers;
    }
}

timed_model!(CorporateIdentifierCsvModel => Timeouts);
