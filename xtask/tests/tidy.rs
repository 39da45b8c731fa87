//! Tidy checks in the manner of rust-analyzer's `xtask/src/tidy.rs`: the rules of
//! CONTRIBUTING.md that a test can hold the tree to.
//!
//! - Every type the provider serves (its registry, `provider/src/registry.rs`, and its
//!   functions, `provider/src/functions/`) has an example, a doc page, an acceptance suite,
//!   a mention in README.md, and, for resources,
//!   an export declaration that names it, the request bodies it sends with their schemas
//!   under `schemas/graph/`, and a lab route for each of those requests' paths.
//! - Every Rust module starts with a `//!` line saying what it is for.
//! - No file of a resource (`provider/src/resources/**`) is over 600 lines.
//!
//! A check is a function from the tree and the served types to the problems it finds;
//! `the_checks_name_what_an_incomplete_type_lacks` runs them over a deliberately
//! incomplete type so that each of them is seen to fail.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use terraform_provider_autopilot::functions;
use terraform_provider_autopilot::registry::{self, Export};

/// Lines a file of a resource may have.
const RESOURCE_FILE_LINES: usize = 600;

/// Whether a served type is a resource, a data source or a provider-defined function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Resource,
    DataSource,
    Function,
}

/// What the provider says about one served type.
#[derive(Debug, Clone)]
struct Served {
    type_name: String,
    role: Role,
    /// How `export` writes it (`None`: nothing declared).
    export: Option<String>,
    /// The request bodies it sends: (name, path).
    payloads: Vec<(String, String)>,
}

