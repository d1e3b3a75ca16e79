//! Random networks and mean-field theory: closed forms, an independent quadrature, wide
//! networks against the theory, the rescaling identity, and the CLI.

use vanish::mc::fast::Isa;
use vanish::mc::rng::block_rng;
use vanish::model::activation::Activation;
use vanish::model::distribution::PreActivation;
use vanish::nets::network::{Draw, Init, Network};
use vanish::theory::iid::expectation;
use vanish::theory::meanfield::{MeanField, critical_sigma_w};

use crate::util::{vanish, within_5_se};

fn tanh(n: f64) -> Activation {
    Activation::scaled_tanh(1.0, n).unwrap()
}

/// E[h(√q·z)] by adaptive Gauss–Kronrod: an integrator independent of the trapezoid rule.
fn gk(q: f64, h: impl Fn(f64) -> f64) -> f64 {
    let d = PreActivation::normal(0.0, q.sqrt()).unwrap();
    expectation(&d, &h, 1e-13).unwrap().0
}

#[test]
fn meanfield_fixed_points_match_adaptive_quadrature() {
    for (act, sw, sb) in [
        (tanh(1.0), 1.5, 0.05),
        (tanh(2.0), 0.9, 0.3),
        (tanh(1.0), 2.5, 1.0),
        (Activation::Sigmoid, 4.0, 0.2),
        (Activation::lecun(), 1.0, 0.1),
    ] {
        let mf = MeanField::new(act, sw, sb).unwrap();
        let fp = mf.fixed_point();
        let q = fp.q_star;
        let image = sw * sw * gk(q, |x| act.value(x).powi(2)) + sb * sb;
        assert!(
            (image - q).abs() < 1e-12 * q,
            "{act} {sw} {sb}: q* {q}, map {image}"
        );
        let chi = sw * sw * gk(q, |x| act.derivative(x).powi(2));
        assert!(
            (chi - fp.chi1).abs() < 1e-12,
            "{act}: χ1 {} vs {chi}",
            fp.chi1
        );
    }
}

#[test]
fn meanfield_correlation_fixed_point_matches_nested_quadrature() {
    // C(c*) = c* by a nested adaptive integral over (z1, z2), in the chaotic phase.
    let act = tanh(1.0);
    let (sw, sb) = (2.0, 0.3);
    let fp = MeanField::new(act, sw, sb).unwrap().fixed_point();
    assert_eq!(fp.phase(), "chaotic");
    let (q, c) = (fp.q_star, fp.c_star);
    let s = (1.0 - c * c).sqrt();
    let inner = |z1: f64| {
        let u1 = q.sqrt() * z1;
        act.value(u1) * gk(1.0, |z2| act.value(q.sqrt() * (c * z1 + s * z2)))
    };
    let e = gk(1.0, inner);
    let image = (sw * sw * e + sb * sb) / q;
    assert!((image - c).abs() < 1e-8, "c* {c}, C(c*) {image}");
    assert!(0.0 < c && c < 1.0 && fp.chi_c < 1.0, "{fp:?}");
}

#[test]
fn meanfield_closed_forms() {
    // The linear network (leaky-relu(1)): q* = σ_b²/(1−σ_w²), χ1 = σ_w², ξ_q = −1/ln σ_w².
    let (sw, sb) = (0.8, 0.3);
    let fp = MeanField::new(Activation::leaky_relu(1.0).unwrap(), sw, sb)
        .unwrap()
        .fixed_point();
    assert!((fp.q_star - sb * sb / (1.0 - sw * sw)).abs() < 1e-15);
    assert!((fp.chi1 - sw * sw).abs() < 1e-15);
    assert!((fp.xi_q + 1.0 / (sw * sw).ln()).abs() < 1e-12);
    assert_eq!((fp.c_star, fp.phase()), (1.0, "ordered"));
    // ReLU: χ1 = σ_w²/2, critical at √2.
    let relu = MeanField::new(Activation::Relu, 1.2, 0.1)
        .unwrap()
        .fixed_point();
    assert!((relu.chi1 - 0.72).abs() < 1e-15);
    assert!((critical_sigma_w(Activation::Relu, 0.5).unwrap() - 2f64.sqrt()).abs() < 1e-12);
    // tanh at σ_w = 1, σ_b = 0: q* = 0, χ1 = 1 exactly (critical); tanh(n·x): σ_w = 1/n.
    let t = MeanField::new(tanh(1.0), 1.0, 0.0).unwrap().fixed_point();
    assert_eq!((t.q_star, t.chi1, t.phase()), (0.0, 1.0, "critical"));
    assert!((critical_sigma_w(tanh(2.0), 0.0).unwrap() - 0.5).abs() < 1e-7);
    // On the boundary found for σ_b > 0, χ1 = 1 by the independent quadrature.
    let sw = critical_sigma_w(tanh(1.0), 0.3).unwrap();
    let q = MeanField::new(tanh(1.0), sw, 0.3)
        .unwrap()
        .length_fixed_point();
    let chi = sw * sw * gk(q, |x| tanh(1.0).derivative(x).powi(2));
    assert!(
        (chi - 1.0).abs() < 1e-9,
        "χ1 at the critical σ_w {sw}: {chi}"
    );
}

