//! `terraform-provider-autopilot export`: reads the live tenant and writes
//! a configuration that manages it, with the commands that import it.
//!
//! Every object is read through its resource's own `import` and `read`
//! (the same mapping from Graph that `terraform import` and refresh use),
//! and written from that state: export and resource cannot disagree, so
//! the plan after the import shows no changes.
//!
//! - `tenant`: the ids and names of each kind's objects (one listing each).
//! - `render`: a state as a `resource` block, group ids as references.
//! - `hcl`: the HCL writer; `naming`: resource names from display names.
//! - `files`: the output directory, the `.tf` files, `import.sh` and `imports.tf`.

pub mod files;
pub mod hcl;
pub mod kind;
pub mod naming;
pub mod render;
pub mod tenant;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use tfplugin::schema::SchemaError;
use tfplugin::{AnyResource, Diagnostics, Schema, Severity, Value};

use crate::ProviderConfig;
use crate::graph::{GraphClient, GraphError};
use crate::registry::{self, Export};
use files::{Extras, OutputDir};
pub use kind::{ExportKind, Kind, Listing, Summary, UnknownKind, listed, listed_by_name};
use render::{Exported, GroupRef, References};
use tenant::GroupSummary;
pub use tenant::Listed;

/// How many objects are read at the same time.
const CONCURRENT_READS: usize = 8;

/// What to export and where.
#[derive(Debug, Clone)]
pub struct Options {
    /// The directory the files are written to (created when missing).
    pub out: PathBuf,
    /// The kinds to export; empty means every kind.
    pub only: Vec<Kind>,
    /// Keep only objects whose display name (a device's serial number or
    /// name) contains this text, ignoring case.
    pub filter: Option<String>,
    /// Write `imports.tf` with import blocks instead of `import.sh`.
    pub import_blocks: bool,
    /// Overwrite files an earlier export wrote.
    pub force: bool,
}

impl Options {
    fn kinds(&self) -> BTreeSet<Kind> {
        if self.only.is_empty() {
            Kind::all().into_iter().collect()
        } else {
            self.only.iter().copied().collect()
        }
    }

    /// Every file this export may write.
    fn files(&self) -> Vec<String> {
        let mut files = vec![files::PROVIDER_FILE.to_string()];
        files.extend(self.kinds().into_iter().map(Kind::file_name));
        files.push(if self.import_blocks {
            files::IMPORT_BLOCKS.to_string()
        } else {
            files::IMPORT_SCRIPT.to_string()
        });
        files
    }
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("no usable credentials:\n{0}")]
    Credentials(String),
    #[error("cannot create the Graph client: {0}")]
    Client(Box<GraphError>),
    #[error("cannot write to {}: {source}", path.display())]
    Output {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{} already in {}: an earlier export? Choose another --out directory, or pass --force to overwrite.",
        already(files),
        dir.display()
    )]
    WouldOverwrite { dir: PathBuf, files: Vec<String> },
    #[error("cannot list the tenant's {kind}: {source}")]
    List { kind: Kind, source: Box<GraphError> },
    #[error("the schema of {resource_type}: {source}")]
    Schema {
        resource_type: &'static str,
        source: SchemaError,
    },
}

fn already(files: &[String]) -> String {
    match files {
        [one] => format!("{one} is"),
        many => format!("{} are", many.join(", ")),
    }
}

/// An object that was found but not exported.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    pub kind: Kind,
    pub label: String,
    pub id: String,
    pub reason: String,
}

/// What an export wrote.
#[derive(Debug, Clone)]
pub struct Report {
    pub out: PathBuf,
    /// Objects exported per kind (kinds asked for only).
    pub counts: Vec<(Kind, usize)>,
    pub skipped: Vec<Skipped>,
    /// Texts Intune refuses on every write, written as the nearest text it
    /// accepts: `address.attribute: "tenant's" -> "written"`.
    pub renamed: Vec<String>,
    pub import_blocks: bool,
}

