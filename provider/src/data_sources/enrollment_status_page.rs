//! Data source `autopilot_enrollment_status_page`: one Enrollment Status
//! Page, found by id, by display name, or as the tenant's default ESP.

use std::collections::BTreeSet;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::{Attr, DataSource, Diagnostics};

use super::{NotOne, exactly_one, read_intune_object, the_one_id};
use crate::graph::GraphClient;
use crate::resources::assignments::FilterType;
use crate::resources::enrollment_status_page::{
    EnrollmentStatusPage, EnrollmentStatusPageModel, EspPayload, EspTargets, is_default_esp,
    list_esps,
};
use crate::resources::intune::IntuneResource;
use crate::resources::report;

/// An Enrollment Status Page (ESP), found by `id`, by `display_name` (which
/// must be unique), or with `default = true` as the tenant's default ESP
/// ("All users and all devices", priority 0), which the
/// `autopilot_enrollment_status_page` resource never manages.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(extend("x-tf-fields" = "computed"))]
pub struct EnrollmentStatusPageDataModel {
    /// The ESP's Graph object id. Set this, `display_name` or `default = true`.
    #[schemars(extend("x-tf" = "optional,computed"))]
    pub id: Attr<String>,
    /// The ESP's name in Intune; it must match exactly one ESP.
    #[schemars(extend("x-tf" = "optional,computed"))]
    pub display_name: Attr<String>,
    /// `true` finds the tenant's default ESP. After the read: whether the ESP found is the default one.
    #[schemars(extend("x-tf" = "optional,computed"))]
    pub default: Attr<bool>,
    /// The description.
    pub description: Attr<String>,
    /// Whether app and profile configuration progress is shown.
    pub show_installation_progress: Attr<bool>,
    /// Graph's inverse of "Block device use until all apps and profiles are installed" (`false` blocks).
    pub block_device_setup_retry_by_user: Attr<bool>,
    /// Whether users may reset the device on an installation error.
    pub allow_device_reset_on_install_failure: Attr<bool>,
    /// Whether log collection is offered on an installation error.
    pub allow_log_collection_on_install_failure: Attr<bool>,
    /// The custom error message, null when Windows' default is shown.
    pub custom_error_message: Attr<String>,
    /// Minutes before an installation error is shown.
    pub install_progress_timeout_in_minutes: Attr<i64>,
    /// Whether users may use the device on an installation error.
    pub allow_device_use_on_install_failure: Attr<bool>,
    /// Ids of the apps device use is blocked on (empty: all required apps).
    pub selected_mobile_app_ids: Attr<BTreeSet<String>>,
    /// Whether only selected blocking apps fail the technician phase.
    pub allow_non_blocking_app_installation: Attr<bool>,
    /// Whether Windows quality updates are installed during OOBE.
    pub install_quality_updates: Attr<bool>,
    /// Whether the page is only shown to devices provisioned by OOBE.
    pub track_install_progress_for_autopilot_only: Attr<bool>,
    /// Whether the user phase is only shown to the first user.
    pub disable_user_status_tracking_after_first_user: Attr<bool>,
    /// The priority (0 for the default ESP; the lowest number wins).
    pub priority: Attr<i64>,
    /// Ids of the scope tags.
    pub role_scope_tag_ids: Attr<BTreeSet<String>>,
    /// Object ids of the groups the ESP is assigned to.
    pub include_group_ids: Attr<BTreeSet<String>>,
    /// Object ids of the excluded groups.
    pub exclude_group_ids: Attr<BTreeSet<String>>,
    /// Whether the ESP is assigned to all devices.
    pub all_devices: Attr<bool>,
    /// Whether the ESP is assigned to all users.
    pub all_users: Attr<bool>,
    /// Id of the assignment filter on the ESP's included targets, null when there is none.
    pub assignment_filter_id: Attr<String>,
    /// `include` or `exclude` with a filter; null without one, or when the targets carry different filters.
    pub assignment_filter_type: Attr<FilterType>,
    /// When the ESP was created (ISO 8601).
    pub created_date_time: Attr<String>,
    /// When the ESP was last changed (ISO 8601).
    pub last_modified_date_time: Attr<String>,
}

impl EnrollmentStatusPageDataModel {
    fn from_resource(m: EnrollmentStatusPageModel, default: bool) -> Self {
        EnrollmentStatusPageDataModel {
            id: m.id,
            display_name: m.display_name,
            default: Attr::Known(default),
            description: m.description,
            show_installation_progress: m.show_installation_progress,
            block_device_setup_retry_by_user: m.block_device_setup_retry_by_user,
            allow_device_reset_on_install_failure: m.allow_device_reset_on_install_failure,
            allow_log_collection_on_install_failure: m.allow_log_collection_on_install_failure,
            custom_error_message: m.custom_error_message,
            install_progress_timeout_in_minutes: m.install_progress_timeout_in_minutes,
            allow_device_use_on_install_failure: m.allow_device_use_on_install_failure,
            selected_mobile_app_ids: m.selected_mobile_app_ids,
            allow_non_blocking_app_installation: m.allow_non_blocking_app_installation,
            install_quality_updates: m.install_quality_updates,
            track_install_progress_for_autopilot_only: m.track_install_progress_for_autopilot_only,
            disable_user_status_tracking_after_first_user: m
                .disable_user_status_tracking_after_first_user,
            priority: m.priority,
            role_scope_tag_ids: m.role_scope_tag_ids,
            include_group_ids: m.include_group_ids,
            exclude_group_ids: m.exclude_group_ids,
            all_devices: m.all_devices,
            all_users: m.all_users,
            assignment_filter_id: m.assignment_filter_id,
            assignment_filter_type: m.assignment_filter_type,
            created_date_time: m.created_date_time,
            last_modified_date_time: m.last_modified_date_time,
        }
    }
}

