//! Data source `autopilot_provisioning_client`: the Intune Provisioning
//! Client service principal, which must own every device preparation
//! device group. Also the lookup and creation `autopilot_group` uses.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::{Attr, DataSource, Diagnostics};

use crate::graph::consistency::{Seen, is_conflict};
use crate::graph::{ApiVersion, GraphClient, GraphError};
use crate::resources::report;

/// The application id of the Intune Provisioning Client (also shown as
/// "Intune Autopilot ConfidentialClient").
pub const APP_ID: &str = "f1346770-5b25-470b-88bd-d5744ab7952c";

pub(crate) const COLLECTION: &str = "servicePrincipals";

/// The Intune Provisioning Client service principal of the tenant
/// (application id `f1346770-5b25-470b-88bd-d5744ab7952c`). Windows
/// Autopilot device preparation requires it to own the device group. This
/// data source only reads: it fails when the service principal is missing
/// (an `autopilot_group` with `provisioning_client_owner = true` creates it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(extend("x-tf-fields" = "computed"))]
pub struct ProvisioningClientModel {
    /// The service principal's object id (what a group's owners list holds).
    pub id: Attr<String>,
    /// The application id, `f1346770-5b25-470b-88bd-d5744ab7952c`.
    pub app_id: Attr<String>,
    /// The display name, e.g. `Intune Provisioning Client` or `Intune Autopilot ConfidentialClient`.
    pub display_name: Attr<String>,
}

/// A service principal as Graph returns it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ServicePrincipal {
    pub id: String,
    #[serde(default)]
    pub app_id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// Creates the Intune Provisioning Client's service principal in the tenant.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NewServicePrincipal<'a> {
    #[schemars(extend("const" = APP_ID))]
    app_id: &'a str,
}

fn lookup_path() -> String {
    format!("{COLLECTION}?$filter=appId eq '{APP_ID}'&$select=id,appId,displayName")
}

/// The tenant's Intune Provisioning Client service principal, if any.
pub async fn find(client: &GraphClient) -> Result<Option<ServicePrincipal>, GraphError> {
    let found: Vec<ServicePrincipal> = client.list(ApiVersion::V1, &lookup_path()).await?;
    Ok(found.into_iter().next())
}

/// The service principal, created first when the tenant lacks it (a 409
/// means someone else created it meanwhile). Returns it and whether this
/// call created it.
pub async fn ensure(client: &GraphClient) -> Result<(ServicePrincipal, bool), GraphError> {
    if let Some(found) = find(client).await? {
        return Ok((found, false));
    }
    tracing::info!(
        app_id = APP_ID,
        "creating the Intune Provisioning Client service principal"
    );
    match client
        .post_idempotent::<_, ServicePrincipal>(
            ApiVersion::V1,
            COLLECTION,
            &NewServicePrincipal { app_id: APP_ID },
        )
        .await
    {
        Ok(created) => Ok((created, true)),
        Err(e) if is_conflict(&e) => {
            // It exists, but maybe not yet where this read lands.
            let found = client
                .until_replicated("the Intune Provisioning Client", || async {
                    match find(client).await {
                        Ok(Some(sp)) => Seen::Done(Ok(sp)),
                        Ok(None) => Seen::NotYet(Err(e_missing())),
                        Err(e) => Seen::Done(Err(e)),
                    }
                })
                .await?;
            Ok((found, false))
        }
        Err(e) => Err(e),
    }
}

fn e_missing() -> GraphError {
    GraphError::Decode {
        path: lookup_path(),
        reason: "the service principal was reported to exist (409) but cannot be found".into(),
    }
}

/// Explains what to do when the service principal is missing.
pub const MISSING_DETAIL: &str = "The tenant has no service principal for the Intune Provisioning Client \
     (application id f1346770-5b25-470b-88bd-d5744ab7952c). Device preparation needs it as the owner of \
     the device group. Create it by setting `provisioning_client_owner = true` on an `autopilot_group`, \
     or with `New-MgServicePrincipal -AppId f1346770-5b25-470b-88bd-d5744ab7952c`.";

pub struct ProvisioningClientData;

#[async_trait]
impl DataSource<GraphClient> for ProvisioningClientData {
    type Model = ProvisioningClientModel;
    const TYPE_NAME: &'static str = "autopilot_provisioning_client";

    async fn read(
        &self,
        client: &GraphClient,
        _config: ProvisioningClientModel,
        diags: &mut Diagnostics,
    ) -> Option<ProvisioningClientModel> {
        match find(client).await {
            Ok(Some(sp)) => Some(ProvisioningClientModel {
                id: Attr::Known(sp.id),
                app_id: Attr::Known(sp.app_id.unwrap_or_else(|| APP_ID.to_string())),
                display_name: Attr::Known(sp.display_name.unwrap_or_default()),
            }),
            Ok(None) => {
                diags.error(
                    "The Intune Provisioning Client service principal is missing",
                    MISSING_DETAIL,
                );
                None
            }
            Err(e) => {
                report(
                    diags,
                    "read the Intune Provisioning Client service principal",
                    &e,
                );
                None
            }
        }
    }
}

/// The body the data source sends: it creates the provisioning client's
/// service principal in a tenant that lacks it.
pub fn payloads() -> Vec<crate::payloads::Payload> {
    let path = crate::payloads::path(crate::graph::ApiVersion::V1, COLLECTION);
    let purpose = "autopilot_group with provisioning_client_owner, in a tenant without the Intune Provisioning Client";
    vec![
        crate::payloads::Payload::of::<NewServicePrincipal<'static>>(
            "provisioning-client-create",
            "POST",
            path,
            purpose,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_is_all_computed() {
        let schema = tfplugin::Schema::of::<ProvisioningClientModel>(0).expect("schema");
        let names: Vec<&str> = schema
            .block
            .attributes
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(names, ["id", "app_id", "display_name"]);
        assert!(
            schema
                .block
                .attributes
                .iter()
                .all(|a| a.computed && !a.optional)
        );
    }

    #[test]
    fn lookup_filters_on_the_app_id() {
        assert_eq!(
            lookup_path(),
            "servicePrincipals?$filter=appId eq 'f1346770-5b25-470b-88bd-d5744ab7952c'&$select=id,appId,displayName"
        );
    }
}
