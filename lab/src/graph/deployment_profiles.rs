//! `/deviceManagement/windowsAutopilotDeploymentProfiles` (beta only): Entra join
//! (`azureADWindowsAutopilotDeploymentProfile`) and hybrid join
//! (`activeDirectoryWindowsAutopilotDeploymentProfile`) profiles, their group assignments (one
//! POST or DELETE per assignment), `assign` (devices) and `assignedDevices`.

use axum::response::Response;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::assignments::{self, SOURCE_DIRECT, SOURCE_KIND};
use super::collection::{self, IntuneBackend, Listing, Paging, PatchType, Shape};
use super::schema::{self, ENTITY, Kind, Property, StructuredType};
use super::{GraphRequest, no_content, profile_rules};
use crate::app::App;
use crate::clock::graph_timestamp;
use crate::errors::GraphError;
use crate::store::{Collection, Tenant};

/// Path of the collection under the version prefix.
pub const COLLECTION_PATH: &str = "deviceManagement/windowsAutopilotDeploymentProfiles";

/// At most this many profiles per tenant (Autopilot documentation).
pub const MAX_PROFILES: usize = 350;

pub const DEVICE_TYPE: Kind = Kind::Enum(
    "windowsAutopilotDeviceType",
    &[
        "windowsPc",
        "holoLens",
        "surfaceHub2",
        "surfaceHub2S",
        "virtualMachine",
        "unknownFutureValue",
    ],
);
const DEVICE_USAGE_TYPE: Kind = Kind::Enum(
    "windowsDeviceUsageType",
    &["singleUser", "shared", "unknownFutureValue"],
);
const USER_TYPE: Kind = Kind::Enum(
    "windowsUserType",
    &["administrator", "standard", "unknownFutureValue"],
);

/// `outOfBoxExperienceSetting` (current names).
pub static OOBE_SETTING: StructuredType = StructuredType {
    name: "outOfBoxExperienceSetting",
    base: None,
    is_abstract: false,
    properties: &[
        Property::new("deviceUsageType", DEVICE_USAGE_TYPE, false),
        Property::new("escapeLinkHidden", Kind::Boolean, false),
        Property::new("eulaHidden", Kind::Boolean, false),
        Property::new("keyboardSelectionPageSkipped", Kind::Boolean, false),
        Property::new("privacySettingsHidden", Kind::Boolean, false),
        Property::new("userType", USER_TYPE, false),
    ],
    navigations: &[],
};

/// `outOfBoxExperienceSettings` (deprecated names, beta only).
pub static OOBE_SETTINGS: StructuredType = StructuredType {
    name: "outOfBoxExperienceSettings",
    base: None,
    is_abstract: false,
    properties: &[
        Property::new("deviceUsageType", DEVICE_USAGE_TYPE, false),
        Property::new("hideEscapeLink", Kind::Boolean, false),
        Property::new("hideEULA", Kind::Boolean, false),
        Property::new("hidePrivacySettings", Kind::Boolean, false),
        Property::new("skipKeyboardSelectionPage", Kind::Boolean, false),
        Property::new("userType", USER_TYPE, false),
    ],
    navigations: &[],
};

/// Pairs of (current, deprecated) OOBE property names, mirrored into each other.
const OOBE_MIRROR: &[(&str, &str)] = &[
    ("deviceUsageType", "deviceUsageType"),
    ("escapeLinkHidden", "hideEscapeLink"),
    ("eulaHidden", "hideEULA"),
    ("keyboardSelectionPageSkipped", "skipKeyboardSelectionPage"),
    ("privacySettingsHidden", "hidePrivacySettings"),
    ("userType", "userType"),
];

/// `windowsEnrollmentStatusScreenSettings` (profile-embedded ESP settings, beta only).
pub static ENROLLMENT_STATUS_SCREEN_SETTINGS: StructuredType = StructuredType {
    name: "windowsEnrollmentStatusScreenSettings",
    base: None,
    is_abstract: false,
    properties: &[
        Property::new(
            "allowDeviceUseBeforeProfileAndAppInstallComplete",
            Kind::Boolean,
            false,
        ),
        Property::new("allowDeviceUseOnInstallFailure", Kind::Boolean, false),
        Property::new("allowLogCollectionOnInstallFailure", Kind::Boolean, false),
        Property::new("blockDeviceSetupRetryByUser", Kind::Boolean, false),
        Property::new("customErrorMessage", Kind::String, true),
        Property::new("hideInstallationProgress", Kind::Boolean, false),
        Property::new("installProgressTimeoutInMinutes", Kind::Int32, true),
    ],
    navigations: &[],
};