/// A data source's "prior": empty sets stay empty sets rather than null.
fn empty_sets() -> EnrollmentStatusPageModel {
    EnrollmentStatusPageModel {
        include_group_ids: Attr::Known(BTreeSet::new()),
        exclude_group_ids: Attr::Known(BTreeSet::new()),
        selected_mobile_app_ids: Attr::Known(BTreeSet::new()),
        ..Default::default()
    }
}

fn is_default(esp: &EspPayload) -> bool {
    esp.id.as_deref().is_some_and(is_default_esp)
}

pub struct EnrollmentStatusPageData;

impl EnrollmentStatusPageData {
    /// The id of the ESP the configuration selects.
    async fn find(
        &self,
        client: &GraphClient,
        config: &EnrollmentStatusPageDataModel,
        diags: &mut Diagnostics,
    ) -> Option<String> {
        if let Attr::Known(id) = &config.id {
            return Some(id.clone());
        }
        let esps = match list_esps(client).await {
            Ok(e) => e,
            Err(e) => {
                report(diags, "list the Enrollment Status Pages", &e);
                return None;
            }
        };
        let (matching, what): (Vec<&EspPayload>, String) = match &config.display_name {
            Attr::Known(name) => (
                esps.iter()
                    .filter(|e| e.display_name.as_deref() == Some(name.as_str()))
                    .collect(),
                format!("named {name:?}"),
            ),
            _ => (
                esps.iter()
                    .filter(|e| {
                        is_default(e)
                            || (esps.iter().all(|e| !is_default(e)) && e.priority == Some(0))
                    })
                    .collect(),
                "that is the tenant's default".to_string(),
            ),
        };
        let ids: Vec<&Option<String>> = matching.iter().map(|e| &e.id).collect();
        let not_one = NotOne {
            by: if config.display_name.is_null() {
                "default"
            } else {
                "display_name"
            },
            none_summary: "No Enrollment Status Page found".into(),
            none_detail: format!("No Enrollment Status Page {what} exists in the tenant."),
            several_summary: "Several Enrollment Status Pages match".into(),
            several_are: format!("Enrollment Status Pages are {what}"),
        };
        the_one_id(&ids, not_one, diags)
    }
}

#[async_trait]
impl DataSource<GraphClient> for EnrollmentStatusPageData {
    type Model = EnrollmentStatusPageDataModel;
    const TYPE_NAME: &'static str = "autopilot_enrollment_status_page";

    fn validate(&self, config: &EnrollmentStatusPageDataModel, diags: &mut Diagnostics) {
        exactly_one(
            &[
                ("id", !config.id.is_null()),
                ("display_name", !config.display_name.is_null()),
                (
                    "default",
                    matches!(config.default, Attr::Known(true) | Attr::Unknown),
                ),
            ],
            "Enrollment Status Page",
            diags,
        );
    }

    async fn read(
        &self,
        client: &GraphClient,
        config: EnrollmentStatusPageDataModel,
        diags: &mut Diagnostics,
    ) -> Option<EnrollmentStatusPageDataModel> {
        let id = self.find(client, &config, diags).await?;
        let (esp, assignments) =
            read_intune_object::<EspPayload>(client, &EnrollmentStatusPage::KIND, &id, diags)
                .await?;
        let default = is_default(&esp) || esp.priority == Some(0);
        let model = EnrollmentStatusPageModel::from_graph(
            esp,
            EspTargets::from_assignments(&assignments),
            &empty_sets(),
        );
        Some(EnrollmentStatusPageDataModel::from_resource(model, default))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(m: &EnrollmentStatusPageDataModel) -> Vec<String> {
        crate::test_support::error_paths(|diags| EnrollmentStatusPageData.validate(m, diags))
    }

    #[test]
    fn one_lookup() {
        let default = EnrollmentStatusPageDataModel {
            default: Attr::Known(true),
            ..Default::default()
        };
        assert!(errors(&default).is_empty());
        let both = EnrollmentStatusPageDataModel {
            id: Attr::Known("x".into()),
            ..default
        };
        assert_eq!(errors(&both), ["id", "default"]);
        let not_default = EnrollmentStatusPageDataModel {
            default: Attr::Known(false),
            ..Default::default()
        };
        assert_eq!(errors(&not_default).len(), 3);
        tfplugin::Schema::of::<EnrollmentStatusPageDataModel>(0).expect("schema");
    }
}
