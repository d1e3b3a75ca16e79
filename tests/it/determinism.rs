//! Same numbers, any split: outputs are byte-identical across thread counts, and a golden
//! run pins exact values so that a dependency upgrade that changes numbers is caught.

use std::path::Path;

use crate::util::{tanh_experiment, tanh_kernel, vanish};
use vanish::mc::fast::Precision;
use vanish::mc::kernel::Kernel;
use vanish::mc::rng::{NUMBERS, block_rng};
use vanish::mc::summary::FactorSums;

/// The runs compared across thread counts: (name, distribution, methods). Both have 269
/// blocks, more than one wave of 256, so folds across waves are compared too.
const RUNS: [(&str, &str, &str); 2] = [
    // Student's t: the reference kernel. Saddlepoint and importance sampling have no
    // lower-tail tilt here (κ(θ) is infinite for θ < 0 under Student's t), so importance
    // sampling stops before sampling and writes nan.
    (
        "reference",
        "mix(0.7*normal(0,0.6), 0.2*laplace(0.1,1), 0.1*student-t(3,0.5))",
        "saddle,clt,is",
    ),
    // The fast kernel, and importance sampling's own streams (269 blocks of the lower tail).
    ("fast", "normal(0,1)", "saddle,clt,is"),
];

/// `--method exact` is left out: it has no parallel code (it runs on the calling thread
/// whatever `--threads` says) and cost about 25 s per run of the mixture above, almost
/// all of the test's time; tests/it/exact.rs tests it.
fn run(out: &Path, dist: &str, methods: &str, threads: &str) {
    vanish()
        .args(["sim", "--samples", "1100001", "--depth", "2", "--seed", "9"])
        .args(["--dist", dist, "--method", methods])
        .args(["--threads", threads, "--quiet", "--out"])
        .arg(out)
        .assert()
        .success();
}

fn manifest_without_timing(dir: &Path) -> serde_json::Value {
    let mut m = crate::util::manifest(dir);
    let obj = m.as_object_mut().unwrap();
    obj.remove("elapsed_s");
    obj.remove("timings_s");
    obj.remove("threads");
    m
}

#[test]
fn one_and_two_threads_write_identical_files() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, dist, methods) in RUNS {
        let dir = |t: &str| tmp.path().join(format!("{name}-{t}"));
        for t in ["1", "2", "3"] {
            run(&dir(t), dist, methods, t);
        }
        for other in [dir("2"), dir("3")] {
            for file in ["summary.json", "summary.csv", "histogram.csv"] {
                let x = std::fs::read(dir("1").join(file)).unwrap();
                let y = std::fs::read(other.join(file)).unwrap();
                assert!(x == y, "{name}: {file} differs between thread counts");
            }
            assert_eq!(
                manifest_without_timing(&dir("1")),
                manifest_without_timing(&other),
                "{name}"
            );
        }
    }
}

#[test]
fn a_longer_run_extends_a_shorter_one_sample_by_sample() {
    // Sample i depends only on (seed, i): the first block of a run of 4096 samples and of a
    // run of 10 000 hold the same values.
    let k = tanh_kernel(2.0, "normal(0,1)", 50);
    let mut short = vec![0.0; 100];
    let mut long = vec![0.0; 4096];
    k.fill_block(
        &mut block_rng(5, 0, 0),
        &mut short,
        &mut FactorSums::default(),
    );
    k.fill_block(
        &mut block_rng(5, 0, 0),
        &mut long,
        &mut FactorSums::default(),
    );
    assert_eq!(short[..], long[..100]);
}

/// Pinned values, per precision: ln g of the first samples of block 0 (seed 42, tanh(2x),
/// normal(0,1), K = 50) and the counts of a small fixed-seed run. If an upgrade of rand,
/// rand_distr or rand_chacha, or a change of the fast kernel, changes them, results are no
/// longer those of this numbers version: the test fails until `vanish::mc::rng::NUMBERS`
/// is bumped and the values and [`GOLDEN_MADE_WITH`] are regenerated (its message says
/// how), with a line under "Numbers changed" in the CHANGELOG.
#[test]
fn golden_values_are_stable() {
    let got: Vec<String> = GOLDEN
        .iter()
        .map(|(precision, _, _)| {
            let exp = tanh_experiment(2.0, "normal(0,1)", 50, 4, 42)
                .with_precision(*precision)
                .unwrap();
            let mut ln_g = vec![0.0; 4];
            vanish::mc::simulate::kernel(&exp).fill_block(
                &mut block_rng(42, 0, 0),
                &mut ln_g,
                &mut FactorSums::default(),
            );
            let printed: Vec<String> = ln_g.iter().map(|v| format!("{v:.15e}")).collect();
            let exp = tanh_experiment(2.0, "laplace(0,0.4)", 40, 10_000, 42)
                .with_precision(*precision)
                .unwrap();
            let s = vanish::mc::simulate::simulate(&exp, 0, &|_| {});
            golden_line(*precision, &printed, (s.vanish, s.explode, s.between))
        })
        .collect();
    let pinned: Vec<String> = GOLDEN
        .iter()
        .map(|(p, v, c)| golden_line(*p, &v.map(String::from), *c))
        .collect();
    if let Err(what) = numbers_verdict(NUMBERS, GOLDEN_MADE_WITH, &pinned, &got) {
        panic!("{what}");
    }
}