pub static DEPLOYMENT_PROFILE: StructuredType = StructuredType {
    name: "windowsAutopilotDeploymentProfile",
    base: Some(&ENTITY),
    is_abstract: true,
    properties: &[
        Property::read_only("createdDateTime", Kind::DateTimeOffset, false),
        Property::new("description", Kind::String, true),
        Property::new("deviceNameTemplate", Kind::String, true),
        Property::new("deviceType", DEVICE_TYPE, false),
        Property::new("displayName", Kind::String, true),
        Property::new("enableWhiteGlove", Kind::Boolean, false).beta(),
        Property::new(
            "enrollmentStatusScreenSettings",
            Kind::Object(&ENROLLMENT_STATUS_SCREEN_SETTINGS),
            true,
        )
        .beta(),
        Property::new("extractHardwareHash", Kind::Boolean, false).beta(),
        Property::new("hardwareHashExtractionEnabled", Kind::Boolean, true),
        Property::new("language", Kind::String, true).beta(),
        Property::read_only("lastModifiedDateTime", Kind::DateTimeOffset, false),
        Property::new("locale", Kind::String, true),
        Property::new("managementServiceAppId", Kind::String, true),
        Property::new(
            "outOfBoxExperienceSetting",
            Kind::Object(&OOBE_SETTING),
            true,
        ),
        Property::new(
            "outOfBoxExperienceSettings",
            Kind::Object(&OOBE_SETTINGS),
            true,
        )
        .beta(),
        Property::new("preprovisioningAllowed", Kind::Boolean, true),
        Property::new("roleScopeTagIds", Kind::StringCollection, true),
    ],
    navigations: &["assignedDevices", "assignments"],
};

pub static AZURE_AD_PROFILE: StructuredType = StructuredType {
    name: "azureADWindowsAutopilotDeploymentProfile",
    base: Some(&DEPLOYMENT_PROFILE),
    is_abstract: false,
    properties: &[],
    navigations: &[],
};

pub static ACTIVE_DIRECTORY_PROFILE: StructuredType = StructuredType {
    name: "activeDirectoryWindowsAutopilotDeploymentProfile",
    base: Some(&DEPLOYMENT_PROFILE),
    is_abstract: false,
    properties: &[Property::new(
        "hybridAzureADJoinSkipConnectivityCheck",
        Kind::Boolean,
        false,
    )],
    navigations: &["domainJoinConfiguration"],
};

pub static PROFILE_ASSIGNMENT: StructuredType = StructuredType {
    name: "windowsAutopilotDeploymentProfileAssignment",
    base: Some(&ENTITY),
    is_abstract: false,
    properties: &[
        Property::read_only("source", SOURCE_KIND, false).beta(),
        Property::read_only("sourceId", Kind::String, true).beta(),
        Property::new(
            "target",
            Kind::Complex("deviceAndAppManagementAssignmentTarget"),
            true,
        )
        .beta(),
    ],
    navigations: &[],
};

/// The derived types (beta only; the collection itself is beta only).
pub static DERIVED: &[&StructuredType] = &[&AZURE_AD_PROFILE, &ACTIVE_DIRECTORY_PROFILE];

/// Target types a profile can be assigned to (profiles target devices, not users).
const SUPPORTED_TARGETS: &[&StructuredType] = &[
    &assignments::GROUP_TARGET,
    &assignments::EXCLUSION_GROUP_TARGET,
    &assignments::ALL_DEVICES_TARGET,
];

/// Longest `displayName` and `description` (Graph's property descriptions).
const MAX_DISPLAY_NAME: usize = 200;
const MAX_DESCRIPTION: usize = 1500;

/// The Intune backend behind the collection, named in wrapped errors.
static INTUNE: IntuneBackend = IntuneBackend {
    path: "DeviceEnrollmentFE/StatelessDeviceEnrollmentFEService/deviceManagement/windowsAutopilotDeploymentProfiles",
};

