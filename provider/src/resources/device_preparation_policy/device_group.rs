//! The device group of `autopilot_device_preparation_policy`: setting it
//! with `setEnrollmentTimeDeviceMembershipTarget` (retried while Intune
//! catches up with a new group or owner), reading Intune's verdicts, and the
//! diagnostics that say what to do about a refusal.

use serde_json::Value;
use tfplugin::{Attr, AttrPath, Diagnostics};

use super::graph::{COLLECTION, MembershipTarget, MembershipTargets, STATIC_SECURITY_GROUP};
use super::model::PolicyTimeouts;
use crate::graph::{ApiVersion, GraphClient, GraphError};
use crate::resources::group::{device_group_problems, not_owned_detail};
use crate::resources::report;

/// How long Intune may take to see a new device group and its owner when
/// `timeouts.create` is unset.
pub(super) const DEFAULT_CREATE_TIMEOUT: std::time::Duration =
    std::time::Duration::from_secs(5 * 60);

/// Refusal codes that replication cannot explain: no retry.
pub(super) const LASTING_REFUSALS: &[&str] = &[
    "notSecurityGroup",
    "notStaticSecurityGroup",
    "securityGroupNotInCallerScope",
];

/// How Intune judged a device group, from the answer of
/// `setEnrollmentTimeDeviceMembershipTarget` (bare or wrapped in `value`).
#[derive(Debug, PartialEq)]
pub(super) struct TargetVerdict {
    pub(super) succeeded: bool,
    /// (target id, error code) of the targets that failed.
    pub(super) failures: Vec<(String, String)>,
}

impl TargetVerdict {
    pub(super) fn parse(answer: &Value) -> Self {
        let body = match answer.get("value") {
            Some(v @ Value::Object(_)) => v,
            _ => answer,
        };
        let statuses = body
            .get("enrollmentTimeDeviceMembershipTargetValidationStatuses")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let succeeded = body
            .get("validationSucceeded")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        let failures = if succeeded {
            Vec::new()
        } else {
            statuses
                .iter()
                .filter(|s| s.get("validationSucceeded").and_then(Value::as_bool) != Some(true))
                .map(|s| {
                    let text = |k: &str| {
                        s.get(k)
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string()
                    };
                    (text("targetId"), text("targetValidationErrorCode"))
                })
                .collect()
        };
        TargetVerdict {
            succeeded,
            failures,
        }
    }

    /// A refusal that waiting for replication cannot change.
    pub(super) fn is_lasting(&self) -> bool {
        self.failures.iter().any(|(_, code)| {
            LASTING_REFUSALS
                .iter()
                .any(|lasting| code.eq_ignore_ascii_case(lasting))
        })
    }

    /// Intune does not see the group yet (it was just created).
    pub(super) fn group_not_seen_yet(&self) -> bool {
        !self.succeeded
            && !self.failures.is_empty()
            && self
                .failures
                .iter()
                .all(|(_, code)| code.eq_ignore_ascii_case("securityGroupNotFound"))
    }
}

/// The target id of the device group from
/// `retrieveEnrollmentTimeDeviceMembershipTarget`'s answer.
pub(super) fn retrieved_target(answer: &Value) -> Option<String> {
    let body = match answer.get("value") {
        Some(v @ Value::Object(_)) => v,
        _ => answer,
    };
    for key in [
        "enrollmentTimeDeviceMembershipTargetValidationStatuses",
        "enrollmentTimeDeviceMembershipTargets",
    ] {
        if let Some(id) = body
            .get(key)
            .and_then(Value::as_array)
            .and_then(|items| items.iter().find_map(|i| i.get("targetId")?.as_str()))
        {
            return Some(id.to_string());
        }
    }
    // A bare collection of targets.
    answer
        .get("value")
        .and_then(Value::as_array)
        .and_then(|items| items.iter().find_map(|i| i.get("targetId")?.as_str()))
        .map(str::to_string)
}

