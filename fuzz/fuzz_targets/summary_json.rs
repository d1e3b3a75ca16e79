//! `cargo +nightly fuzz run summary_json`: see `harness::summary_json`.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::summary_json(data));
