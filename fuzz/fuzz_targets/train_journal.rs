//! `cargo +nightly fuzz run train_journal`: see `harness::train_journal`.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::train_journal(data));
