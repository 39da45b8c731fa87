//! The provider block: attributes, their environment variables, clouds,
//! and the resolved settings the Graph client is built from.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::{Attr, AttrPath, Diagnostics};
use url::Url;

use crate::graph::credentials::{CertificateAssertion, Credential, OidcSource, Secret};

/// Manages Windows Autopilot (deployment profiles, Enrollment Status Pages,
/// device preparation policies, groups, domain join profiles and device
/// registrations) through Microsoft Graph. Every attribute can also be set
/// through the environment variable named in its description; the attribute
/// wins over the variable.
#[derive(Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct ProviderConfig {
    /// The Microsoft Entra tenant id (GUID or domain). Environment: `ARM_TENANT_ID`.
    pub tenant_id: Attr<String>,
    /// The application (client) id of the app registration. Environment: `ARM_CLIENT_ID`.
    pub client_id: Attr<String>,
    /// A client secret of the app registration. Environment: `ARM_CLIENT_SECRET`.
    #[schemars(extend("x-tf" = "optional,sensitive"))]
    pub client_secret: Attr<String>,
    /// Path to a PEM or PKCS#12 client certificate. Environment: `ARM_CLIENT_CERTIFICATE_PATH`.
    pub client_certificate_path: Attr<String>,
    /// Password of the PKCS#12 certificate. Environment: `ARM_CLIENT_CERTIFICATE_PASSWORD`.
    #[schemars(extend("x-tf" = "optional,sensitive"))]
    pub client_certificate_password: Attr<String>,
    /// Authenticate with an OpenID Connect token (workload identity federation). Environment: `ARM_USE_OIDC`.
    pub use_oidc: Attr<bool>,
    /// The OIDC token. Environment: `ARM_OIDC_TOKEN`.
    #[schemars(extend("x-tf" = "optional,sensitive"))]
    pub oidc_token: Attr<String>,
    /// A file holding the OIDC token. Environment: `ARM_OIDC_TOKEN_FILE_PATH`.
    pub oidc_token_file_path: Attr<String>,
    /// Authenticate with a managed identity. Environment: `ARM_USE_MSI`.
    pub use_msi: Attr<bool>,
    /// Authenticate with the Azure CLI's token (delegated). The Azure CLI's own application is not granted Intune's permissions, so its tokens reach the directory but usually not Intune. Environment: `ARM_USE_CLI`.
    pub use_cli: Attr<bool>,
    /// Sign in as a user with the device code flow, through your own public client app registration (`client_id`, with "Allow public client flows" and the delegated Microsoft Graph permissions the resources need, consented). The first run fails with a message naming a page and a code; sign in there, then run the command again. The sign-in is remembered in `token_cache_path`. Takes precedence over the other credentials. Environment: `ARM_USE_DEVICE_CODE`.
    pub use_device_code: Attr<bool>,
    /// Where the device code sign-in keeps its refresh token (a file only its owner can read). Defaults to `$XDG_CACHE_HOME/terraform-provider-autopilot/device-code-<tenant>-<client>.json` (`~/.cache/...` without `XDG_CACHE_HOME`). Environment: `AUTOPILOT_TOKEN_CACHE_PATH`.
    pub token_cache_path: Attr<String>,
    /// The cloud: `public` (default), `usgovernment` (GCC High), `usgovernmentdod` or `china`. Environment: `ARM_ENVIRONMENT`.
    pub environment: Attr<Cloud>,
    /// Overrides the cloud's Graph endpoint, e.g. to point at an autopilot-lab tenant. Plain `http://` only for loopback hosts. Environment: `AUTOPILOT_GRAPH_URL`.
    pub graph_url: Attr<String>,
    /// Overrides the cloud's login endpoint. Plain `http://` only for loopback hosts. Environment: `AUTOPILOT_LOGIN_URL`.
    pub login_url: Attr<String>,
}

/// A Microsoft cloud and its endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Cloud {
    #[default]
    Public,
    Usgovernment,
    Usgovernmentdod,
    China,
}