/// One precision's golden values as text (what [`GOLDEN_MADE_WITH`] checksums).
fn golden_line(precision: Precision, ln_g: &[String], counts: (u64, u64, u64)) -> String {
    format!("{precision} {ln_g:?} {counts:?}")
}

/// Whether the golden values `got` now, the `pinned` ones, the numbers version `now` and
/// the version and checksum the pinned ones were `made_with` agree; if not, what to do.
fn numbers_verdict(
    now: u32,
    made_with: (u32, u32),
    pinned: &[String],
    got: &[String],
) -> Result<(), String> {
    let crc = |lines: &[String]| crc32fast::hash(lines.join("\n").as_bytes());
    let (version, checksum) = made_with;
    let record = |v: u32| format!("GOLDEN_MADE_WITH = ({v}, {:#010x})", crc(got));
    if crc(pinned) != checksum {
        return Err(format!(
            "GOLDEN was edited without recording the numbers version it was made with: \
             regenerate it and set {} (bumping NUMBERS in src/mc/rng.rs if the values changed)",
            record(now)
        ));
    }
    match (pinned == got, now == version) {
        (true, true) => Ok(()),
        (false, true) => Err(format!(
            "the golden values changed but the numbers version did not: bump NUMBERS in \
             src/mc/rng.rs to {}, add a line under \"Numbers changed\" in the CHANGELOG, \
             paste the values\n{}\ninto GOLDEN and set {}",
            now + 1,
            got.join("\n"),
            record(now + 1)
        )),
        (same, false) => Err(format!(
            "the numbers version is {now} but the golden values are of version {version}: \
             regenerate them ({}) and set {}:\n{}",
            if same {
                "they are unchanged"
            } else {
                "they changed"
            },
            record(now),
            got.join("\n")
        )),
    }
}

#[test]
fn the_golden_test_catches_values_and_versions_that_do_not_move_together() {
    let old = vec!["f64 [\"-6.1e1\"] (1, 2, 3)".to_string()];
    let new = vec!["f64 [\"-6.2e1\"] (1, 2, 3)".to_string()];
    let crc = |l: &[String]| crc32fast::hash(l.join("\n").as_bytes());
    assert_eq!(numbers_verdict(4, (4, crc(&old)), &old, &old), Ok(()));
    let e = numbers_verdict(4, (4, crc(&old)), &old, &new).unwrap_err();
    assert!(
        e.contains("changed but the numbers version did not") && e.contains("to 5"),
        "{e}"
    );
    let e = numbers_verdict(5, (4, crc(&old)), &old, &old).unwrap_err();
    assert!(
        e.contains("is 5 but the golden values are of version 4"),
        "{e}"
    );
    let e = numbers_verdict(5, (4, crc(&old)), &old, &new).unwrap_err();
    assert!(e.contains("they changed"), "{e}");
    // Values pasted by hand without recording their version.
    let e = numbers_verdict(4, (4, crc(&old)), &new, &new).unwrap_err();
    assert!(e.contains("edited without recording"), "{e}");
    assert_eq!(numbers_verdict(5, (5, crc(&new)), &new, &new), Ok(()));
}

/// The numbers version the golden values were made with, and the CRC-32 of their text
/// (one [`golden_line`] per precision, joined by newlines).
const GOLDEN_MADE_WITH: (u32, u32) = (7, 0x9a8f_8c24);

type Golden = (Precision, [&'static str; 4], (u64, u64, u64));
const GOLDEN: [Golden; 3] = [
    (
        Precision::Reference,
        [
            "-7.558358598634231e1",
            "-6.153087240970861e1",
            "-6.131477716373646e1",
            "-5.831530081473981e1",
        ],
        (1422, 22, 8556),
    ),
    (
        Precision::F64,
        [
            "-6.192327774144515e1",
            "-6.535708827069135e1",
            "-4.664660592538898e1",
            "-7.431717360016543e1",
        ],
        (1370, 19, 8611),
    ),
    (
        Precision::F32,
        [
            "-6.504225158691406e1",
            "-6.181072807312012e1",
            "-6.431124877929688e1",
            "-7.577029991149902e1",
        ],
        (1336, 20, 8644),
    ),
];
