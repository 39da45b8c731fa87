//! The login side: the OAuth2 token endpoint (client credentials) and the bearer check in front
//! of Graph.
//!
//! * [`token_endpoint`] parses the form and answers like Entra's v2.0 token endpoint.
//! * [`credential`] authenticates the client: `client_secret`, or a `client_assertion` checked by
//!   [`assertion`] (a certificate-signed JWT or a federated token).
//! * [`tokens`] remembers the access tokens issued, with audience and expiry.
//! * [`bearer`] is the middleware that guards every Graph path.
//! * [`entra_error`] is Entra's error body (`error`, `error_description`, `error_codes`, ...).

pub mod assertion;
pub mod bearer;
pub mod credential;
pub mod device_code;
pub mod discovery;
pub mod entra_error;
pub mod token_endpoint;
pub mod tokens;

/// Audiences (resource identifiers) whose tokens Graph accepts, in addition to the lab's own
/// `graph_url`.
pub const GRAPH_AUDIENCES: &[&str] = &[
    "https://graph.microsoft.com",
    "00000003-0000-0000-c000-000000000000",
    "https://graph.microsoft.us",
    "https://dod-graph.microsoft.us",
    "https://microsoftgraph.chinacloudapi.cn",
];

/// Application permissions (roles) granted by default, written into every token. `--roles`
/// narrows them; each Graph area checks its own (see [`crate::graph::permissions`]).
pub const GRANTED_ROLES: &[&str] = &[
    "DeviceManagementConfiguration.ReadWrite.All",
    "DeviceManagementServiceConfig.ReadWrite.All",
    "DeviceManagementApps.ReadWrite.All",
    "DeviceManagementScripts.ReadWrite.All",
    "DeviceManagementManagedDevices.ReadWrite.All",
    "DeviceManagementRBAC.ReadWrite.All",
    "Group.ReadWrite.All",
    "GroupMember.ReadWrite.All",
    "Application.ReadWrite.All",
    "User.Read.All",
    "Directory.Read.All",
    "Device.ReadWrite.All",
];

/// Every role name the lab recognises in `--roles` (the granted ones plus narrower variants).
pub const KNOWN_ROLES: &[&str] = &[
    "DeviceManagementConfiguration.Read.All",
    "DeviceManagementConfiguration.ReadWrite.All",
    "DeviceManagementServiceConfig.Read.All",
    "DeviceManagementServiceConfig.ReadWrite.All",
    "DeviceManagementApps.Read.All",
    "DeviceManagementApps.ReadWrite.All",
    "DeviceManagementScripts.Read.All",
    "DeviceManagementScripts.ReadWrite.All",
    "DeviceManagementManagedDevices.Read.All",
    "DeviceManagementManagedDevices.ReadWrite.All",
    "DeviceManagementRBAC.Read.All",
    "DeviceManagementRBAC.ReadWrite.All",
    "Device.Read.All",
    "Device.ReadWrite.All",
    "Group.Create",
    "Group.Read.All",
    "Group.ReadWrite.All",
    "GroupMember.Read.All",
    "GroupMember.ReadWrite.All",
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Application.ReadWrite.OwnedBy",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "User.Read.All",
    "User.ReadWrite.All",
    "Organization.Read.All",
];