impl Cloud {
    pub fn graph_url(self) -> &'static str {
        match self {
            Cloud::Public => "https://graph.microsoft.com",
            Cloud::Usgovernment => "https://graph.microsoft.us",
            Cloud::Usgovernmentdod => "https://dod-graph.microsoft.us",
            Cloud::China => "https://microsoftgraph.chinacloudapi.cn",
        }
    }

    pub fn login_url(self) -> &'static str {
        match self {
            Cloud::Public => "https://login.microsoftonline.com",
            Cloud::Usgovernment | Cloud::Usgovernmentdod => "https://login.microsoftonline.us",
            Cloud::China => "https://login.chinacloudapi.cn",
        }
    }

    fn parse(text: &str) -> Option<Cloud> {
        match text.trim().to_ascii_lowercase().as_str() {
            "public" | "global" => Some(Cloud::Public),
            "usgovernment" | "usgovernmentl4" => Some(Cloud::Usgovernment),
            "usgovernmentdod" | "usgovernmentl5" => Some(Cloud::Usgovernmentdod),
            "china" => Some(Cloud::China),
            _ => None,
        }
    }
}

/// Everything the Graph client needs, resolved from attributes and environment.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    pub cloud: Cloud,
    pub tenant_id: String,
    pub client_id: String,
    pub credential: Credential,
    /// Graph root without a version, e.g. `https://graph.microsoft.com`.
    pub graph_url: Url,
    /// Login root, e.g. `https://login.microsoftonline.com`.
    pub login_url: Url,
}

fn string_setting(attr: &Attr<String>, env: &str) -> Option<String> {
    match attr {
        Attr::Known(v) if !v.is_empty() => Some(v.clone()),
        _ => std::env::var(env).ok().filter(|v| !v.is_empty()),
    }
}

/// The workload identity token Terraform Cloud / Terraform Enterprise gives a run phase when
/// the workspace sets `TFC_WORKLOAD_IDENTITY_AUDIENCE[_AUTOPILOT]`: the tagged variable first
/// (a workspace that needs tokens for several audiences tags them), then the untagged one.
fn terraform_cloud_workload_identity_token() -> Option<String> {
    [
        "TFC_WORKLOAD_IDENTITY_TOKEN_AUTOPILOT",
        "TFC_WORKLOAD_IDENTITY_TOKEN",
    ]
    .iter()
    .find_map(|name| {
        std::env::var(name)
            .ok()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    })
}

fn bool_setting(attr: &Attr<bool>, env: &str) -> bool {
    match attr {
        Attr::Known(v) => *v,
        _ => std::env::var(env)
            .is_ok_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes")),
    }
}

impl ProviderConfig {
    fn any_unknown(&self) -> bool {
        self.tenant_id.is_unknown()
            || self.client_id.is_unknown()
            || self.client_secret.is_unknown()
            || self.environment.is_unknown()
            || self.graph_url.is_unknown()
            || self.login_url.is_unknown()
    }

    /// Offline checks of the provider block.
    pub fn validate(&self, diags: &mut Diagnostics) {
        for (name, attr) in [
            ("graph_url", &self.graph_url),
            ("login_url", &self.login_url),
        ] {
            crate::validate::check_known(
                attr,
                check_endpoint,
                AttrPath::root(name),
                format!("Invalid `{name}`"),
                diags,
            );
        }
    }

    /// Picks the credential, in this order: device code sign-in (asked for
    /// explicitly), client certificate, client secret, OIDC token, managed
    /// identity, Azure CLI. Names what is missing when none is complete.
    fn credential(
        &self,
        has_tenant: bool,
        has_client: bool,
        diags: &mut Diagnostics,
    ) -> Option<Credential> {
        let app_ids = AppIds {
            has_tenant,
            has_client,
        };
        if bool_setting(&self.use_device_code, "ARM_USE_DEVICE_CODE") {
            if !app_ids.present(
                diags,
                "device code sign-in (your public client application)",
            ) {
                return None;
            }
            return Some(Credential::DeviceCode {
                cache_path: self.token_cache_path(),
            });
        }
        if let Some(path) =
            string_setting(&self.client_certificate_path, "ARM_CLIENT_CERTIFICATE_PATH")
        {
            return self.certificate_credential(&path, app_ids, diags);
        }
        if let Some(secret) = string_setting(&self.client_secret, "ARM_CLIENT_SECRET") {
            return app_ids
                .present(diags, "client secret")
                .then(|| Credential::ClientSecret(Secret::new(secret)));
        }
        if bool_setting(&self.use_oidc, "ARM_USE_OIDC") {
            let Some(source) = self.oidc_source() else {
                diags.error_at(
                    AttrPath::root("use_oidc"),
                    "No OIDC token",
                    "use_oidc is set but there is no token: set oidc_token (ARM_OIDC_TOKEN), oidc_token_file_path \
                     (ARM_OIDC_TOKEN_FILE_PATH), run in GitHub Actions with `permissions: id-token: write`, or in \
                     Terraform Cloud with TFC_WORKLOAD_IDENTITY_AUDIENCE set on the workspace.",
                );
                return None;
            };
            return app_ids
                .present(diags, "OIDC token")
                .then_some(Credential::Oidc(source));
        }
        if bool_setting(&self.use_msi, "ARM_USE_MSI") {
            return Some(Credential::ManagedIdentity);
        }
        if bool_setting(&self.use_cli, "ARM_USE_CLI") {
            return Some(Credential::AzureCli);
        }
        diags.error(
            "No credentials configured",
            "Configure one of: a client certificate (client_certificate_path / ARM_CLIENT_CERTIFICATE_PATH), \
             a client secret (client_secret / ARM_CLIENT_SECRET), an OIDC token (use_oidc = true with oidc_token, \
             oidc_token_file_path or GitHub Actions), a managed identity (use_msi = true), the Azure CLI \
             (use_cli = true) or a device code sign-in (use_device_code = true). All but the managed identity \
             and the Azure CLI also need tenant_id (ARM_TENANT_ID) and client_id (ARM_CLIENT_ID).",
        );
        None
    }

