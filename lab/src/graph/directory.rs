//! The directory: `/groups` (with owners), `/servicePrincipals`, `/users` and
//! `/directoryObjects`, on beta and v1.0. Errors use the directory's codes
//! (`Request_BadRequest`, `Request_ResourceNotFound`, ...). New groups and service principals
//! honour the `replication_delay_ms` setting.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::collection::{self, Listing};
use super::schema::{self, ENTITY, Kind, Property, StructuredType};
use super::{GraphRequest, method_not_allowed, no_content};
use crate::app::App;
use crate::auth::tokens::Caller;
use crate::errors::GraphError;
use crate::seed;
use crate::store::{Collection, Tenant};

pub static DIRECTORY_OBJECT: StructuredType = StructuredType {
    name: "directoryObject",
    base: Some(&ENTITY),
    is_abstract: false,
    properties: &[Property::read_only(
        "deletedDateTime",
        Kind::DateTimeOffset,
        true,
    )],
    navigations: &[],
};

pub static GROUP: StructuredType = StructuredType {
    name: "group",
    base: Some(&DIRECTORY_OBJECT),
    is_abstract: false,
    properties: &[
        Property::new("accessType", Kind::String, true),
        Property::new("allowExternalSenders", Kind::Boolean, true),
        Property::new(
            "assignedLabels",
            Kind::ComplexCollection("assignedLabel"),
            true,
        ),
        Property::read_only(
            "assignedLicenses",
            Kind::ComplexCollection("assignedLicense"),
            true,
        ),
        Property::new("autoSubscribeNewMembers", Kind::Boolean, true),
        Property::new("classification", Kind::String, true),
        Property::read_only("cloudLicensing", Kind::Complex("groupCloudLicensing"), true),
        Property::read_only("createdByAppId", Kind::String, true),
        Property::read_only("createdDateTime", Kind::DateTimeOffset, true),
        Property::new("description", Kind::String, true),
        Property::new("displayName", Kind::String, true),
        Property::read_only("expirationDateTime", Kind::DateTimeOffset, true),
        Property::new("groupTypes", Kind::StringCollection, false),
        Property::read_only("hasMembersWithLicenseErrors", Kind::Boolean, true),
        Property::new("hideFromAddressLists", Kind::Boolean, true),
        Property::new("hideFromOutlookClients", Kind::Boolean, true),
        Property::new("infoCatalogs", Kind::StringCollection, false),
        Property::read_only("isArchived", Kind::Boolean, true),
        Property::new("isAssignableToRole", Kind::Boolean, true),
        Property::read_only("isFavorite", Kind::Boolean, true),
        Property::new("isManagementRestricted", Kind::Boolean, true),
        Property::read_only("isSubscribedByMail", Kind::Boolean, true),
        Property::read_only(
            "licenseProcessingState",
            Kind::Complex("licenseProcessingState"),
            true,
        ),
        Property::read_only("mail", Kind::String, true),
        Property::new("mailEnabled", Kind::Boolean, true),
        Property::new("mailNickname", Kind::String, true),
        Property::new("membershipRule", Kind::String, true),
        Property::new("membershipRuleProcessingState", Kind::String, true),
        Property::read_only(
            "membershipRuleProcessingStatus",
            Kind::Complex("membershipRuleProcessingStatus"),
            true,
        ),
        Property::read_only("onPremisesDomainName", Kind::String, true),
        Property::read_only(
            "onPremisesExtensionAttributes",
            Kind::Complex("onPremisesExtensionAttributes"),
            true,
        ),
        Property::read_only("onPremisesLastSyncDateTime", Kind::DateTimeOffset, true),
        Property::read_only("onPremisesNetBiosName", Kind::String, true),
        Property::read_only(
            "onPremisesProvisioningErrors",
            Kind::ComplexCollection("onPremisesProvisioningError"),
            true,
        ),
        Property::read_only("onPremisesSamAccountName", Kind::String, true),
        Property::read_only("onPremisesSecurityIdentifier", Kind::String, true),
        Property::read_only("onPremisesSyncEnabled", Kind::Boolean, true),
        Property::read_only("organizationId", Kind::String, true),
        Property::new("preferredDataLocation", Kind::String, true),
        Property::new("preferredLanguage", Kind::String, true),
        Property::read_only("proxyAddresses", Kind::StringCollection, false),
        Property::read_only("renewedDateTime", Kind::DateTimeOffset, true),
        Property::new("resourceBehaviorOptions", Kind::StringCollection, false),
        Property::new("resourceProvisioningOptions", Kind::StringCollection, false),
        Property::new("securityEnabled", Kind::Boolean, true),
        Property::read_only("securityIdentifier", Kind::String, true),
        Property::read_only(
            "serviceProvisioningErrors",
            Kind::ComplexCollection("serviceProvisioningError"),
            true,
        ),
        Property::new("theme", Kind::String, true),
        Property::new("uniqueName", Kind::String, true),
        Property::read_only("unseenConversationsCount", Kind::Int32, true),
        Property::read_only("unseenCount", Kind::Int32, true),
        Property::read_only("unseenMessagesCount", Kind::Int32, true),
        Property::new("visibility", Kind::String, true),
        Property::read_only("welcomeMessageEnabled", Kind::Boolean, true),
        Property::new(
            "writebackConfiguration",
            Kind::Complex("groupWritebackConfiguration"),
            true,
        ),
    ],
    navigations: &[
        "acceptedSenders",
        "appRoleAssignments",
        "calendar",
        "calendarView",
        "conversations",
        "createdOnBehalfOf",
        "drive",
        "drives",
        "endpoints",
        "events",
        "extensions",
        "groupLifecyclePolicies",
        "memberOf",
        "members",
        "membersWithLicenseErrors",
        "onenote",
        "onPremisesSyncBehavior",
        "owners",
        "permissionGrants",
        "photo",
        "photos",
        "planner",
        "rejectedSenders",
        "settings",
        "sites",
        "team",
        "threads",
        "transitiveMemberOf",
        "transitiveMembers",
    ],
};

