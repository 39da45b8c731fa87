#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| autopilot_fuzz::device_csv::check(data));
