//! `cargo +nightly fuzz run trajectories`: see `harness::trajectories`.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::trajectories(data));
