//! Simulated training: gradients against finite differences for every activation and
//! loss, optimiser steps against hand-computed ones, and `vanish train` end to end.

use vanish::model::activation::Activation;
use vanish::nets::train::{Dataset, Mlp, Optimizer, Targets, Task, TrainSpec, loss, train_run};

/// Central differences of the loss in every weight and bias against the backward pass.
fn check_gradients(act: Activation, task: Task, sizes: &[usize]) {
    let mut state = 12345u64;
    let mut normal = || {
        // A small deterministic generator: the check needs values, not randomness.
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 3.0
    };
    let net = Mlp::init(sizes, 1.3, 0.4, &mut normal);
    let rows = 5;
    let x: Vec<f64> = (0..rows * sizes[0]).map(|_| normal()).collect();
    let outs = *sizes.last().unwrap();
    let y: Vec<f64> = (0..rows * outs).map(|_| normal()).collect();
    let labels: Vec<usize> = (0..rows).map(|r| r % outs).collect();
    let targets = match task {
        Task::Teacher { .. } => Targets::Values(&y),
        _ => Targets::Labels(&labels),
    };
    let loss_of = |n: &Mlp| loss(&n.forward(&act, &x, rows).output, &targets, rows).0;
    let f = net.forward(&act, &x, rows);
    let (_, d_out) = loss(&f.output, &targets, rows);
    let g = net.backward(&act, &f, &d_out, rows);
    let h = 1e-6;
    for l in 0..net.w.len() {
        for (is_bias, count) in [(false, net.w[l].len()), (true, net.b[l].len())] {
            for k in 0..count {
                let bump = |delta: f64| {
                    let mut n = net.clone();
                    if is_bias {
                        n.b[l][k] += delta;
                    } else {
                        n.w[l][k] += delta;
                    }
                    loss_of(&n)
                };
                let fd = (bump(h) - bump(-h)) / (2.0 * h);
                let an = if is_bias { g.b[l][k] } else { g.w[l][k] };
                assert!(
                    (fd - an).abs() < 1e-7 + 1e-5 * an.abs(),
                    "{act} {task:?} layer {l} {} {k}: finite difference {fd} vs backward {an}",
                    if is_bias { "bias" } else { "weight" }
                );
            }
        }
    }
}

#[test]
fn gradients_match_finite_differences_for_every_activation_and_loss() {
    for act in [
        Activation::scaled_tanh(1.0, 2.0).unwrap(),
        Activation::lecun(),
        Activation::Sigmoid,
        Activation::Relu,
        Activation::leaky_relu(0.1).unwrap(),
    ] {
        check_gradients(act, Task::Teacher { noise: 0.1 }, &[3, 5, 4, 1]);
        check_gradients(act, Task::Blobs { classes: 3 }, &[3, 5, 4, 3]);
    }
}

/// The loss trajectory of run 0.
fn losses(spec: &TrainSpec, act: &Activation) -> Vec<f64> {
    let data = Dataset::new(spec, 7);
    train_run(spec, act, &data, 7, 0)
        .records
        .iter()
        .map(|r| r.loss)
        .collect()
}

#[test]
fn tanh_n_trains_as_tanh_with_n_times_the_hidden_weights_and_n2_the_learning_rate() {
    // tanh(n·x) with (σ_w, σ_b) and learning rate δ against tanh(x) with hidden weights and
    // biases n times larger and hidden learning rate n²·δ (output layer unchanged), same
    // streams: under plain SGD the losses agree to rounding at every step.
    let n = 2.0;
    let base = TrainSpec {
        depth: 6,
        width: 16,
        steps: 200,
        record_every: 10,
        sigma_w: 0.7,
        sigma_b: 0.1,
        output_sigma_w: Some(1.0),
        optimizer: Optimizer::Sgd {
            lr: 0.02,
            momentum: 0.0,
        },
        ..TrainSpec::default()
    };
    let scaled = TrainSpec {
        sigma_w: n * 0.7,
        sigma_b: n * 0.1,
        hidden_lr_scale: n * n,
        ..base.clone()
    };
    let a = losses(&base, &Activation::scaled_tanh(1.0, n).unwrap());
    let b = losses(&scaled, &Activation::scaled_tanh(1.0, 1.0).unwrap());
    assert_eq!(a.len(), 21);
    // n = 2: every scaling is exact in floating point, so the losses are equal bit for bit.
    assert_eq!(a, b);
    assert!(a[20] < 0.8 * a[0], "it trains: {} → {}", a[0], a[20]);
    // The same learning rate, or Adam (scale-free steps), breaks the equivalence.
    let same_lr = TrainSpec {
        hidden_lr_scale: 1.0,
        ..scaled.clone()
    };
    let c = losses(&same_lr, &Activation::scaled_tanh(1.0, 1.0).unwrap());
    assert!(
        (a[20] - c[20]).abs() > 1e-3 * a[20],
        "{} vs {}",
        a[20],
        c[20]
    );
    let adam = |s: &TrainSpec| TrainSpec {
        optimizer: Optimizer::Adam { lr: 1e-3 },
        ..s.clone()
    };
    let d = losses(&adam(&base), &Activation::scaled_tanh(1.0, n).unwrap());
    let e = losses(&adam(&scaled), &Activation::scaled_tanh(1.0, 1.0).unwrap());
    assert_eq!(d[0], e[0], "the same network at step 0");
    assert!(
        (d[20] - e[20]).abs() > 1e-3 * d[20],
        "{} vs {}",
        d[20],
        e[20]
    );
}