pub static SERVICE_PRINCIPAL: StructuredType = StructuredType {
    name: "servicePrincipal",
    base: Some(&DIRECTORY_OBJECT),
    is_abstract: false,
    properties: &[
        Property::new("accountEnabled", Kind::Boolean, true),
        Property::new("addIns", Kind::ComplexCollection("addIn"), false),
        Property::new("alternativeNames", Kind::StringCollection, false),
        Property::new("appDescription", Kind::String, true),
        Property::read_only("appDisplayName", Kind::String, true),
        Property::new("appId", Kind::String, true),
        Property::read_only("applicationTemplateId", Kind::String, true),
        Property::read_only("appOwnerOrganizationId", Kind::Guid, true),
        Property::new("appRoleAssignmentRequired", Kind::Boolean, false),
        Property::new("appRoles", Kind::ComplexCollection("appRole"), false),
        Property::read_only("createdByAppId", Kind::String, true),
        Property::new(
            "customSecurityAttributes",
            Kind::Complex("customSecurityAttributeValue"),
            true,
        ),
        Property::new("description", Kind::String, true),
        Property::new("disabledByMicrosoftStatus", Kind::String, true),
        Property::new("displayName", Kind::String, true),
        Property::new("errorUrl", Kind::String, true),
        Property::new("homepage", Kind::String, true),
        Property::new("info", Kind::Complex("informationalUrl"), true),
        Property::read_only("isDisabled", Kind::Boolean, true),
        Property::new(
            "keyCredentials",
            Kind::ComplexCollection("keyCredential"),
            false,
        ),
        Property::new("loginUrl", Kind::String, true),
        Property::new("logoutUrl", Kind::String, true),
        Property::new("notes", Kind::String, true),
        Property::new("notificationEmailAddresses", Kind::StringCollection, false),
        Property::new(
            "passwordCredentials",
            Kind::ComplexCollection("passwordCredential"),
            false,
        ),
        Property::new(
            "passwordSingleSignOnSettings",
            Kind::Complex("passwordSingleSignOnSettings"),
            true,
        ),
        Property::new("preferredSingleSignOnMode", Kind::String, true),
        Property::read_only(
            "preferredTokenSigningKeyEndDateTime",
            Kind::DateTimeOffset,
            true,
        ),
        Property::new("preferredTokenSigningKeyThumbprint", Kind::String, true),
        Property::new(
            "publishedPermissionScopes",
            Kind::ComplexCollection("permissionScope"),
            false,
        ),
        Property::read_only("publisherName", Kind::String, true),
        Property::new("replyUrls", Kind::StringCollection, false),
        Property::new("samlMetadataUrl", Kind::String, true),
        Property::new(
            "samlSingleSignOnSettings",
            Kind::Complex("samlSingleSignOnSettings"),
            true,
        ),
        Property::new("servicePrincipalNames", Kind::StringCollection, false),
        Property::new("servicePrincipalType", Kind::String, true),
        Property::new("signInAudience", Kind::String, true),
        Property::new("tags", Kind::StringCollection, false),
        Property::new("tokenEncryptionKeyId", Kind::Guid, true),
        Property::new(
            "verifiedPublisher",
            Kind::Complex("verifiedPublisher"),
            true,
        ),
    ],
    navigations: &[
        "appManagementPolicies",
        "appRoleAssignedTo",
        "appRoleAssignments",
        "claimsMappingPolicies",
        "claimsPolicy",
        "createdObjects",
        "delegatedPermissionClassifications",
        "endpoints",
        "federatedIdentityCredentials",
        "homeRealmDiscoveryPolicies",
        "licenseDetails",
        "memberOf",
        "oauth2PermissionGrants",
        "ownedObjects",
        "owners",
        "permissionGrantPreApprovalPolicies",
        "remoteDesktopSecurityConfiguration",
        "synchronization",
        "tokenIssuancePolicies",
        "tokenLifetimePolicies",
        "transitiveMemberOf",
    ],
};

/// The user properties the lab keeps (users are seeded and read-only).
pub static USER: StructuredType = StructuredType {
    name: "user",
    base: Some(&DIRECTORY_OBJECT),
    is_abstract: false,
    properties: &[
        Property::read_only("businessPhones", Kind::StringCollection, false),
        Property::read_only("displayName", Kind::String, true),
        Property::read_only("givenName", Kind::String, true),
        Property::read_only("jobTitle", Kind::String, true),
        Property::read_only("mail", Kind::String, true),
        Property::read_only("mobilePhone", Kind::String, true),
        Property::read_only("officeLocation", Kind::String, true),
        Property::read_only("preferredLanguage", Kind::String, true),
        Property::read_only("surname", Kind::String, true),
        Property::read_only("userPrincipalName", Kind::String, true),
    ],
    navigations: &["memberOf", "ownedObjects"],
};

/// Longest `displayName` and `mailNickname` of a group.
const MAX_GROUP_DISPLAY_NAME: usize = 256;
const MAX_MAIL_NICKNAME: usize = 64;
/// At most this many owners and members in one create.
const MAX_BOUND_AT_CREATE: usize = 20;

