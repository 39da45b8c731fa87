//! The shape every action on one registered Autopilot device shares: its
//! configuration names the device (`device_id` or `serial_number`) and,
//! when it waits, a `timeout`; it finds the device before writing anything,
//! writes, then waits until Autopilot shows the write. A [`DeviceAction`]
//! gives only what is its own (its attributes' checks, its write, what the
//! device shows afterwards); [`OnDevice`] is the `tfplugin::Action`.

use std::marker::PhantomData;

use async_trait::async_trait;
use tfplugin::{Action, Attr, Diagnostics, Model, Progress};

use super::device_target::{self, Change};
use crate::devices::graph::DeviceIdentity;
use crate::devices::sync::Expected;
use crate::graph::{GraphClient, GraphError};

/// Declares a device action's model: the struct given, with `device_id` and
/// `serial_number` first and, after `waits`, a `timeout` last.
macro_rules! device_action_model {
    ($(#[$meta:meta])* $vis:vis struct $name:ident { $($fields:tt)* } $($waits:ident)?) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize,
            schemars::JsonSchema,
        )]
        #[serde(default)]
        $vis struct $name {
            /// The id of the Autopilot device identity. Set this or `serial_number`.
            #[schemars(extend("x-tf" = "optional"))]
            $vis device_id: tfplugin::Attr<String>,
            /// The device's serial number. Set this or `device_id`.
            #[schemars(extend("x-tf" = "optional"))]
            $vis serial_number: tfplugin::Attr<String>,
            $($fields)*
            $(
                /// How long to wait for Autopilot to show the change, e.g. `10m`. Default `5m`.
                #[schemars(extend("x-tf" = "optional"))]
                $vis $waits: tfplugin::Attr<String>,
            )?
        }

        impl $crate::actions::device_action::NamesDevice for $name {
            fn device_id(&self) -> &tfplugin::Attr<String> {
                &self.device_id
            }
            fn serial_number(&self) -> &tfplugin::Attr<String> {
                &self.serial_number
            }
            $(
                fn timeout(&self) -> &tfplugin::Attr<String> {
                    &self.$waits
                }
            )?
        }
    };
}
pub(super) use device_action_model;

/// No `timeout` attribute: the action does not wait.
static NO_TIMEOUT: Attr<String> = Attr::Null;

/// A configuration that names one registered device.
pub(crate) trait NamesDevice {
    fn device_id(&self) -> &Attr<String>;
    fn serial_number(&self) -> &Attr<String>;
    /// The configured wait; null for an action that does not wait.
    fn timeout(&self) -> &Attr<String> {
        &NO_TIMEOUT
    }
}

/// What one device action does, once the device is found.
#[async_trait]
pub(crate) trait DeviceAction: Send + Sync + 'static {
    type Model: Model + NamesDevice;
    /// The action's type name.
    const TYPE_NAME: &'static str;
    /// The error's summary when Graph refuses the write.
    const REFUSED: &'static str;

    /// Checks of the action's own attributes (the device reference and the
    /// timeout are checked already); unknown values pass.
    fn validate(_config: &Self::Model, _diags: &mut Diagnostics) {}

    /// What the action is doing, for the progress message: "Assigning ana to".
    fn doing(config: &Self::Model) -> String;

    /// Sends the write.
    async fn write(
        client: &GraphClient,
        device: &DeviceIdentity,
        config: &Self::Model,
    ) -> Result<(), GraphError>;

    /// What the device shows once Autopilot shows the write; `None` when
    /// there is nothing to wait for.
    fn expected(config: &Self::Model) -> Option<Expected>;

    /// The progress message of a write there is nothing to wait for.
    fn done(device: &str) -> String {
        format!("Done: {device}")
    }
}

/// The `tfplugin::Action` of the device action `A`.
pub(crate) struct OnDevice<A>(PhantomData<A>);

impl<A> Default for OnDevice<A> {
    fn default() -> Self {
        OnDevice(PhantomData)
    }
}

#[async_trait]
impl<A: DeviceAction> Action<GraphClient> for OnDevice<A> {
    type Model = A::Model;
    const TYPE_NAME: &'static str = A::TYPE_NAME;

    fn validate(&self, config: &A::Model, diags: &mut Diagnostics) {
        device_target::validate(
            config.device_id(),
            config.serial_number(),
            config.timeout(),
            diags,
        );
        A::validate(config, diags);
    }

    async fn invoke(
        &self,
        client: &GraphClient,
        config: A::Model,
        progress: &Progress,
        diags: &mut Diagnostics,
    ) {
        let (id, serial) = (config.device_id(), config.serial_number());
        let Some(device) = device_target::locate(client, id, serial, progress, diags).await else {
            return;
        };
        let name = device_target::describe(&device);
        progress.report(format!("{} {name}", A::doing(&config)));
        let write = A::write(client, &device, &config);
        match A::expected(&config) {
            Some(expected) => {
                let change = Change {
                    expected,
                    refused: A::REFUSED,
                    timeout: config.timeout(),
                };
                device_target::write_then_wait(client, &device, write, change, progress, diags)
                    .await;
            }
            None => match write.await {
                Ok(()) => progress.report(A::done(&name)),
                Err(e) => diags.error(A::REFUSED, e.to_string()),
            },
        }
    }
}
