//! `cargo +nightly fuzz run rule`: see `harness::rule`.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::rule(data));
