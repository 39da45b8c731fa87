//! The lab's integration tests, one binary (as ripgrep does): one link step instead of one per
//! file. `common` holds the helpers: a lab started in-process and a logged-in client.
// Tests may unwrap and expect: a failure is the test's answer. They are HTTP clients of the
// lab: clippy.toml's rule that only the provider's GraphClient builds a reqwest client is
// about the provider, not about them.
// The 100-line limit is for the lab's own code; a test may read as one scenario.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::disallowed_methods,
    clippy::too_many_lines
)]

mod common;

mod assertions;
mod assignment_filters;
mod auth;
mod batch;
mod binary;
mod configuration_policies;
mod conformance;
mod control;
mod corporate_identifiers;
mod deployment_profiles;
mod device_assignment;
mod device_configurations;
mod device_identities;
mod directory;
mod enrollment_configurations;
mod faults;
mod group_members;
mod permissions;
mod persistence;
mod role_scope_tags;
mod throttling;
