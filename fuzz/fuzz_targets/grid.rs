//! `cargo +nightly fuzz run grid`: see `harness::grid`.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::grid(data));
