//! tfplugin against Terraform itself: generated configurations of `conformance_echo` resources
//! (the conformance provider echoes its configuration into state) with values of every shape in
//! every position, many of them unknown until apply. For each seed: apply, a second plan that
//! must be empty, a change, apply, an empty plan again, destroy. Any "Provider produced invalid
//! plan" or "inconsistent result after apply" fails the run with the seed, the Terraform
//! version and the configuration.
//!
//! `CONFORMANCE_SEEDS` (default 2), `CONFORMANCE_FIRST_SEED` (default 1) and
//! `CONFORMANCE_RESOURCES` (echo resources per configuration, default 40) size the run;
//! `cargo xtask conformance --seeds N` runs many seeds on both Terraform versions.

use std::sync::atomic::{AtomicU64, Ordering};

use acceptance_tests::generate::{
    Assignment, Collection, Refs, Rng, Scalar, collection, literal, nested_block, resource_block,
    scalar,
};
use acceptance_tests::{Terraform, paths};

const PROVIDER: &str = r#"terraform {
  required_providers {
    conformance = {
      source = "autopilot-iac/conformance"
    }
  }
}
"#;

/// Sources per configuration: enough for distinct unknowns of every type.
const SOURCES: usize = 4;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The attributes of one echo: every attribute shape of `conformance_echo`.
fn echo_attributes(rng: &mut Rng, refs: &Refs, name: &str) -> Vec<Assignment> {
    let mut out = vec![Assignment {
        name: "name",
        expression: Some(format!("\"{name}\"")),
    }];
    let mut maybe = |name: &'static str, rng: &mut Rng, make: &dyn Fn(&mut Rng) -> String| {
        let expression = rng.chance(75).then(|| make(rng));
        out.push(Assignment { name, expression });
    };
    maybe("text", rng, &|rng| scalar(rng, refs, Scalar::Text));
    maybe("number", rng, &|rng| scalar(rng, refs, Scalar::Number));
    maybe("flag", rng, &|rng| scalar(rng, refs, Scalar::Bool));
    for (attr, kind, element) in [
        ("text_list", Collection::List, Scalar::Text),
        ("number_list", Collection::List, Scalar::Number),
        ("flag_list", Collection::List, Scalar::Bool),
        ("text_set", Collection::Set, Scalar::Text),
        ("number_set", Collection::Set, Scalar::Number),
        ("flag_set", Collection::Set, Scalar::Bool),
        ("text_map", Collection::Map, Scalar::Text),
        ("number_map", Collection::Map, Scalar::Number),
        ("flag_map", Collection::Map, Scalar::Bool),
    ] {
        maybe(attr, rng, &|rng| collection(rng, refs, kind, element));
    }
    maybe("defaulted", rng, &|rng| scalar(rng, refs, Scalar::Text));
    maybe("defaulted_number", rng, &|rng| {
        scalar(rng, refs, Scalar::Number)
    });
    maybe("derived", rng, &|rng| scalar(rng, refs, Scalar::Text));
    maybe("secret", rng, &|rng| scalar(rng, refs, Scalar::Text));
    maybe("generation", rng, &|rng| literal(rng, Scalar::Number));
    out
}

/// The nested blocks of one echo: maybe `settings`, 0 to 3 `rule`s, 0 to 3 `member`s (set
/// blocks, duplicates and unknown keys included).
fn echo_blocks(rng: &mut Rng, refs: &Refs) -> Vec<String> {
    let mut blocks = Vec::new();
    if rng.chance(50) {
        blocks.push(nested_block(
            "settings",
            &[
                Assignment::sometimes(rng, 70, "mode", |rng| scalar(rng, refs, Scalar::Text)),
                Assignment::sometimes(rng, 70, "level", |rng| scalar(rng, refs, Scalar::Number)),
                Assignment::sometimes(rng, 70, "tags", |rng| {
                    collection(rng, refs, Collection::Set, Scalar::Text)
                }),
            ],
        ));
    }
    for _ in 0..rng.below(4) {
        blocks.push(nested_block(
            "rule",
            &[
                Assignment::sometimes(rng, 80, "key", |rng| scalar(rng, refs, Scalar::Text)),
                Assignment::sometimes(rng, 60, "weight", |rng| scalar(rng, refs, Scalar::Number)),
                Assignment::sometimes(rng, 60, "enabled", |rng| scalar(rng, refs, Scalar::Bool)),
            ],
        ));
    }
    for _ in 0..rng.below(4) {
        let member = nested_block(
            "member",
            &[
                Assignment::sometimes(rng, 80, "key", |rng| scalar(rng, refs, Scalar::Text)),
                Assignment::sometimes(rng, 60, "values", |rng| {
                    collection(rng, refs, Collection::List, Scalar::Text)
                }),
            ],
        );
        if rng.chance(20) {
            blocks.push(member.clone());
        }
        blocks.push(member);
    }
    blocks
}