    /// Where a device code sign-in keeps its tokens: the configured path,
    /// or one per tenant and application.
    fn token_cache_path(&self) -> std::path::PathBuf {
        string_setting(&self.token_cache_path, "AUTOPILOT_TOKEN_CACHE_PATH")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| {
                crate::graph::device_code::default_cache_path(
                    &string_setting(&self.tenant_id, "ARM_TENANT_ID").unwrap_or_default(),
                    &string_setting(&self.client_id, "ARM_CLIENT_ID").unwrap_or_default(),
                )
            })
    }

    /// The client certificate at `path` (with its password, if any).
    fn certificate_credential(
        &self,
        path: &str,
        app_ids: AppIds,
        diags: &mut Diagnostics,
    ) -> Option<Credential> {
        let password = string_setting(
            &self.client_certificate_password,
            "ARM_CLIENT_CERTIFICATE_PASSWORD",
        )
        .map(Secret::new);
        if !app_ids.present(diags, "client certificate") {
            return None;
        }
        match CertificateAssertion::load(path, password.as_ref()) {
            Ok(assertion) => Some(Credential::ClientCertificate(assertion)),
            Err(e) => {
                diags.error_at(
                    AttrPath::root("client_certificate_path"),
                    "Cannot use the client certificate",
                    e.to_string(),
                );
                None
            }
        }
    }

    /// Where the OIDC token comes from, in this order: the token, its
    /// file, Terraform Cloud's workload identity, GitHub Actions.
    fn oidc_source(&self) -> Option<OidcSource> {
        if let Some(token) = string_setting(&self.oidc_token, "ARM_OIDC_TOKEN") {
            Some(OidcSource::Token(Secret::new(token)))
        } else if let Some(path) =
            string_setting(&self.oidc_token_file_path, "ARM_OIDC_TOKEN_FILE_PATH")
        {
            Some(OidcSource::File(path.into()))
        } else if let Some(token) = terraform_cloud_workload_identity_token() {
            Some(OidcSource::Token(Secret::new(token)))
        } else {
            match (
                std::env::var("ACTIONS_ID_TOKEN_REQUEST_URL"),
                std::env::var("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
            ) {
                (Ok(request_url), Ok(token)) if !request_url.is_empty() => {
                    Some(OidcSource::GitHubActions {
                        request_url,
                        request_token: Secret::new(token),
                    })
                }
                _ => None,
            }
        }
    }

    /// Resolves attributes and environment into client settings, or explains
    /// what is missing.
    pub fn resolve(&self, diags: &mut Diagnostics) -> Option<ClientSettings> {
        if self.any_unknown() {
            // Known only after apply: resources that need the client say so.
            return None;
        }
        let cloud = match &self.environment {
            Attr::Known(cloud) => *cloud,
            _ => match std::env::var("ARM_ENVIRONMENT") {
                Ok(text) if !text.is_empty() => match Cloud::parse(&text) {
                    Some(cloud) => cloud,
                    None => {
                        diags.error_at(
                            AttrPath::root("environment"),
                            "Invalid ARM_ENVIRONMENT",
                            format!("{text:?} is not one of: public, usgovernment, usgovernmentdod, china."),
                        );
                        return None;
                    }
                },
                _ => Cloud::Public,
            },
        };
        let tenant_id = string_setting(&self.tenant_id, "ARM_TENANT_ID");
        let client_id = string_setting(&self.client_id, "ARM_CLIENT_ID");
        let credential = self.credential(tenant_id.is_some(), client_id.is_some(), diags);
        let graph_url = endpoint(
            &self.graph_url,
            "AUTOPILOT_GRAPH_URL",
            cloud.graph_url(),
            "graph_url",
            diags,
        );
        let login_url = endpoint(
            &self.login_url,
            "AUTOPILOT_LOGIN_URL",
            cloud.login_url(),
            "login_url",
            diags,
        );
        if diags.has_errors() {
            return None;
        }
        let credential = credential?;
        Some(ClientSettings {
            cloud,
            tenant_id: tenant_id.unwrap_or_default(),
            client_id: client_id.unwrap_or_default(),
            credential,
            graph_url: graph_url?,
            login_url: login_url?,
        })
    }
}