/// `2025-02-13T10:21:18Z`: the directory's timestamp form (no fraction).
fn directory_timestamp(app: &App) -> String {
    app.clock.now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `S-1-12-1-a-b-c-d`: the SID Entra derives from an object id.
pub fn security_identifier(id: &Uuid) -> String {
    let bytes = id.to_bytes_le();
    let parts: Vec<String> = bytes
        .chunks(4)
        .map(|chunk| {
            let mut word = [0u8; 4];
            word.copy_from_slice(chunk);
            u32::from_le_bytes(word).to_string()
        })
        .collect();
    format!("S-1-12-1-{}", parts.join("-"))
}

fn groups(tenant: &Tenant) -> &Collection {
    &tenant.groups
}

fn service_principals(tenant: &Tenant) -> &Collection {
    &tenant.service_principals
}

fn users(tenant: &Tenant) -> &Collection {
    &tenant.users
}

/// The directory hides `@odata.type` on objects read through their own (non-polymorphic) set.
fn plain(object: &Value) -> Value {
    collection::without(object.clone(), &["@odata.type"])
}

/// Whether a stored group has replicated (is visible to reads and owner changes).
fn visible(app: &App, id: &str) -> bool {
    app.replication.visible(id)
}

/// Any directory object (group, service principal, user) by id, if visible.
fn directory_object<'t>(app: &App, tenant: &'t Tenant, id: &str) -> Option<&'t Value> {
    if !visible(app, id) {
        return None;
    }
    tenant
        .groups
        .get(id)
        .or_else(|| tenant.service_principals.get(id))
        .or_else(|| tenant.users.get(id))
}

// ---------------------------------------------------------------------------------------------
// Groups

/// Routes the segments after `groups`.
pub fn route_groups(
    app: &App,
    request: &GraphRequest,
    rest: &[String],
) -> Result<Response, GraphError> {
    let method = &request.method;
    match rest {
        [] => by_method!(method,
            GET => list_groups(app, request),
            POST => create_group(app, request),
        ),
        [id] => by_method!(method,
            GET => get_group(app, request, id),
            PATCH => update_group(app, request, id),
            DELETE => delete_group(app, id),
        ),
        [id, nav] if nav.eq_ignore_ascii_case("owners") => by_method!(method,
            GET => list_owners(app, request, id),
        ),
        [id, nav, reference] if nav.eq_ignore_ascii_case("owners") && reference == "$ref" => {
            by_method!(method,
                POST => add_owner(app, request, id),
            )
        }
        [id, nav, owner, reference]
            if nav.eq_ignore_ascii_case("owners") && reference == "$ref" =>
        {
            by_method!(method,
                DELETE => remove_owner(app, id, owner),
            )
        }
        [_, nav, ..] if nav.eq_ignore_ascii_case("members") => Err(GraphError::bad_request(
            "autopilot-lab does not model group members.",
        )),
        [_, other, ..] => Err(GraphError::segment_not_found(other)),
    }
}

fn list_groups(app: &App, request: &GraphRequest) -> Result<Response, GraphError> {
    let listing = Listing {
        directory: true,
        ..Listing::plain("groups", "groups".to_owned(), &GROUP)
    };
    collection::list(
        app,
        request,
        &listing,
        groups,
        |_, group| visible(app, collection::str_of(group, "id")),
        |_, group, _| plain(group),
    )
}

fn get_group(app: &App, request: &GraphRequest, id: &str) -> Result<Response, GraphError> {
    let select = super::odata::parse_select(request.query.select.as_deref(), &GROUP, &[])?;
    if request.query.expand.is_some() {
        return Err(GraphError::bad_request(
            "autopilot-lab does not support $expand on groups.",
        ));
    }
    let found = app
        .store
        .read(|tenant| tenant.groups.get(id).cloned())
        .filter(|_| visible(app, id))
        .ok_or_else(|| GraphError::directory_not_found(id))?;
    let object = super::odata::apply_select(&plain(&found), select.as_deref());
    Ok(collection::entity_response(
        app,
        request,
        StatusCode::OK,
        "groups/$entity",
        object,
    ))
}

/// A directory "required" error.
fn required(property: &str, resource: &str) -> GraphError {
    GraphError::directory_bad_request(format!(
        "A value is required for property '{property}' of resource '{resource}'."
    ))
}

/// A directory "invalid value" error.
fn invalid(property: &str, resource: &str) -> GraphError {
    GraphError::directory_bad_request(format!(
        "Invalid value specified for property '{property}' of resource '{resource}'."
    ))
}

/// Checks a directory payload: unknown properties are `Invalid property`, read-only ones cannot
/// be set, and values must have the declared kind. Returns the properties given.
fn directory_properties(
    ty: &'static StructuredType,
    body: &Map<String, Value>,
    allowed_annotations: &[&str],
) -> Result<Map<String, Value>, GraphError> {
    let mut given = Map::new();
    for (name, value) in body {
        if name.starts_with('@') {
            continue;
        }
        if name.contains('@') {
            if allowed_annotations.contains(&name.as_str()) {
                continue;
            }
            return Err(GraphError::directory_bad_request(format!(
                "Invalid property '{name}'."
            )));
        }
        let Some(property) = ty.property(name) else {
            return Err(GraphError::directory_bad_request(format!(
                "Invalid property '{name}'."
            )));
        };
        if property.read_only || name == "id" {
            return Err(GraphError::directory_bad_request(format!(
                "Property '{name}' is read-only and cannot be set."
            )));
        }
        schema::check_value(property, value)?;
        given.insert(name.clone(), value.clone());
    }
    Ok(given)
}

fn is_dynamic(group_types: &Value) -> bool {
    group_types.as_array().is_some_and(|types| {
        types.iter().any(|t| {
            t.as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case("DynamicMembership"))
        })
    })
}

fn is_unified(group_types: &Value) -> bool {
    group_types.as_array().is_some_and(|types| {
        types.iter().any(|t| {
            t.as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case("Unified"))
        })
    })
}

/// `mailNickname`: 1..64 ASCII characters, none of `@ ( ) \ [ ] " ; : . < > ,` or space.
pub fn valid_mail_nickname(nickname: &str) -> bool {
    !nickname.is_empty()
        && nickname.chars().count() <= MAX_MAIL_NICKNAME
        && nickname.chars().all(|c| {
            c.is_ascii()
                && !c.is_ascii_control()
                && !matches!(
                    c,
                    '@' | '('
                        | ')'
                        | '\\'
                        | '['
                        | ']'
                        | '"'
                        | ';'
                        | ':'
                        | '.'
                        | '<'
                        | '>'
                        | ','
                        | ' '
                )
        })
}

