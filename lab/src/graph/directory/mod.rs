//! The directory: `/groups` (with owners), `/servicePrincipals`, `/users`, `/devices` and
//! `/directoryObjects`, on beta and v1.0. Errors use the directory's codes
//! (`Request_BadRequest`, `Request_ResourceNotFound`, ...). New groups and service principals
//! honour the `replication_delay_ms` setting.

use serde_json::Value;
use uuid::Uuid;

use axum::http::StatusCode;

use super::GraphRequest;
use super::collection::{self, Listing, Paging};
use super::odata;
use super::schema::StructuredType;
use crate::app::App;
use crate::errors::GraphError;
use crate::graph::GraphResult;
use crate::store::{Collection, Tenant};

mod devices;
mod group_rules;
mod groups;
mod members;
mod owners;
mod service_principals;
mod users;

use devices::registration_of;
pub use devices::{
    DEVICE, PAGING as DEVICES_PAGING, add_entra_device, add_registered_entra_device, route_devices,
};
use group_rules::*;
pub use group_rules::{check_membership_rule, group_contains_device, valid_mail_nickname};
pub use groups::{GROUP, PAGING as GROUPS_PAGING, route_groups};
use members::*;
pub use members::{PAGING as MEMBERS_PAGING, members_of};
use owners::*;
pub use owners::{PAGING as OWNERS_PAGING, owner_replication_key, owners_of};
pub use service_principals::{
    PAGING as SERVICE_PRINCIPALS_PAGING, SERVICE_PRINCIPAL, route_service_principals,
};
pub use users::{PAGING as USERS_PAGING, USER, find_user, route_directory_objects, route_users};

graph_types!("graph_directory");

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

/// Lists a directory collection (`$top` within 1..=max, or 400): the objects `pick` holds that
/// have replicated, without `@odata.type`.
fn list_visible(
    app: &App,
    request: &GraphRequest,
    paging: &'static Paging,
    path: &str,
    base: &'static StructuredType,
    pick: fn(&Tenant) -> &Collection,
) -> GraphResult {
    let listing = Listing {
        directory: true,
        ..Listing::plain(paging, path.to_owned(), base)
    };
    collection::list(
        app,
        request,
        &listing,
        pick,
        |_, object| visible(app, collection::str_of(object, "id")),
        |_, object, _| plain(object),
    )
}

/// `GET {path}/{key}`: the object `find` finds in the set at `path`, as the directory shows it
/// (without `@odata.type`, `$select` checked against `base`); `missing` when there is none.
fn get_plain(
    app: &App,
    request: &GraphRequest,
    path: &str,
    base: &'static StructuredType,
    find: impl FnOnce(&Tenant) -> Option<Value>,
    missing: impl FnOnce() -> GraphError,
) -> GraphResult {
    let select = odata::parse_select(request.query.select.as_deref(), base, &[])?;
    let found = app.store.read(find).ok_or_else(missing)?;
    Ok(collection::entity_response(
        app,
        request,
        StatusCode::OK,
        &format!("{path}/$entity"),
        odata::apply_select(&plain(&found), select.as_deref()),
    ))
}

/// Any directory object (group, service principal, user, Entra device) by id, if visible.
fn directory_object<'t>(app: &App, tenant: &'t Tenant, id: &str) -> Option<&'t Value> {
    if !visible(app, id) {
        return None;
    }
    member_object(tenant, id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
