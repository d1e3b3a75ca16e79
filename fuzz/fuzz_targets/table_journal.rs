//! `cargo +nightly fuzz run table_journal`: see `harness::table_journal`.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::table_journal(data));