/// Light syntax check of a membership rule: balanced parentheses and quotes, and it talks about
/// `device.` or `user.` attributes.
pub fn check_membership_rule(rule: &str) -> Result<(), String> {
    let lower = rule.to_ascii_lowercase();
    if !(lower.contains("device.") || lower.contains("user.")) {
        return Err("a rule compares user.<attribute> or device.<attribute>".into());
    }
    let mut depth = 0i32;
    let mut quoted = false;
    for c in rule.chars() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => {
                depth -= 1;
                if depth < 0 {
                    return Err("unbalanced parentheses".into());
                }
            }
            _ => {}
        }
    }
    if quoted {
        return Err("unterminated string".into());
    }
    if depth != 0 {
        return Err("unbalanced parentheses".into());
    }
    Ok(())
}

/// Service checks of a group after a create or a merge.
fn check_group(group: &Map<String, Value>) -> Result<(), GraphError> {
    let text = |name: &str| group.get(name).and_then(Value::as_str);
    match text("displayName") {
        None => return Err(required("displayName", "Group")),
        Some(name) if name.trim().is_empty() || name.chars().count() > MAX_GROUP_DISPLAY_NAME => {
            return Err(invalid("displayName", "Group"));
        }
        Some(_) => {}
    }
    match text("mailNickname") {
        None => return Err(required("mailNickname", "Group")),
        Some(nickname) if !valid_mail_nickname(nickname) => {
            return Err(invalid("mailNickname", "Group"));
        }
        Some(_) => {}
    }
    let mail_enabled = group.get("mailEnabled").and_then(Value::as_bool);
    let security_enabled = group.get("securityEnabled").and_then(Value::as_bool);
    let Some(mail_enabled) = mail_enabled else {
        return Err(required("mailEnabled", "Group"));
    };
    let Some(security_enabled) = security_enabled else {
        return Err(required("securityEnabled", "Group"));
    };
    let group_types = group.get("groupTypes").cloned().unwrap_or(json!([]));
    let unified = is_unified(&group_types);
    if mail_enabled && !unified {
        return Err(GraphError::directory_bad_request(
            "The service does not currently support writes of mail-enabled groups. Please ensure that the mail-enablement property is unset or is set to false.",
        ));
    }
    if !mail_enabled && !security_enabled {
        return Err(invalid("securityEnabled", "Group"));
    }
    if let Some(unknown) = group_types.as_array().and_then(|types| {
        types.iter().find(|t| {
            !t.as_str().is_some_and(|t| {
                t.eq_ignore_ascii_case("Unified") || t.eq_ignore_ascii_case("DynamicMembership")
            })
        })
    }) {
        return Err(GraphError::directory_bad_request(format!(
            "Invalid value specified for property 'groupTypes' of resource 'Group': {unknown}."
        )));
    }
    let rule = text("membershipRule");
    if is_dynamic(&group_types) {
        let Some(rule) = rule.filter(|r| !r.trim().is_empty()) else {
            return Err(required("membershipRule", "Group"));
        };
        if let Err(reason) = check_membership_rule(rule) {
            return Err(GraphError::directory_bad_request(format!(
                "Invalid value specified for property 'membershipRule' of resource 'Group': {reason}."
            )));
        }
        match text("membershipRuleProcessingState") {
            Some("On" | "Paused") | None => {}
            Some(_) => return Err(invalid("membershipRuleProcessingState", "Group")),
        }
    } else if rule.is_some() {
        return Err(GraphError::directory_bad_request(
            "Property 'membershipRule' can only be set on groups whose groupTypes contain 'DynamicMembership'.",
        ));
    }
    Ok(())
}

/// The object id in an `@odata.id` / `@odata.bind` reference URL.
fn reference_id(reference: &Value) -> Result<String, GraphError> {
    let text = reference.as_str().unwrap_or_default();
    let last = text
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    // Also `directoryObjects('id')` and `{id}` forms.
    let last = last
        .strip_prefix("directoryObjects(")
        .or_else(|| last.strip_prefix("servicePrincipals("))
        .or_else(|| last.strip_prefix("users("))
        .and_then(|k| k.strip_suffix(')'))
        .map(|k| k.trim_matches('\''))
        .unwrap_or(last);
    let known_shape = text.contains("/directoryObjects/")
        || text.contains("/servicePrincipals/")
        || text.contains("/users/")
        || text.contains("/groups/")
        || text.contains("directoryObjects(")
        || !text.contains('/');
    match Uuid::parse_str(last) {
        Ok(id) if known_shape => Ok(id.to_string()),
        _ => Err(GraphError::directory_bad_request(format!(
            "Invalid object identifier '{text}'."
        ))),
    }
}

/// Explicit `null`s for a group's rule properties are accepted (no evidence shows Entra refusing
/// them), but no documented client sends them: the lab notes them in its log.
fn note_explicit_rule_nulls(body: &serde_json::Map<String, Value>, id: Option<&str>) {
    for name in ["membershipRule", "membershipRuleProcessingState"] {
        if body.get(name).is_some_and(Value::is_null) {
            tracing::warn!(
                group = id.unwrap_or("(new)"),
                property = name,
                "explicit null for a group's rule property"
            );
        }
    }
}

