//! `cargo +nightly fuzz run grid_values`: see `harness::grid_values`.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::grid_values(data));