#[test]
fn train_writes_the_same_files_for_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |dir: &std::path::Path, threads: &str| {
        crate::util::vanish()
            .args([
                "train",
                "--n",
                "1",
                "--runs",
                "6",
                "--depth",
                "12",
                "--width",
                "8",
                "--sigma-w",
                "0.6",
                "--steps",
                "60",
                "--record-every",
                "5",
                "--fit",
                "--quiet",
                "--threads",
            ])
            .arg(threads)
            .arg("--out")
            .arg(dir)
            .assert()
            .success();
    };
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    run(&a, "1");
    run(&b, "2");
    for name in ["trajectories.csv", "summary.json", "markov.json"] {
        assert_eq!(
            std::fs::read(a.join(name)).unwrap(),
            std::fs::read(b.join(name)).unwrap(),
            "{name}"
        );
    }
    let csv = std::fs::read_to_string(a.join("trajectories.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 6 * 13);
    assert!(csv.starts_with(
        "run,step,loss,gain,ln_derivative_product,saturated,probe_gain,\
         probe_ln_derivative_product,diverged,"
    ));
    // A learning rate that blows up: runs are kept and marked diverged.
    let c = tmp.path().join("c");
    crate::util::vanish()
        .args([
            "train",
            "--n",
            "1",
            "--runs",
            "3",
            "--depth",
            "4",
            "--width",
            "8",
            "--sigma-w",
            "3",
            "--lr",
            "1e3",
            "--steps",
            "50",
            "--quiet",
            "--out",
        ])
        .arg(&c)
        .assert()
        .success();
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(c.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["summary"]["diverged"], 3, "{s}");
    let csv = std::fs::read_to_string(c.join("trajectories.csv")).unwrap();
    assert_eq!(csv.matches(",true,").count(), 3);
}

#[test]
fn train_flags_are_checked() {
    for (args, flag) in [
        (&["--lr", "0"][..], "--lr"),
        (&["--momentum", "1"], "--momentum"),
        (&["--sigma-w", "-1"], "--sigma-w"),
        (&["--state", "nope < 1"], "--state"),
        (
            &["--width", "4096", "--depth", "1000", "--batch", "65536"],
            "--runs",
        ),
        (&["--activation", "relu", "--n", "2"], "--n"),
    ] {
        let all = [&["train", "--steps", "5", "--runs", "2"][..], args].concat();
        crate::util::refused(&all, flag);
    }
    for (args, flag) in [
        (&["--optimizer", "rmsprop"][..], "--optimizer"),
        (&["--task", "mnist"], "--task"),
        (&["--loss", "hinge"], "--loss"),
    ] {
        let all = [&["train", "--steps", "5", "--runs", "2"][..], args].concat();
        crate::util::refused_value(&all, flag);
    }
}

#[test]
fn a_map_over_sigma_w_and_n_is_its_single_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let common = [
        "train",
        "--runs",
        "3",
        "--depth",
        "8",
        "--width",
        "8",
        "--steps",
        "40",
        "--record-every",
        "10",
        "--lr",
        "0.05",
        "--quiet",
    ];
    let map = |dir: &std::path::Path, threads: &str| {
        crate::util::vanish()
            .args(common)
            .args([
                "--sigma-w",
                "0.5,1.5",
                "--n",
                "1,2",
                "--fit",
                "--threads",
                threads,
            ])
            .arg("--out")
            .arg(dir)
            .assert()
            .success();
    };
    let (a, b, single) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("s"),
    );
    map(&a, "1");
    map(&b, "2");
    for name in ["map.csv", "map.md", "trajectories.csv", "summary.json"] {
        assert_eq!(
            std::fs::read(a.join(name)).unwrap(),
            std::fs::read(b.join(name)).unwrap(),
            "{name}"
        );
    }
    let map_csv = std::fs::read_to_string(a.join("map.csv")).unwrap();
    assert_eq!(map_csv.lines().count(), 1 + 4);
    // Cell 3 (n = 2, σ_w = 1.5) is the single run with those values, row for row.
    crate::util::vanish()
        .args(common)
        .args(["--sigma-w", "1.5", "--n", "2"])
        .arg("--out")
        .arg(&single)
        .assert()
        .success();
    let single_rows: Vec<String> = std::fs::read_to_string(single.join("trajectories.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split_once(',').unwrap().1.to_string()) // without the run index
        .collect();
    let map_rows: Vec<String> = std::fs::read_to_string(a.join("trajectories.csv"))
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("2,1.5,"))
        .map(|l| l.splitn(4, ',').nth(3).unwrap().to_string())
        .collect();
    assert_eq!(map_rows.len(), 3 * 5);
    assert_eq!(map_rows, single_rows);
}

