//! Turns `graph-types.json`, the Graph (CSDL) types the lab serves, into the `static`
//! [`StructuredType`]s of `src/graph/schema.rs`: one generated file per module named in the
//! JSON, which that module `include!`s. The types are data so that they read like Graph's
//! metadata and are written once; the statics keep the code's references checked by the
//! compiler.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Deserialize)]
struct Document {
    types: Vec<TypeEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TypeEntry {
    /// The Rust static's name.
    #[serde(rename = "static")]
    ident: String,
    /// The module (below the crate root) the static is declared in.
    module: String,
    /// The type's name in the `microsoft.graph` namespace.
    name: String,
    #[serde(default)]
    doc: Option<String>,
    /// The base type's static.
    #[serde(default)]
    base: Option<String>,
    #[serde(default, rename = "abstract")]
    is_abstract: bool,
    #[serde(default)]
    navigations: Vec<String>,
    properties: Vec<PropertyEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PropertyEntry {
    name: String,
    /// A primitive kind: `String`, `Int32`, `Int64`, `Boolean`, `DateTimeOffset`, `Binary`,
    /// `Guid`, `StringCollection`.
    #[serde(default, rename = "type")]
    primitive: Option<String>,
    #[serde(default, rename = "enum")]
    enumeration: Option<String>,
    #[serde(default)]
    flags: Option<String>,
    #[serde(default)]
    members: Vec<String>,
    #[serde(default)]
    complex: Option<String>,
    #[serde(default)]
    complex_collection: Option<String>,
    #[serde(default)]
    object: Option<String>,
    #[serde(default)]
    object_collection: Option<String>,
    nullable: bool,
    #[serde(default)]
    read_only: bool,
    #[serde(default)]
    beta: bool,
}

const PRIMITIVES: &[&str] = &[
    "String",
    "Int32",
    "Int64",
    "Boolean",
    "DateTimeOffset",
    "Binary",
    "Guid",
    "StringCollection",
];

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let source = manifest.join("graph-types.json");
    println!("cargo:rerun-if-changed={}", source.display());
    let text = std::fs::read_to_string(&source)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", source.display()));
    let document: Document = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not a type list: {e}", source.display()));
    let modules: BTreeMap<&str, &str> = document
        .types
        .iter()
        .map(|ty| (ty.ident.as_str(), ty.module.as_str()))
        .collect();
    assert_eq!(
        modules.len(),
        document.types.len(),
        "two types share a static name"
    );
    let mut files: BTreeMap<&str, String> = BTreeMap::new();
    for ty in &document.types {
        let code = files.entry(&ty.module).or_default();
        write_type(code, ty, &modules);
    }
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo")).join("graph_types");
    std::fs::create_dir_all(&out).expect("OUT_DIR is writable");
    for (module, code) in files {
        write_if_changed(
            &out.join(format!("{}.rs", module.replace("::", "_"))),
            &code,
        );
    }
}

fn write_if_changed(path: &Path, code: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(code) {
        std::fs::write(path, code).expect("OUT_DIR is writable");
    }
}

fn path_of(ident: &str, modules: &BTreeMap<&str, &str>) -> String {
    let module = modules
        .get(ident)
        .unwrap_or_else(|| panic!("graph-types.json names an unknown type {ident}"));
    format!("crate::{module}::{ident}")
}

fn write_type(code: &mut String, ty: &TypeEntry, modules: &BTreeMap<&str, &str>) {
    if let Some(doc) = &ty.doc {
        let _ = writeln!(code, "#[doc = {doc:?}]");
    }
    let base = match &ty.base {
        Some(base) => format!("Some(&{})", path_of(base, modules)),
        None => "None".to_owned(),
    };
    let _ = writeln!(
        code,
        "pub static {}: crate::graph::schema::StructuredType = crate::graph::schema::StructuredType {{\n    name: {:?},\n    base: {base},\n    is_abstract: {},\n    navigations: &{:?},\n    properties: &[",
        ty.ident, ty.name, ty.is_abstract, ty.navigations
    );
    for property in &ty.properties {
        let _ = writeln!(
            code,
            "        crate::graph::schema::Property {{ name: {:?}, kind: {}, nullable: {}, read_only: {}, v1: {} }},",
            property.name,
            kind(property, modules),
            property.nullable,
            property.read_only,
            !property.beta
        );
    }
    code.push_str("    ],\n};\n\n");
}

fn kind(property: &PropertyEntry, modules: &BTreeMap<&str, &str>) -> String {
    let kind = |variant: &str| format!("crate::graph::schema::Kind::{variant}");
    let given = [
        property.primitive.as_ref().map(|p| {
            assert!(
                PRIMITIVES.contains(&p.as_str()),
                "{}: unknown type {p}",
                property.name
            );
            kind(p)
        }),
        property
            .enumeration
            .as_ref()
            .map(|name| kind(&format!("Enum({name:?}, &{:?})", property.members))),
        property
            .flags
            .as_ref()
            .map(|name| kind(&format!("Flags({name:?}, &{:?})", property.members))),
        property
            .complex
            .as_ref()
            .map(|name| kind(&format!("Complex({name:?})"))),
        property
            .complex_collection
            .as_ref()
            .map(|name| kind(&format!("ComplexCollection({name:?})"))),
        property
            .object
            .as_ref()
            .map(|ty| kind(&format!("Object(&{})", path_of(ty, modules)))),
        property
            .object_collection
            .as_ref()
            .map(|ty| kind(&format!("ObjectCollection(&{})", path_of(ty, modules)))),
    ];
    let mut kinds = given.into_iter().flatten();
    let found = kinds
        .next()
        .unwrap_or_else(|| panic!("{}: no kind given", property.name));
    assert!(
        kinds.next().is_none(),
        "{}: more than one kind given",
        property.name
    );
    found
}