impl Report {
    pub fn total(&self) -> usize {
        self.counts.iter().map(|(_, n)| n).sum()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Exported {} object(s) into {}:",
            self.total(),
            self.out.display()
        )?;
        for (kind, count) in &self.counts {
            writeln!(
                f,
                "  {:<32} {count:>5} {}",
                kind.file_name(),
                kind.resource_type()
            )?;
        }
        if !self.skipped.is_empty() {
            writeln!(f, "Not exported ({}):", self.skipped.len())?;
            for s in &self.skipped {
                writeln!(
                    f,
                    "  {} {:?} ({}): {}",
                    s.kind.resource_type(),
                    s.label,
                    s.id,
                    s.reason
                )?;
            }
        }
        if !self.renamed.is_empty() {
            writeln!(
                f,
                "Changed on the next apply (Intune refuses the tenant's text on every write):"
            )?;
            for line in &self.renamed {
                writeln!(f, "  {line}")?;
            }
        }
        if self
            .counts
            .iter()
            .any(|(k, n)| *k == Kind::DEVICES && *n > 0)
        {
            writeln!(
                f,
                "Devices: Graph does not return hardware hashes; see the note in devices.tf."
            )?;
        }
        if self.import_blocks {
            write!(
                f,
                "Next (Terraform 1.5 or later): cd {} && terraform init && terraform plan",
                self.out.display()
            )
        } else {
            write!(
                f,
                "Next: cd {} && terraform init && ./import.sh && terraform plan",
                self.out.display()
            )
        }
    }
}

/// The Graph client from the provider's environment variables (the
/// provider block's attributes all unset), resolved exactly as the
/// provider resolves them.
pub fn client_from_environment() -> Result<GraphClient, ExportError> {
    let config = ProviderConfig::default();
    let mut diags = Diagnostics::new();
    config.validate(&mut diags);
    let settings = config.resolve(&mut diags);
    match settings {
        Some(settings) if !diags.has_errors() => {
            GraphClient::new(settings).map_err(|e| ExportError::Client(Box::new(e)))
        }
        _ => Err(ExportError::Credentials(describe(&diags))),
    }
}

