//! `autopilot_corporate_identifier_csv`: Windows corporate device identifiers
//! (`manufacturer,model,serial number`) from a CSV, tracked as one set.

mod csv;
mod graph;
mod model;
mod registration;
#[cfg(test)]
mod tests;
mod validate;

pub use registration::{EXPORT, payloads};

use std::collections::BTreeMap;

use async_trait::async_trait;
use tfplugin::{Attr, Diagnostics, PlanRequest, Resource};

use self::csv::{Row, key};
use self::graph::{converge, delete_all, list_all};
pub use self::model::{CorporateIdentifierCsvModel, CorporateIdentity};
use crate::graph::GraphClient;

/// The id `terraform import` takes for every Windows corporate identifier of the tenant.
pub const IMPORT_ALL: &str = "all";

/// The resource.
pub struct CorporateIdentifierCsv;

/// The rows of a known, valid CSV.
fn rows(content: &Attr<String>) -> Option<Vec<Row>> {
    content.known().and_then(|text| csv::parse(text).ok())
}

/// The planned identifiers: rows already in Intune keep what was read, new rows are unknown.
fn plan_identifiers(
    rows: &[Row],
    prior: &BTreeMap<String, CorporateIdentity>,
) -> BTreeMap<String, CorporateIdentity> {
    let by_key: BTreeMap<String, &CorporateIdentity> =
        prior.iter().map(|(k, v)| (key(k), v)).collect();
    rows.iter()
        .map(|row| {
            let entry = match by_key.get(&key(&row.identifier)) {
                Some(before) if before.id.is_known() => (*before).clone(),
                _ => CorporateIdentity::to_import(),
            };
            (row.identifier.clone(), entry)
        })
        .collect()
}

/// The CSV an import writes: the identifiers, one per line, sorted.
fn content_of(identifiers: &BTreeMap<String, CorporateIdentity>) -> String {
    identifiers.keys().map(|k| format!("{k}\n")).collect()
}

impl CorporateIdentifierCsv {
    fn state(
        planned: &CorporateIdentifierCsvModel,
        id: String,
        identifiers: BTreeMap<String, CorporateIdentity>,
    ) -> CorporateIdentifierCsvModel {
        let mut state = CorporateIdentifierCsvModel {
            id: Attr::Known(id),
            content: planned.content.clone(),
            timeouts: planned.timeouts.clone(),
            ..CorporateIdentifierCsvModel::default()
        };
        state.set_identifiers(Attr::Known(identifiers));
        state
    }
}

#[async_trait]
impl Resource<GraphClient> for CorporateIdentifierCsv {
    type Model = CorporateIdentifierCsvModel;
    const TYPE_NAME: &'static str = "autopilot_corporate_identifier_csv";