fn profiles(tenant: &Tenant) -> &Collection {
    &tenant.windows_autopilot_deployment_profiles
}

fn profile_assignments(tenant: &Tenant) -> &Collection {
    &tenant.windows_autopilot_deployment_profile_assignments
}

/// The `assignments` navigation of a profile.
static ASSIGNMENTS: assignments::Navigation = assignments::Navigation {
    collection_path: COLLECTION_PATH,
    paging: &PAGING,
    assignment_type: &PROFILE_ASSIGNMENT,
    targets: SUPPORTED_TARGETS,
    parents: profiles,
    assignments: profile_assignments,
    backend: &INTUNE,
};

/// Routes the segments after `windowsAutopilotDeploymentProfiles`.
pub fn route(app: &App, request: &GraphRequest, rest: &[String]) -> Result<Response, GraphError> {
    let method = &request.method;
    let is = |segment: &String, name: &str| {
        segment.eq_ignore_ascii_case(name)
            || segment.eq_ignore_ascii_case(&format!("microsoft.graph.{name}"))
    };
    match rest {
        [] => by_method!(method,
            GET => list(app, request),
            POST => create(app, request),
        ),
        [id] => by_method!(method,
            GET => get(app, request, id),
            PATCH => update(app, request, id),
            DELETE => delete(app, id),
        ),
        [id, action] if is(action, "assign") => by_method!(method,
            POST => assign_devices(app, request, id),
        ),
        [id, nav] if nav.eq_ignore_ascii_case("assignments") => by_method!(method,
            GET => ASSIGNMENTS.list(app, request, id),
            POST => create_assignment(app, request, id),
        ),
        [id, nav, assignment_id] if nav.eq_ignore_ascii_case("assignments") => by_method!(method,
            GET => ASSIGNMENTS.get(app, request, id, assignment_id),
            DELETE => delete_assignment(app, id, assignment_id),
        ),
        [id, nav] if nav.eq_ignore_ascii_case("assignedDevices") => by_method!(method,
            GET => list_assigned_devices(app, request, id),
        ),
        [_, nav, _, extra, ..] if nav.eq_ignore_ascii_case("assignments") => {
            Err(GraphError::segment_not_found(extra))
        }
        [_, other, ..] => Err(GraphError::segment_not_found(other)),
    }
}

fn render(
    app: &App,
    request: &GraphRequest,
    tenant: &Tenant,
    object: &Value,
    shape: &Shape,
) -> Value {
    let mut out = object.clone();
    if shape.expands("assignments") {
        ASSIGNMENTS.expand_into(app, request, tenant, &mut out);
    }
    out
}

/// Page size of the listing: Intune clamps `$top` to the maximum.
pub static PAGING: Paging = Paging::new("windowsAutopilotDeploymentProfiles", 1000, 1000);

/// How the collection is listed and read.
fn listing() -> Listing<'static> {
    Listing {
        derived: DERIVED,
        expandable: &["assignments"],
        ..Listing::plain(&PAGING, COLLECTION_PATH.to_owned(), &DEPLOYMENT_PROFILE)
    }
}

fn list(app: &App, request: &GraphRequest) -> Result<Response, GraphError> {
    collection::list(
        app,
        request,
        &listing(),
        profiles,
        |_, _| true,
        |tenant, object, shape| render(app, request, tenant, object, shape),
    )
}

fn get(app: &App, request: &GraphRequest, id: &str) -> Result<Response, GraphError> {
    listing().get(
        app,
        request,
        profiles,
        id,
        || INTUNE.not_found(id),
        |tenant, object, shape| render(app, request, tenant, object, shape),
    )
}