fn create_group(app: &App, request: &GraphRequest) -> Result<Response, GraphError> {
    let body = request.json_object()?;
    note_explicit_rule_nulls(&body, None);
    let mut given = directory_properties(&GROUP, &body, &["owners@odata.bind"])?;
    let owners: Vec<String> = match body.get("owners@odata.bind") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().map(reference_id).collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(GraphError::directory_bad_request(
                "owners@odata.bind must be an array of directory object URLs.",
            ));
        }
    };
    if owners.len() > MAX_BOUND_AT_CREATE {
        return Err(GraphError::directory_bad_request(format!(
            "At most {MAX_BOUND_AT_CREATE} owners and members can be added when a group is created."
        )));
    }
    if given.get("groupTypes").is_none_or(Value::is_null) {
        given.insert("groupTypes".into(), json!([]));
    }
    if is_dynamic(&given["groupTypes"]) && given.get("membershipRuleProcessingState").is_none() {
        given.insert("membershipRuleProcessingState".into(), json!("On"));
    }
    check_group(&given)?;

    let uuid = Uuid::new_v4();
    let id = uuid.to_string();
    let now = directory_timestamp(app);
    let field = |name: &str| given.get(name).cloned().unwrap_or(Value::Null);
    let unified = is_unified(&given["groupTypes"]);
    let nickname = collection::str_of(&Value::Object(given.clone()), "mailNickname").to_owned();
    let (mail, proxy_addresses) = if unified {
        let address = format!("{nickname}@{}", seed::TENANT_DOMAIN);
        (json!(address), json!([format!("SMTP:{address}")]))
    } else {
        (Value::Null, json!([]))
    };
    let group = json!({
        "@odata.type": "#microsoft.graph.group",
        "id": id,
        "deletedDateTime": null,
        "classification": field("classification"),
        "createdDateTime": now,
        "description": field("description"),
        "displayName": field("displayName"),
        "expirationDateTime": null,
        "groupTypes": field("groupTypes"),
        "isAssignableToRole": field("isAssignableToRole"),
        "mail": mail,
        "mailEnabled": field("mailEnabled"),
        "mailNickname": field("mailNickname"),
        "membershipRule": field("membershipRule"),
        "membershipRuleProcessingState": field("membershipRuleProcessingState"),
        "onPremisesDomainName": null,
        "onPremisesLastSyncDateTime": null,
        "onPremisesNetBiosName": null,
        "onPremisesSamAccountName": null,
        "onPremisesSecurityIdentifier": null,
        "onPremisesSyncEnabled": null,
        "preferredDataLocation": field("preferredDataLocation"),
        "preferredLanguage": field("preferredLanguage"),
        "proxyAddresses": proxy_addresses,
        "renewedDateTime": now,
        "resourceBehaviorOptions": given.get("resourceBehaviorOptions").cloned().unwrap_or(json!([])),
        "resourceProvisioningOptions": given.get("resourceProvisioningOptions").cloned().unwrap_or(json!([])),
        "securityEnabled": field("securityEnabled"),
        "securityIdentifier": security_identifier(&uuid),
        "theme": field("theme"),
        "visibility": field("visibility"),
        "onPremisesProvisioningErrors": [],
        "serviceProvisioningErrors": [],
    });
    app.store.write(|tenant| {
        for owner in &owners {
            if directory_object(app, tenant, owner).is_none() || tenant.groups.contains(owner) {
                return Err(GraphError::directory_bad_request(format!(
                    "Resource '{owner}' does not exist or one of its queried reference-property objects are not present."
                )));
            }
        }
        tenant.groups.insert(id.clone(), group.clone());
        if !owners.is_empty() {
            let mut unique = Vec::new();
            for owner in &owners {
                if !unique.contains(owner) {
                    unique.push(owner.clone());
                }
            }
            tenant.lab.group_owners.insert(id.clone(), unique);
        }
        Ok(())
    })?;
    app.replication.created(
        &id,
        Duration::from_millis(app.settings.get().replication_delay_ms),
    );
    for owner in &owners {
        owner_added(app, &id, owner);
    }
    tracing::info!(%id, "group created");
    Ok(collection::created_response(
        app,
        request,
        "groups/$entity",
        &format!("groups/{id}"),
        plain(&group),
    ))
}

fn update_group(app: &App, request: &GraphRequest, id: &str) -> Result<Response, GraphError> {
    let body = request.json_object()?;
    note_explicit_rule_nulls(&body, Some(id));
    let given = directory_properties(&GROUP, &body, &[])?;
    let updated = app.store.write(|tenant| {
        let group = tenant
            .groups
            .get(id)
            .ok_or_else(|| GraphError::directory_not_found(id))?;
        let mut merged = group.as_object().cloned().unwrap_or_default();
        for (name, value) in given {
            merged.insert(name, value);
        }
        if is_dynamic(merged.get("groupTypes").unwrap_or(&Value::Null))
            && merged
                .get("membershipRuleProcessingState")
                .is_none_or(Value::is_null)
        {
            merged.insert("membershipRuleProcessingState".into(), json!("On"));
        }
        if !is_dynamic(merged.get("groupTypes").unwrap_or(&Value::Null))
            && body.get("groupTypes").is_some()
            && body.get("membershipRule").is_none()
        {
            // Turning dynamic membership off drops the rule; the processing state is what the
            // client gave (Microsoft's documented conversion pauses it), else none.
            merged.insert("membershipRule".into(), Value::Null);
            let state = body
                .get("membershipRuleProcessingState")
                .cloned()
                .unwrap_or(Value::Null);
            merged.insert("membershipRuleProcessingState".into(), state);
        }
        check_group(&merged)?;
        let merged = Value::Object(merged);
        tenant.groups.insert(id.to_owned(), merged.clone());
        Ok::<_, GraphError>(merged)
    })?;
    tracing::info!(%id, "group updated");
    Ok(collection::patched_response(
        app,
        request,
        "groups/$entity",
        plain(&updated),
    ))
}

fn delete_group(app: &App, id: &str) -> Result<Response, GraphError> {
    app.store.write(|tenant| {
        tenant
            .groups
            .remove(id)
            .ok_or_else(|| GraphError::directory_not_found(id))?;
        tenant.lab.group_owners.remove(id);
        Ok::<_, GraphError>(())
    })?;
    tracing::info!(%id, "group deleted");
    Ok(no_content())
}

/// The owners of a group, as full directory objects with `@odata.type`.
pub fn owners_of(tenant: &Tenant, group_id: &str) -> Vec<Value> {
    tenant
        .lab
        .group_owners
        .get(group_id)
        .map(|owners| {
            owners
                .iter()
                .filter_map(|owner| {
                    tenant
                        .service_principals
                        .get(owner)
                        .or_else(|| tenant.users.get(owner))
                        .cloned()
                })
                .collect()
        })
        .unwrap_or_default()
}