    /// The ids of its identifiers. Unlike most identities it changes as rows are added or
    /// removed; Terraform 1.12+ stores the identity each apply returns. An identity import
    /// takes the listed identifiers, like `terraform import` of the ids joined by commas.
    fn identity(&self) -> &'static [tfplugin::IdentityAttribute] {
        const IDENTITY: [tfplugin::IdentityAttribute; 1] = [tfplugin::IdentityAttribute::required(
            "ids",
            "The ids of the corporate identifiers, sorted.",
        )];
        &IDENTITY
    }

    fn validate(&self, config: &CorporateIdentifierCsvModel, diags: &mut Diagnostics) {
        validate::config(config, diags);
    }

    async fn modify_plan(
        &self,
        _client: Option<&GraphClient>,
        request: PlanRequest<'_, CorporateIdentifierCsvModel>,
        _diags: &mut Diagnostics,
    ) -> CorporateIdentifierCsvModel {
        let mut planned = request.planned;
        let (Some(prior), Some(rows)) = (request.prior, rows(&request.config.content)) else {
            planned.set_identifiers(Attr::Unknown);
            return planned;
        };
        // Terraform keeps `content` as written; the identifiers follow it (reordered or
        // recased lines change the text only, and the update writes nothing).
        let before = prior.identifiers.known().cloned().unwrap_or_default();
        planned.set_identifiers(Attr::Known(plan_identifiers(&rows, &before)));
        planned
    }

    async fn create(
        &self,
        client: &GraphClient,
        planned: CorporateIdentifierCsvModel,
        diags: &mut Diagnostics,
    ) -> Option<CorporateIdentifierCsvModel> {
        let rows = rows(&planned.content).unwrap_or_default();
        let identifiers = converge(client, &BTreeMap::new(), &rows, diags).await;
        if identifiers.is_empty() {
            return None;
        }
        Some(Self::state(
            &planned,
            uuid::Uuid::new_v4().to_string(),
            identifiers,
        ))
    }

    async fn read(
        &self,
        client: &GraphClient,
        current: CorporateIdentifierCsvModel,
        diags: &mut Diagnostics,
    ) -> Option<CorporateIdentifierCsvModel> {
        let Attr::Known(identifiers) = &current.identifiers else {
            return Some(current);
        };
        let listed = match list_all(client).await {
            Ok(listed) => listed,
            Err(e) => {
                diags.error("Cannot list the corporate identifiers", e.to_string());
                return Some(current);
            }
        };
        let by_id: BTreeMap<&str, &graph::ImportedIdentity> =
            listed.iter().map(|i| (i.id.as_str(), i)).collect();
        let fresh: BTreeMap<String, CorporateIdentity> = identifiers
            .iter()
            .filter_map(|(identifier, entry)| {
                let found = by_id.get(entry.id.known()?.as_str())?;
                Some((identifier.clone(), found.entry()))
            })
            .collect();
        let mut state = current;
        state.set_identifiers(Attr::Known(fresh));
        Some(state)
    }

    async fn update(
        &self,
        client: &GraphClient,
        prior: CorporateIdentifierCsvModel,
        planned: CorporateIdentifierCsvModel,
        diags: &mut Diagnostics,
    ) -> Option<CorporateIdentifierCsvModel> {
        let before = prior.identifiers.known().cloned().unwrap_or_default();
        let rows = rows(&planned.content).unwrap_or_default();
        let identifiers = converge(client, &before, &rows, diags).await;
        let id = prior
            .id
            .known()
            .cloned()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        Some(Self::state(&planned, id, identifiers))
    }

    async fn delete(
        &self,
        client: &GraphClient,
        prior: CorporateIdentifierCsvModel,
        diags: &mut Diagnostics,
    ) {
        let identities = prior
            .identifiers
            .known()
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| v.id.known().map(|id| (k.clone(), id.clone())))
            .collect();
        delete_all(client, identities, diags).await;
    }

    async fn import(
        &self,
        client: &GraphClient,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<CorporateIdentifierCsvModel> {
        let listed = match list_all(client).await {
            Ok(listed) => listed,
            Err(e) => {
                diags.error("Cannot list the corporate identifiers", e.to_string());
                return None;
            }
        };
        let windows = listed.iter().filter(|i| i.is_windows());
        let chosen: Vec<&graph::ImportedIdentity> = if id.trim() == IMPORT_ALL {
            windows.collect()
        } else {
            let ids: Vec<&str> = id
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            let found: Vec<_> = windows.filter(|i| ids.contains(&i.id.as_str())).collect();
            if let Some(missing) = ids
                .iter()
                .find(|want| !found.iter().any(|i| i.id == **want))
            {
                diags.error(
                    "Cannot import a corporate identifier that does not exist",
                    format!("No Windows corporate identifier has the id {missing:?}."),
                );
                return None;
            }
            found
        };
        if chosen.is_empty() {
            diags.error(
                "Nothing to import",
                format!(
                    "The tenant has no Windows corporate identifier. Import `{IMPORT_ALL}` (every one) or identity ids separated by commas."
                ),
            );
            return None;
        }
        let identifiers: BTreeMap<String, CorporateIdentity> = chosen
            .iter()
            .map(|i| (i.identifier().to_owned(), i.entry()))
            .collect();
        let mut state = CorporateIdentifierCsvModel {
            id: Attr::Known(uuid::Uuid::new_v4().to_string()),
            content: Attr::Known(content_of(&identifiers)),
            timeouts: Attr::Null,
            ..CorporateIdentifierCsvModel::default()
        };
        state.set_identifiers(Attr::Known(identifiers));
        Some(state)
    }
}
