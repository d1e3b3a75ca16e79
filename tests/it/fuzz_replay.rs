//! The fuzz targets on stable: every committed corpus file and reproducer replayed through
//! `fuzz/harness.rs`, and random text (mutated corpus files) given to every reader, in
//! process and through the binary: it is read or refused (exit 2), never a panic (101).
//!
//! Reproducers of failures not fixed yet are listed in `fuzz/regressions/KNOWN` and
//! skipped; remove a line when its fix lands (the replay then runs it).

#[path = "../../fuzz/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::util::vanish;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files of `fuzz/KIND/TARGET`, sorted (none when the folder is missing).
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(fuzz_dir().join(kind).join(target)) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("a folder entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// The reproducers of known failures: `TARGET/FILE` paths under `fuzz/regressions/`.
fn known() -> Vec<String> {
    let text = std::fs::read_to_string(fuzz_dir().join("regressions/KNOWN")).unwrap_or_default();
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// Runs `f` on `data`; the panic message when it panics.
fn replay(f: fn(&[u8]), data: &[u8]) -> Option<String> {
    std::panic::catch_unwind(|| f(data)).err().map(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic".into())
    })
}

#[test]
fn every_corpus_file_and_reproducer_replays_without_a_failure() {
    let known = known();
    for k in &known {
        assert!(
            fuzz_dir().join("regressions").join(k).is_file(),
            "fuzz/regressions/KNOWN lists {k}, which is not there"
        );
    }
    let mut failures = Vec::new();
    for (target, f) in harness::TARGETS {
        let corpus = inputs("corpus", target);
        assert!(!corpus.is_empty(), "fuzz/corpus/{target} is empty");
        let reproducers = inputs("regressions", target);
        for path in corpus.iter().chain(&reproducers) {
            let name = format!("{target}/{}", path.file_name().unwrap().to_string_lossy());
            if path.starts_with(fuzz_dir().join("regressions")) && known.contains(&name) {
                eprintln!("skipped (fuzz/regressions/KNOWN): {name}");
                continue;
            }
            let data = std::fs::read(path).expect("reading an input");
            if let Some(message) = replay(f, &data) {
                failures.push(format!("{}: {message}", path.display()));
            }
        }
    }
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}

#[test]
fn every_fuzz_target_is_replayed() {
    let mut targets: Vec<String> = std::fs::read_dir(fuzz_dir().join("fuzz_targets"))
        .expect("fuzz/fuzz_targets")
        .map(|e| e.unwrap().path())
        .filter_map(|p| Some(p.file_stem()?.to_string_lossy().into_owned()))
        .collect();
    targets.sort();
    let mut replayed: Vec<String> = harness::TARGETS.iter().map(|t| t.0.to_string()).collect();
    replayed.sort();
    assert_eq!(targets, replayed);
}

/// SplitMix64: a fixed stream of cases, the same on every run.
struct Cases(u64);

impl Cases {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// The number at or after byte `at` of `text` replaced by another (extreme) number,
    /// which keeps the text's grammar.
    fn renumber(&mut self, text: &mut Vec<u8>, at: usize) {
        const NUMBERS: [&str; 14] = [
            "0",
            "-1",
            "1e308",
            "-1e308",
            "1e-320",
            "nan",
            "inf",
            "0.5",
            "3",
            "1e6",
            "18446744073709551616",
            "1.7976931348623157e308",
            "5e-324",
            "1000001",
        ];
        let digit = |b: &u8| b.is_ascii_digit();
        let Some(start) = text.iter().skip(at).position(digit).map(|p| p + at) else {
            return;
        };
        let len = text[start..]
            .iter()
            .position(|b| !(b.is_ascii_digit() || *b == b'.'))
            .unwrap_or(text.len() - start);
        let number = NUMBERS[self.below(NUMBERS.len())].as_bytes();
        text.splice(start..start + len, number.iter().copied());
    }

    /// One of `seeds`, changed (see [`Cases::mutate`]).
    fn mutated(&mut self, seeds: &[Vec<u8>]) -> Vec<u8> {
        let k = self.below(seeds.len());
        self.mutate(&seeds[k])
    }

    /// `seed` changed by one or two edits: a number replaced by another, a token of the
    /// readers' grammars inserted, a span deleted or repeated, or a byte replaced.
    fn mutate(&mut self, seed: &[u8]) -> Vec<u8> {
        const TOKENS: [&str; 28] = [
            "(",
            ")",
            ",",
            "*",
            ":",
            "=",
            "{",
            "}",
            "[",
            "]",
            "\"",
            "\n",
            "-",
            "_",
            ".",
            "e",
            "1e308",
            "-1e308",
            "inf",
            "nan",
            "1e-320",
            "0",
            "1",
            "mix(",
            "normal(0,1)",
            "999999999999",
            "é",
            "<",
        ];
        let mut out = seed.to_vec();
        for _ in 0..1 + self.below(2) {
            let at = self.below(out.len() + 1);
            match self.below(6) {
                4 | 5 => self.renumber(&mut out, at),
                0 => {
                    let t = TOKENS[self.below(TOKENS.len())].as_bytes();
                    out.splice(at..at, t.iter().copied());
                }
                1 => {
                    let end = (at + 1 + self.below(8)).min(out.len());
                    out.drain(at.min(end)..end);
                }
                2 => {
                    let end = (at + 1 + self.below(16)).min(out.len());
                    let span = out[at.min(end)..end].to_vec();
                    out.splice(at..at, span);
                }
                _ if at < out.len() => out[at] = self.next() as u8,
                _ => out.push(b'0'),
            }
        }
        out
    }
}

/// The corpus files of `target`, as seeds of random inputs.
fn seeds(target: &str) -> Vec<Vec<u8>> {
    from_corpus(target, "")
}

/// The real inputs that seeded the corpus of `target` (`seed-*`: README examples, files of
/// real runs), without those the fuzzer added.
fn real_seeds(target: &str) -> Vec<Vec<u8>> {
    from_corpus(target, "seed-")
}

fn from_corpus(target: &str, prefix: &str) -> Vec<Vec<u8>> {
    let seeds: Vec<Vec<u8>> = inputs("corpus", target)
        .iter()
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .map(|p| std::fs::read(p).expect("reading a seed"))
        .collect();
    assert!(!seeds.is_empty(), "fuzz/corpus/{target} is empty");
    seeds
}

#[test]
fn random_text_given_to_every_reader_is_read_or_refused_never_a_panic() {
    let mut cases = Cases(16);
    let known = known();
    let mut failures = Vec::new();
    for (target, f) in harness::TARGETS {
        let seeds = seeds(target);
        // The folders of plot and report draw figures: fewer of them.
        let n = if target == "run_folder" { 40 } else { 400 };
        for _ in 0..n {
            let input = cases.mutated(&seeds);
            if let Some(message) = replay(f, &input) {
                let input: String = String::from_utf8_lossy(&input).chars().take(300).collect();
                failures.push((target, format!("{target} {input:?}: {message}")));
            }
        }
    }
    // A target with a known failure not fixed yet may fail here again (reported, not
    // failed): random text soon finds the same bug.
    let (known, new): (Vec<_>, Vec<_>) = failures
        .into_iter()
        .partition(|(t, _)| known.iter().any(|k| k.starts_with(&format!("{t}/"))));
    for (_, f) in &known {
        eprintln!("known (fuzz/regressions/KNOWN): {f}");
    }
    let new: Vec<String> = new.into_iter().map(|f| f.1).collect();
    assert!(new.is_empty(), "failures:\n{}", new.join("\n"));
}

/// A run of the binary: its exit code, or a note that it was killed or hung.
fn exit_code(args: &[&str]) -> Result<i32, String> {
    let out = vanish()
        .args(args)
        .timeout(Duration::from_secs(60))
        .output()
        .map_err(|e| format!("{e}"))?;
    out.status
        .code()
        .ok_or_else(|| format!("killed: {}", String::from_utf8_lossy(&out.stderr)))
}

/// Text for an argument: no NUL (no process can be given one), valid UTF-8.
fn argument(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).replace('\0', "")
}

