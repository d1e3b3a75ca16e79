//! `cargo +nightly fuzz run csv_table`: see `harness::csv_table`.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::csv_table(data));
