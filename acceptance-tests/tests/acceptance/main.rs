//! The acceptance suite as one test binary (`cargo test -p acceptance-tests --test acceptance`):
//! one module per area, all driving the real `terraform` against the provider and a lab. One
//! binary links once instead of twenty times; every test owns its lab and working directory, so
//! the modules run side by side in the same process.

// The 100-line limit is for the code under test; a test may read as one scenario, though the
// long lifecycles are split into named steps so that a failure names its step.
#![allow(clippy::too_many_lines)]

mod actions;
mod assignment_filter;
mod authentication;
mod classic_data_sources;
mod conformance;
mod corporate_identifier_csv;
mod deployment_profile;
mod device;
mod device_csv;
mod device_lifecycle;
mod device_preparation_policy;
mod domain_join_profile;
mod enrollment_status_page;
mod examples;
mod export;
mod faults;
mod functions;
mod group;
mod group_membership;
mod group_references;
mod harness;
mod identity;
mod interrupted_imports;
mod list_resources;
mod lookups;
mod malformed_responses;
mod moves;
mod payload_schemas;
mod release;
mod scope_tag;
mod throttling;
mod timeouts;