/// Fills the deprecated OOBE block from the current one, or the other way round.
fn mirror_oobe(given: &mut Map<String, Value>) {
    let current = given
        .get("outOfBoxExperienceSetting")
        .filter(|v| v.is_object())
        .cloned();
    let legacy = given
        .get("outOfBoxExperienceSettings")
        .filter(|v| v.is_object())
        .cloned();
    match (current, legacy) {
        (Some(current), _) => {
            let complete = schema::complete(
                &OOBE_SETTING,
                current.as_object().unwrap_or(&Map::new()),
                super::ApiVersion::Beta,
            );
            let mut legacy = Map::new();
            for (new_name, old_name) in OOBE_MIRROR {
                legacy.insert(
                    (*old_name).to_owned(),
                    complete.get(*new_name).cloned().unwrap_or(Value::Null),
                );
            }
            given.insert(
                "outOfBoxExperienceSettings".into(),
                schema::complete(&OOBE_SETTINGS, &legacy, super::ApiVersion::Beta),
            );
            given.insert("outOfBoxExperienceSetting".into(), complete);
        }
        (None, Some(legacy)) => {
            let complete = schema::complete(
                &OOBE_SETTINGS,
                legacy.as_object().unwrap_or(&Map::new()),
                super::ApiVersion::Beta,
            );
            let mut current = Map::new();
            for (new_name, old_name) in OOBE_MIRROR {
                current.insert(
                    (*new_name).to_owned(),
                    complete.get(*old_name).cloned().unwrap_or(Value::Null),
                );
            }
            given.insert(
                "outOfBoxExperienceSetting".into(),
                schema::complete(&OOBE_SETTING, &current, super::ApiVersion::Beta),
            );
            given.insert("outOfBoxExperienceSettings".into(), complete);
        }
        (None, None) => {
            // Explicit nulls clear both blocks.
            if given
                .get("outOfBoxExperienceSetting")
                .is_some_and(Value::is_null)
                || given
                    .get("outOfBoxExperienceSettings")
                    .is_some_and(Value::is_null)
            {
                given.insert("outOfBoxExperienceSetting".into(), Value::Null);
                given.insert("outOfBoxExperienceSettings".into(), Value::Null);
            }
        }
    }
}

/// Mirrors the deprecated scalar names: `language`/`locale`, `extractHardwareHash`/
/// `hardwareHashExtractionEnabled`, `enableWhiteGlove`/`preprovisioningAllowed`. The current
/// name wins when both are given.
fn mirror_scalars(given: &mut Map<String, Value>) {
    for (current, legacy) in [
        ("locale", "language"),
        ("hardwareHashExtractionEnabled", "extractHardwareHash"),
        ("preprovisioningAllowed", "enableWhiteGlove"),
    ] {
        match (given.get(current).cloned(), given.get(legacy).cloned()) {
            (Some(value), _) => {
                let legacy_value = if value.is_null() && legacy != "language" {
                    Value::Bool(false)
                } else {
                    value.clone()
                };
                given.insert(legacy.to_owned(), legacy_value);
            }
            (None, Some(value)) => {
                given.insert(current.to_owned(), value);
            }
            (None, None) => {}
        }
    }
    if let Some(settings) = given
        .get("enrollmentStatusScreenSettings")
        .and_then(Value::as_object)
        .cloned()
    {
        given.insert(
            "enrollmentStatusScreenSettings".into(),
            schema::complete(
                &ENROLLMENT_STATUS_SCREEN_SETTINGS,
                &settings,
                super::ApiVersion::Beta,
            ),
        );
    }
}

