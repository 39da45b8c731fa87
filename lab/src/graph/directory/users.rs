//! `/users` and `/directoryObjects`: read-only views of the seeded users and of any directory
//! object by id.

use axum::http::{Method, StatusCode};
use serde_json::Value;

use super::{directory_object, get_plain, list_visible, users};
use crate::app::App;
use crate::errors::GraphError;
use crate::graph::GraphResult;
use crate::graph::collection::{self, Paging};
use crate::graph::{GraphRequest, method_not_allowed};
use crate::store::Tenant;

graph_types!("graph_directory_users");

/// Page size of the listing: the directory refuses a `$top` above the maximum.
pub static PAGING: Paging = Paging::new("users", 100, 999);

/// Routes the segments after `users` (seeded, read-only).
pub fn route_users(app: &App, request: &GraphRequest, rest: &[String]) -> GraphResult {
    match rest {
        [] => match request.method {
            // Seeded users never wait for replication: every one is visible.
            Method::GET => list_visible(app, request, &PAGING, "users", &USER, users),
            _ => Err(method_not_allowed(&["GET"])),
        },
        [key] => match request.method {
            Method::GET => get_plain(
                app,
                request,
                "users",
                &USER,
                |tenant| find_user(tenant, key).cloned(),
                || GraphError::directory_not_found(key),
            ),
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
pub fn route_directory_objects(app: &App, request: &GraphRequest, rest: &[String]) -> GraphResult {
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