#[test]
fn meanfield_degenerate_correlation_maps() {
    // σ_b = 0, ordered tanh: q^l → 0 and correlations freeze (no c*, ξ_c = ∞).
    let t = MeanField::new(tanh(1.0), 0.8, 0.0).unwrap().fixed_point();
    assert!(
        t.c_star.is_nan() && t.xi_c == f64::INFINITY && t.chi_c == 1.0,
        "{t:?}"
    );
    // σ_b = 0 ReLU: C(c) = K(c)/K(1) has slope 1 at c = 1: c* = 1 with ξ_c = ∞.
    let r = MeanField::new(Activation::Relu, 1.2, 0.0)
        .unwrap()
        .fixed_point();
    assert_eq!((r.c_star, r.chi_c, r.xi_c), (1.0, 1.0, f64::INFINITY));
    // ReLU at σ_w = √2 (σ_w² rounds above 2): critical, with infinite depth scales.
    let c = MeanField::new(Activation::Relu, 2f64.sqrt(), 0.1)
        .unwrap()
        .fixed_point();
    assert_eq!(c.phase(), "critical");
    assert_eq!((c.xi_q, c.xi_c), (f64::INFINITY, f64::INFINITY));
}

#[test]
fn meanfield_rescaling_tanh_n_is_tanh_with_scaled_weights() {
    // tanh(n·x) at (σ_w, σ_b) is tanh(x) at (n·σ_w, n·σ_b): q* scales by n², χ1 is equal.
    let n = 1.7;
    let a = MeanField::new(tanh(n), 1.1, 0.2).unwrap().fixed_point();
    let b = MeanField::new(tanh(1.0), n * 1.1, n * 0.2)
        .unwrap()
        .fixed_point();
    assert!((b.q_star - n * n * a.q_star).abs() < 1e-9 * b.q_star);
    assert!((a.chi1 - b.chi1).abs() < 1e-9);
    assert!((a.c_star - b.c_star).abs() < 1e-7);
}

fn draws(net: &Network, act: Activation, count: u32, seed: u64) -> Vec<Draw> {
    (0..count)
        .map(|i| net.draw(&act, &mut block_rng(seed, 0, i), Isa::detect()))
        .collect()
}

