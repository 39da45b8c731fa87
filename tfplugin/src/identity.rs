//! Resource identity (protocol 6.9, Terraform 1.12 and later): the state
//! attributes that identify a resource's remote object for its whole life.
//! A resource names them ([`crate::Resource::identity`]); the server derives
//! the identity schema from the resource schema, returns the identity with
//! every state, and turns an `import { identity = { ... } }` into the import
//! id the resource already understands.

/// One attribute of a resource's identity: a top-level attribute of its
/// state, a primitive or a list of primitives, known once the object exists.
/// It should not change while the object lives; a resource that stands for a
/// set of objects may name the set, which changes with it (Terraform 1.12
/// and later store whatever identity the provider returns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdentityAttribute {
    /// The state attribute's name.
    pub name: &'static str,
    /// Markdown.
    pub description: &'static str,
    /// Whether an identity import must give it; otherwise it may.
    pub required_for_import: bool,
}

impl IdentityAttribute {
    /// An attribute an identity import must give.
    pub const fn required(name: &'static str, description: &'static str) -> Self {
        IdentityAttribute {
            name,
            description,
            required_for_import: true,
        }
    }

    /// An attribute an identity import may give.
    pub const fn optional(name: &'static str, description: &'static str) -> Self {
        IdentityAttribute {
            name,
            description,
            required_for_import: false,
        }
    }
}
