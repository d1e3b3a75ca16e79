//! One integration-test binary (ripgrep style): modules by concept, sharing helpers.

#[path = "it/bracket.rs"]
mod bracket;
#[path = "it/cli.rs"]
mod cli;
#[path = "it/determinism.rs"]
mod determinism;
#[path = "it/exact.rs"]
mod exact;
#[path = "it/fast.rs"]
mod fast;
#[path = "it/figures.rs"]
mod figures;
#[path = "it/folders.rs"]
mod folders;
#[path = "it/fuzz_replay.rs"]
mod fuzz_replay;
#[path = "it/hmm.rs"]
mod hmm;
#[path = "it/importance.rs"]
mod importance;
#[path = "it/journals.rs"]
mod journals;
#[path = "it/limits.rs"]
mod limits;
#[path = "it/markov.rs"]
mod markov;
#[path = "it/meaning.rs"]
mod meaning;
#[path = "it/network.rs"]
mod network;
#[path = "it/newcomer.rs"]
mod newcomer;
#[path = "it/outcome.rs"]
mod outcome;
#[path = "it/pipeline.rs"]
mod pipeline;
#[path = "it/progress.rs"]
mod progress;
#[path = "it/recorder.rs"]
mod recorder;
#[path = "it/reference.rs"]
mod reference;
#[path = "it/report.rs"]
mod report;
#[path = "it/risks.rs"]
mod risks;
#[path = "it/robust.rs"]
mod robust;
#[path = "it/saddle.rs"]
mod saddle;
#[path = "it/schema.rs"]
mod schema;
#[path = "it/snapshots.rs"]
mod snapshots;
#[path = "it/stability.rs"]
mod stability;
#[path = "it/statistics.rs"]
mod statistics;
#[path = "it/table.rs"]
mod table;
#[path = "it/train.rs"]
mod train;
#[path = "it/train_f32.rs"]
mod train_f32;
#[path = "it/util.rs"]
mod util;