/// Checks a device name template: letters, digits, hyphens and the macros `%SERIAL%` and
/// `%RAND:x%`; not only digits; at most 15 characters once `%RAND:x%` counts as x characters.
pub fn check_device_name_template(template: &str) -> Result<(), String> {
    let mut literal_len = 0usize;
    let mut rest = template;
    let mut digits_only = true;
    let mut has_macro = false;
    while !rest.is_empty() {
        if let Some(after) = strip_prefix_ignore_case(rest, "%SERIAL%") {
            has_macro = true;
            literal_len += 1;
            rest = after;
            continue;
        }
        if let Some(after) = strip_prefix_ignore_case(rest, "%RAND:") {
            let Some((count, tail)) = after.split_once('%') else {
                return Err("a %RAND:x% macro is not closed".into());
            };
            let count: usize = count
                .parse()
                .ok()
                .filter(|n| (1..=15).contains(n))
                .ok_or_else(|| format!("%RAND:{count}% needs a count between 1 and 15"))?;
            has_macro = true;
            literal_len += count;
            rest = tail;
            continue;
        }
        let mut chars = rest.chars();
        let Some(c) = chars.next() else { break };
        if !(c.is_ascii_alphanumeric() || c == '-') {
            return Err(format!(
                "'{c}' is not allowed; use letters, digits, hyphens, %SERIAL% and %RAND:x%"
            ));
        }
        if !c.is_ascii_digit() {
            digits_only = false;
        }
        literal_len += 1;
        rest = chars.as_str();
    }
    if template.is_empty() {
        return Err("the template is empty".into());
    }
    if digits_only && !has_macro {
        return Err("the name cannot be only digits".into());
    }
    if literal_len > 15 {
        return Err(format!(
            "the generated name would have {literal_len} characters; at most 15 are allowed"
        ));
    }
    Ok(())
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Service-side checks after a create or a merge.
fn check_profile(object: &Map<String, Value>, url: &str) -> Result<(), GraphError> {
    let text = |name: &str| object.get(name).and_then(Value::as_str);
    if text("displayName").is_none_or(|n| n.trim().is_empty()) {
        return Err(GraphError::intune_bad_request(
            "displayName is required.",
            url,
        ));
    }
    if text("displayName").is_some_and(|n| n.chars().count() > MAX_DISPLAY_NAME) {
        return Err(GraphError::intune_bad_request(
            format!("displayName must be at most {MAX_DISPLAY_NAME} characters."),
            url,
        ));
    }
    if text("description").is_some_and(|d| d.chars().count() > MAX_DESCRIPTION) {
        return Err(GraphError::intune_bad_request(
            format!("description must be at most {MAX_DESCRIPTION} characters."),
            url,
        ));
    }
    if let Some(template) = text("deviceNameTemplate").filter(|t| !t.is_empty())
        && let Err(reason) = check_device_name_template(template)
    {
        return Err(GraphError::intune_bad_request(
            format!("deviceNameTemplate '{template}' is not valid: {reason}."),
            url,
        ));
    }
    Ok(())
}

fn create(app: &App, request: &GraphRequest) -> Result<Response, GraphError> {
    let body = request.json_object()?;
    let ty = collection::type_to_create(&body, &DEPLOYMENT_PROFILE, DERIVED)?;
    let mut given = schema::validate_properties_in(ty, &body, request.version)?;
    let url = INTUNE.url(None, None);
    if app.settings.get().profile_text_rules {
        profile_rules::check_text(&given, &url)?;
    }
    profile_rules::check_user_type(&given, None, &url)?;
    profile_rules::empty_locale_is_os_default(&mut given);
    mirror_oobe(&mut given);
    mirror_scalars(&mut given);
    if !given.contains_key("locale") {
        given.insert("locale".into(), json!("os-default"));
        given.insert("language".into(), json!("os-default"));
    }
    for (name, default) in [
        ("hardwareHashExtractionEnabled", false),
        ("preprovisioningAllowed", false),
    ] {
        if given.get(name).is_none_or(Value::is_null) {
            given.insert(name.into(), json!(default));
        }
    }
    if given.get("roleScopeTagIds").is_none_or(Value::is_null) {
        given.insert("roleScopeTagIds".into(), json!(["0"]));
    }
    check_profile(&given, &url)?;

    let id = Uuid::new_v4().to_string();
    let now = graph_timestamp(app.clock.now());
    let field = |name: &str| given.get(name).cloned().unwrap_or(Value::Null);
    let boolean = |name: &str| given.get(name).cloned().unwrap_or(json!(false));
    let mut object = json!({
        "@odata.type": ty.odata_type(),
        "id": id,
        "displayName": field("displayName"),
        "description": field("description"),
        "language": field("language"),
        "locale": field("locale"),
        "createdDateTime": now,
        "lastModifiedDateTime": now,
        "outOfBoxExperienceSettings": field("outOfBoxExperienceSettings"),
        "outOfBoxExperienceSetting": field("outOfBoxExperienceSetting"),
        "enrollmentStatusScreenSettings": field("enrollmentStatusScreenSettings"),
        "extractHardwareHash": boolean("extractHardwareHash"),
        "hardwareHashExtractionEnabled": boolean("hardwareHashExtractionEnabled"),
        "deviceNameTemplate": field("deviceNameTemplate"),
        "deviceType": given.get("deviceType").cloned().unwrap_or(json!("windowsPc")),
        "enableWhiteGlove": boolean("enableWhiteGlove"),
        "preprovisioningAllowed": boolean("preprovisioningAllowed"),
        "roleScopeTagIds": field("roleScopeTagIds"),
        "managementServiceAppId": field("managementServiceAppId"),
    });
    if std::ptr::eq(ty, &ACTIVE_DIRECTORY_PROFILE)
        && let Some(map) = object.as_object_mut()
    {
        map.insert(
            "hybridAzureADJoinSkipConnectivityCheck".into(),
            boolean("hybridAzureADJoinSkipConnectivityCheck"),
        );
    }
    if let Some(map) = object.as_object_mut() {
        profile_rules::drop_user_type_when_shared(map);
    }
    app.store.write(|tenant| {
        if tenant.windows_autopilot_deployment_profiles.len() >= MAX_PROFILES {
            return Err(GraphError::intune_bad_request(
                format!("A tenant can have at most {MAX_PROFILES} deployment profiles."),
                url.clone(),
            ));
        }
        tenant
            .windows_autopilot_deployment_profiles
            .insert(id.clone(), object.clone());
        Ok(())
    })?;
    tracing::info!(%id, "deployment profile created");
    Ok(collection::created_response(
        app,
        request,
        &format!("{COLLECTION_PATH}/$entity"),
        &format!("{COLLECTION_PATH}('{id}')"),
        object,
    ))
}

fn update(app: &App, request: &GraphRequest, id: &str) -> Result<Response, GraphError> {
    let body = request.json_object()?;
    let read = PatchType::of(&body, &DEPLOYMENT_PROFILE, DERIVED)?;
    let mut given = schema::validate_properties_in(read.read_as, &body, request.version)?;
    let url = INTUNE.url(Some(id), None);
    if app.settings.get().profile_text_rules {
        profile_rules::check_text(&given, &url)?;
    }
    let sent = given.clone();
    profile_rules::empty_locale_is_os_default(&mut given);
    mirror_oobe(&mut given);
    mirror_scalars(&mut given);
    let now = graph_timestamp(app.clock.now());
    let updated = app.store.write(|tenant| {
        let object = tenant
            .windows_autopilot_deployment_profiles
            .get(id)
            .ok_or_else(|| INTUNE.not_found(id))?;
        let stored_type = collection::str_of(object, "@odata.type").to_owned();
        if let Some(ty) = read.declared
            && ty.odata_type() != stored_type
        {
            return Err(GraphError::intune_bad_request(
                format!(
                    "The type '{}' does not match the type of the existing profile '{}'; the join type of a profile cannot change.",
                    ty.qualified(),
                    stored_type.trim_start_matches('#')
                ),
                url.clone(),
            ));
        }
        let mut merged = object.as_object().cloned().unwrap_or_default();
        profile_rules::check_user_type(&sent, Some(&merged), &url)?;
        for (name, value) in given {
            let value = match name.as_str() {
                "roleScopeTagIds" if value.is_null() => json!(["0"]),
                "extractHardwareHash" | "enableWhiteGlove" if value.is_null() => json!(false),
                _ => value,
            };
            merged.insert(name, value);
        }
        profile_rules::drop_user_type_when_shared(&mut merged);
        check_profile(&merged, &url)?;
        merged.insert("lastModifiedDateTime".into(), Value::String(now.clone()));
        let merged = Value::Object(merged);
        tenant
            .windows_autopilot_deployment_profiles
            .insert(id.to_owned(), merged.clone());
        Ok(merged)
    })?;
    tracing::info!(%id, "deployment profile updated");
    Ok(collection::patched_response(
        app,
        request,
        &format!("{COLLECTION_PATH}/$entity"),
        updated,
    ))
}

fn delete(app: &App, id: &str) -> Result<Response, GraphError> {
    let url = INTUNE.url(Some(id), None);
    app.store.write(|tenant| {
        if !tenant.windows_autopilot_deployment_profiles.contains(id) {
            return Err(INTUNE.not_found(id));
        }
        let assigned = assignments::of(profile_assignments(tenant), id).len();
        if assigned > 0 {
            return Err(GraphError::intune_bad_request(
                format!(
                    "The deployment profile '{id}' still has {assigned} assignment(s); delete its assignments before deleting the profile."
                ),
                url.clone(),
            ));
        }
        tenant.windows_autopilot_deployment_profiles.remove(id);
        tenant.lab.device_profiles.retain(|_, profile| profile != id);
        Ok(())
    })?;
    tracing::info!(%id, "deployment profile deleted");
    Ok(no_content())
}

fn create_assignment(app: &App, request: &GraphRequest, id: &str) -> Result<Response, GraphError> {
    let body = request.json_object()?;
    schema::resolve_type(&body, &PROFILE_ASSIGNMENT, &[])?;
    let given = schema::validate_properties_in(&PROFILE_ASSIGNMENT, &body, request.version)?;
    let url = INTUNE.url(Some(id), Some("assignments"));
    let target_value = given
        .get("target")
        .filter(|t| !t.is_null())
        .ok_or_else(|| GraphError::intune_bad_request("An assignment needs a target.", &url))?;
    let target = assignments::parse_target(target_value, SUPPORTED_TARGETS, &url)?;
    let assignment_id = format!("{id}_{}", target.group_key);
    let assignment = json!({
        "id": assignment_id,
        "source": SOURCE_DIRECT,
        "sourceId": id,
        "target": target.value,
    });
    let all_devices = target.group_key == assignments::ALL_DEVICES_GROUP_ID;
    app.store.write(|tenant| {
        if !tenant.windows_autopilot_deployment_profiles.contains(id) {
            return Err(INTUNE.not_found(id));
        }
        if tenant
            .windows_autopilot_deployment_profile_assignments
            .contains(&assignment_id)
        {
            return Err(GraphError::intune_bad_request(
                format!("The profile is already assigned to '{}'.", target.group_key),
                url.clone(),
            ));
        }
        if all_devices
            && let Some(other) = tenant
                .windows_autopilot_deployment_profile_assignments
                .values()
                .find(|a| {
                    collection::str_of(a, "id")
                        .ends_with(&format!("_{}", assignments::ALL_DEVICES_GROUP_ID))
                })
        {
            return Err(GraphError::intune_bad_request(
                format!(
                    "Another Profile {} is already assigned to All Devices.",
                    collection::str_of(other, "sourceId")
                ),
                url.clone(),
            ));
        }
        tenant
            .windows_autopilot_deployment_profile_assignments
            .insert(assignment_id.clone(), assignment.clone());
        Ok(())
    })?;
    tracing::info!(%id, %assignment_id, "deployment profile assignment created");
    Ok(collection::created_response(
        app,
        request,
        &format!("{COLLECTION_PATH}('{id}')/assignments/$entity"),
        &format!("{COLLECTION_PATH}('{id}')/assignments('{assignment_id}')"),
        assignment,
    ))
}

fn delete_assignment(app: &App, id: &str, assignment_id: &str) -> Result<Response, GraphError> {
    app.store.write(|tenant| {
        ASSIGNMENTS.find(tenant, id, assignment_id)?;
        tenant
            .windows_autopilot_deployment_profile_assignments
            .remove(assignment_id);
        Ok::<_, GraphError>(())
    })?;
    tracing::info!(%id, %assignment_id, "deployment profile assignment deleted");
    Ok(no_content())
}

/// `assign` with `deviceIds`: assigns the profile to those device identities directly.
fn assign_devices(app: &App, request: &GraphRequest, id: &str) -> Result<Response, GraphError> {
    let body = request.json_object()?;
    if let Some(name) = body.keys().find(|k| *k != "deviceIds") {
        return Err(GraphError::bad_request(format!(
            "The parameter '{name}' in the request payload is not a valid parameter for the operation 'assign'."
        )));
    }
    let ids: Vec<String> = match body.get("deviceIds") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| schema::conversion_error(v, "Edm.String"))
            })
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(schema::conversion_error(other, "Collection(Edm.String)")),
    };
    let url = INTUNE.url(Some(id), Some("assign"));
    app.store.write(|tenant| {
        if !tenant.windows_autopilot_deployment_profiles.contains(id) {
            return Err(INTUNE.not_found(id));
        }
        if let Some(unknown) = ids
            .iter()
            .find(|d| !tenant.windows_autopilot_device_identities.contains(d))
        {
            return Err(GraphError::intune_bad_request(
                format!("Device '{unknown}' is not a registered Autopilot device."),
                url.clone(),
            ));
        }
        for device in &ids {
            tenant
                .lab
                .device_profiles
                .insert(device.clone(), id.to_owned());
        }
        Ok(())
    })?;
    Ok(no_content())
}