fn mean_se(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

#[test]
fn wide_networks_match_meanfield() {
    // W = 1000, K = 8: q^l, E‖Ju‖²/‖u‖² and E[ln g] of the path and layer quantities against
    // the length map, (W_K/d)·Πχ(q^l) and Σ E[ln f'(√q^l·z)], within 5 SE.
    let act = tanh(1.0);
    for init in [Init::Gaussian, Init::Orthogonal] {
        let net = Network::new(
            "normal(0,1)".parse().unwrap(),
            1000,
            &[1000],
            8,
            1.5,
            0.05,
            init,
        )
        .unwrap();
        let p = net.prediction(&act).unwrap();
        let d = draws(&net, act, 60, 11);
        for l in 0..8 {
            let q: Vec<f64> = d.iter().map(|d| d.q[l]).collect();
            let (m, se) = mean_se(&q);
            within_5_se(&format!("{init} q^{}", l + 1), m, p.q[l], se);
        }
        let gain: Vec<f64> = d.iter().map(|d| d.ln_jacobian.exp()).collect();
        let (m, se) = mean_se(&gain);
        within_5_se(&format!("{init} E‖Ju‖²"), m, p.ln_mean_gain.exp(), se);
        for (what, v) in [
            ("path", d.iter().map(|d| d.ln_path).collect::<Vec<_>>()),
            ("layer", d.iter().map(|d| d.ln_layer).collect()),
        ] {
            let (m, se) = mean_se(&v);
            // The layer mean averages 1000 units: its SE is small (≈ 3e-3 relative); a
            // floor of 1e-3 relative stands for the O(1/W) finite-width bias of q^l.
            let se = se.max(1e-3 * p.mean_ln_path.abs());
            within_5_se(&format!("{init} E[ln g] {what}"), m, p.mean_ln_path, se);
        }
    }
}

#[test]
fn linear_networks_have_exact_gains() {
    // leaky-relu(1) is the identity. With Gaussian weights E‖Ju‖²/‖u‖² = (W_K/d)·σ_w^{2K}
    // exactly at any width; with square orthogonal weights ‖Ju‖ = σ_w^K·‖u‖ for every draw.
    let id = Activation::leaky_relu(1.0).unwrap();
    let (sw, k) = (1.1f64, 5);
    let net = Network::new(
        "normal(0,1)".parse().unwrap(),
        6,
        &[8, 5, 9, 4, 7],
        k,
        sw,
        0.3,
        Init::Gaussian,
    )
    .unwrap();
    let d = draws(&net, id, 20_000, 3);
    let gain: Vec<f64> = d.iter().map(|d| d.ln_jacobian.exp()).collect();
    let (m, se) = mean_se(&gain);
    within_5_se("linear E‖Ju‖²", m, 7.0 / 6.0 * sw.powi(2 * k as i32), se);
    assert!(
        (net.prediction(&id).unwrap().ln_mean_gain - (7.0f64 / 6.0 * sw.powi(10)).ln()).abs()
            < 1e-12
    );

    let orth = Network::new(
        "normal(0,1)".parse().unwrap(),
        9,
        &[9],
        k,
        sw,
        0.0,
        Init::Orthogonal,
    )
    .unwrap();
    for d in draws(&orth, id, 50, 4) {
        let expected = 2.0 * f64::from(k) * sw.ln();
        assert!(
            (d.ln_jacobian - expected).abs() < 1e-12,
            "{}",
            d.ln_jacobian
        );
    }
}

#[test]
fn jacobian_gain_does_not_underflow_when_every_derivative_does() {
    // Width 1, σ = 100: every f' is below e^−745 (exp underflows to 0), yet ln g is finite.
    let net = Network::new(
        "normal(0,1)".parse().unwrap(),
        1,
        &[1],
        10,
        100.0,
        100.0,
        Init::Gaussian,
    )
    .unwrap();
    for d in draws(&net, tanh(1.0), 200, 8) {
        assert!(d.ln_jacobian.is_finite() && d.ln_path.is_finite(), "{d:?}");
        // One unit per layer: ‖J·u‖² = Π (f'·w)², so ln g ≥ 2·ln_path − (weights' logs).
        assert!(d.ln_jacobian < -1000.0, "{}", d.ln_jacobian);
    }
}

#[test]
fn orthogonal_weights_rotate_uniformly() {
    // Qᵀ·y for Haar Q is uniform on the sphere of radius ‖y‖: for y = (1, 1, 1), each
    // coordinate x has E[x] = 0, E[x²] = 1, E[x⁴] = 9/5, and E[x1·x2] = 0.
    let net = Network::new(
        "point(1)".parse().unwrap(),
        3,
        &[3],
        1,
        1.0,
        0.0,
        Init::Orthogonal,
    )
    .unwrap();
    let d = draws(&net, Activation::leaky_relu(1.0).unwrap(), 40_000, 5);
    for i in 0..3 {
        let x: Vec<f64> = d.iter().map(|d| d.last_x[i]).collect();
        let (m, se) = mean_se(&x);
        within_5_se("E[x]", m, 0.0, se);
        let x2: Vec<f64> = x.iter().map(|x| x * x).collect();
        let (m, se) = mean_se(&x2);
        within_5_se("E[x²]", m, 1.0, se);
        let x4: Vec<f64> = x.iter().map(|x| x.powi(4)).collect();
        let (m, se) = mean_se(&x4);
        within_5_se("E[x⁴]", m, 9.0 / 5.0, se);
    }
    let cross: Vec<f64> = d.iter().map(|d| d.last_x[0] * d.last_x[1]).collect();
    let (m, se) = mean_se(&cross);
    within_5_se("E[x1·x2]", m, 0.0, se);
    // Not square: 2 → 3 (the first two columns of Q, times √(3/2)) and 3 → 2 (the first
    // two rows of Qᵀ): both give coordinates of a uniform vector on a sphere of radius √3
    // in R³ (‖y‖ = √2 or √3), so again E[x²] = 1 and E[x⁴] = 9/5.
    for (d_in, width) in [(2, 3), (3, 2)] {
        let net = Network::new(
            "point(1)".parse().unwrap(),
            d_in,
            &[width],
            1,
            1.0,
            0.0,
            Init::Orthogonal,
        )
        .unwrap();
        let d = draws(&net, Activation::leaky_relu(1.0).unwrap(), 40_000, 6);
        for i in 0..width {
            let x2: Vec<f64> = d.iter().map(|d| d.last_x[i].powi(2)).collect();
            let (m, se) = mean_se(&x2);
            within_5_se(&format!("{d_in}→{width} E[x²]"), m, 1.0, se);
            let x4: Vec<f64> = x2.iter().map(|x| x * x).collect();
            let (m, se) = mean_se(&x4);
            within_5_se(&format!("{d_in}→{width} E[x⁴]"), m, 9.0 / 5.0, se);
        }
    }
}

#[test]
fn tanh_n_network_is_a_tanh_network_with_n_times_the_weights() {
    // Same stream: x(tanh(n·x), σ_w, σ_b) = x(tanh, n·σ_w, n·σ_b)/n. For n = 2 every
    // pre-activation is exactly half (q exactly a quarter), the Jacobian gain agrees to
    // rounding and the path product differs by exactly K·ln n.
    let k = 12;
    for init in [Init::Gaussian, Init::Orthogonal] {
        for n in [2.0, 1.5] {
            let net = |s: f64| {
                Network::new(
                    "normal(0,1)".parse().unwrap(),
                    20,
                    &[24],
                    k,
                    1.3 * s,
                    0.2 * s,
                    init,
                )
                .unwrap()
            };
            let a = draws(&net(1.0), tanh(n), 20, 9);
            let b = draws(&net(n), tanh(1.0), 20, 9);
            for (a, b) in a.iter().zip(&b) {
                for (xa, xb) in a.last_x.iter().zip(&b.last_x) {
                    if n == 2.0 {
                        assert_eq!(2.0 * xa, *xb);
                    } else {
                        assert!((n * xa - xb).abs() <= 1e-12 * xb.abs().max(1.0));
                    }
                }
                if n == 2.0 {
                    let quarter: Vec<f64> = b.q.iter().map(|q| q / 4.0).collect();
                    assert_eq!(a.q, quarter);
                }
                assert!((a.ln_jacobian - b.ln_jacobian).abs() < 1e-11);
                let shift = f64::from(k) * n.ln();
                assert!((a.ln_path - b.ln_path - shift).abs() < 1e-11);
                assert!((a.ln_layer - b.ln_layer - shift).abs() < 1e-11);
            }
        }
    }
}

/// FNV-1a over the bits of every number of a draw: one fingerprint of all its values.
fn fingerprint(draws: &[Draw]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for d in draws {
        let lns = [d.ln_path, d.ln_layer, d.ln_jacobian];
        for x in lns
            .iter()
            .chain(&d.path_factors)
            .chain(&d.q)
            .chain(&d.last_x)
        {
            for byte in x.to_bits().to_le_bytes() {
                h = (h ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
            }
        }
    }
    h
}

/// The networks `network_draws_are_stable` pins: (input dim, widths, init), with widths
/// that are not multiples of four, layers that widen and narrow, and one wide square.
const PINNED: [(usize, &[usize], Init, u64); 6] = [
    (7, &[9, 13, 4], Init::Gaussian, 0xc7c8_ff5a_1d22_51be),
    (7, &[9, 13, 4], Init::Orthogonal, 0xb6f8_b0e3_7696_383e),
    (70, &[66, 67, 1], Init::Gaussian, 0x24f5_5cf5_1f8d_50df),
    (70, &[66, 67, 1], Init::Orthogonal, 0x2260_687c_8ffa_60ae),
    (256, &[256], Init::Gaussian, 0xaafb_cffe_4ae4_312e),
    (256, &[256], Init::Orthogonal, 0x9c65_1c69_3a15_996a),
];

#[test]
fn network_draws_are_stable_on_every_instruction_set() {
    // Every number of four draws per network, bit for bit, made with numbers version 7 (6's networks with the
    // FMA normals of 7),
    // on the portable path and this CPU's best: a change of the order of the draws or of
    // the sums (the row tiles, the fused passes) shows here.
    let act = tanh(2.0);
    for (d, widths, init, want) in PINNED {
        let depth = if widths.len() == 1 {
            3
        } else {
            widths.len() as u32
        };
        let net = Network::new(
            "normal(0,1)".parse().unwrap(),
            d,
            widths,
            depth,
            1.3,
            0.2,
            init,
        )
        .unwrap();
        let reference: Vec<Draw> = (0..4)
            .map(|i| net.draw(&act, &mut block_rng(42, 0, i), Isa::portable()))
            .collect();
        let got: Vec<Draw> = (0..4)
            .map(|i| net.draw(&act, &mut block_rng(42, 0, i), Isa::detect()))
            .collect();
        assert_eq!(
            got, reference,
            "{d}→{widths:?} {init}: detected vs portable"
        );
        let print = fingerprint(&got);
        assert_eq!(
            print, want,
            "{d}→{widths:?} {init}: fingerprint {print:#018x}, first draw {:?}",
            got[0]
        );
    }
}

fn run_network(out: &std::path::Path, threads: &str, extra: &[&str]) {
    run_network_with(
        vanish_std(),
        out,
        threads,
        &["--width", "16,24,8", "--input-dim", "5"],
        extra,
    );
}

/// The binary as a plain command, to set its environment.
fn vanish_std() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_vanish"))
}

/// `vanish sim --source network` of depth 3 with `shape` (its --width and --input-dim).
fn run_network_with(
    cmd: std::process::Command,
    out: &std::path::Path,
    threads: &str,
    shape: &[&str],
    extra: &[&str],
) {
    assert_cmd::Command::from_std(cmd)
        .args([
            "sim",
            "--source",
            "network",
            "--depth",
            "3",
            "--sigma-w",
            "1.4",
            "--sigma-b",
            "0.2",
            "--samples",
            "3000",
            "--quiet",
            "--threads",
            threads,
            "--out",
        ])
        .arg(out)
        .args(shape)
        .args(extra)
        .assert()
        .success();
}

#[test]
fn network_runs_are_identical_for_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    for quantity in ["path", "jacobian"] {
        for init in ["gaussian", "orthogonal"] {
            let (a, b) = (dir.path().join("a"), dir.path().join("b"));
            let extra = ["--quantity", quantity, "--init", init];
            run_network(&a, "1", &extra);
            run_network(&b, "2", &extra);
            same_files(&a, &b, &format!("{quantity} {init}: 1 and 2 threads"));
        }
    }
}