impl Served {
    /// The name without the provider's prefix: `group` for `autopilot_group`.
    fn short_name(&self) -> &str {
        self.type_name
            .strip_prefix("autopilot_")
            .unwrap_or(&self.type_name)
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The provider's types, from its registry.
fn served_types() -> Vec<Served> {
    let managed = registry::managed_types();
    let served: BTreeSet<&str> = managed.iter().map(|m| m.resource.type_name()).collect();
    let mut types: Vec<Served> = managed
        .iter()
        .map(|m| {
            let type_name = m.resource.type_name();
            let export = match m.export {
                Export::As(kind) if kind.resource_type == type_name => {
                    Some(format!("kind {}", kind.name))
                }
                Export::Covered { by } if served.contains(by) && by != type_name => {
                    Some(format!("covered by {by}"))
                }
                // A declaration that names another type is no declaration of this one.
                _ => None,
            };
            Served {
                type_name: type_name.to_string(),
                role: Role::Resource,
                export,
                payloads: (m.payloads)()
                    .into_iter()
                    .map(|p| (p.name.to_string(), p.path))
                    .collect(),
            }
        })
        .collect();
    types.extend(functions::all().into_iter().map(|f| Served {
        type_name: f.name().to_string(),
        role: Role::Function,
        export: None,
        payloads: Vec::new(),
    }));
    types.extend(registry::read_types().into_iter().map(|r| {
        Served {
            type_name: r.data_source.type_name().to_string(),
            role: Role::DataSource,
            export: None,
            payloads: (r.payloads)()
                .into_iter()
                .map(|p| (p.name.to_string(), p.path))
                .collect(),
        }
    }));
    types
}

/// Every file below `dir` (recursively) whose name ends with `extension`.
fn files_below(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == extension) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn example_problems(root: &Path, served: &Served) -> Vec<String> {
    let (dir, file) = match served.role {
        Role::Resource => ("examples/resources", "resource.tf"),
        Role::DataSource => ("examples/data-sources", "data-source.tf"),
        Role::Function => ("examples/functions", "function.tf"),
    };
    let mut wanted = vec![format!("{dir}/{}/{file}", served.type_name)];
    if served.role == Role::Resource {
        wanted.push(format!("{dir}/{}/import.sh", served.type_name));
    }
    wanted
        .into_iter()
        .filter(|path| !root.join(path).is_file())
        .map(|path| format!("{}: no example ({path})", served.type_name))
        .collect()
}

fn doc_problems(root: &Path, served: &Served) -> Vec<String> {
    let dir = match served.role {
        Role::Resource => "docs/resources",
        Role::DataSource => "docs/data-sources",
        Role::Function => "docs/functions",
    };
    let page = format!("{dir}/{}.md", served.short_name());
    if root.join(&page).is_file() {
        Vec::new()
    } else {
        vec![format!(
            "{}: no doc page ({page}; `cargo xtask docs` writes it)",
            served.type_name
        )]
    }
}

/// A resource has a test module named after it; a data source is read by at least one
/// test's configuration.
fn acceptance_problems(root: &Path, served: &Served) -> Vec<String> {
    let tests = files_below(&root.join("acceptance-tests/tests"), "rs");
    let covered = match served.role {
        Role::Resource => {
            let file = format!("{}.rs", served.short_name());
            tests
                .iter()
                .any(|t| t.file_name().is_some_and(|n| n == file.as_str()))
        }
        Role::DataSource => {
            let plain = format!("data \"{}\"", served.type_name);
            let escaped = format!("data \\\"{}\\\"", served.type_name);
            tests
                .iter()
                .map(|t| read(t))
                .any(|text| text.contains(&plain) || text.contains(&escaped))
        }
        Role::Function => {
            let call = format!("provider::autopilot::{}(", served.type_name);
            tests.iter().any(|t| read(t).contains(&call))
        }
    };
    if covered {
        Vec::new()
    } else {
        let what = match served.role {
            Role::Resource => format!("module {}.rs", served.short_name()),
            Role::DataSource => format!("a configuration with data \"{}\"", served.type_name),
            Role::Function => format!(
                "a configuration calling provider::autopilot::{}",
                served.type_name
            ),
        };
        vec![format!(
            "{}: no acceptance suite (nothing in acceptance-tests/tests is {what})",
            served.type_name
        )]
    }
}

fn readme_problems(root: &Path, served: &Served) -> Vec<String> {
    if read(&root.join("README.md")).contains(&served.type_name) {
        Vec::new()
    } else {
        vec![format!(
            "{}: README.md does not mention it",
            served.type_name
        )]
    }
}

fn export_problems(served: &Served) -> Vec<String> {
    if served.role == Role::Resource && served.export.is_none() {
        vec![format!(
            "{}: no export declaration (an `EXPORT` in its registration.rs, registered in provider/src/registry.rs)",
            served.type_name
        )]
    } else {
        Vec::new()
    }
}

fn payload_problems(root: &Path, served: &Served) -> Vec<String> {
    let mut problems = Vec::new();
    if served.role == Role::Resource && served.payloads.is_empty() {
        problems.push(format!(
            "{}: declares no request bodies (`payloads()` in its registration.rs)",
            served.type_name
        ));
    }
    for (name, _) in &served.payloads {
        let schema = format!("schemas/graph/{name}.json");
        if !root.join(&schema).is_file() {
            problems.push(format!(
                "{}: no payload schema {schema} (`cargo xtask schemas` writes it)",
                served.type_name
            ));
        }
    }
    problems
}

/// Every named segment of each request path (`{id}` and the API version aside) is a
/// string the lab's Graph routes match.
fn lab_route_problems(root: &Path, served: &Served) -> Vec<String> {
    let lab: String = files_below(&root.join("lab/src"), "rs")
        .iter()
        .map(|f| read(f))
        .collect();
    let mut problems = Vec::new();
    for (name, path) in &served.payloads {
        let missing: Vec<&str> = path
            .split('/')
            .skip(2)
            .filter(|segment| !segment.starts_with('{') && !segment.is_empty())
            .filter(|segment| !lab.contains(&format!("\"{segment}\"")))
            .collect();
        if !missing.is_empty() {
            problems.push(format!(
                "{}: the lab serves no route for {name} ({path}: {} unknown to lab/src)",
                served.type_name,
                missing.join(", ")
            ));
        }
    }
    problems
}

/// Everything the tree lacks for `served`.
fn type_problems(root: &Path, served: &Served) -> Vec<String> {
    [
        example_problems(root, served),
        doc_problems(root, served),
        acceptance_problems(root, served),
        readme_problems(root, served),
        export_problems(served),
        payload_problems(root, served),
        lab_route_problems(root, served),
    ]
    .concat()
}

/// Rust files below `dirs` that do not start with a `//!` line.
fn module_doc_problems(root: &Path, dirs: &[&str]) -> Vec<String> {
    dirs.iter()
        .flat_map(|dir| files_below(&root.join(dir), "rs"))
        .filter(|file| !read(file).trim_start().starts_with("//!"))
        .map(|file| {
            format!(
                "{}: no module doc (a first line `//! what this module is for`)",
                relative(root, &file)
            )
        })
        .collect()
}

/// Resource files over the size a reader takes in at once.
fn resource_size_problems(root: &Path) -> Vec<String> {
    files_below(&root.join("provider/src/resources"), "rs")
        .into_iter()
        .filter_map(|file| {
            let lines = read(&file).lines().count();
            (lines > RESOURCE_FILE_LINES).then(|| {
                format!(
                    "{}: {lines} lines, over {RESOURCE_FILE_LINES}: split it into a folder (model.rs, graph.rs, validate.rs, tests.rs)",
                    relative(root, &file)
                )
            })
        })
        .collect()
}

fn relative(root: &Path, file: &Path) -> String {
    file.strip_prefix(root)
        .unwrap_or(file)
        .display()
        .to_string()
}

fn report(problems: &[String]) -> String {
    format!(
        "\n{} problem(s):\n  {}\n",
        problems.len(),
        problems.join("\n  ")
    )
}

#[test]
fn every_served_type_has_everything_it_needs() {
    let root = root();
    let types = served_types();
    assert!(
        types.iter().any(|t| t.role == Role::Resource)
            && types.iter().any(|t| t.role == Role::DataSource),
        "the registry lists no types: {types:?}"
    );
    let problems: Vec<String> = types.iter().flat_map(|t| type_problems(&root, t)).collect();
    assert!(problems.is_empty(), "{}", report(&problems));
}

#[test]
fn every_module_says_what_it_is_for() {
    let root = root();
    let problems = module_doc_problems(
        &root,
        &[
            "tfplugin/src",
            "provider/src",
            "lab/src",
            "xtask/src",
            "acceptance-tests/src",
            "conformance/src",
        ],
    );
    assert!(problems.is_empty(), "{}", report(&problems));
}

#[test]
fn no_resource_file_is_over_600_lines() {
    let problems = resource_size_problems(&root());
    assert!(problems.is_empty(), "{}", report(&problems));
}

#[test]
fn the_checks_name_what_an_incomplete_type_lacks() {
    let tree = tempfile::tempdir().expect("a temporary directory");
    let widget = Served {
        type_name: "autopilot_widget".into(),
        role: Role::Resource,
        export: None,
        payloads: Vec::new(),
    };
    let problems = type_problems(tree.path(), &widget);
    assert_each_said(
        &problems,
        &[
            "no example (examples/resources/autopilot_widget/resource.tf)",
            "no example (examples/resources/autopilot_widget/import.sh)",
            "no doc page (docs/resources/widget.md",
            "no acceptance suite",
            "README.md does not mention it",
            "no export declaration",
            "declares no request bodies",
        ],
    );

    // Declared bodies without their schemas, on a path the lab does not serve.
    let widget = Served {
        export: Some("kind widgets".into()),
        payloads: vec![(
            "widget-create".into(),
            "/beta/deviceManagement/widgets/{id}/polish".into(),
        )],
        ..widget
    };
    let problems = type_problems(tree.path(), &widget);
    assert!(
        !problems.iter().any(|p| p.contains("no export declaration")),
        "{}",
        report(&problems)
    );
    assert_each_said(
        &problems,
        &[
            "no payload schema schemas/graph/widget-create.json",
            "the lab serves no route for widget-create",
            "deviceManagement, widgets, polish unknown to lab/src",
        ],
    );
}

/// Fails unless, for each of `lacks`, one of `problems` says it.
#[track_caller]
fn assert_each_said(problems: &[String], lacks: &[&str]) {
    for lack in lacks {
        assert!(
            problems.iter().any(|p| p.contains(lack)),
            "nothing says {lack:?}:{}",
            report(problems)
        );
    }
}

#[test]
fn a_complete_type_passes_and_each_missing_file_is_named_alone() {
    let tree = tempfile::tempdir().expect("a temporary directory");
    let root = tree.path();
    let write = |path: &str, text: &str| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("a directory");
        std::fs::write(path, text).expect("a file");
    };
    write("examples/resources/autopilot_widget/resource.tf", "");
    write("examples/resources/autopilot_widget/import.sh", "");
    write("docs/resources/widget.md", "");
    write(
        "acceptance-tests/tests/acceptance/widget.rs",
        "//! widgets\n",
    );
    write("README.md", "| autopilot_widget | a widget |\n");
    write("schemas/graph/widget-create.json", "{}");
    write(
        "lab/src/graph/widgets.rs",
        "//! widgets\nconst ROUTE: [&str; 3] = [\"deviceManagement\", \"widgets\", \"polish\"];\n",
    );
    write("provider/src/resources/widget.rs", "//! widgets\n");
    let widget = Served {
        type_name: "autopilot_widget".into(),
        role: Role::Resource,
        export: Some("kind widgets".into()),
        payloads: vec![(
            "widget-create".into(),
            "/beta/deviceManagement/widgets/{id}/polish".into(),
        )],
    };
    assert_eq!(type_problems(root, &widget), Vec::<String>::new());
    assert_eq!(
        module_doc_problems(root, &["lab/src", "provider/src"]),
        Vec::<String>::new()
    );

    std::fs::remove_file(root.join("docs/resources/widget.md")).expect("removed");
    write(
        "provider/src/resources/gadget.rs",
        &"// no module doc\n".repeat(601),
    );
    let problems = type_problems(root, &widget);
    assert_eq!(problems.len(), 1, "{}", report(&problems));
    assert!(problems[0].contains("no doc page"), "{}", report(&problems));
    let undocumented = module_doc_problems(root, &["provider/src"]);
    assert_eq!(undocumented.len(), 1, "{}", report(&undocumented));
    assert!(undocumented[0].starts_with("provider/src/resources/gadget.rs: no module doc"));
    let oversized = resource_size_problems(root);
    assert_eq!(oversized.len(), 1, "{}", report(&oversized));
    assert!(oversized[0].contains("601 lines"), "{}", report(&oversized));
}
