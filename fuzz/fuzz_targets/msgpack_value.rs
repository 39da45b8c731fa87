#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| autopilot_fuzz::codec::check_msgpack(data));
