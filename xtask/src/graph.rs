//! A minimal Microsoft Graph client for the demo's out-of-band changes against the lab.
//!
//! Only what the demo needs: GET, PATCH and a listing with the client's token, and the lab's
//! request log, all through `lab-client` (whose tests cover the HTTP exchanges).

use std::time::Duration;

use anyhow::Result;
use lab_client::{LabClient, Method};
use serde_json::Value;

use crate::lab::LabInfo;

pub(crate) const DOMAIN_JOIN_ODATA_TYPE: &str = "#microsoft.graph.windowsDomainJoinConfiguration";
/// How long one call to the lab may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) struct Graph {
    lab: LabClient,
}

/// A GET's outcome: the object, or "not found".
pub(crate) enum Fetched {
    Found(Value),
    NotFound,
}

impl Graph {
    /// Gets an app-only token from `<login_url>/<tenant_id>/oauth2/v2.0/token`.
    pub(crate) fn connect(lab: &LabInfo) -> Result<Self> {
        let lab = LabClient::new(lab, CALL_TIMEOUT);
        lab.token()?;
        Ok(Self { lab })
    }

    /// `<graph_url><path>`, e.g. `url("/beta/deviceManagement/deviceConfigurations")`.
    pub(crate) fn url(&self, path: &str) -> String {
        self.lab.graph_url(path)
    }

    pub(crate) fn get(&self, url: &str) -> Result<Fetched> {
        let answer = self.lab.graph(Method::GET, url, None)?;
        if answer.status == 404 {
            return Ok(Fetched::NotFound);
        }
        Ok(Fetched::Found(answer.into_success(Method::GET, url)?))
    }

    pub(crate) fn patch(&self, url: &str, body: &Value) -> Result<()> {
        self.lab.graph_ok(Method::PATCH, url, Some(body))?;
        Ok(())
    }

    /// Every object of a collection, following `@odata.nextLink`.
    pub(crate) fn list(&self, url: &str) -> Result<Vec<Value>> {
        Ok(self.lab.graph_list(url)?.0)
    }
}

/// The lab's request log, `GET <graph_url>/_lab/requests` (no token needed).
pub(crate) fn lab_requests(lab: &LabInfo) -> Result<Vec<Value>> {
    Ok(LabClient::new(lab, CALL_TIMEOUT).requests()?)
}