fn list_owners(app: &App, request: &GraphRequest, id: &str) -> Result<Response, GraphError> {
    let select = super::odata::parse_select(
        request.query.select.as_deref(),
        &SERVICE_PRINCIPAL,
        &[&USER],
    )?;
    let owners = app.store.read(|tenant| {
        (tenant.groups.contains(id) && visible(app, id)).then(|| owners_of(tenant, id))
    });
    let owners = owners.ok_or_else(|| GraphError::directory_not_found(id))?;
    let values = owners
        .iter()
        .map(|owner| {
            let shown = super::odata::apply_select(owner, select.as_deref());
            limited_unless_readable(&request.caller, owner, shown)
        })
        .collect();
    Ok(collection::values_response(
        app,
        request,
        "directoryObjects",
        values,
    ))
}

/// A directory object as Graph lists it among a group's owners or members: whole when the
/// caller may read its kind (a service principal needs Application.Read.All, a user
/// User.Read.All, or Directory.Read.All for either), else a *limited object* with only
/// `@odata.type` and `id` (every other property null). Graph does this rather than refuse the listing ("Limited
/// information returned for inaccessible member objects", Microsoft Graph's permissions
/// overview); a caller without Application.Read.All cannot tell the Intune Provisioning Client
/// among the owners by its `appId`.
fn limited_unless_readable(caller: &Caller, owner: &Value, shown: Value) -> Value {
    let kind = collection::str_of(owner, "@odata.type").to_ascii_lowercase();
    let readable = match kind.as_str() {
        "#microsoft.graph.serviceprincipal" => caller.has_any(super::permissions::SP_READ),
        "#microsoft.graph.user" => caller.has_any(super::permissions::USER_READ),
        _ => true,
    };
    if readable {
        return shown;
    }
    let mut limited = Map::new();
    limited.insert(
        "@odata.type".to_string(),
        json!(collection::str_of(owner, "@odata.type")),
    );
    limited.insert("id".to_string(), json!(collection::str_of(owner, "id")));
    if let Value::Object(fields) = &shown {
        for name in fields.keys() {
            limited.entry(name.clone()).or_insert(Value::Null);
        }
    }
    Value::Object(limited)
}

fn add_owner(app: &App, request: &GraphRequest, id: &str) -> Result<Response, GraphError> {
    let body = request.json_object()?;
    if let Some(other) = body.keys().find(|k| *k != "@odata.id") {
        return Err(GraphError::directory_bad_request(format!(
            "Invalid property '{other}'."
        )));
    }
    let reference = body.get("@odata.id").ok_or_else(|| {
        GraphError::directory_bad_request("The request body must contain '@odata.id'.")
    })?;
    let owner = reference_id(reference)?;
    app.store.write(|tenant| {
        if !tenant.groups.contains(id) || !visible(app, id) {
            return Err(GraphError::directory_not_found(id));
        }
        let is_principal = tenant.service_principals.contains(&owner) || tenant.users.contains(&owner);
        if !is_principal || !visible(app, &owner) {
            return Err(GraphError::directory_not_found(&owner));
        }
        let owners = tenant.lab.group_owners.entry(id.to_owned()).or_default();
        if owners.contains(&owner) {
            return Err(GraphError::directory_bad_request(
                "One or more added object references already exist for the following modified properties: 'owners'.",
            ));
        }
        owners.push(owner.clone());
        Ok(())
    })?;
    owner_added(app, id, &owner);
    tracing::info!(group = %id, %owner, "group owner added");
    Ok(no_content())
}

/// The key under which Intune's view of a new owner of a group replicates.
pub fn owner_replication_key(group: &str, owner: &str) -> String {
    format!("owner:{group}:{owner}")
}

/// A new owner reaches Intune after the `owner_replication_delay_ms` setting.
fn owner_added(app: &App, group: &str, owner: &str) {
    app.replication.created(
        &owner_replication_key(group, owner),
        Duration::from_millis(app.settings.get().owner_replication_delay_ms),
    );
}

fn remove_owner(app: &App, id: &str, owner: &str) -> Result<Response, GraphError> {
    app.store.write(|tenant| {
        if !tenant.groups.contains(id) || !visible(app, id) {
            return Err(GraphError::directory_not_found(id));
        }
        let is_user = tenant.users.contains(owner);
        let owners = tenant.lab.group_owners.entry(id.to_owned()).or_default();
        let Some(position) = owners.iter().position(|o| o == owner) else {
            return Err(GraphError::directory_not_found(owner));
        };
        if is_user && owners.len() == 1 {
            return Err(GraphError::directory_bad_request(
                "The group must have at least one owner, hence this owner cannot be removed.",
            ));
        }
        owners.remove(position);
        if owners.is_empty() {
            tenant.lab.group_owners.remove(id);
        }
        Ok(())
    })?;
    tracing::info!(group = %id, %owner, "group owner removed");
    Ok(no_content())
}

// ---------------------------------------------------------------------------------------------
// Service principals

/// `appId='...'` (alternate key) or an object id.
enum SpKey {
    Id(String),
    AppId(String),
}

fn sp_key(segment: &str) -> SpKey {
    let lower = segment.to_ascii_lowercase();
    if lower.starts_with("appid=") {
        let value = segment[6..].trim_matches('\'').replace("''", "'");
        SpKey::AppId(value)
    } else {
        SpKey::Id(segment.to_owned())
    }
}

fn find_sp(app: &App, tenant: &Tenant, key: &SpKey) -> Option<Value> {
    let found = match key {
        SpKey::Id(id) => tenant.service_principals.get(id).cloned(),
        SpKey::AppId(app_id) => tenant
            .service_principals
            .values()
            .find(|sp| collection::str_of(sp, "appId").eq_ignore_ascii_case(app_id))
            .cloned(),
    }?;
    visible(app, collection::str_of(&found, "id")).then_some(found)
}