#[test]
fn train_learns_from_a_csv_file() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("d.csv");
    // y = sin(a) + b·c/2 and a class a + b > 0, from a fixed pseudo-random sequence.
    let mut text = String::from("a,b,c,y,cls\n");
    let mut s = 7u64;
    let mut next = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 3.0
    };
    for _ in 0..400 {
        let (a, b, c) = (next(), next(), next());
        let y = a.sin() + 0.5 * b * c;
        text.push_str(&format!("{a},{b},{c},{y},{}\n", u8::from(a + b > 0.0)));
    }
    std::fs::write(&file, text).unwrap();
    for (target, loss) in [("y", "mse"), ("cls", "ce")] {
        let out = tmp.path().join(target);
        crate::util::vanish()
            .args([
                "train", "--n", "1", "--task", "csv", "--target", target, "--loss", loss,
            ])
            .args([
                "--runs", "2", "--depth", "3", "--width", "16", "--steps", "400",
            ])
            .args(["--lr", "0.05", "--record-every", "400", "--quiet", "--data"])
            .arg(&file)
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        let csv = std::fs::read_to_string(out.join("trajectories.csv")).unwrap();
        let losses: Vec<f64> = csv
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(2).unwrap().parse().unwrap())
            .collect();
        // Records at steps 0 and 400 of two runs: each run's loss falls by half or more.
        assert_eq!(losses.len(), 4);
        assert!(
            losses[1] < 0.5 * losses[0] && losses[3] < 0.5 * losses[2],
            "{target}: {losses:?}"
        );
    }
    for (args, flag) in [
        (vec!["--task", "csv", "--target", "nope"], "--data"),
        (
            vec!["--task", "csv", "--target", "y", "--loss", "ce"],
            "--data",
        ),
        (vec!["--task", "teacher"], "--data"),
    ] {
        crate::util::vanish()
            .arg("train")
            .args(&args)
            .arg("--data")
            .arg(&file)
            .assert()
            .code(2)
            .stderr(predicates::str::starts_with(format!("error: {flag}")));
    }
}

#[test]
fn dump_writes_a_replayable_run() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, dump) = (tmp.path().join("out"), tmp.path().join("dump"));
    crate::util::vanish()
        .args([
            "train", "--runs", "2", "--depth", "3", "--width", "8", "--steps", "30",
        ])
        .args(["--record-every", "10", "--quiet", "--out"])
        .arg(&out)
        .arg("--dump")
        .arg(&dump)
        .assert()
        .success();
    let read = |p: std::path::PathBuf| std::fs::read_to_string(p).unwrap();
    // Per-step losses of run 0 equal its recorded ones at steps 0, 10, 20, 30.
    let per_step: Vec<String> = read(dump.join("losses.csv"))
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().to_string())
        .collect();
    assert_eq!(per_step.len(), 31);
    let recorded: Vec<String> = read(out.join("trajectories.csv"))
        .lines()
        .skip(1)
        .filter(|l| l.starts_with("0,"))
        .map(|l| l.split(',').nth(2).unwrap().to_string())
        .collect();
    assert_eq!(recorded, [0, 10, 20, 30].map(|s| per_step[s].clone()));
    let batches = read(dump.join("batches.csv"));
    assert_eq!(batches.lines().count(), 1 + 31);
    assert_eq!(batches.lines().nth(1).unwrap().split(',').count(), 1 + 32);
    let net: serde_json::Value = serde_json::from_str(&read(dump.join("network.json"))).unwrap();
    assert_eq!(net["sizes"], serde_json::json!([8, 8, 8, 8, 1]));
    assert_eq!(net["layers"][0]["weight"].as_array().unwrap().len(), 8);
    assert_eq!(read(dump.join("data.csv")).lines().count(), 1 + 1024);
}

