//! Resource timeouts, in one place: the `timeouts` block of the Intune
//! objects and groups ([`Timeouts`]), the duration syntax every `timeouts`
//! block uses ([`parse_duration`]) and its plan-time check at
//! `timeouts.<name>`, and [`Timed`], which runs a resource's create, read,
//! update and delete within their timeout: every Graph request, retry,
//! budget wait and pause of the operation honours it
//! ([`crate::graph::deadline`]), and running out is reported at
//! `timeouts.<operation>`.

use std::time::Duration;

use async_trait::async_trait;

use tfplugin::{Attr, AttrPath, Diagnostics, IdentityAttribute, Moves, PlanRequest, Resource};

use crate::graph::GraphClient;
use crate::graph::deadline::{self, OperationDeadline, display_duration};
use crate::validate::check_known;

/// Declares a `timeouts` block: one `Attr<String>` setting per line, with
/// its documentation (the schema description), the operations it bounds
/// and its default (`None`: no limit of its own when unset). The block
/// implements [`TimeoutBlock`]; a model carrying it implements
/// [`TimedModel`] with [`timed_model`].
macro_rules! timeouts_block {
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident {
            $(
                $(#[doc = $setting_doc:literal])*
                $setting:ident { bounds: [$($operation:literal),+], default: $default:expr }
            ),+ $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(
            Debug, Clone, Default, PartialEq,
            serde::Serialize, serde::Deserialize, schemars::JsonSchema,
        )]
        #[serde(default)]
        pub struct $name {
            $($(#[doc = $setting_doc])* pub $setting: tfplugin::Attr<String>,)+
        }

        impl $crate::resources::timeouts::TimeoutBlock for $name {
            fn settings(&self) -> Vec<(&'static str, &tfplugin::Attr<String>)> {
                vec![$((stringify!($setting), &self.$setting)),+]
            }

            fn bounding(
                operation: &str,
            ) -> Option<(&'static str, Option<std::time::Duration>)> {
                $(
                    if [$($operation),+].contains(&operation) {
                        return Some((stringify!($setting), $default));
                    }
                )+
                None
            }
        }
    };
}
pub(crate) use timeouts_block;

/// Makes a model whose `timeouts` field holds `$block` a [`TimedModel`].
macro_rules! timed_model {
    ($model:ty => $block:ty) => {
        impl $crate::resources::timeouts::TimedModel for $model {
            type Block = $block;
            fn timeouts(&self) -> &tfplugin::Attr<$block> {
                &self.timeouts
            }
        }
    };
}
pub(crate) use timed_model;

timeouts_block! {
    // The description of every `timeouts` field declared without one.
    /// How long each operation may take, retries of throttled requests and waits for replication included. Unset, an operation has no limit of its own (each Graph request gives up after 10 minutes of retries). When a timeout runs out no further request is sent, and the error names it.
    pub struct Timeouts {
        /// How long a create may take, waits for replication and retries of throttled requests included, e.g. `"30s"`, `"10m"` or `"1h30m"`. When it runs out no further request is sent; an object already created stays in state (tainted).
        create { bounds: ["create"], default: None },
        /// How long a refresh of the object may take, e.g. `"5m"`.
        read { bounds: ["read"], default: None },
        /// How long an update may take, e.g. `"10m"`.
        update { bounds: ["update"], default: None },
        /// How long a destroy may take, e.g. `"10m"`.
        delete { bounds: ["delete"], default: None },
    }
}

/// A `timeouts` block: its settings, and which of them bounds each
/// operation. Declared with [`timeouts_block`].
pub(crate) trait TimeoutBlock {
    /// The settings by name, each checked at `timeouts.<name>`.
    fn settings(&self) -> Vec<(&'static str, &Attr<String>)>;
    /// The setting that bounds `operation` (`create`, `read`, `update` or
    /// `delete`) and its default; `None` when nothing bounds it.
    fn bounding(operation: &str) -> Option<(&'static str, Option<Duration>)>;
}

/// Reads a Terraform-style duration: `90s`, `10m`, `1h30m`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid = || {
        format!(
            "{text:?} is not a duration; use a number with a unit, e.g. \"30s\", \"10m\" or \"1h30m\""
        )
    };
    let mut total = Duration::ZERO;
    let mut number = String::new();
    let mut any = false;
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            _ => return Err(invalid()),
        };
        let n: u64 = number.parse().map_err(|_| invalid())?;
        total += Duration::from_secs(n.saturating_mul(unit));
        number.clear();
        any = true;
    }
    if !number.is_empty() || !any {
        return Err(invalid());
    }
    Ok(total)
}

/// The setting `name` of a `timeouts` block, when it is set to a duration.
fn configured<B: TimeoutBlock>(timeouts: &Attr<B>, name: &str) -> Option<Duration> {
    let block = timeouts.known()?;
    let (_, value) = block.settings().into_iter().find(|(n, _)| *n == name)?;
    value.known().and_then(|text| parse_duration(text).ok())
}