fn sp_not_found(key: &SpKey) -> GraphError {
    match key {
        SpKey::Id(id) => GraphError::directory_not_found(id),
        SpKey::AppId(app_id) => GraphError::directory_not_found(&format!("appId='{app_id}'")),
    }
}

/// Routes the segments after `servicePrincipals`.
pub fn route_service_principals(
    app: &App,
    request: &GraphRequest,
    rest: &[String],
) -> Result<Response, GraphError> {
    let method = &request.method;
    match rest {
        [] => by_method!(method,
            GET => list_service_principals(app, request),
            POST => create_service_principal(app, request),
        ),
        [key] => {
            let key = sp_key(key);
            by_method!(method,
                GET => get_service_principal(app, request, &key),
                PATCH => update_service_principal(app, request, &key),
                DELETE => delete_service_principal(app, &key),
            )
        }
        [_, other, ..] => Err(GraphError::segment_not_found(other)),
    }
}

fn list_service_principals(app: &App, request: &GraphRequest) -> Result<Response, GraphError> {
    let listing = Listing {
        directory: true,
        ..Listing::plain(
            "servicePrincipals",
            "servicePrincipals".to_owned(),
            &SERVICE_PRINCIPAL,
        )
    };
    collection::list(
        app,
        request,
        &listing,
        service_principals,
        |_, sp| visible(app, collection::str_of(sp, "id")),
        |_, sp, _| plain(sp),
    )
}

fn get_service_principal(
    app: &App,
    request: &GraphRequest,
    key: &SpKey,
) -> Result<Response, GraphError> {
    let select =
        super::odata::parse_select(request.query.select.as_deref(), &SERVICE_PRINCIPAL, &[])?;
    let found = app
        .store
        .read(|tenant| find_sp(app, tenant, key))
        .ok_or_else(|| sp_not_found(key))?;
    Ok(collection::entity_response(
        app,
        request,
        StatusCode::OK,
        "servicePrincipals/$entity",
        super::odata::apply_select(&plain(&found), select.as_deref()),
    ))
}

fn create_service_principal(app: &App, request: &GraphRequest) -> Result<Response, GraphError> {
    let body = request.json_object()?;
    let given = directory_properties(&SERVICE_PRINCIPAL, &body, &[])?;
    let app_id = given
        .get("appId")
        .and_then(Value::as_str)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| required("appId", "ServicePrincipal"))?
        .to_ascii_lowercase();
    let known = seed::FIRST_PARTY_APPS
        .iter()
        .find(|(known, _, _)| known.eq_ignore_ascii_case(&app_id))
        .map(|(_, name, _)| ((*name).to_owned(), seed::MICROSOFT_TENANT_ID.to_owned()))
        .or_else(|| {
            app.config.client_id.eq_ignore_ascii_case(&app_id).then(|| {
                (
                    "autopilot-lab client".to_owned(),
                    app.config.tenant_id.clone(),
                )
            })
        });
    let Some((name, owner_tenant)) = known else {
        return Err(GraphError::directory_bad_request(format!(
            "The appId '{app_id}' of the service principal does not reference a valid application object."
        )));
    };
    let id = Uuid::new_v4().to_string();
    let mut sp = seed::service_principal(&id, &app_id, &name, &owner_tenant);
    if let Some(map) = sp.as_object_mut() {
        for (property, value) in &given {
            if property != "appId" {
                map.insert(property.clone(), value.clone());
            }
        }
    }
    app.store.write(|tenant| {
        let exists = tenant
            .service_principals
            .values()
            .any(|sp| collection::str_of(sp, "appId").eq_ignore_ascii_case(&app_id));
        if exists {
            return Err(GraphError::new(
                StatusCode::CONFLICT,
                "Request_MultipleObjectsWithSameKeyValue",
                "Another object with the same value for property servicePrincipalNames already exists.",
            ));
        }
        tenant.service_principals.insert(id.clone(), sp.clone());
        Ok(())
    })?;
    app.replication.created(
        &id,
        Duration::from_millis(app.settings.get().replication_delay_ms),
    );
    tracing::info!(%id, %app_id, "service principal created");
    Ok(collection::created_response(
        app,
        request,
        "servicePrincipals/$entity",
        &format!("servicePrincipals/{id}"),
        plain(&sp),
    ))
}

fn update_service_principal(
    app: &App,
    request: &GraphRequest,
    key: &SpKey,
) -> Result<Response, GraphError> {
    let body = request.json_object()?;
    let given = directory_properties(&SERVICE_PRINCIPAL, &body, &[])?;
    if given.contains_key("appId") {
        return Err(GraphError::directory_bad_request(
            "Property 'appId' is read-only and cannot be set.",
        ));
    }
    let updated = app.store.write(|tenant| {
        let found = find_sp(app, tenant, key).ok_or_else(|| sp_not_found(key))?;
        let id = collection::str_of(&found, "id").to_owned();
        let mut merged = found.as_object().cloned().unwrap_or_default();
        merged.extend(given);
        let merged = Value::Object(merged);
        tenant.service_principals.insert(id, merged.clone());
        Ok::<_, GraphError>(merged)
    })?;
    Ok(collection::patched_response(
        app,
        request,
        "servicePrincipals/$entity",
        plain(&updated),
    ))
}

fn delete_service_principal(app: &App, key: &SpKey) -> Result<Response, GraphError> {
    app.store.write(|tenant| {
        let found = find_sp(app, tenant, key).ok_or_else(|| sp_not_found(key))?;
        let id = collection::str_of(&found, "id").to_owned();
        tenant.service_principals.remove(&id);
        for owners in tenant.lab.group_owners.values_mut() {
            owners.retain(|o| *o != id);
        }
        tenant
            .lab
            .group_owners
            .retain(|_, owners| !owners.is_empty());
        Ok::<_, GraphError>(())
    })?;
    Ok(no_content())
}

// ---------------------------------------------------------------------------------------------
// Users and directory objects

