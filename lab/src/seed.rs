//! What a fresh tenant holds: the default ESP, the service principals every tenant has, a few
//! users, apps and scripts that policies can reference, and the Autopilot settings singleton.
//! Every seeded object has a fixed id (listed in README) so tests and demos can rely on it.

use serde_json::{Value, json};

use crate::config::LabConfig;
use crate::store::Tenant;

/// Tenant domain of the seeded users.
pub const TENANT_DOMAIN: &str = "autopilotlab.onmicrosoft.com";

/// App id of the Intune Provisioning Client (device preparation's first-party app).
pub const PROVISIONING_CLIENT_APP_ID: &str = "f1346770-5b25-470b-88bd-d5744ab7952c";
/// Object id of its seeded service principal.
pub const PROVISIONING_CLIENT_SP_ID: &str = "7ab1ab00-0000-4000-8000-00000000e003";
/// Object id of the lab client's own service principal.
pub const LAB_CLIENT_SP_ID: &str = "7ab1ab00-0000-4000-8000-00000000e001";
/// Object id of the Microsoft Graph service principal.
pub const GRAPH_SP_ID: &str = "7ab1ab00-0000-4000-8000-00000000e002";
/// Object id of the Microsoft Intune service principal.
pub const INTUNE_SP_ID: &str = "7ab1ab00-0000-4000-8000-00000000e004";
/// Id of the `windowsAutopilotSettings` singleton.
pub const AUTOPILOT_SETTINGS_ID: &str = "7ab1ab00-0000-4000-8000-00000000d001";

/// First-party applications the directory knows, so `POST /servicePrincipals {"appId"}` can
/// create their service principals: (app id, display name, seeded object id).
pub const FIRST_PARTY_APPS: &[(&str, &str, &str)] = &[
    (
        PROVISIONING_CLIENT_APP_ID,
        "Intune Provisioning Client",
        PROVISIONING_CLIENT_SP_ID,
    ),
    (
        "00000003-0000-0000-c000-000000000000",
        "Microsoft Graph",
        GRAPH_SP_ID,
    ),
    (
        "0000000a-0000-0000-c000-000000000000",
        "Microsoft Intune",
        INTUNE_SP_ID,
    ),
];

/// Seeded users: (id, userPrincipalName local part, display name, given name, surname).
pub const USERS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "7ab1ab00-0000-4000-8000-0000000b0001",
        "adele.vance",
        "Adele Vance",
        "Adele",
        "Vance",
    ),
    (
        "7ab1ab00-0000-4000-8000-0000000b0002",
        "alex.wilber",
        "Alex Wilber",
        "Alex",
        "Wilber",
    ),
    (
        "7ab1ab00-0000-4000-8000-0000000b0003",
        "megan.bowen",
        "Megan Bowen",
        "Megan",
        "Bowen",
    ),
];

/// Seeded mobile apps: (id, @odata.type, display name, publisher).
pub const MOBILE_APPS: &[(&str, &str, &str, &str)] = &[
    (
        "7ab1ab00-0000-4000-8000-0000000a0001",
        "#microsoft.graph.win32LobApp",
        "Contoso VPN Client",
        "Contoso",
    ),
    (
        "7ab1ab00-0000-4000-8000-0000000a0002",
        "#microsoft.graph.win32LobApp",
        "7-Zip",
        "Igor Pavlov",
    ),
    (
        "7ab1ab00-0000-4000-8000-0000000a0003",
        "#microsoft.graph.windowsMobileMSI",
        "Contoso Agent (MSI)",
        "Contoso",
    ),
    (
        "7ab1ab00-0000-4000-8000-0000000a0004",
        "#microsoft.graph.winGetApp",
        "Company Portal",
        "Microsoft Corporation",
    ),
    (
        "7ab1ab00-0000-4000-8000-0000000a0005",
        "#microsoft.graph.officeSuiteApp",
        "Microsoft 365 Apps for Windows 10 and later",
        "Microsoft",
    ),
];

/// Seeded PowerShell scripts: (id, display name, file name).
pub const SCRIPTS: &[(&str, &str, &str)] = &[
    (
        "7ab1ab00-0000-4000-8000-0000000c0001",
        "Set time zone",
        "Set-TimeZone.ps1",
    ),
    (
        "7ab1ab00-0000-4000-8000-0000000c0002",
        "Rename local administrator",
        "Rename-LocalAdmin.ps1",
    ),
    (
        "7ab1ab00-0000-4000-8000-0000000c0003",
        "Install language pack",
        "Install-LanguagePack.ps1",
    ),
];