/// The profile a device gets: the one assigned to it directly, else the oldest profile whose
/// assignments include the device (all devices, or a dynamic group whose Autopilot rule matches
/// it) without excluding it.
pub fn effective_profile(tenant: &Tenant, device: &Value) -> Option<String> {
    let device_id = collection::str_of(device, "id");
    if let Some(profile) = tenant.lab.device_profiles.get(device_id)
        && tenant
            .windows_autopilot_deployment_profiles
            .contains(profile)
    {
        return Some(profile.clone());
    }
    tenant
        .windows_autopilot_deployment_profiles
        .values()
        .map(|p| collection::str_of(p, "id"))
        .find(|profile_id| {
            let assignments = assignments::of(profile_assignments(tenant), profile_id);
            let targets = |exclusion: bool| {
                assignments.iter().any(|a| {
                    let target = &a["target"];
                    let kind = collection::str_of(target, "@odata.type");
                    let is_exclusion = kind.ends_with("exclusionGroupAssignmentTarget");
                    if is_exclusion != exclusion {
                        return false;
                    }
                    if kind.ends_with("allDevicesAssignmentTarget") {
                        return true;
                    }
                    let group_id = collection::str_of(target, "groupId");
                    tenant
                        .groups
                        .get(group_id)
                        .is_some_and(|group| super::directory::group_contains_device(group, device))
                })
            };
            targets(false) && !targets(true)
        })
        .map(str::to_owned)
}