/// The time the setting that bounds `operation` allows: its value, or its
/// default when it is unset (`default` when the block does not bound
/// `operation`).
pub(crate) fn timeout<B: TimeoutBlock>(
    timeouts: &Attr<B>,
    operation: &str,
    default: Duration,
) -> Duration {
    bound_of(timeouts, operation).map_or(default, |(_, budget)| budget)
}

/// The setting that bounds `operation` and the time it allows.
fn bound_of<B: TimeoutBlock>(
    timeouts: &Attr<B>,
    operation: &str,
) -> Option<(&'static str, Duration)> {
    let (setting, default) = B::bounding(operation)?;
    let budget = configured(timeouts, setting).or(default)?;
    Some((setting, budget))
}

/// Checks the durations of a `timeouts` block, given by their names: an
/// invalid one is refused at `timeouts.<name>`.
pub(crate) fn validate_timeouts(named: &[(&str, &Attr<String>)], diags: &mut Diagnostics) {
    for (name, value) in named {
        check_known(
            value,
            parse_duration,
            AttrPath::root("timeouts").attr(*name),
            "Invalid timeout",
            diags,
        );
    }
}

/// The error diagnostic of an operation whose timeout ran out, at
/// `timeouts.<operation>`.
pub(crate) fn report_timed_out(
    diags: &mut Diagnostics,
    action: &str,
    operation: &str,
    budget: Duration,
    detail: impl Into<String>,
) {
    diags.error_at(
        AttrPath::root("timeouts").attr(operation),
        format!(
            "Cannot {action}: timeouts.{operation} ({}) ran out",
            display_duration(budget)
        ),
        detail,
    );
}

/// A model with a `timeouts` block (see [`timed_model`]): what bounds its
/// operations in time.
pub(crate) trait TimedModel {
    type Block: TimeoutBlock;
    fn timeouts(&self) -> &Attr<Self::Block>;

    /// The block's settings by name, each checked at `timeouts.<name>`.
    fn timeout_settings(&self) -> Vec<(&'static str, &Attr<String>)> {
        self.timeouts()
            .known()
            .map(TimeoutBlock::settings)
            .unwrap_or_default()
    }

    /// The setting that bounds `operation` (`create`, `read`, `update`
    /// or `delete`) and the time it allows: its value, or the resource's
    /// default when it is unset; `None` when nothing bounds the operation.
    fn bound(&self, operation: &'static str) -> Option<(&'static str, Duration)> {
        bound_of(self.timeouts(), operation)
    }
}

/// A resource whose create, read, update and delete run within their
/// timeouts (see the module documentation); the rest is the resource's own.
pub struct Timed<R>(pub R);

impl<R> Timed<R> {
    /// Runs `operation` within `bound` (the setting's name and its time;
    /// no deadline when `None`); when the time ran out and the resource's
    /// errors do not name the setting already, says so at its path.
    async fn run<T>(
        action: &'static str,
        bound: Option<(&'static str, Duration)>,
        diags: &mut Diagnostics,
        operation: impl Future<Output = (T, Diagnostics)>,
    ) -> T {
        let Some((name, budget)) = bound else {
            let (output, found) = operation.await;
            diags.extend(found);
            return output;
        };
        let limit = OperationDeadline::after(name, budget);
        let ((output, found), ended) = deadline::within(limit, operation).await;
        let path = AttrPath::root("timeouts").attr(name);
        let named = found.iter().any(|d| d.path.as_ref() == Some(&path));
        let ran_out = found.has_errors() && !named && ended == deadline::Ended::RanOut;
        diags.extend(found);
        if ran_out {
            report_timed_out(
                diags,
                action,
                name,
                budget,
                "The operation did not finish in time; see the errors above.",
            );
        }
        output
    }
}

#[async_trait]
impl<R> Resource<GraphClient> for Timed<R>
where
    R: Resource<GraphClient>,
    R::Model: TimedModel,
{
    type Model = R::Model;
    const TYPE_NAME: &'static str = R::TYPE_NAME;

    fn schema_version(&self) -> i64 {
        self.0.schema_version()
    }

    fn identity(&self) -> &'static [IdentityAttribute] {
        self.0.identity()
    }

    fn validate(&self, config: &R::Model, diags: &mut Diagnostics) {
        validate_timeouts(&config.timeout_settings(), diags);
        self.0.validate(config, diags);
    }

    async fn modify_plan(
        &self,
        client: Option<&GraphClient>,
        request: PlanRequest<'_, R::Model>,
        diags: &mut Diagnostics,
    ) -> R::Model {
        self.0.modify_plan(client, request, diags).await
    }

    async fn create(
        &self,
        client: &GraphClient,
        planned: R::Model,
        diags: &mut Diagnostics,
    ) -> Option<R::Model> {
        let bound = planned.bound("create");
        Self::run("create", bound, diags, async {
            let mut found = Diagnostics::new();
            let state = self.0.create(client, planned, &mut found).await;
            (state, found)
        })
        .await
    }

