//! The provider's types, and what each declares about itself beside its
//! code: the one hand-kept list. The plugin's `resources()` and
//! `data_sources()`, `export` and its `--only` help, [`crate::payloads`]
//! (and through it `schemas/graph/` and the acceptance suite's payload
//! checks) all iterate over it; `xtask/tests/tidy.rs` checks that every
//! type here has its example, doc page, acceptance suite and lab route.
//!
//! Adding a resource: its module declares `EXPORT` (or says which type
//! covers it) and `payloads()` in its `registration.rs`, and one entry
//! below registers all of it (CONTRIBUTING.md has the whole checklist).

use std::sync::Arc;

use tfplugin::{AnyDataSource, AnyResource};

use crate::data_sources;
use crate::export::ExportKind;
use crate::graph::GraphClient;
use crate::list_resources::ListDeclaration;
use crate::payloads::Payload;
use crate::resources::timeouts::Timed;
use crate::resources::{self, lints::TenantSnapshot};

/// How a managed type appears in `export`.
#[derive(Debug, Clone, Copy)]
pub enum Export {
    /// Exported as its own kind.
    As(&'static ExportKind),
    /// Its objects are exported as another type's resources.
    Covered {
        /// The resource type that exports them.
        by: &'static str,
    },
}

/// A resource type and its declarations.
pub struct ManagedType {
    pub resource: Arc<dyn AnyResource<GraphClient>>,
    pub export: Export,
    /// Every request body it sends.
    pub payloads: fn() -> Vec<Payload>,
}

/// A data source and the request bodies it sends (data sources only read,
/// but one may create what a tenant lacks: the provisioning client).
pub struct ReadType {
    pub data_source: Arc<dyn AnyDataSource<GraphClient>>,
    pub payloads: fn() -> Vec<Payload>,
}

/// Every resource type, in the order `export` writes them.
pub fn managed_types() -> Vec<ManagedType> {
    // One tenant snapshot per process, shared by the plan-time lints.
    let tenant = Arc::new(TenantSnapshot::default());
    vec![
        ManagedType {
            resource: Arc::new(Timed(resources::group::Group)),
            export: Export::As(&resources::group::EXPORT),
            payloads: resources::group::payloads,
        },
        ManagedType {
            resource: Arc::new(Timed(resources::scope_tag::ScopeTag)),
            export: Export::As(&resources::scope_tag::EXPORT),
            payloads: resources::scope_tag::payloads,
        },
        ManagedType {
            resource: Arc::new(Timed(
                resources::assignment_filter::AssignmentFilterResource,
            )),
            export: Export::As(&resources::assignment_filter::EXPORT),
            payloads: resources::assignment_filter::payloads,
        },
        ManagedType {
            resource: Arc::new(Timed(
                resources::deployment_profile::DeploymentProfile::new(tenant.clone()),
            )),
            export: Export::As(&resources::deployment_profile::EXPORT),
            payloads: resources::deployment_profile::payloads,
        },
        ManagedType {
            resource: Arc::new(Timed(
                resources::enrollment_status_page::EnrollmentStatusPage,
            )),
            export: Export::As(&resources::enrollment_status_page::EXPORT),
            payloads: resources::enrollment_status_page::payloads,
        },
        ManagedType {
            resource: Arc::new(Timed(
                resources::domain_join_profile::DomainJoinProfile::new(tenant.clone()),
            )),
            export: Export::As(&resources::domain_join_profile::EXPORT),
            payloads: resources::domain_join_profile::payloads,
        },
        ManagedType {
            resource: Arc::new(Timed(
                resources::device_preparation_policy::DevicePreparationPolicy::new(tenant),
            )),
            export: Export::As(&resources::device_preparation_policy::EXPORT),
            payloads: resources::device_preparation_policy::payloads,
        },
        ManagedType {
            resource: Arc::new(Timed(resources::device::Device)),
            export: Export::As(&resources::device::EXPORT),
            payloads: resources::device::payloads,
        },
        ManagedType {
            resource: Arc::new(Timed(resources::device_csv::DeviceCsv)),
            export: resources::device_csv::EXPORT,
            payloads: resources::device_csv::payloads,
        },
        ManagedType {
            resource: Arc::new(Timed(
                resources::corporate_identifier_csv::CorporateIdentifierCsv,
            )),
            export: Export::As(&resources::corporate_identifier_csv::EXPORT),
            payloads: resources::corporate_identifier_csv::payloads,
        },
    ]
}

/// Every list resource's declaration (`terraform query`, Terraform 1.14+):
/// each managed type but `autopilot_device_csv`, whose devices list as
/// `autopilot_device`.
pub fn list_types() -> Vec<&'static ListDeclaration> {
    vec![
        &resources::group::LIST,
        &resources::scope_tag::LIST,
        &resources::assignment_filter::LIST,
        &resources::deployment_profile::LIST,
        &resources::enrollment_status_page::LIST,
        &resources::domain_join_profile::LIST,
        &resources::device_preparation_policy::LIST,
        &resources::device::LIST,
    ]
}

/// Every data source.
pub fn read_types() -> Vec<ReadType> {
    let none = Vec::new;
    vec![
        ReadType {
            data_source: Arc::new(data_sources::deployment_profile::DeploymentProfileData),
            payloads: none,
        },
        ReadType {
            data_source: Arc::new(data_sources::enrollment_status_page::EnrollmentStatusPageData),
            payloads: none,
        },
        ReadType {
            data_source: Arc::new(data_sources::configuration_file::ConfigurationFile),
            payloads: none,
        },
        ReadType {
            data_source: Arc::new(data_sources::devices::DevicesData),
            payloads: none,
        },
        ReadType {
            data_source: Arc::new(data_sources::group_tag_rule::GroupTagRule),
            payloads: none,
        },
        ReadType {
            data_source: Arc::new(data_sources::group::GroupData::default()),
            payloads: none,
        },
        ReadType {
            data_source: Arc::new(data_sources::mobile_app::MobileAppData::default()),
            payloads: none,
        },
        ReadType {
            data_source: Arc::new(data_sources::scope_tag::ScopeTagData::default()),
            payloads: none,
        },
        ReadType {
            data_source: Arc::new(data_sources::platform_script::PlatformScriptData::default()),
            payloads: none,
        },
        ReadType {
            data_source: Arc::new(data_sources::assignment_filter::AssignmentFilterData::default()),
            payloads: none,
        },
        ReadType {
            data_source: Arc::new(data_sources::provisioning_client::ProvisioningClientData),
            payloads: data_sources::provisioning_client::payloads,
        },
    ]
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_export_declaration_names_its_own_resource_type() {
        let managed = managed_types();
        let served: BTreeSet<&str> = managed.iter().map(|m| m.resource.type_name()).collect();
        for m in &managed {
            match m.export {
                Export::As(kind) => assert_eq!(kind.resource_type, m.resource.type_name()),
                Export::Covered { by } => {
                    assert!(
                        served.contains(by),
                        "{} is covered by {by}",
                        m.resource.type_name()
                    );
                    assert_ne!(by, m.resource.type_name());
                }
            }
        }
    }

    #[test]
    fn every_resource_declares_the_bodies_it_sends() {
        for m in managed_types() {
            assert!(
                !(m.payloads)().is_empty(),
                "{} declares no request body",
                m.resource.type_name()
            );
        }
    }
}
