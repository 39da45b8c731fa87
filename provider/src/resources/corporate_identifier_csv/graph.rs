//! The Graph side of `autopilot_corporate_identifier_csv`: `importedDeviceIdentity` (beta only,
//! Microsoft Learn "importedDeviceIdentity resource type"), the `importDeviceIdentityList` action
//! and what a converge does with them.

use std::collections::{BTreeMap, HashMap};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::{Attr, AttrPath, Diagnostics};

use super::csv::{self, Row};
use super::model::CorporateIdentity;
use crate::devices::ops::CONCURRENCY;
use crate::devices::run_bounded;
use crate::graph::{ApiVersion, GraphClient, GraphError};

/// The collection, under the beta version.
pub(super) const COLLECTION: &str = "deviceManagement/importedDeviceIdentities";
/// The action that adds many identities at once.
pub(super) const IMPORT_ACTION: &str =
    "deviceManagement/importedDeviceIdentities/importDeviceIdentityList";
/// The identity type of Windows corporate identifiers.
pub(super) const WINDOWS_TYPE: &str = "manufacturerModelSerial";
/// Rows per `importDeviceIdentityList` call (the provider's choice: no source gives the action's
/// limit; the admin center takes 5,000 rows per file).
pub(super) const CHUNK: usize = 500;

/// An `importedDeviceIdentity` (and an `importedDeviceIdentityResult`, which adds `status`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct ImportedIdentity {
    pub(super) id: String,
    pub(super) imported_device_identifier: Option<String>,
    pub(super) imported_device_identity_type: Option<String>,
    pub(super) enrollment_state: Option<String>,
    pub(super) created_date_time: Option<String>,
    pub(super) last_contacted_date_time: Option<String>,
    /// Only in an import's result: whether the identity was added.
    pub(super) status: Option<bool>,
}

impl ImportedIdentity {
    /// Whether it is a Windows corporate identifier.
    pub(super) fn is_windows(&self) -> bool {
        self.imported_device_identity_type.as_deref() == Some(WINDOWS_TYPE)
    }

    /// Its identifier, or "".
    pub(super) fn identifier(&self) -> &str {
        self.imported_device_identifier
            .as_deref()
            .unwrap_or_default()
    }

    /// What the state keeps of it.
    pub(super) fn entry(&self) -> CorporateIdentity {
        let text = |v: &Option<String>| v.clone().map_or(Attr::Null, Attr::Known);
        CorporateIdentity {
            id: Attr::Known(self.id.clone()),
            enrollment_state: text(&self.enrollment_state),
            created_date_time: text(&self.created_date_time),
            last_contacted_date_time: text(&self.last_contacted_date_time),
        }
    }
}

/// One identity of the import body.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct NewIdentity {
    /// `manufacturer,model,serial number`.
    pub(super) imported_device_identifier: String,
    /// Always `manufacturerModelSerial`.
    pub(super) imported_device_identity_type: String,
}

/// The body of `importDeviceIdentityList`.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct ImportList {
    pub(super) imported_device_identities: Vec<NewIdentity>,
    /// Always false: an identity already in Intune keeps its description, and is adopted.
    pub(super) overwrite_imported_device_identities: bool,
}

#[derive(Deserialize)]
struct Results {
    #[serde(default)]
    value: Vec<ImportedIdentity>,
}

/// Every identity of the tenant.
pub(super) async fn list_all(client: &GraphClient) -> Result<Vec<ImportedIdentity>, GraphError> {
    client.list(ApiVersion::Beta, COLLECTION).await
}

/// Imports `rows` in chunks; answers the identities added, by comparison key.
async fn import(
    client: &GraphClient,
    rows: &[&Row],
    diags: &mut Diagnostics,
) -> HashMap<String, ImportedIdentity> {
    let mut added = HashMap::new();
    for chunk in rows.chunks(CHUNK) {
        let body = ImportList {
            imported_device_identities: chunk
                .iter()
                .map(|row| NewIdentity {
                    imported_device_identifier: row.identifier.clone(),
                    imported_device_identity_type: WINDOWS_TYPE.to_owned(),
                })
                .collect(),
            overwrite_imported_device_identities: false,
        };
        match client
            .post::<_, Results>(ApiVersion::Beta, IMPORT_ACTION, &body)
            .await
        {
            Ok(results) => {
                for result in results.value {
                    if result.status == Some(true) && !result.id.is_empty() {
                        added.insert(csv::key(result.identifier()), result);
                    }
                }
            }
            Err(e) => diags.error_at(
                AttrPath::root("content"),
                "Cannot import corporate identifiers",
                format!(
                    "Lines {} to {}: {e}",
                    chunk[0].line,
                    chunk[chunk.len() - 1].line
                ),
            ),
        }
    }
    added
}