/// Timestamp of seeded objects.
pub const SEED_TIME: &str = "2025-01-01T00:00:00Z";

/// Id of the default ESP of a tenant.
pub fn default_esp_id(tenant_id: &str) -> String {
    format!("{tenant_id}_DefaultWindows10EnrollmentCompletionPageConfiguration")
}

/// A service principal in the shape Graph returns (the properties the lab keeps).
pub fn service_principal(id: &str, app_id: &str, display_name: &str, owner_tenant: &str) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.servicePrincipal",
        "id": id,
        "deletedDateTime": null,
        "accountEnabled": true,
        "alternativeNames": [],
        "appDisplayName": display_name,
        "appDescription": null,
        "appId": app_id,
        "applicationTemplateId": null,
        "appOwnerOrganizationId": owner_tenant,
        "appRoleAssignmentRequired": false,
        "description": null,
        "displayName": display_name,
        "homepage": null,
        "loginUrl": null,
        "logoutUrl": null,
        "notes": null,
        "notificationEmailAddresses": [],
        "preferredSingleSignOnMode": null,
        "replyUrls": [],
        "servicePrincipalNames": [app_id],
        "servicePrincipalType": "Application",
        "signInAudience": "AzureADMultipleOrgs",
        "tags": [],
        "addIns": [],
        "appRoles": [],
        "keyCredentials": [],
        "passwordCredentials": [],
    })
}

/// Microsoft's own tenant, owner of first-party apps.
pub const MICROSOFT_TENANT_ID: &str = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";

/// The tenant a new lab starts with.
pub fn seeded_tenant(config: &LabConfig) -> Tenant {
    let mut tenant = Tenant::default();
    seed_default_esp(&mut tenant, config);
    seed_service_principals(&mut tenant, config);
    seed_users(&mut tenant);
    seed_catalog(&mut tenant);
    seed_autopilot_settings(&mut tenant);
    let default_tag = crate::graph::role_scope_tags::default_tag();
    tenant.role_scope_tags.insert(
        crate::graph::role_scope_tags::DEFAULT_TAG_ID.to_owned(),
        default_tag,
    );
    tenant
}

/// The tenant's default Enrollment Status Page, as every tenant has one.
fn seed_default_esp(tenant: &mut Tenant, config: &LabConfig) {
    let esp_id = default_esp_id(&config.tenant_id);
    tenant.device_enrollment_configurations.insert(
        esp_id.clone(),
        json!({
            "@odata.type": "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration",
            "id": esp_id,
            "displayName": "All users and all devices",
            "description": "This is the default enrollment status screen configuration applied with the lowest priority to all users and all devices regardless of group membership.",
            "priority": 0,
            "createdDateTime": "0001-01-01T00:00:00Z",
            "lastModifiedDateTime": SEED_TIME,
            "version": 0,
            "roleScopeTagIds": [],
            "deviceEnrollmentConfigurationType": "windows10EnrollmentCompletionPageConfiguration",
            "showInstallationProgress": false,
            "blockDeviceSetupRetryByUser": true,
            "allowDeviceResetOnInstallFailure": false,
            "allowLogCollectionOnInstallFailure": false,
            "customErrorMessage": "",
            "installProgressTimeoutInMinutes": 0,
            "allowDeviceUseOnInstallFailure": false,
            "selectedMobileAppIds": [],
            "allowNonBlockingAppInstallation": false,
            "installQualityUpdates": false,
            "trackInstallProgressForAutopilotOnly": false,
            "disableUserStatusTrackingAfterFirstUser": false,
        }),
    );
}

/// The lab client's own service principal and Microsoft's first-party apps.
fn seed_service_principals(tenant: &mut Tenant, config: &LabConfig) {
    let lab_sp = service_principal(
        LAB_CLIENT_SP_ID,
        &config.client_id,
        "autopilot-lab client",
        &config.tenant_id,
    );
    tenant
        .service_principals
        .insert(LAB_CLIENT_SP_ID.to_owned(), lab_sp);
    for (app_id, name, id) in FIRST_PARTY_APPS {
        if *app_id == PROVISIONING_CLIENT_APP_ID && config.without_provisioning_client {
            continue;
        }
        tenant.service_principals.insert(
            (*id).to_owned(),
            service_principal(id, app_id, name, MICROSOFT_TENANT_ID),
        );
    }
}

