//! `/deviceManagement/importedWindowsAutopilotDeviceIdentities`: device imports and their
//! state machine.

use crate::app::App;

/// Decides every import whose processing time has come.
pub fn advance(_app: &App) {}
