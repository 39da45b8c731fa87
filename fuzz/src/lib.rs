//! The properties the fuzz targets check, one module per input format.
//!
//! Each `fuzz_targets/<name>.rs` is a thin `fuzz_target!` over one `check`
//! function here, so the same checks also run over the checked-in seed
//! corpora in `cargo test` (see `tests/corpus.rs`) without cargo-fuzz.
//! A check panics only when a property is broken; inputs that are merely
//! invalid must come back as errors from the code under test.

pub mod codec;
pub mod device_csv;
pub mod graph_error;
pub mod hardware_hash;

/// The fuzz targets and their checks, by name (the names of the binaries
/// and of the folders under `corpus/`).
/// A property check over one fuzz input.
pub type Check = fn(&[u8]);

pub const TARGETS: [(&str, Check); 5] = [
    ("msgpack_value", codec::check_msgpack),
    ("json_value", codec::check_json),
    ("device_csv", device_csv::check),
    ("hardware_hash", hardware_hash::check),
    ("graph_error", graph_error::check),
];
