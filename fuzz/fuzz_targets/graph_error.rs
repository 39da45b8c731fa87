#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| autopilot_fuzz::graph_error::check(data));