/// The diagnostic for a device group Intune refused, saying what to do.
pub(super) fn refusal(group_id: &str, code: &str) -> (String, String) {
    let (summary, detail) = match code.to_ascii_lowercase().as_str() {
        "securitygroupnotfound" => (
            "The device group does not exist",
            format!(
                "Intune cannot find group {group_id}. Check `device_group_id`; a group created moments ago may also not have replicated yet, so apply again."
            ),
        ),
        "notsecuritygroup" => (
            "The device group is not a security group",
            format!(
                "Group {group_id} is not a security group. Use an assigned security group, e.g. an `autopilot_group`."
            ),
        ),
        "notstaticsecuritygroup" => (
            "The device group has dynamic membership",
            format!(
                "Group {group_id} is dynamic; device preparation needs an assigned (static) group. Remove `membership_rule`, `group_tags` and `all_autopilot_devices` from it."
            ),
        ),
        "firstpartyappnotanowner" => (
            "The device group is not owned by the Intune Provisioning Client",
            not_owned_detail("", group_id),
        ),
        "securitygroupnotincallerscope" => (
            "The device group is outside the caller's scope",
            format!(
                "Group {group_id} is outside the scope of the Intune role assigned to the provider's identity. Grant the role on this group's scope, or use another group."
            ),
        ),
        _ => (
            "Intune refused the device group",
            format!("Intune refused group {group_id} as the device group ({code})."),
        ),
    };
    (summary.to_string(), detail)
}

/// The create timeout of a `timeouts` block.
pub(super) fn create_timeout(timeouts: &Attr<PolicyTimeouts>) -> std::time::Duration {
    crate::resources::timeouts::timeout(timeouts, "create", DEFAULT_CREATE_TIMEOUT)
}

/// How setting a policy's device group ended.
pub(super) enum DeviceGroupOutcome {
    Set,
    /// Intune refused the group; the diagnostics say why.
    Refused,
    /// Intune answered 500: with application credentials, the known
    /// limitation of `setEnrollmentTimeDeviceMembershipTarget`.
    ServerError(GraphError),
    /// Any other failure, already reported.
    Failed,
}

/// The diagnostic for a 500 from `setEnrollmentTimeDeviceMembershipTarget`:
/// with application credentials, a known limitation, and the ways through.
pub(super) fn server_error_diagnostic(
    policy_id: &str,
    group_id: &str,
    delegated: bool,
    error: &GraphError,
) -> (String, String) {
    if delegated {
        return (
            "Intune failed to set the policy's device group".to_string(),
            format!(
                "Setting group {group_id} as the device group of policy {policy_id} failed with a server error; \
                 the policy is kept without its device group and the next apply tries again. ({error})"
            ),
        );
    }
    (
        "Intune refused to set the device group for application credentials".to_string(),
        format!(
            "Intune answered 500 to setEnrollmentTimeDeviceMembershipTarget for policy {policy_id}. This action \
             has been observed to fail this way for application (app-only) credentials (client secret, \
             certificate, OIDC, managed identity) while working for a signed-in user, although Microsoft \
             documents application permissions as supported; retrying does not help. The policy is kept, \
             without its device group. Ways through: (1) apply again with delegated credentials, \
             `use_device_code = true` with your own public client application (see the provider documentation, \
             \"Credentials and what they can reach\"); or (2) set group {group_id} as the policy's device group \
             in the Intune admin center (Devices > Windows > Enrollment > Device preparation policies); the \
             provider then reads it back as `device_group_id`, without a diff. ({error})"
        ),
    )
}