#[test]
fn random_flags_and_files_exit_0_or_2_never_101() {
    let mut cases = Cases(2);
    let tmp = tempfile::tempdir().unwrap();
    let file = |k: usize, data: &[u8]| {
        let path = tmp.path().join(format!("case-{k}"));
        std::fs::write(&path, data).unwrap();
        path.to_string_lossy().into_owned()
    };
    let small = ["--samples", "200", "--depth", "4", "--threads", "1"];
    let dists = real_seeds("dist");
    let rules = real_seeds("rule");
    let csvs: Vec<Vec<u8>> = real_seeds("trajectories")
        .into_iter()
        .filter(|c| !c.starts_with(b"rule: "))
        .collect();
    let values: Vec<Vec<u8>> = ["0.5:4:0.5", "1,1.5,2", "1e-3:1e-2:1e-3", "2", "0.5:4:0.5,8"]
        .map(|s| s.as_bytes().to_vec())
        .to_vec();
    let tomls: Vec<Vec<u8>> = [
        "n = [1.0, 2.0]\ndepth = 4\nsamples = 200\n",
        "dist = \"normal(0,{s})\"\ns = \"0.5:1.5:0.5\"\nsamples = \"200\"\ndepth = [4]\n",
        "activation = \"tanh\"\nn = \"1,2\"\n[extra]\n",
    ]
    .map(|s| s.as_bytes().to_vec())
    .to_vec();
    let mut failures = Vec::new();
    // Per kind of case: how many were read (exit 0) and refused (exit 2).
    let mut seen = [[0; 2]; 6];
    for k in 0..300 {
        let mut args: Vec<String> = Vec::new();
        match k % 6 {
            0 => {
                let d = argument(&cases.mutated(&dists));
                args.extend(["sim".into(), "--dist".into(), d]);
            }
            1 => {
                let v = argument(&cases.mutated(&values));
                args.extend(["table".into(), "--n".into(), v]);
            }
            2 => {
                let t = cases.mutated(&tomls);
                args.extend(["table".into(), "--config".into(), file(k, &t)]);
            }
            3 | 4 => {
                let r = argument(&cases.mutated(&rules));
                let first = r.lines().next().unwrap_or("").to_string();
                let flag = if first.contains(':') {
                    "--bins"
                } else {
                    "--state"
                };
                let csv = file(k, &csvs[cases.below(csvs.len())]);
                args.extend(["markov".into(), csv, flag.into(), first]);
                args.extend(["--latent-replicates", "0", "--replicates", "100"].map(String::from));
            }
            _ => {
                let csv = cases.mutated(&csvs);
                args.extend(["markov".into(), file(k, &csv)]);
                args.extend(["--latent-replicates", "0", "--replicates", "100"].map(String::from));
            }
        }
        if k % 6 < 3 {
            args.extend(small.map(String::from));
        }
        let shown: Vec<&str> = args.iter().map(String::as_str).collect();
        match exit_code(&shown) {
            Ok(code @ (0 | 2)) => seen[k % 6][code as usize / 2] += 1,
            Ok(code) => failures.push(format!("exit {code}: vanish {shown:?}")),
            Err(e) => failures.push(format!("{e}: vanish {shown:?}")),
        }
    }
    eprintln!("read and refused, per kind of case: {seen:?}");
    assert!(
        seen.iter().all(|&[read, refused]| read > 0 && refused > 0),
        "every kind of case should be read sometimes and refused sometimes: {seen:?}"
    );
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}