/// The seeded users.
fn seed_users(tenant: &mut Tenant) {
    for (id, local, name, given, surname) in USERS {
        let upn = format!("{local}@{TENANT_DOMAIN}");
        tenant.users.insert(
            (*id).to_owned(),
            json!({
                "@odata.type": "#microsoft.graph.user",
                "id": id,
                "businessPhones": [],
                "displayName": name,
                "givenName": given,
                "jobTitle": null,
                "mail": upn,
                "mobilePhone": null,
                "officeLocation": null,
                "preferredLanguage": "en-US",
                "surname": surname,
                "userPrincipalName": upn,
            }),
        );
    }
}

/// The mobile apps and device management scripts a device preparation policy can name.
fn seed_catalog(tenant: &mut Tenant) {
    for (id, odata_type, name, publisher) in MOBILE_APPS {
        tenant.mobile_apps.insert(
            (*id).to_owned(),
            mobile_app(id, odata_type, name, publisher),
        );
    }

    for (id, name, file) in SCRIPTS {
        tenant.device_management_scripts.insert(
            (*id).to_owned(),
            json!({
                "id": id,
                "displayName": name,
                "description": "",
                "scriptContent": null,
                "createdDateTime": SEED_TIME,
                "lastModifiedDateTime": SEED_TIME,
                "runAsAccount": "system",
                "enforceSignatureCheck": false,
                "fileName": file,
                "roleScopeTagIds": ["0"],
                "runAs32Bit": false,
            }),
        );
    }
}

/// The `windowsAutopilotSettings` singleton, never synced.
fn seed_autopilot_settings(tenant: &mut Tenant) {
    tenant.windows_autopilot_settings.insert(
        AUTOPILOT_SETTINGS_ID.to_owned(),
        json!({
            "@odata.type": "#microsoft.graph.windowsAutopilotSettings",
            "id": AUTOPILOT_SETTINGS_ID,
            "lastSyncDateTime": "0001-01-01T00:00:00Z",
            "lastManualSyncTriggerDateTime": "0001-01-01T00:00:00Z",
            "syncStatus": "unknown",
        }),
    );
}

/// A mobile app of the catalog as Intune returns it (`POST /_lab/mobile_apps` adds more).
pub fn mobile_app(id: &str, odata_type: &str, name: &str, publisher: &str) -> Value {
    let mut app = json!({
        "@odata.type": odata_type,
        "id": id,
        "displayName": name,
        "description": format!("{name} (seeded by autopilot-lab)"),
        "publisher": publisher,
        "largeIcon": null,
        "createdDateTime": SEED_TIME,
        "lastModifiedDateTime": SEED_TIME,
        "isFeatured": false,
        "privacyInformationUrl": null,
        "informationUrl": null,
        "owner": "",
        "developer": "",
        "notes": "",
        "uploadState": 1,
        "publishingState": "published",
        "isAssigned": false,
        "roleScopeTagIds": ["0"],
        "dependentAppCount": 0,
        "supersedingAppCount": 0,
        "supersededAppCount": 0,
    });
    if let Some(map) = app.as_object_mut() {
        match odata_type {
            "#microsoft.graph.win32LobApp" => {
                map.insert("fileName".into(), json!(format!("{name}.intunewin")));
                map.insert("setupFilePath".into(), json!("setup.exe"));
                map.insert("installCommandLine".into(), json!("setup.exe /quiet"));
                map.insert(
                    "uninstallCommandLine".into(),
                    json!("setup.exe /uninstall /quiet"),
                );
            }
            "#microsoft.graph.windowsMobileMSI" => {
                map.insert("fileName".into(), json!("ContosoAgent.msi"));
                map.insert(
                    "productCode".into(),
                    json!("{6F1B5B3E-7C55-4A7E-9A51-2A4C1A4B0C11}"),
                );
                map.insert("productVersion".into(), json!("1.0.0"));
            }
            "#microsoft.graph.winGetApp" => {
                map.insert("packageIdentifier".into(), json!("9WZDNCRFJ3PZ"));
            }
            _ => {}
        }
    }
    app
}
