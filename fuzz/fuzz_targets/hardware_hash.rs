#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| autopilot_fuzz::hardware_hash::check(data));