/// Diagnostics' errors, one paragraph each.
fn describe(diags: &Diagnostics) -> String {
    diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| match &d.path {
            Some(path) => format!("{} ({path}): {}", d.summary, d.detail),
            None => format!("{}: {}", d.summary, d.detail),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A resource of the provider, seen through raw values.
type ErasedResource = Arc<dyn AnyResource<GraphClient>>;

/// The provider's resources and their schemas, by kind.
struct Catalog {
    resources: BTreeMap<Kind, (ErasedResource, Arc<Schema>)>,
}

impl Catalog {
    fn new() -> Result<Catalog, ExportError> {
        let mut resources = BTreeMap::new();
        // Every type declares how it is exported: a kind of its own, or
        // covered by another type's (its objects are written there).
        for managed in registry::managed_types() {
            let Export::As(declaration) = managed.export else {
                continue;
            };
            let kind = Kind::new(declaration);
            let schema = managed
                .resource
                .schema()
                .map_err(|source| ExportError::Schema {
                    resource_type: kind.resource_type(),
                    source,
                })?;
            resources.insert(kind, (managed.resource, Arc::new(schema)));
        }
        Ok(Catalog { resources })
    }

    fn schema(&self, kind: Kind) -> Option<&Schema> {
        self.resources.get(&kind).map(|(_, s)| s.as_ref())
    }
}

/// An object read from the tenant, before it is named.
struct ReadObject {
    kind: Kind,
    listed: Listed,
    value: Value,
}

/// Reads every listed object through its resource's `import` then `read`,
/// as `terraform import` does, a few at a time. In listing order.
async fn read_objects(
    client: &Arc<GraphClient>,
    catalog: &Catalog,
    kind: Kind,
    listed: Vec<Listed>,
) -> Vec<(Listed, Result<Value, String>)> {
    let Some((resource, schema)) = catalog.resources.get(&kind) else {
        return listed
            .into_iter()
            .map(|l| {
                (
                    l,
                    Err(format!("the provider has no {}", kind.resource_type())),
                )
            })
            .collect();
    };
    let permits = Arc::new(tokio::sync::Semaphore::new(CONCURRENT_READS));
    let handles: Vec<_> = listed
        .iter()
        .map(|item| {
            let (client, resource, schema, permits) = (
                client.clone(),
                resource.clone(),
                schema.clone(),
                permits.clone(),
            );
            let id = item.id.clone();
            tokio::spawn(async move {
                let _permit = permits.acquire_owned().await;
                read_one(&client, resource.as_ref(), &schema, &id).await
            })
        })
        .collect();
    let mut out = Vec::with_capacity(listed.len());
    for (item, handle) in listed.into_iter().zip(handles) {
        let result = handle
            .await
            .unwrap_or_else(|e| Err(format!("the read stopped: {e}")));
        out.push((item, result));
    }
    out
}

/// One object read as `terraform import` then refresh would store it (also
/// what a list resource's `include_resource` returns); the reason when it
/// cannot be.
pub(crate) async fn read_one(
    client: &GraphClient,
    resource: &dyn AnyResource<GraphClient>,
    schema: &Schema,
    id: &str,
) -> Result<Value, String> {
    let (imported, diags) = resource.import(client, schema, id).await;
    log_warnings(resource.type_name(), id, &diags);
    if diags.has_errors() || imported.is_null() {
        return Err(describe(&diags));
    }
    let (state, diags) = resource.read(client, schema, imported).await;
    log_warnings(resource.type_name(), id, &diags);
    if diags.has_errors() {
        return Err(describe(&diags));
    }
    if state.is_null() {
        return Err("it was deleted while the export ran".into());
    }
    Ok(state)
}

fn log_warnings(resource_type: &str, id: &str, diags: &Diagnostics) {
    for d in diags.iter().filter(|d| d.severity == Severity::Warning) {
        tracing::warn!(resource_type, id, detail = %d.detail, "{}", d.summary);
    }
}

/// The group ids an object's state holds in its group attributes.
fn group_ids(kind: Kind, value: &Value) -> Vec<String> {
    kind.group_id_attributes()
        .iter()
        .filter_map(|name| value.attr(name))
        .flat_map(|v| match v {
            Value::String(id) => vec![id.clone()],
            Value::Set(items) | Value::List(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        })
        .collect()
}

/// Exports the tenant `client` reads into `options.out`.
pub async fn export(client: Arc<GraphClient>, options: &Options) -> Result<Report, ExportError> {
    let kinds = options.kinds();
    let output = OutputDir::prepare(&options.out, &options.files(), options.force)?;
    let catalog = Catalog::new()?;
    let filter = NameFilter::new(options.filter.as_deref());
    let mut selection = Selection::default();
    read_autopilot_objects(&client, &catalog, &kinds, &filter, &mut selection).await?;
    let directory = group_directory(&client, &kinds, &selection.referenced).await?;
    if kinds.contains(&Kind::GROUPS) {
        read_groups(
            &client,
            &catalog,
            directory.as_ref(),
            &filter,
            &mut selection,
        )
        .await;
    }

    let Selection {
        chosen,
        skipped,
        referenced,
    } = selection;
    let exported = name_objects(chosen);
    let renamed = renamed(&exported);
    let refs = references(&exported, &referenced, directory.as_ref());
    write_files(
        &output,
        &catalog,
        &kinds,
        &exported,
        &refs,
        options.import_blocks,
    )?;
    Ok(Report {
        out: output.path().to_path_buf(),
        counts: kinds
            .iter()
            .map(|k| (*k, exported.iter().filter(|o| o.kind == *k).count()))
            .collect(),
        skipped,
        renamed,
        import_blocks: options.import_blocks,
    })
}

/// The `--filter` text, lowercased; without one (or with an empty one) every object is kept.
struct NameFilter {
    needle: Option<String>,
}

impl NameFilter {
    fn new(filter: Option<&str>) -> Self {
        Self {
            needle: filter.map(str::to_lowercase).filter(|n| !n.is_empty()),
        }
    }

    fn keeps(&self, listed: &Listed) -> bool {
        self.needle.as_deref().is_none_or(|n| listed.matches(n))
    }
}

/// What the export has read so far: the objects to write, those it could not read, and the
/// lowercased ids of the groups Autopilot objects reference.
#[derive(Default)]
struct Selection {
    chosen: Vec<ReadObject>,
    skipped: Vec<Skipped>,
    referenced: BTreeSet<String>,
}

/// Every kind but groups: those asked for, and those whose group
/// references decide which groups are the tenant's Autopilot groups.
async fn read_autopilot_objects(
    client: &Arc<GraphClient>,
    catalog: &Catalog,
    kinds: &BTreeSet<Kind>,
    filter: &NameFilter,
    selection: &mut Selection,
) -> Result<(), ExportError> {
    for kind in Kind::all().into_iter().filter(|k| *k != Kind::GROUPS) {
        let wanted = kinds.contains(&kind);
        let for_groups = kinds.contains(&Kind::GROUPS) && !kind.group_id_attributes().is_empty();
        if !wanted && !for_groups {
            continue;
        }
        let listed = match kind.list(client).await {
            Ok(listed) => listed,
            Err(source) if wanted => {
                return Err(ExportError::List {
                    kind,
                    source: Box::new(source),
                });
            }
            // Read only to find the groups it targets: go on without.
            Err(e) => {
                tracing::warn!(kind = %kind, error = %e, "cannot list; groups only it targets are not exported");
                continue;
            }
        };
        let listed: Vec<Listed> = listed
            .into_iter()
            .filter(|l| for_groups || filter.keeps(l))
            .collect();
        tracing::info!(kind = %kind, objects = listed.len(), "reading");
        for (listed, result) in read_objects(client, catalog, kind, listed).await {
            let exported = wanted && filter.keeps(&listed);
            match result {
                Ok(value) => {
                    selection.referenced.extend(
                        group_ids(kind, &value)
                            .iter()
                            .map(|id| id.to_ascii_lowercase()),
                    );
                    if exported {
                        selection.chosen.push(ReadObject {
                            kind,
                            listed,
                            value,
                        });
                    }
                }
                Err(reason) if exported => {
                    tracing::warn!(kind = %kind, id = %listed.id, %reason, "not exported");
                    selection.skipped.push(Skipped {
                        kind,
                        label: listed.label,
                        id: listed.id,
                        reason,
                    });
                }
                Err(reason) => {
                    tracing::warn!(kind = %kind, id = %listed.id, %reason, "cannot read; its groups may be missed");
                }
            }
        }
    }
    for object in &selection.chosen {
        selection.referenced.extend(
            group_ids(object.kind, &object.value)
                .iter()
                .map(|id| id.to_ascii_lowercase()),
        );
    }
    Ok(())
}

/// The tenant's groups by lowercased id, `None` when they could not be listed.
///
/// Without groups asked for, the directory only names the groups in
/// comments: reading it may fail (no directory permission) without
/// failing the export.
async fn group_directory(
    client: &Arc<GraphClient>,
    kinds: &BTreeSet<Kind>,
    referenced: &BTreeSet<String>,
) -> Result<Option<BTreeMap<String, GroupSummary>>, ExportError> {
    if !kinds.contains(&Kind::GROUPS) && referenced.is_empty() {
        return Ok(Some(BTreeMap::new()));
    }
    match tenant::groups(client).await {
        Ok(groups) => Ok(Some(
            groups
                .into_iter()
                .map(|g| (g.id.to_ascii_lowercase(), g))
                .collect(),
        )),
        Err(source) if kinds.contains(&Kind::GROUPS) => Err(ExportError::List {
            kind: Kind::GROUPS,
            source: Box::new(source),
        }),
        Err(e) => {
            tracing::warn!(error = %e, "cannot list the groups; group ids are written without their names");
            Ok(None)
        }
    }
}

/// Groups: the Autopilot ones (dynamic rules over device ids, or
/// referenced by an Autopilot object) that autopilot_group can manage.
async fn read_groups(
    client: &Arc<GraphClient>,
    catalog: &Catalog,
    directory: Option<&BTreeMap<String, GroupSummary>>,
    filter: &NameFilter,
    selection: &mut Selection,
) {
    let candidates: Vec<Listed> = directory
        .into_iter()
        .flat_map(BTreeMap::values)
        .filter(|g| g.is_plain_security_group())
        .filter(|g| {
            g.has_autopilot_rule() || selection.referenced.contains(&g.id.to_ascii_lowercase())
        })
        .map(|g| Listed {
            id: g.id.clone(),
            label: g.label(),
            also_known_as: None,
        })
        .filter(|l| filter.keeps(l))
        .collect();
    tracing::info!(objects = candidates.len(), "reading groups");
    for (listed, result) in read_objects(client, catalog, Kind::GROUPS, candidates).await {
        match result {
            Ok(value) => selection.chosen.push(ReadObject {
                kind: Kind::GROUPS,
                listed,
                value,
            }),
            Err(reason) => selection.skipped.push(Skipped {
                kind: Kind::GROUPS,
                label: listed.label,
                id: listed.id,
                reason,
            }),
        }
    }
}

/// The texts written otherwise than the tenant holds them (see
/// [`render::accepted_text`]), one line each.
fn renamed(exported: &[Exported]) -> Vec<String> {
    let mut lines = Vec::new();
    for object in exported {
        for name in ["display_name", "description"] {
            let Some(value) = object.value.attr(name) else {
                continue;
            };
            if let (Some((accepted, _)), Value::String(held)) =
                (render::accepted_text(object, name, value), value)
            {
                tracing::warn!(address = %object.address(), attribute = name, held = %held, written = %accepted, "Intune refuses the tenant's text on every write; the export writes the nearest text it accepts");
                lines.push(format!(
                    "{}.{name}: {held:?} -> {accepted:?}",
                    object.address()
                ));
            }
        }
    }
    lines
}

/// Resource names from display names, unique per type, handed out in the
/// order of the names (then ids) so that they do not depend on Graph's order.
fn name_objects(mut chosen: Vec<ReadObject>) -> Vec<Exported> {
    chosen.sort_by(|a, b| {
        (a.kind, a.listed.label.to_lowercase(), &a.listed.id).cmp(&(
            b.kind,
            b.listed.label.to_lowercase(),
            &b.listed.id,
        ))
    });
    let mut names: BTreeMap<Kind, naming::UniqueNames> = BTreeMap::new();
    chosen
        .into_iter()
        .map(|o| {
            let name = names
                .entry(o.kind)
                .or_default()
                .claim(&o.listed.label, o.kind.fallback_name());
            Exported {
                kind: o.kind,
                id: o.listed.id,
                label: o.listed.label,
                name,
                value: o.value,
            }
        })
        .collect()
}

/// What each referenced group id becomes: a reference to its exported
/// `autopilot_group`, else its id with a comment saying why.
fn references(
    exported: &[Exported],
    referenced: &BTreeSet<String>,
    directory: Option<&BTreeMap<String, GroupSummary>>,
) -> References {
    let mut refs = References::default();
    for id in referenced {
        let why = match directory.map(|d| d.get(id)) {
            None => format!("Group {id} is not exported."),
            // Not in the listing: the default comment says so.
            Some(None) => continue,
            Some(Some(group)) if group.is_plain_security_group() => {
                format!("Group {:?} is not exported.", group.label())
            }
            Some(Some(group)) => format!(
                "Group {:?} is a Microsoft 365 or mail-enabled group, which autopilot_group does not manage.",
                group.label()
            ),
        };
        refs.insert(id, GroupRef::Raw { why });
    }
    for object in exported.iter().filter(|o| o.kind == Kind::GROUPS) {
        refs.insert(
            &object.id,
            GroupRef::Exported {
                name: object.name.clone(),
            },
        );
    }
    refs
}

fn write_files(
    output: &OutputDir,
    catalog: &Catalog,
    kinds: &BTreeSet<Kind>,
    exported: &[Exported],
    refs: &References,
    import_blocks: bool,
) -> Result<(), ExportError> {
    output.write(files::PROVIDER_FILE, files::PROVIDER_HCL)?;
    for kind in kinds {
        let Some(schema) = catalog.schema(*kind) else {
            continue;
        };
        let objects: Vec<Exported> = exported
            .iter()
            .filter(|o| o.kind == *kind)
            .cloned()
            .collect();
        let extras = Extras {
            default_esp: *kind == Kind::ENROLLMENT_STATUS_PAGES,
            provisioning_client: *kind == Kind::GROUPS
                && objects
                    .iter()
                    .any(|o| o.value.attr("provisioning_client_owner") == Some(&Value::Bool(true))),
        };
        if let Some(text) = files::kind_file(*kind, &objects, schema, refs, extras) {
            output.write(&kind.file_name(), &text)?;
        }
    }
    let all: Vec<&Exported> = exported.iter().collect();
    if import_blocks {
        output.write(files::IMPORT_BLOCKS, &files::import_blocks(&all))?;
    } else {
        output.write_executable(files::IMPORT_SCRIPT, &files::import_script(&all))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_ids_come_from_the_kinds_group_attributes() {
        let value = Value::Object(
            [
                ("device_group_id".to_string(), Value::String("d".into())),
                (
                    "include_group_ids".to_string(),
                    Value::set(vec![Value::String("u".into())]),
                ),
                (
                    "allowed_app_ids".to_string(),
                    Value::set(vec![Value::String("app".into())]),
                ),
            ]
            .into_iter()
            .collect(),
        );
        assert_eq!(
            group_ids(
                Kind::new(&crate::resources::device_preparation_policy::EXPORT),
                &value
            ),
            ["d", "u"]
        );
        assert!(group_ids(Kind::DEVICES, &value).is_empty());
    }

    #[test]
    fn names_do_not_depend_on_listing_order() {
        let read = |id: &str, label: &str| ReadObject {
            kind: Kind::GROUPS,
            listed: Listed {
                id: id.into(),
                label: label.into(),
                also_known_as: None,
            },
            value: Value::Null,
        };
        let one = name_objects(vec![read("b", "Sales"), read("a", "Sales")]);
        let two = name_objects(vec![read("a", "Sales"), read("b", "Sales")]);
        let names = |v: &[Exported]| {
            v.iter()
                .map(|o| (o.id.clone(), o.name.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&one), names(&two));
        assert_eq!(
            names(&one),
            [
                ("a".to_string(), "sales".to_string()),
                ("b".to_string(), "sales_2".to_string())
            ]
        );
    }

    #[test]
    fn group_ids_become_references_or_ids_with_a_reason() {
        let summary = |id: &str, name: &str, unified: bool| GroupSummary {
            id: id.into(),
            display_name: Some(name.into()),
            group_types: if unified {
                vec!["Unified".into()]
            } else {
                vec![]
            },
            membership_rule: None,
            security_enabled: Some(!unified),
            mail_enabled: Some(unified),
        };
        let directory: BTreeMap<String, GroupSummary> = [
            summary("g1", "Sales", false),
            summary("g2", "Finance", false),
            summary("g3", "Everyone", true),
        ]
        .into_iter()
        .map(|g| (g.id.clone(), g))
        .collect();
        let exported = vec![Exported {
            kind: Kind::GROUPS,
            id: "G1".into(),
            label: "Sales".into(),
            name: "sales".into(),
            value: Value::Null,
        }];
        let referenced: BTreeSet<String> = ["g1", "g2", "g3", "g4"].map(String::from).into();
        let mut body = hcl::Body::default();
        let ids = Value::set(
            ["g1", "g2", "g3", "g4"]
                .map(|i| Value::String(i.into()))
                .to_vec(),
        );
        let schema = Schema::of::<crate::resources::domain_join_profile::DomainJoinProfileModel>(0)
            .expect("schema");
        let object = Exported {
            kind: Kind::new(&crate::resources::domain_join_profile::EXPORT),
            id: "p".into(),
            label: "P".into(),
            name: "p".into(),
            value: Value::Object(
                [("include_group_ids".to_string(), ids)]
                    .into_iter()
                    .collect(),
            ),
        };
        body.block(render::resource_block(
            &object,
            &schema,
            &references(&exported, &referenced, Some(&directory)),
        ));
        let text = body.to_file();
        for line in [
            "    autopilot_group.sales.id,\n",
            "    # Group \"Finance\" is not exported.\n    \"g2\",\n",
            "    # Group \"Everyone\" is a Microsoft 365 or mail-enabled group, which autopilot_group does not manage.\n    \"g3\",\n",
            "    # Group g4 is not in the tenant.\n    \"g4\",\n",
        ] {
            assert!(text.contains(line), "{line:?} not in:\n{text}");
        }
        let mut body = hcl::Body::default();
        body.block(render::resource_block(
            &object,
            &schema,
            &references(&[], &referenced, None),
        ));
        assert!(body.to_file().contains("    # Group g4 is not exported.\n"));
    }

    #[test]
    fn options_list_the_files_they_may_write() {
        let options = Options {
            out: PathBuf::from("x"),
            only: vec![Kind::DEVICES],
            filter: None,
            import_blocks: true,
            force: false,
        };
        assert_eq!(options.files(), ["provider.tf", "devices.tf", "imports.tf"]);
    }

    #[test]
    fn the_summary_says_what_to_run_next() {
        let report = Report {
            out: PathBuf::from("/tmp/out"),
            counts: vec![(Kind::GROUPS, 2), (Kind::DEVICES, 1)],
            skipped: vec![Skipped {
                kind: Kind::DEPLOYMENT_PROFILES,
                label: "Odd".into(),
                id: "p1".into(),
                reason: "unsupported device type".into(),
            }],
            renamed: vec!["autopilot_deployment_profile.x.display_name: \"A-B\" -> \"A B\"".into()],
            import_blocks: false,
        };
        let text = report.to_string();
        assert!(
            text.starts_with("Exported 3 object(s) into /tmp/out:\n"),
            "{text}"
        );
        assert!(text.contains("groups.tf"), "{text}");
        assert!(
            text.contains("autopilot_deployment_profile \"Odd\" (p1): unsupported device type"),
            "{text}"
        );
        assert!(
            text.contains("  autopilot_deployment_profile.x.display_name: \"A-B\" -> \"A B\"\n"),
            "{text}"
        );
        assert!(text.ends_with("./import.sh && terraform plan"), "{text}");
    }
}
