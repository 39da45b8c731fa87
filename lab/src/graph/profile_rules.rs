//! What Intune's deployment profile service refuses or changes, beyond the type model:
//!
//! * a `displayName` with any character but letters, digits, spaces and
//!   `: " ? . @ $ & _ [ ] { } | \` (a hyphen is the common one): 500 with Intune's wrapped
//!   "An error has occurred" and no reason (KelvinTegelaar/CIPP-API
//!   `Modules/CIPPCore/Public/Test-CIPPAutopilotProfileName.ps1`: "rejected by the service with
//!   a generic 500 that carries no reason"; Microsoft365DSC #3892);
//! * a `description` with any of `! # % ^ * ( ) - + = ; ' < >`: 400 `BadRequest` with the
//!   wrapped "An error has occurred" (microsoftgraph/microsoft-graph-docs #4934 shows that body;
//!   MicrosoftDocs/IntuneDocs #2629; the deploymenttheory provider's validators);
//! * `outOfBoxExperienceSetting.userType` on a self-deploying (`shared`) profile: 400 with the
//!   wrapped "An error has occurred", and never returned on such profiles (KelvinTegelaar/CIPP
//!   #5554, CIPP-API PR #1923);
//! * `locale: ""` is stored as `os-default` (the deploymenttheory provider's `construct.go`,
//!   KelvinTegelaar/CIPP #5761).
//!
//! The `profile_text_rules` setting turns the two character rules off (to seed a tenant with a
//! name Intune accepted before it checked them).

use axum::http::StatusCode;
use serde_json::{Map, Value};

use crate::errors::GraphError;

/// Intune's text for a refusal it does not explain.
const NO_REASON: &str = "An error has occurred";

fn name_char_accepted(c: char) -> bool {
    c.is_alphabetic() || c.is_numeric() || c == ' ' || ":\"?.@$&_[]{}|\\".contains(c)
}

fn description_char_accepted(c: char) -> bool {
    !"!#%^*()-+=;'<>".contains(c)
}

/// Refuses the `displayName` and `description` of a request as Intune does.
pub fn check_text(given: &Map<String, Value>, url: &str) -> Result<(), GraphError> {
    let text = |name: &str| given.get(name).and_then(Value::as_str);
    if text("displayName").is_some_and(|n| !n.chars().all(name_char_accepted)) {
        return Err(GraphError::intune(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            NO_REASON,
            url,
        ));
    }
    if text("description").is_some_and(|d| !d.chars().all(description_char_accepted)) {
        return Err(bad_request(url));
    }
    Ok(())
}

/// Intune's 400 without a reason, as it answers a profile it refuses.
fn bad_request(url: &str) -> GraphError {
    GraphError::intune(StatusCode::BAD_REQUEST, "BadRequest", NO_REASON, url)
}

/// The `deviceUsageType` of an OOBE block, current or deprecated.
fn usage_type(block: Option<&Value>) -> Option<&str> {
    block?.get("deviceUsageType")?.as_str()
}

/// Refuses a `userType` sent for a self-deploying (`shared`) profile: the request's OOBE block
/// says `shared`, or leaves the usage type out of a profile stored as `shared`.
pub fn check_user_type(
    given: &Map<String, Value>,
    stored: Option<&Map<String, Value>>,
    url: &str,
) -> Result<(), GraphError> {
    let stored_usage = stored.and_then(|s| usage_type(s.get("outOfBoxExperienceSetting")));
    for name in ["outOfBoxExperienceSetting", "outOfBoxExperienceSettings"] {
        let Some(block) = given.get(name).filter(|b| b.is_object()) else {
            continue;
        };
        let usage = usage_type(Some(block)).or(stored_usage);
        let user_type = block.get("userType").filter(|v| !v.is_null());
        if usage == Some("shared") && user_type.is_some() {
            return Err(bad_request(url));
        }
    }
    Ok(())
}

/// Removes `userType` from the OOBE blocks of a self-deploying profile: Intune never returns it.
pub fn drop_user_type_when_shared(object: &mut Map<String, Value>) {
    if usage_type(object.get("outOfBoxExperienceSetting")) != Some("shared") {
        return;
    }
    for name in ["outOfBoxExperienceSetting", "outOfBoxExperienceSettings"] {
        if let Some(Value::Object(block)) = object.get_mut(name) {
            block.remove("userType");
        }
    }
}

/// Stores an empty `locale` (or `language`) as `os-default`.
pub fn empty_locale_is_os_default(given: &mut Map<String, Value>) {
    for name in ["locale", "language"] {
        if given.get(name).and_then(Value::as_str) == Some("") {
            given.insert(name.into(), Value::String("os-default".into()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        let Value::Object(map) = value else {
            panic!("an object")
        };
        map
    }

    #[test]
    fn names_and_descriptions() {
        let url = "u";
        assert!(check_text(&map(json!({"displayName": "Sales: Kiosk [EU]"})), url).is_ok());
        let error = check_text(&map(json!({"displayName": "Sales - EU"})), url).expect_err("500");
        assert_eq!(error.status, StatusCode::INTERNAL_SERVER_ERROR);
        let error =
            check_text(&map(json!({"description": "pilot (wave 2)"})), url).expect_err("400");
        assert_eq!(error.status, StatusCode::BAD_REQUEST);
        assert!(
            check_text(
                &map(json!({"description": "Sales, HR & IT: kiosk/shared"})),
                url
            )
            .is_ok()
        );
    }

    #[test]
    fn user_type_on_shared_profiles() {
        let url = "u";
        let shared = map(
            json!({"outOfBoxExperienceSetting": {"deviceUsageType": "shared", "userType": "standard"}}),
        );
        assert!(check_user_type(&shared, None, url).is_err());
        let single = map(
            json!({"outOfBoxExperienceSetting": {"deviceUsageType": "singleUser", "userType": "standard"}}),
        );
        assert!(check_user_type(&single, None, url).is_ok());
        let stored = map(json!({"outOfBoxExperienceSetting": {"deviceUsageType": "shared"}}));
        let patch = map(json!({"outOfBoxExperienceSetting": {"userType": "administrator"}}));
        assert!(check_user_type(&patch, Some(&stored), url).is_err());

        let mut object = map(json!({
            "outOfBoxExperienceSetting": {"deviceUsageType": "shared", "userType": "administrator"},
            "outOfBoxExperienceSettings": {"deviceUsageType": "shared", "userType": "administrator"}
        }));
        drop_user_type_when_shared(&mut object);
        assert!(
            object["outOfBoxExperienceSetting"]
                .get("userType")
                .is_none()
        );
        assert!(
            object["outOfBoxExperienceSettings"]
                .get("userType")
                .is_none()
        );
    }

    #[test]
    fn an_empty_locale_is_os_default() {
        let mut given = map(json!({"locale": "", "language": ""}));
        empty_locale_is_os_default(&mut given);
        assert_eq!(given["locale"], "os-default");
        assert_eq!(given["language"], "os-default");
    }
}