    async fn read(
        &self,
        client: &GraphClient,
        current: R::Model,
        diags: &mut Diagnostics,
    ) -> Option<R::Model> {
        let bound = current.bound("read");
        Self::run("read", bound, diags, async {
            let mut found = Diagnostics::new();
            let state = self.0.read(client, current, &mut found).await;
            (state, found)
        })
        .await
    }

    async fn update(
        &self,
        client: &GraphClient,
        prior: R::Model,
        planned: R::Model,
        diags: &mut Diagnostics,
    ) -> Option<R::Model> {
        let bound = planned.bound("update");
        Self::run("update", bound, diags, async {
            let mut found = Diagnostics::new();
            let state = self.0.update(client, prior, planned, &mut found).await;
            (state, found)
        })
        .await
    }

    async fn delete(&self, client: &GraphClient, prior: R::Model, diags: &mut Diagnostics) {
        let bound = prior.bound("delete");
        Self::run("delete", bound, diags, async {
            let mut found = Diagnostics::new();
            self.0.delete(client, prior, &mut found).await;
            ((), found)
        })
        .await;
    }

    async fn import(
        &self,
        client: &GraphClient,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<R::Model> {
        self.0.import(client, id, diags).await
    }

    fn upgrade_state(
        &self,
        version: i64,
        state: serde_json::Value,
        diags: &mut Diagnostics,
    ) -> serde_json::Value {
        self.0.upgrade_state(version, state, diags)
    }

    fn moves(&self) -> Moves<R::Model> {
        self.0.moves()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5_400)));
        assert_eq!(parse_duration(" 2m5s "), Ok(Duration::from_secs(125)));
        for bad in ["", "10", "m", "10x", "1.5h", "-1m", "5 m"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_invalid_timeout_is_refused_at_its_path() {
        let mut diags = Diagnostics::new();
        let good = Attr::Known("5m".to_string());
        let bad = Attr::Known("five minutes".to_string());
        validate_timeouts(&[("read", &good), ("create", &bad)], &mut diags);
        let paths: Vec<_> = diags.iter().map(|d| d.path.clone()).collect();
        assert_eq!(paths, [Some(AttrPath::root("timeouts").attr("create"))]);
        assert!(diags.iter().all(|d| d.detail.contains("not a duration")));
    }

    #[test]
    fn an_unset_or_invalid_timeout_is_not_configured() {
        let set = Attr::Known(Timeouts {
            update: Attr::Known("1m".into()),
            create: Attr::Known("soon".into()),
            ..Timeouts::default()
        });
        let limit = |t: &Attr<Timeouts>, op| bound_of(t, op).map(|(_, budget)| budget);
        assert_eq!(limit(&set, "update"), Some(Duration::from_secs(60)));
        assert_eq!(limit(&set, "create"), None);
        assert_eq!(limit(&set, "read"), None);
        assert_eq!(limit(&Attr::Null, "read"), None);
    }

    #[test]
    fn each_resource_bounds_its_operations_by_its_own_settings() {
        use crate::resources::device::DeviceModel;
        use crate::resources::device_csv::DeviceCsvModel;
        use crate::resources::device_preparation_policy::DevicePreparationPolicyModel;
        let minutes = |m: u64| Duration::from_secs(m * 60);
        // Unset: the resources' defaults; a refresh has no bound of its own.
        let device = DeviceModel::default();
        assert_eq!(device.bound("create"), Some(("create", minutes(20))));
        assert_eq!(device.bound("delete"), Some(("delete", minutes(10))));
        assert_eq!(device.bound("read"), None);
        let csv = DeviceCsvModel::default();
        assert_eq!(csv.bound("update"), Some(("update", minutes(30))));
        // The policy's update is bounded by `timeouts.create`, the one it has.
        let policy = DevicePreparationPolicyModel::default();
        assert_eq!(policy.bound("update"), Some(("create", minutes(5))));
        assert_eq!(policy.bound("delete"), None);
        // Set: the setting wins, and every setting is validated by name.
        let mut device = DeviceModel::default();
        device.timeouts = Attr::Known(crate::resources::device::Timeouts {
            create: Attr::Known("90s".into()),
            delete: Attr::Known("soon".into()),
            ..Default::default()
        });
        assert_eq!(
            device.bound("create"),
            Some(("create", Duration::from_secs(90)))
        );
        let mut diags = Diagnostics::new();
        validate_timeouts(&device.timeout_settings(), &mut diags);
        let paths: Vec<_> = diags.iter().map(|d| d.path.clone()).collect();
        assert_eq!(paths, [Some(AttrPath::root("timeouts").attr("delete"))]);
        // The shared block: the setting of the operation's name, no default.
        let shared = Attr::Known(Timeouts {
            read: Attr::Known("1m".into()),
            ..Timeouts::default()
        });
        struct Shared(Attr<Timeouts>);
        impl TimedModel for Shared {
            type Block = Timeouts;
            fn timeouts(&self) -> &Attr<Timeouts> {
                &self.0
            }
        }
        let shared = Shared(shared);
        assert_eq!(shared.bound("read"), Some(("read", minutes(1))));
        assert_eq!(shared.bound("create"), None);
        assert_eq!(shared.timeout_settings().len(), 4);
    }
}
