//! `cargo +nightly fuzz run plot_input`: see `harness::plot_input`.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::plot_input(data));