/// Routes the segments after `users` (seeded, read-only).
pub fn route_users(
    app: &App,
    request: &GraphRequest,
    rest: &[String],
) -> Result<Response, GraphError> {
    match rest {
        [] => match request.method {
            Method::GET => {
                let listing = Listing {
                    directory: true,
                    ..Listing::plain("users", "users".to_owned(), &USER)
                };
                collection::list(
                    app,
                    request,
                    &listing,
                    users,
                    |_, _| true,
                    |_, u, _| plain(u),
                )
            }
            _ => Err(method_not_allowed(&["GET"])),
        },
        [key] => match request.method {
            Method::GET => {
                let select =
                    super::odata::parse_select(request.query.select.as_deref(), &USER, &[])?;
                let found = app
                    .store
                    .read(|tenant| find_user(tenant, key).cloned())
                    .ok_or_else(|| GraphError::directory_not_found(key))?;
                Ok(collection::entity_response(
                    app,
                    request,
                    StatusCode::OK,
                    "users/$entity",
                    super::odata::apply_select(&plain(&found), select.as_deref()),
                ))
            }
            _ => Err(method_not_allowed(&["GET"])),
        },
        [_, other, ..] => Err(GraphError::segment_not_found(other)),
    }
}

/// A user by object id or user principal name.
pub fn find_user<'t>(tenant: &'t Tenant, key: &str) -> Option<&'t Value> {
    tenant.users.get(key).or_else(|| {
        tenant
            .users
            .values()
            .find(|u| collection::str_of(u, "userPrincipalName").eq_ignore_ascii_case(key))
    })
}

/// Routes the segments after `directoryObjects`: `GET /directoryObjects/{id}` answers any
/// group, service principal or user, with its `@odata.type`.
pub fn route_directory_objects(
    app: &App,
    request: &GraphRequest,
    rest: &[String],
) -> Result<Response, GraphError> {
    match rest {
        [id] => match request.method {
            Method::GET => {
                let found = app
                    .store
                    .read(|tenant| directory_object(app, tenant, id).cloned())
                    .ok_or_else(|| GraphError::directory_not_found(id))?;
                Ok(collection::entity_response(
                    app,
                    request,
                    StatusCode::OK,
                    "directoryObjects/$entity",
                    found,
                ))
            }
            _ => Err(method_not_allowed(&["GET"])),
        },
        [] => Err(method_not_allowed(&[])),
        [_, other, ..] => Err(GraphError::segment_not_found(other)),
    }
}

/// Whether a dynamic group's rule selects an Autopilot device. The lab evaluates the documented
/// Autopilot device rules only: any device (`[ZTDID]`), by group tag (`[OrderID]:TAG`) and by
/// purchase order (`[PurchaseOrderId]:ID`). Each quoted literal of the rule is one alternative.
pub fn group_contains_device(group: &Value, device: &Value) -> bool {
    if !is_dynamic(group.get("groupTypes").unwrap_or(&Value::Null))
        || !collection::str_of(group, "membershipRuleProcessingState").eq_ignore_ascii_case("On")
    {
        return false;
    }
    let rule = collection::str_of(group, "membershipRule");
    let group_tag = collection::str_of(device, "groupTag");
    let purchase_order = collection::str_of(device, "purchaseOrderIdentifier");
    rule.split('"').skip(1).step_by(2).any(|literal| {
        let lower = literal.to_ascii_lowercase();
        if lower.starts_with("[ztdid]") {
            return true;
        }
        if let Some(tag) = lower.strip_prefix("[orderid]:") {
            return !group_tag.is_empty() && tag == group_tag.to_ascii_lowercase();
        }
        if let Some(order) = lower.strip_prefix("[purchaseorderid]:") {
            return !purchase_order.is_empty() && order == purchase_order.to_ascii_lowercase();
        }
        false
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nicknames_rules_and_sids() {
        assert!(valid_mail_nickname("ap-deviceprep-devices"));
        for bad in ["", "a b", "a@b", "a.b", "a(b", "é", &"x".repeat(65)] {
            assert!(!valid_mail_nickname(bad), "{bad}");
        }
        assert!(
            check_membership_rule(r#"(device.devicePhysicalIDs -any (_ -contains "[ZTDID]"))"#)
                .is_ok()
        );
        assert!(
            check_membership_rule(r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:X")"#)
                .is_err()
        );
        assert!(check_membership_rule("(foo -eq 1)").is_err());
        let id = Uuid::parse_str("6f1b5b3e-7c55-4a7e-9a51-2a4c1a4b0c11").unwrap();
        let sid = security_identifier(&id);
        assert!(sid.starts_with("S-1-12-1-"));
        assert_eq!(sid.split('-').count(), 8);
        assert_eq!(
            sid.split('-').nth(4).unwrap(),
            u32::from_le_bytes([0x3e, 0x5b, 0x1b, 0x6f]).to_string()
        );
    }

    #[test]
    fn dynamic_rules_select_devices() {
        let group = |rule: &str| json!({"groupTypes": ["DynamicMembership"], "membershipRule": rule, "membershipRuleProcessingState": "On"});
        let device = json!({"groupTag": "Sales", "purchaseOrderIdentifier": "PO-1"});
        assert!(group_contains_device(
            &group(r#"(device.devicePhysicalIDs -any (_ -contains "[ZTDID]"))"#),
            &device
        ));
        assert!(group_contains_device(
            &group(r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:sales"))"#),
            &device
        ));
        assert!(!group_contains_device(
            &group(r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:HR"))"#),
            &device
        ));
        assert!(group_contains_device(
            &group(r#"(device.devicePhysicalIds -any (_ -eq "[PurchaseOrderId]:PO-1"))"#),
            &device
        ));
        let mut paused = group(r#"(device.devicePhysicalIDs -any (_ -contains "[ZTDID]"))"#);
        paused["membershipRuleProcessingState"] = json!("Paused");
        assert!(!group_contains_device(&paused, &device));
        assert!(!group_contains_device(&json!({"groupTypes": []}), &device));
    }
}
