//! State shared by every handler of one lab instance.

use std::sync::Arc;

use crate::auth::tokens::TokenStore;
use crate::clock::Clock;
use crate::config::LabConfig;
use crate::request_log::RequestLog;
use crate::store::Store;

/// One emulated tenant and everything around it.
#[derive(Debug)]
pub struct App {
    pub config: LabConfig,
    /// `http://127.0.0.1:PORT`, no trailing slash; base of `@odata.context` and `@odata.nextLink`.
    pub graph_url: String,
    pub store: Store,
    pub tokens: TokenStore,
    pub log: RequestLog,
    pub clock: Clock,
}

pub type SharedApp = Arc<App>;
