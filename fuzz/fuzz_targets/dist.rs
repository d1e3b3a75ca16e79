//! `cargo +nightly fuzz run dist`: see `harness::dist`.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::dist(data));
