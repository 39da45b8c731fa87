//! Configuration of one lab instance.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::auth::assertion::FederatedCredential;

/// Tenant id used when none is given. Printed in the ready line.
pub const DEFAULT_TENANT_ID: &str = "7ab1ab00-0000-4000-8000-00000000a001";
/// Client (application) id used when none is given.
pub const DEFAULT_CLIENT_ID: &str = "7ab1ab00-0000-4000-8000-00000000c001";
/// Client secret used when none is given. The lab is for tests and demos only.
pub const DEFAULT_CLIENT_SECRET: &str = "lab~autopilot-lab-client-secret";
/// Access token lifetime (Entra's `expires_in` for app tokens).
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3599);
/// How long an import stays `unknown` by default.
pub const DEFAULT_IMPORT_PROCESSING_MS: u64 = 200;

/// Everything a lab instance needs to start.
#[derive(Debug, Clone)]
pub struct LabConfig {
    /// Address to bind; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Load the tenant from this file at start (when it exists) and save it after every change.
    pub state_file: Option<PathBuf>,
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: String,
    /// Lifetime of issued access tokens.
    pub token_lifetime: Duration,
    /// When set, the default page size of every Graph collection and the cap on `$top`
    /// (otherwise each collection has its own; see README).
    pub page_size: Option<usize>,
    /// Leave the Intune Provisioning Client service principal out of the seeded tenant.
    pub without_provisioning_client: bool,
    /// Application roles granted to the client; `None` grants every role the lab knows.
    pub roles: Option<Vec<String>>,
    /// Throttling (429) on start.
    pub throttling: bool,
    /// Initial `replication_delay_ms` setting.
    pub replication_delay_ms: u64,
    /// Initial `import_processing_ms` setting.
    pub import_processing_ms: u64,
    /// PEM files of certificates registered on the client (certificate credentials).
    pub client_certs: Vec<PathBuf>,
    /// Federated identity credentials on the client.
    pub federated_credentials: Vec<FederatedCredential>,
    /// JWKS file with the signing keys of the federated issuers.
    pub federated_jwks: Option<PathBuf>,
    /// Serve HTTPS with a self-signed certificate.
    pub tls: bool,
    /// Where the TLS certificate (`ca.pem`) is written (default: a new temporary directory).
    pub tls_dir: Option<PathBuf>,
}

impl Default for LabConfig {
    fn default() -> Self {
        LabConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            state_file: None,
            tenant_id: DEFAULT_TENANT_ID.to_owned(),
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            client_secret: DEFAULT_CLIENT_SECRET.to_owned(),
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            page_size: None,
            without_provisioning_client: false,
            roles: None,
            throttling: true,
            replication_delay_ms: 0,
            import_processing_ms: DEFAULT_IMPORT_PROCESSING_MS,
            client_certs: Vec::new(),
            federated_credentials: Vec::new(),
            federated_jwks: None,
            tls: false,
            tls_dir: None,
        }
    }
}
