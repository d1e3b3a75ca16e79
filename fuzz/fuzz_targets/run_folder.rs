//! `cargo +nightly fuzz run run_folder`: see `harness::run_folder`.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::run_folder(data));