fn list_assigned_devices(
    app: &App,
    request: &GraphRequest,
    id: &str,
) -> Result<Response, GraphError> {
    if !app
        .store
        .read(|tenant| tenant.windows_autopilot_deployment_profiles.contains(id))
    {
        return Err(INTUNE.not_found(id));
    }
    let profile = id.to_owned();
    let listing = Listing::plain(
        &super::device_identities::PAGING,
        format!("{COLLECTION_PATH}('{id}')/assignedDevices"),
        &super::device_identities::DEVICE_IDENTITY,
    );
    collection::list(
        app,
        request,
        &listing,
        |tenant| &tenant.windows_autopilot_device_identities,
        move |tenant, device| {
            effective_profile(tenant, device).as_deref() == Some(profile.as_str())
        },
        |tenant, device, _| super::device_identities::render_device(tenant, device),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_name_templates() {
        for good in [
            "CORP-%SERIAL%",
            "AP-%RAND:5%",
            "A1",
            "%RAND:15%",
            "abc-def-ghi-jkl",
        ] {
            assert!(check_device_name_template(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "12345",
            "CORP_01",
            "CORP %SERIAL%",
            "ABCDEFGHIJ-%RAND:6%",
            "%RAND:0%",
            "%RAND:3",
            "ABCDEFGHIJKLMNOP",
        ] {
            assert!(check_device_name_template(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn oobe_blocks_mirror() {
        let mut given = Map::new();
        given.insert(
            "outOfBoxExperienceSetting".into(),
            json!({"eulaHidden": true, "userType": "standard"}),
        );
        mirror_oobe(&mut given);
        assert_eq!(given["outOfBoxExperienceSettings"]["hideEULA"], true);
        assert_eq!(given["outOfBoxExperienceSettings"]["userType"], "standard");
        assert_eq!(given["outOfBoxExperienceSettings"]["hideEscapeLink"], false);
        assert_eq!(
            given["outOfBoxExperienceSetting"]["deviceUsageType"],
            "singleUser"
        );
        let mut given = Map::new();
        given.insert(
            "outOfBoxExperienceSettings".into(),
            json!({"skipKeyboardSelectionPage": true}),
        );
        mirror_oobe(&mut given);
        assert_eq!(
            given["outOfBoxExperienceSetting"]["keyboardSelectionPageSkipped"],
            true
        );
    }
}
