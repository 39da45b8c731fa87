//! Every checked-in seed goes through its target's checks, so the
//! properties run in a plain `cargo test` (no cargo-fuzz, no nightly).

use std::path::Path;

#[test]
fn every_seed_keeps_its_targets_properties() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for (target, check) in autopilot_fuzz::TARGETS {
        let dir = corpus.join(target);
        let mut seeds = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("no seed corpus at {}: {e}", dir.display()))
            .map(|entry| entry.expect("a readable corpus entry").path())
            .collect::<Vec<_>>();
        seeds.sort();
        assert!(!seeds.is_empty(), "{target} has no seeds");
        for seed in seeds {
            let data = std::fs::read(&seed).expect("a readable seed");
            check(&data);
        }
    }
}

#[test]
fn seeds_reach_the_code_under_test() {
    // The seeds are valid inputs: a check that returned early on all of
    // them would test nothing.
    use terraform_provider_autopilot::devices::{csv, hash};
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let minimal = std::fs::read_to_string(corpus.join("device_csv/minimal")).expect("seed");
    assert_eq!(csv::parse(&minimal).map(|rows| rows.len()), Ok(1));
    let unpadded = std::fs::read_to_string(corpus.join("hardware_hash/unpadded")).expect("seed");
    assert_eq!(hash::normalize(&unpadded).as_deref(), Ok("QUI="));
    let object = std::fs::read(corpus.join("msgpack_value/object_partial")).expect("seed");
    let (ty, bytes) = autopilot_fuzz::codec::split(&object).expect("a type byte");
    let value = tfplugin::value::from_msgpack(bytes, ty).expect("the seed decodes");
    assert!(!value.is_wholly_known(), "the seed carries an unknown");
}