/// Imports the rows `prior` lacks, adopts those Intune had already, deletes the identities of
/// rows gone from the CSV; answers the identifiers now in Intune.
pub(super) async fn converge(
    client: &GraphClient,
    prior: &BTreeMap<String, CorporateIdentity>,
    rows: &[Row],
    diags: &mut Diagnostics,
) -> BTreeMap<String, CorporateIdentity> {
    let prior_by_key: HashMap<String, &CorporateIdentity> =
        prior.iter().map(|(k, v)| (csv::key(k), v)).collect();
    let mut kept = BTreeMap::new();
    let mut missing = Vec::new();
    for row in rows {
        match prior_by_key.get(&csv::key(&row.identifier)) {
            Some(entry) if entry.id.is_known() => {
                kept.insert(row.identifier.clone(), (*entry).clone());
            }
            _ => missing.push(row),
        }
    }
    let added = if missing.is_empty() {
        HashMap::new()
    } else {
        import(client, &missing, diags).await
    };
    let not_added: Vec<&Row> = missing
        .iter()
        .copied()
        .filter(|row| !added.contains_key(&csv::key(&row.identifier)))
        .collect();
    for row in &missing {
        if let Some(identity) = added.get(&csv::key(&row.identifier)) {
            kept.insert(row.identifier.clone(), identity.entry());
        }
    }
    if !not_added.is_empty() && !diags.has_errors() {
        adopt(client, &not_added, &mut kept, diags).await;
    }
    let wanted: std::collections::HashSet<String> =
        rows.iter().map(|r| csv::key(&r.identifier)).collect();
    let gone: Vec<(String, String)> = prior
        .iter()
        .filter(|(k, _)| !wanted.contains(&csv::key(k)))
        .filter_map(|(k, v)| v.id.known().map(|id| (k.clone(), id.clone())))
        .collect();
    delete_all(client, gone, diags).await;
    kept
}

/// Rows Intune did not add: adopted when Intune has them already (a warning names them), an
/// error otherwise.
async fn adopt(
    client: &GraphClient,
    rows: &[&Row],
    kept: &mut BTreeMap<String, CorporateIdentity>,
    diags: &mut Diagnostics,
) {
    let listed = match list_all(client).await {
        Ok(listed) => listed,
        Err(e) => {
            diags.error("Cannot list the corporate identifiers", e.to_string());
            return;
        }
    };
    let by_key: HashMap<String, &ImportedIdentity> = listed
        .iter()
        .filter(|i| i.is_windows())
        .map(|i| (csv::key(i.identifier()), i))
        .collect();
    let mut adopted = Vec::new();
    for row in rows {
        match by_key.get(&csv::key(&row.identifier)) {
            Some(identity) => {
                kept.insert(row.identifier.clone(), identity.entry());
                adopted.push(row.identifier.clone());
            }
            None => diags.error_at(
                AttrPath::root("content"),
                format!(
                    "Intune did not add the corporate identifier of line {}",
                    row.line
                ),
                format!(
                    "{:?} was refused by importDeviceIdentityList.",
                    row.identifier
                ),
            ),
        }
    }
    if !adopted.is_empty() {
        diags.warning_at(
            AttrPath::root("content"),
            "Corporate identifiers already in Intune were adopted",
            format!(
                "Terraform now manages these identifiers, and a destroy deletes them: {}.",
                adopted.join("; ")
            ),
        );
    }
}

/// Deletes identities (already gone counts as deleted), reporting each failure.
pub(super) async fn delete_all(
    client: &GraphClient,
    identities: Vec<(String, String)>,
    diags: &mut Diagnostics,
) {
    let outcomes = run_bounded(identities, CONCURRENCY, |(identifier, id)| async move {
        let path = format!("{COLLECTION}/{id}");
        (identifier, client.delete(ApiVersion::Beta, &path).await)
    })
    .await;
    for (identifier, outcome) in outcomes {
        if let Err(e) = outcome {
            diags.error(
                format!("Cannot delete the corporate identifier {identifier:?}"),
                e.to_string(),
            );
        }
    }
}