#[test]
fn train_checks_its_state_rule_and_dump_folder_before_training() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    for (args, flag) in [
        (
            vec!["--sigma-w", "0.5,1", "--state", "gian < 1e-6"],
            "--state",
        ),
        (vec!["--dump", file.to_str().unwrap()], "--dump"),
    ] {
        let all = [&["train", "--runs", "2", "--steps", "5"][..], &args].concat();
        crate::util::refused(&all, flag);
    }
}

#[test]
fn a_map_over_depth_and_learning_rate_pads_shallower_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("m");
    crate::util::vanish()
        .args(["train", "--runs", "2", "--depth", "2,4", "--width", "8"])
        .args(["--lr", "0.01,0.1", "--steps", "10", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    let map = std::fs::read_to_string(out.join("map.csv")).unwrap();
    let rows: Vec<&str> = map.lines().collect();
    assert_eq!(rows.len(), 1 + 4);
    assert!(rows[0].starts_with("n,sigma_w,sigma_b,depth,width,lr,runs,"));
    // n = 2: the default shared with sim, table and meanfield.
    assert!(rows[1].starts_with("2,1,0,2,8,0.01,2,") && rows[4].starts_with("2,1,0,4,8,0.1,2,"));
    let traj = std::fs::read_to_string(out.join("trajectories.csv")).unwrap();
    let header = traj.lines().next().unwrap();
    assert!(
        header.starts_with("depth,lr,run,step,")
            && header.ends_with(
                ",weight_norm_5,probe_gain_1,probe_gain_2,probe_gain_3,probe_gain_4,\
                            grad_underflow,hidden_grad_underflow,grad_underflow_1,\
                            grad_underflow_2,grad_underflow_3,grad_underflow_4,grad_underflow_5"
            )
    );
    let fields = header.split(',').count();
    assert!(traj.lines().all(|l| l.split(',').count() == fields));
    let md = std::fs::read_to_string(out.join("map.md")).unwrap();
    assert!(md.contains("| lr \\ depth |"), "{md}");
}

#[test]
fn a_killed_training_map_resumes_to_the_same_files() {
    let tmp = tempfile::tempdir().unwrap();
    // Two learning rates, one of which diverges: NaN and ±∞ must come back from the
    // journal too.
    let flags = [
        "train",
        "--n",
        "1",
        "--runs",
        "4",
        "--depth",
        "5",
        "--width",
        "8",
        "--sigma-w",
        "0.7,3",
        "--lr",
        "0.01,1e3",
        "--steps",
        "40",
        "--record-every",
        "4",
        "--fit",
        "--quiet",
        "--out",
    ];
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    crate::util::vanish().args(flags).arg(&a).assert().success();
    let journal = std::fs::read_to_string(a.join("journal.jsonl")).unwrap();
    let lines: Vec<&str> = journal.lines().collect();
    assert_eq!(lines.len(), 1 + 4 * 4, "a header and one line per run");
    assert!(
        journal.contains("nan") || journal.contains("inf"),
        "a run diverged"
    );
    // What a process killed during its sixth run leaves: five whole lines and part of one.
    std::fs::create_dir(&b).unwrap();
    let cut = format!("{}\n{}", lines[..6].join("\n"), &lines[6][..40]);
    std::fs::write(b.join("journal.jsonl"), cut).unwrap();
    // Without --resume the folder is refused, and so are other flags with it.
    crate::util::vanish()
        .args(flags)
        .arg(&b)
        .assert()
        .code(2)
        .stderr(predicates::str::starts_with("error: --out"));
    crate::util::vanish()
        .args(flags)
        .arg(&b)
        .args(["--resume", "--seed", "2"])
        .assert()
        .code(2)
        .stderr(predicates::str::starts_with("error: --resume"));
    crate::util::vanish()
        .args(flags)
        .arg(&b)
        .arg("--resume")
        .assert()
        .success();
    for name in [
        "journal.jsonl",
        "trajectories.csv",
        "map.csv",
        "map.md",
        "summary.json",
    ] {
        assert_eq!(
            std::fs::read_to_string(a.join(name)).unwrap(),
            std::fs::read_to_string(b.join(name)).unwrap(),
            "{name}"
        );
    }
    // Finished runs are taken from the journal, not trained again: a value planted in
    // one (its line sealed again) comes out in the trajectories.
    let c = tmp.path().join("c");
    std::fs::create_dir(&c).unwrap();
    let line = vanish::sweep::journal::unseal(lines[1]).unwrap();
    let (first, rest) = line.split_once("\"records\":[\"0,").unwrap();
    let (_, tail) = rest.split_once(',').unwrap();
    let planted = vanish::sweep::journal::seal(&format!("{first}\"records\":[\"0,12345.5,{tail}"));
    std::fs::write(
        c.join("journal.jsonl"),
        format!("{}\n{planted}\n", lines[0]),
    )
    .unwrap();
    crate::util::vanish()
        .args(flags)
        .arg(&c)
        .arg("--resume")
        .assert()
        .success();
    let csv = std::fs::read_to_string(c.join("trajectories.csv")).unwrap();
    assert!(csv.contains(",0,12345.5,"), "{}", &csv[..300]);
    crate::util::vanish()
        .args(["train", "--resume", "--quiet"])
        .assert()
        .code(2)
        .stderr(predicates::str::starts_with("error: --resume"));
}

#[test]
fn a_map_split_in_shards_and_gathered_writes_the_files_of_one_run() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let flags = [
        "train",
        "--runs",
        "5",
        "--width",
        "8",
        "--steps",
        "30",
        "--sigma-w",
        "0.5,1,1.5",
        "--depth",
        "4,8",
        "--quiet",
    ];
    let train = |extra: &[&str], out: &std::path::Path| {
        crate::util::vanish()
            .args(flags)
            .args(extra)
            .arg("--out")
            .arg(out)
            .assert()
    };
    train(&[], &t.join("full")).success();
    for i in 0..3 {
        train(&["--shard", &format!("{i}/3")], &t.join(format!("s{i}"))).success();
    }
    // The shards share the 30 runs out, each run once.
    let mut runs: Vec<String> = (0..3)
        .flat_map(|i| {
            std::fs::read_to_string(t.join(format!("s{i}/journal.jsonl")))
                .unwrap()
                .lines()
                .skip(1)
                .map(|l| l.split(',').next().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    runs.sort();
    runs.dedup();
    assert_eq!(runs.len(), 30);
    // Gathered: the files of the unsplit run; with a shard missing, its runs are trained.
    let s: Vec<_> = (0..3).map(|i| t.join(format!("s{i}"))).collect();
    let same_as_unsplit = |name: &str, out: &std::path::Path| {
        for f in [
            "journal.jsonl",
            "trajectories.csv",
            "map.csv",
            "map.md",
            "summary.json",
        ] {
            assert_eq!(
                std::fs::read_to_string(t.join("full").join(f)).unwrap(),
                std::fs::read_to_string(out.join(f)).unwrap(),
                "{name}: {f}"
            );
        }
    };
    for (name, gather) in [("all", &s[..]), ("two", &s[..2])] {
        let out = t.join(name);
        crate::util::vanish()
            .args(flags)
            .arg("--gather")
            .args(gather)
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        same_as_unsplit(name, &out);
    }
    // `vanish merge` takes the same shards (their manifests hold the flags): the files of
    // the unsplit run again; a missing shard is refused and nothing is written.
    let merged = t.join("merged");
    crate::util::vanish()
        .arg("merge")
        .args(&s)
        .arg("--out")
        .arg(&merged)
        .arg("--quiet")
        .assert()
        .success();
    same_as_unsplit("merged", &merged);
    let partial = t.join("partial");
    crate::util::vanish()
        .arg("merge")
        .args(&s[..2])
        .arg("--out")
        .arg(&partial)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("2/3"));
    assert!(!partial.exists());
    // Shards of other flags are refused, and so is --fit on a shard.
    crate::util::vanish()
        .args(flags)
        .args(["--seed", "2", "--gather"])
        .arg(&s[0])
        .arg("--out")
        .arg(t.join("foreign"))
        .assert()
        .code(2)
        .stderr(predicates::str::starts_with("error: --gather"));
    train(&["--shard", "0/3", "--fit"], &t.join("fit"))
        .code(2)
        .stderr(predicates::str::starts_with("error: --shard"));
    // A folder that is not there is refused before anything is made.
    let missing = t.join("missing-out");
    crate::util::vanish()
        .args(flags)
        .arg("--gather")
        .arg(t.join("nowhere"))
        .arg("--out")
        .arg(&missing)
        .assert()
        .code(2)
        .stderr(predicates::str::starts_with("error: --gather"));
    assert!(!missing.exists());
    // A shard's journal is the same for any thread count (sorted when it finishes).
    train(&["--shard", "1/3", "--threads", "1"], &t.join("j1")).success();
    assert_eq!(
        std::fs::read_to_string(t.join("j1/journal.jsonl")).unwrap(),
        std::fs::read_to_string(t.join("s1/journal.jsonl")).unwrap()
    );
}

/// Mean and standard deviation, with the standard errors of both (the sd's for a law near
/// normal: sd/√(2(n−1))).
fn moments(v: &[f64]) -> (f64, f64, f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let sd = var.sqrt();
    (mean, sd / n.sqrt(), sd, sd / (2.0 * (n - 1.0)).sqrt())
}

#[test]
fn the_probe_gain_at_step_0_has_the_law_of_the_static_network_jacobian() {
    // Training and `vanish sim --source network --quantity jacobian` describe the same
    // object: at step 0 a run is a random network, and its probe gain ln ‖J·u‖/‖u‖ (one
    // probe input per run) has the law of half the static ln ‖J·u‖²/‖u‖², drawn by the
    // network module from its own streams. The derivative product on the probe has the law
    // of the static `layer` quantity.
    use vanish::nets::network::{Init, Network};
    for (n, sigma_w, sigma_b) in [(1.0, 0.9, 0.0), (2.0, 1.3, 0.1)] {
        let act = Activation::scaled_tanh(1.0, n).unwrap();
        let spec = TrainSpec {
            depth: 12,
            width: 16,
            input_dim: 8,
            sigma_w,
            sigma_b,
            examples: 20_000,
            steps: 0,
            probe: 1,
            ..TrainSpec::default()
        };
        let data = Dataset::new(&spec, 3);
        let runs = 1500;
        let (mut train_gain, mut train_layer) = (Vec::new(), Vec::new());
        for r in 0..runs {
            let rec = &train_run(&spec, &act, &data, 3, r).records[0];
            assert_eq!(rec.step, 0);
            let sum: f64 = rec.probe_ln_layer_gains.iter().sum();
            assert!((sum - rec.probe_ln_gain).abs() < 1e-9);
            train_gain.push(rec.probe_ln_gain);
            train_layer.push(rec.probe_ln_derivative_product);
        }
        let net = Network::new(
            "normal(0,1)".parse().unwrap(),
            8,
            &[16],
            12,
            sigma_w,
            sigma_b,
            Init::Gaussian,
        )
        .unwrap();
        let isa = vanish::mc::fast::Isa::detect();
        let (mut sim_gain, mut sim_layer) = (Vec::new(), Vec::new());
        for i in 0..20_000u32 {
            let d = net.draw(&act, &mut vanish::mc::rng::block_rng(9, 0, i), isa);
            sim_gain.push(d.ln_jacobian / 2.0);
            sim_layer.push(d.ln_layer);
        }
        for (what, a, b) in [
            ("ln gain", &train_gain, &sim_gain),
            ("derivative product", &train_layer, &sim_layer),
        ] {
            let (m1, se1, s1, sse1) = moments(a);
            let (m2, se2, s2, sse2) = moments(b);
            crate::util::within_5_se(
                &format!("n {n}: mean {what}"),
                m1,
                m2,
                (se1 * se1 + se2 * se2).sqrt(),
            );
            crate::util::within_5_se(
                &format!("n {n}: sd {what}"),
                s1,
                s2,
                (sse1 * sse1 + sse2 * sse2).sqrt(),
            );
        }
    }
}

#[test]
fn a_map_whose_size_overflows_is_refused_not_wrapped() {
    // 99901 × 99901 × 100001 × 100000 × 10000 × 1000 cells: past 2^64, which a plain
    // product would wrap to a small map and train.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    crate::util::vanish()
        .args([
            "train",
            "--n",
            "1:1000:0.01",
            "--sigma-w",
            "1:1000:0.01",
            "--sigma-b",
            "0:1000:0.01",
            "--depth",
            "1:100000:1",
            "--width",
            "1:10000:1",
            "--lr",
            "0.001:1:0.001",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicates::str::starts_with(
            "error: --sigma-w: a map of 99901 × 99901",
        ));
    assert!(!out.exists());
}
