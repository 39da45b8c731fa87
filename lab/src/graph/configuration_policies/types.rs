//! The entity types of device preparation policies: the policy, its assignment, and the settings
//! catalog instance and value types (`StructuredType` tables).

use crate::graph::schema::StructuredType;

graph_types!("graph_configuration_policies_types");

pub static INSTANCE_TYPES: &[&StructuredType] = &[
    &CHOICE_INSTANCE,
    &CHOICE_COLLECTION_INSTANCE,
    &SIMPLE_INSTANCE,
    &SIMPLE_COLLECTION_INSTANCE,
    &GROUP_INSTANCE,
    &GROUP_COLLECTION_INSTANCE,
];

pub static SIMPLE_VALUE_TYPES: &[&StructuredType] = &[
    &STRING_VALUE,
    &INTEGER_VALUE,
    &SECRET_VALUE,
    &REFERENCE_VALUE,
];