/// Sets the device group. Intune may refuse a group created moments
/// ago, or one whose owner was just added, until they replicate to it:
/// while the directory shows the group as it must be, any refusal but a
/// lasting one is tried again until `deadline`. A refusal becomes an
/// error saying what to do.
pub(super) async fn set_device_group(
    client: &GraphClient,
    id: &str,
    group_id: &str,
    deadline: tokio::time::Instant,
    diags: &mut Diagnostics,
) -> DeviceGroupOutcome {
    let body = MembershipTargets {
        enrollment_time_device_membership_targets: vec![MembershipTarget {
            target_type: STATIC_SECURITY_GROUP,
            target_id: group_id,
        }],
    };
    let path = format!("{COLLECTION}/{id}/setEnrollmentTimeDeviceMembershipTarget");
    let mut attempt: u32 = 0;
    let verdict = loop {
        let answer: Value = match client
            .post_until_visible(ApiVersion::Beta, &path, &body, |answer: &Value| {
                TargetVerdict::parse(answer).group_not_seen_yet()
            })
            .await
        {
            Ok(answer) => answer,
            Err(e) if e.status() == Some(500) => return DeviceGroupOutcome::ServerError(e),
            Err(e) => {
                report(diags, "set the policy's device group", &e);
                return DeviceGroupOutcome::Failed;
            }
        };
        let verdict = TargetVerdict::parse(&answer);
        if verdict.succeeded {
            return DeviceGroupOutcome::Set;
        }
        let wait = crate::graph::consistency::replication_delay(attempt);
        if verdict.is_lasting()
            || tokio::time::Instant::now() + wait > deadline
            || !matches!(device_group_problems(client, group_id).await, Ok(check) if check.problems.is_empty())
        {
            break verdict;
        }
        tracing::info!(
            policy = %id,
            group = %group_id,
            refusals = ?verdict.failures,
            wait_ms = wait.as_millis() as u64,
            "Intune refused a device group the directory shows as valid; waiting for replication"
        );
        if let Err(e) = client
            .pause(wait, "waiting for Intune to see the device group's owner")
            .await
        {
            report(diags, "set the policy's device group", &e);
            return DeviceGroupOutcome::Failed;
        }
        attempt += 1;
    };
    if verdict.failures.is_empty() {
        let (summary, detail) = refusal(group_id, "");
        diags.error_at(AttrPath::root("device_group_id"), summary, detail);
    }
    for (target, code) in &verdict.failures {
        let target = if target.is_empty() { group_id } else { target };
        let (summary, detail) = refusal(target, code);
        diags.error_at(AttrPath::root("device_group_id"), summary, detail);
    }
    DeviceGroupOutcome::Refused
}

/// Reads the policy's device group with
/// `retrieveEnrollmentTimeDeviceMembershipTarget`. Some tenants answer this
/// action with an error (CIPP falls back to what it last wrote); that does
/// not fail the read: `Ok(None)`, and the last known device group stays.
pub(super) async fn retrieve(
    client: &GraphClient,
    id: &str,
    warnings: Option<&mut Diagnostics>,
) -> Result<Option<Value>, GraphError> {
    match client
        .post_idempotent_without_body(
            ApiVersion::Beta,
            &format!("{COLLECTION}/{id}/retrieveEnrollmentTimeDeviceMembershipTarget"),
        )
        .await
    {
        Ok(target) => Ok(Some(target)),
        Err(e) if matches!(e.status(), Some(400 | 404 | 500..=599)) => {
            tracing::warn!(%id, error = %e, "cannot read the policy's device group; keeping the last known one");
            if let Some(diags) = warnings {
                diags.warning_at(
                    AttrPath::root("device_group_id"),
                    "Cannot read the policy's device group",
                    format!(
                        "Intune did not answer retrieveEnrollmentTimeDeviceMembershipTarget for policy {id}, so \
                         `device_group_id` keeps its last known value. ({e})"
                    ),
                );
            }
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Intune validates the stored device group again on every retrieve: says
/// so when it no longer qualifies.
pub(super) fn warn_if_no_longer_qualifies(target: &Value, diags: &mut Diagnostics) {
    for (group, code) in TargetVerdict::parse(target).failures {
        let (summary, detail) = refusal(&group, &code);
        diags.warning_at(
            AttrPath::root("device_group_id"),
            format!("The policy's device group no longer qualifies: {summary}"),
            format!("{detail} Until then devices cannot be set up with this policy."),
        );
    }
}