/// Asserts that two runs wrote the same summary.json, summary.csv and histogram.csv.
fn same_files(a: &std::path::Path, b: &std::path::Path, what: &str) {
    for name in ["summary.json", "summary.csv", "histogram.csv"] {
        let (x, y) = (
            std::fs::read(a.join(name)).unwrap(),
            std::fs::read(b.join(name)).unwrap(),
        );
        assert!(x == y, "{what}: {name} differs");
    }
}

#[test]
fn network_runs_are_identical_on_every_instruction_set() {
    // VANISH_SIMD forces a level (one above this CPU's falls back to the best it has):
    // every forced level writes the files of the detected one, for both inits, with
    // widths that leave partial row tiles.
    let dir = tempfile::tempdir().unwrap();
    for init in ["gaussian", "orthogonal"] {
        let extra = ["--quantity", "jacobian", "--init", init];
        let shape = ["--width", "13,6,9", "--input-dim", "7"];
        let best = dir.path().join(format!("{init}-best"));
        run_network_with(vanish_std(), &best, "2", &shape, &extra);
        for level in ["portable", "avx2", "avx512"] {
            let forced = dir.path().join(format!("{init}-{level}"));
            let mut cmd = vanish_std();
            cmd.env("VANISH_SIMD", level);
            run_network_with(cmd, &forced, "1", &shape, &extra);
            same_files(&best, &forced, &format!("{init}: VANISH_SIMD={level}"));
        }
    }
}