fn endpoint(
    attr: &Attr<String>,
    env: &str,
    default: &str,
    name: &str,
    diags: &mut Diagnostics,
) -> Option<Url> {
    let text = string_setting(attr, env).unwrap_or_else(|| default.to_string());
    match check_endpoint(&text) {
        Ok(url) => Some(url),
        Err(reason) => {
            diags.error_at(
                AttrPath::root(name),
                format!("Invalid `{name}` (or {env})"),
                reason,
            );
            None
        }
    }
}

/// An endpoint must be https, or http on a loopback host.
pub fn check_endpoint(text: &str) -> Result<Url, String> {
    let url = Url::parse(text.trim_end_matches('/'))
        .map_err(|e| format!("{text:?} is not a URL: {e}."))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Domain(d)) => d == "localhost",
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            if loopback {
                Ok(url)
            } else {
                Err(format!(
                    "{text:?} uses plain http; only https is allowed, except for loopback hosts."
                ))
            }
        }
        other => Err(format!("{text:?} has scheme {other:?}; use https.")),
    }
}

/// Whether the tenant and application ids are configured, which every
/// credential but the managed identity and the Azure CLI needs.
#[derive(Debug, Clone, Copy)]
struct AppIds {
    has_tenant: bool,
    has_client: bool,
}

impl AppIds {
    /// Whether both ids are there; an error naming the missing ones when
    /// not, for authenticating with `method`.
    fn present(self, diags: &mut Diagnostics, method: &str) -> bool {
        let mut missing = Vec::new();
        if !self.has_tenant {
            missing.push("tenant_id (ARM_TENANT_ID)");
        }
        if !self.has_client {
            missing.push("client_id (ARM_CLIENT_ID)");
        }
        if !missing.is_empty() {
            diags.error(
                "Incomplete provider credentials",
                format!(
                    "Authenticating with a {method} also needs: {}.",
                    missing.join(", ")
                ),
            );
        }
        missing.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_must_be_https_unless_loopback() {
        assert!(check_endpoint("https://graph.microsoft.com").is_ok());
        assert!(check_endpoint("http://127.0.0.1:8080").is_ok());
        assert!(check_endpoint("http://localhost:1").is_ok());
        assert!(check_endpoint("http://graph.example.com").is_err());
        assert!(check_endpoint("ftp://x").is_err());
    }

    #[test]
    fn the_device_code_sign_in_is_chosen_when_asked_for() {
        let config = ProviderConfig {
            tenant_id: Attr::Known("t".into()),
            client_id: Attr::Known("public-client".into()),
            client_secret: Attr::Known("also set".into()),
            use_device_code: Attr::Known(true),
            token_cache_path: Attr::Known("/tmp/cache.json".into()),
            ..Default::default()
        };
        let mut diags = Diagnostics::new();
        let settings = config.resolve(&mut diags).expect("resolves");
        assert!(
            matches!(&settings.credential, Credential::DeviceCode { cache_path } if cache_path == std::path::Path::new("/tmp/cache.json")),
            "{:?}",
            settings.credential
        );
        assert!(settings.credential.is_delegated());
        let without_client = ProviderConfig {
            client_id: Attr::Known(String::new()),
            ..config
        };
        let mut diags = Diagnostics::new();
        if std::env::var("ARM_CLIENT_ID").is_err() {
            assert!(without_client.resolve(&mut diags).is_none());
            assert!(diags.has_errors());
        }
    }

    #[test]
    fn clouds_have_their_hosts() {
        assert_eq!(
            Cloud::Usgovernment.graph_url(),
            "https://graph.microsoft.us"
        );
        assert_eq!(Cloud::parse("USGovernment"), Some(Cloud::Usgovernment));
        assert_eq!(Cloud::parse("mars"), None);
    }
}