/// One generated configuration: the sources, then `count` echoes, each of which may refer to
/// the sources and to echoes declared before it.
struct Generated {
    echoes: Vec<(Vec<Assignment>, Vec<String>)>,
}

impl Generated {
    fn new(rng: &mut Rng, count: usize) -> Generated {
        let mut refs = Refs {
            sources: (0..SOURCES)
                .map(|i| format!("conformance_source.s{i}"))
                .collect(),
            ids: Vec::new(),
        };
        let mut echoes = Vec::with_capacity(count);
        for i in 0..count {
            let name = format!("e{i}");
            let attributes = echo_attributes(rng, &refs, &name);
            let blocks = echo_blocks(rng, &refs);
            echoes.push((attributes, blocks));
            refs.ids.push(format!("conformance_echo.{name}"));
        }
        Generated { echoes }
    }

    /// A change to about a third of the attributes and blocks, the names kept (so most
    /// resources update in place; a changed `generation` replaces one).
    fn changed(&self, rng: &mut Rng) -> Generated {
        let fresh = Generated::new(rng, self.echoes.len());
        let echoes = self
            .echoes
            .iter()
            .zip(fresh.echoes)
            .map(|((attributes, blocks), (new_attributes, new_blocks))| {
                let attributes = attributes
                    .iter()
                    .zip(new_attributes)
                    .map(|(old, new)| {
                        if old.name != "name" && rng.chance(33) {
                            new
                        } else {
                            old.clone()
                        }
                    })
                    .collect();
                let blocks = if rng.chance(33) {
                    new_blocks
                } else {
                    blocks.clone()
                };
                (attributes, blocks)
            })
            .collect();
        Generated { echoes }
    }

    fn hcl(&self, seed: u64) -> String {
        let mut out = format!("{PROVIDER}\n# seed {seed}\n");
        for i in 0..SOURCES {
            out.push_str(&resource_block(
                "conformance_source",
                &format!("s{i}"),
                &[Assignment {
                    name: "seed",
                    expression: Some(format!("\"seed{i}x{}\"", "y".repeat(i))),
                }],
                &[],
            ));
        }
        for (i, (attributes, blocks)) in self.echoes.iter().enumerate() {
            out.push_str(&resource_block(
                "conformance_echo",
                &format!("e{i}"),
                attributes,
                blocks,
            ));
        }
        out
    }
}

/// Runs one seed through its whole cycle; returns how many resources it checked, or what failed.
fn run_seed(seed: u64, count: usize) -> Result<usize, String> {
    let tf = Terraform::with_env(Vec::new());
    let mut rng = Rng::new(seed);
    let first = Generated::new(&mut rng, count);
    let second = first.changed(&mut rng);
    let fail = |phase: &str, hcl: &str, output: String| {
        Err(format!(
            "seed {seed} on Terraform {}: {phase} failed\n--- main.tf ---\n{hcl}\n--- output ---\n{output}",
            paths::terraform_version_text()
        ))
    };
    for (phase, generated) in [("first", &first), ("changed", &second)] {
        let hcl = generated.hcl(seed);
        tf.write_main(&hcl);
        let apply = tf.try_apply();
        if apply.code != 0 || apply.timed_out {
            return fail(
                &format!("apply of the {phase} configuration"),
                &hcl,
                apply.to_string(),
            );
        }
        let plan = tf.plan_detailed();
        if plan.code != 0 || plan.timed_out {
            return fail(
                &format!("the plan after the {phase} apply (must be empty)"),
                &hcl,
                plan.to_string(),
            );
        }
    }
    let destroy = tf.run(&["destroy", "-no-color", "-input=false", "-auto-approve"]);
    if destroy.code != 0 || destroy.timed_out {
        return fail("destroy", &second.hcl(seed), destroy.to_string());
    }
    Ok(count + SOURCES)
}

#[test]
fn generated_configurations_plan_apply_and_settle() {
    paths::conformance_bin();
    let seeds = env_number("CONFORMANCE_SEEDS", 2);
    let first_seed = env_number("CONFORMANCE_FIRST_SEED", 1);
    let count = usize::try_from(env_number("CONFORMANCE_RESOURCES", 40)).unwrap_or(40);
    let next = AtomicU64::new(first_seed);
    let checked = AtomicU64::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let seed = next.fetch_add(1, Ordering::Relaxed);
                    if seed >= first_seed + seeds {
                        break;
                    }
                    match run_seed(seed, count) {
                        Ok(n) => {
                            checked.fetch_add(n as u64, Ordering::Relaxed);
                        }
                        Err(failure) => failures
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .push(failure),
                    }
                }
            });
        }
    });
    let failures = failures
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    eprintln!(
        "conformance: Terraform {}: seeds {first_seed}..{}, {} generated resources checked (each created, changed and destroyed), {} failed seeds",
        paths::terraform_version_text(),
        first_seed + seeds,
        checked.load(Ordering::Relaxed),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