#[test]
fn network_summary_carries_the_meanfield_prediction() {
    let dir = tempfile::tempdir().unwrap();
    run_network(dir.path(), "2", &["--quantity", "jacobian"]);
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).unwrap())
            .unwrap();
    let net = &s["network"];
    assert_eq!(net["quantity"], "jacobian");
    assert_eq!(net["meanfield"]["q"].as_array().unwrap().len(), 3);
    assert_eq!(s["log10_g"]["cap"], "inf", "the Jacobian's gain has no cap");
    // The numbers themselves are checked against theory by `wide_networks_match_meanfield`
    // (this net is narrow: mean field holds only up to O(K/W) here).
    let sim = net["log10_mean_g"].as_f64().unwrap();
    let se = net["mean_g_relative_se"].as_f64().unwrap();
    let mf = net["meanfield"]["log10_mean_jacobian_gain"]
        .as_f64()
        .unwrap();
    assert!(
        sim.is_finite() && mf.is_finite() && se > 0.0 && se < 0.1,
        "{net}"
    );
    let m = crate::util::manifest(dir.path());
    assert_eq!(
        m["config"]["network"]["width"],
        serde_json::json!([16, 24, 8])
    );
    assert!(m["kernel"].as_str().unwrap().starts_with("network-f64"));
}

