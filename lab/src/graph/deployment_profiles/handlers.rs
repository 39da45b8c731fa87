//! Creating, updating and deleting profiles.

use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    ACTIVE_DIRECTORY_PROFILE, COLLECTION_PATH, DEPLOYMENT_PROFILE, DERIVED, INTUNE, MAX_PROFILES,
    NOUN, check_profile, mirror_oobe, mirror_scalars, profile_assignments, profiles_mut,
};
use crate::app::App;
use crate::clock::graph_timestamp;
use crate::errors::GraphError;
use crate::graph::GraphResult;
use crate::graph::assignments;
use crate::graph::collection::{self, PatchType};
use crate::graph::schema;
use crate::graph::{GraphRequest, profile_rules};

pub(super) fn create(app: &App, request: &GraphRequest) -> GraphResult {
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
    let tags = collection::role_scope_tags(&given);
    given.insert("roleScopeTagIds".into(), tags);
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
    let object = INTUNE.insert_new(app, NOUN, profiles_mut, &id, |tenant| {
        if tenant.windows_autopilot_deployment_profiles.len() >= MAX_PROFILES {
            return Err(GraphError::intune_bad_request(
                format!("A tenant can have at most {MAX_PROFILES} deployment profiles."),
                url.clone(),
            ));
        }
        Ok(object)
    })?;
    collection::intune_created(app, request, COLLECTION_PATH, &id, object)
}

pub(super) fn update(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
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
    let updated = INTUNE.merge_stored(app, NOUN, profiles_mut, id, |_, object| {
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
                "roleScopeTagIds" => collection::scope_tags_or_default(Some(&value)),
                "extractHardwareHash" | "enableWhiteGlove" if value.is_null() => json!(false),
                _ => value,
            };
            merged.insert(name, value);
        }
        profile_rules::drop_user_type_when_shared(&mut merged);
        check_profile(&merged, &url)?;
        merged.insert("lastModifiedDateTime".into(), Value::String(now.clone()));
        Ok(merged)
    })?;
    Ok(collection::patched_response(
        app,
        request,
        COLLECTION_PATH,
        updated,
    ))
}

pub(super) fn delete(app: &App, id: &str) -> GraphResult {
    INTUNE.delete_stored(app, NOUN, profiles_mut, id, |tenant| {
        let assigned = assignments::of(profile_assignments(tenant), id).len();
        if assigned > 0 {
            return Err(GraphError::intune_bad_request(
                format!(
                    "The deployment profile '{id}' still has {assigned} assignment(s); delete its assignments before deleting the profile."
                ),
                INTUNE.url(Some(id), None),
            ));
        }
        tenant.lab.device_profiles.retain(|_, profile| profile != id);
        Ok(())
    })
}