#[test]
fn network_flags_are_checked() {
    for (args, flag) in [
        (&["sim", "--width", "8"][..], "--width"),
        (&["sim", "--quantity", "jacobian"], "--quantity"),
        (&["sim", "--source", "network"], "--width"),
        (&["sim", "--source", "network", "--width", "0"], "--width"),
        (
            &["sim", "--source", "network", "--width", "8", "-k", "2e6"],
            "--depth",
        ),
        (
            &["sim", "--source", "network", "--width", "8,8", "-k", "4e9"],
            "--depth",
        ),
        (
            &["sim", "--source", "network", "--width", "8,8", "-k", "3"],
            "--width",
        ),
        (
            &[
                "sim",
                "--source",
                "network",
                "--width",
                "8",
                "--sigma-w",
                "-1",
            ],
            "--sigma-w",
        ),
        (
            &[
                "sim", "--source", "network", "--width", "8", "--method", "exact",
            ],
            "--method",
        ),
        (
            &[
                "sim",
                "--source",
                "network",
                "--width",
                "8",
                "--precision",
                "f32",
            ],
            "--precision",
        ),
        (&["meanfield", "--sigma-w", "0"], "--sigma-w"),
        (&["meanfield", "--sigma-b", "-0.1"], "--sigma-b"),
        (&["meanfield", "--activation", "relu", "--n", "2"], "--n"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let assert = vanish().args(args).arg("--out").arg(&out).assert().code(2);
        let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(err.contains(flag), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(!out.exists(), "{args:?} left a folder");
    }
    // Values outside an enumerated flag's list are clap's to refuse.
    for (args, flag) in [
        (&["sim", "--source", "net", "--width", "8"][..], "--source"),
        (
            &["sim", "--source", "network", "--width", "8", "--init", "he"],
            "--init",
        ),
        (
            &[
                "sim",
                "--source",
                "network",
                "--width",
                "8",
                "--quantity",
                "x",
            ],
            "--quantity",
        ),
        (&["sim", "--precision", "f16"], "--precision"),
        (&["sim", "--method", "exact,nope"], "--method"),
    ] {
        crate::util::refused_value(args, flag);
    }
}

#[test]
fn meanfield_cli_writes_the_phase_diagram() {
    let dir = tempfile::tempdir().unwrap();
    vanish()
        .args([
            "meanfield",
            "--n",
            "1",
            "--sigma-w",
            "0.5:2:0.5",
            "--sigma-b",
            "0,0.3",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .success();
    let phase = std::fs::read_to_string(dir.path().join("phase.csv")).unwrap();
    assert_eq!(phase.lines().count(), 1 + 8);
    assert!(phase.lines().nth(1).unwrap().contains("ordered"));
    assert!(phase.lines().nth(4).unwrap().contains("chaotic"));
    let critical = std::fs::read_to_string(dir.path().join("critical.csv")).unwrap();
    let at_zero: f64 = critical
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(2)
        .unwrap()
        .parse()
        .unwrap();
    assert!((at_zero - 1.0).abs() < 1e-7);
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("phase.json")).unwrap())
            .unwrap();
    assert_eq!(j["points"].as_array().unwrap().len(), 8);
}
