//! Value stability, in the style of rand_distr's `tests/value_stability.rs`: for a fixed
//! seed, the first values of every sampler and of both kernels are pinned bit for bit.
//!
//! These values are part of the determinism contract (DESIGN.md §3, "Determinism"): a
//! change here is a change of every number a run writes, and must be deliberate. Update
//! CHANGELOG.md and the goldens (`golden_values_are_stable` in tests/it/determinism.rs,
//! tests/snapshots/) in the same commit as the new values.
//!
//! The values are compared as `f64::to_bits` and written with `{:?}`, which round-trips:
//! a failure prints the new values in a form that can be pasted here. The fast kernel's
//! values are checked on this CPU's instruction set and on the portable path, so they
//! hold on every machine.

use rand::Rng;
use rand_distr::Distribution;
use vanish::mc::fast::normals::NormalStream;
use vanish::mc::fast::xoshiro::{Streams, Words};
use vanish::mc::fast::{FastKernel, Isa, Precision};
use vanish::mc::kernel::Kernel;
use vanish::mc::rng::block_rng;
use vanish::mc::summary::FactorSums;
use vanish::model::activation::Activation;
use vanish::model::distribution::PreActivation;
use vanish::model::experiment::BLOCK_SAMPLES;

use crate::util::tanh_experiment;

/// The seed of every pinned stream.
const SEED: u64 = 42;

/// Asserts `got` equals `want` bit for bit (so −0.0 ≠ 0.0 and NaN payloads count).
fn assert_bits(what: &str, got: &[f64], want: &[f64]) {
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
    assert_eq!(bits(got), bits(want), "{what}: got {got:?}");
}

/// The instruction sets the fast kernel's values must hold on: this CPU's and the
/// portable path (the same one on a CPU without AVX2).
fn isas() -> [Isa; 2] {
    [Isa::detect(), Isa::portable()]
}

#[test]
fn block_streams_are_stable() {
    // (cell, block) → stream cell<<32 | block: the packing and ChaCha8's key schedule.
    let want: [(u32, u32, [u64; 4]); 3] = [
        (
            0,
            0,
            [
                0xae90bfb5395d5ba1,
                0xf3453fc625799188,
                0x6d71b708c5b6538c,
                0xa09ab2f958166752,
            ],
        ),
        (
            0,
            1,
            [
                0xb77fa8618dc9e890,
                0x2abaa2d2a560359d,
                0x7b7f8b60120ab297,
                0xd8a4e6b77819520e,
            ],
        ),
        (
            3,
            0xffff_ffff,
            [
                0x6bc169634c1cd9b4,
                0xb6f0eed999d6f293,
                0x02622c87e66cf6af,
                0x80fc024ae7660ed8,
            ],
        ),
    ];
    for (cell, block, words) in want {
        let mut rng = block_rng(SEED, cell, block);
        let got: Vec<u64> = (0..4).map(|_| rng.next_u64()).collect();
        assert_eq!(
            got, words,
            "block_rng({SEED}, {cell}, {block}): got {got:#018x?}"
        );
    }
}

/// The reference samplers (rand_distr's, and the inverse CDFs of distribution.rs): the
/// first six draws of block 0, which feed the scalar kernel and importance sampling.
const PRE_ACTIVATION: [(&str, [f64; 6]); 9] = [
    (
        "normal(0.5,2)",
        [
            1.4559624767020436,
            3.1681412204636157,
            0.07826663345793944,
            1.4526938476176428,
            -0.5241812441123268,
            -1.3679568987813961,
        ],
    ),
    (
        "uniform(-1,3)",
        [
            1.7275847692266857,
            2.801101630689936,
            0.7100656114260788,
            1.5094420847893613,
            0.15437551656473048,
            -0.4001645188387002,
        ],
    ),
    (
        "laplace(0.1,1.5)",
        [
            0.7783454944367946,
            3.5621627083861376,
            -0.1349231622896611,
            0.5409950364234378,
            -0.7243814916565123,
            -1.7063705599843972,
        ],
    ),
    (
        "student-t(3,0.5)",
        [
            0.16156155458045035,
            0.34956201521411,
            -0.3911022563814237,
            -0.4015314889319923,
            0.9856217269950894,
            -0.4141771983230545,
        ],
    ),
    // ν = 1: rand_distr's gamma takes its small-shape branch (shape ½).
    (
        "student-t(1,1)",
        [
            0.35828781076885263,
            -0.44267459855720664,
            -0.5482895482119927,
            -1.0935068091748676,
            2.952591213239792,
            0.03002818951626747,
        ],
    ),
    (
        "logistic(-0.2,0.7)",
        [
            0.3337497667365826,
            1.865176553460482,
            -0.40439399879109694,
            0.16463697329441723,
            -0.83155611828529,
            -1.414446574442393,
        ],
    ),
    ("point(1.25)", [1.25, 1.25, 1.25, 1.25, 1.25, 1.25]),
    (
        "mix(0.7*normal(0,0.6), 0.2*laplace(0.1,1), 0.1*student-t(3,0.5))",
        [
            0.8004423661390847,
            0.28580815428529277,
            -0.5603870696344189,
            0.5499981357559015,
            -0.6398813493355152,
            0.6269880849133838,
        ],
    ),
    (
        "mix(0.5*uniform(-4,4), 0.5*point(0))",
        [
            0.0,
            0.0,
            1.0188841695787225,
            -2.8003290376774004,
            2.4309821374050147,
            0.0,
        ],
    ),
];

#[test]
fn pre_activation_samplers_are_stable() {
    for (spec, want) in PRE_ACTIVATION {
        let dist: PreActivation = spec.parse().unwrap();
        let mut rng = block_rng(SEED, 0, 0);
        let got: Vec<f64> = (0..6).map(|_| dist.sample(&mut rng)).collect();
        assert_bits(spec, &got, &want);
    }
}

/// The fast kernel's samplers (xoshiro256++ words, Box–Muller normals, inverse CDFs and
/// the mixture's choice words), per precision: its first six x of block 0, as f64.
const FAST_DRAWS: [(&str, Precision, [f64; 6]); 10] = [
    (
        "normal(0.5,2)",
        Precision::F64,
        [
            0.47654294905199923,
            -0.5648322634664058,
            1.8196458685835868,
            3.0842291690053183,
            0.8564795833419794,
            -1.7580225960224984,
        ],
    ),
    (
        "normal(0.5,2)",
        Precision::F32,
        [
            -0.09519994258880615,
            0.47654300928115845,
            -1.0364232063293457,
            -0.5648322105407715,
            3.0137832164764404,
            -0.8196457624435425,
        ],
    ),
    (
        "uniform(-1,3)",
        Precision::F64,
        [
            -0.9086013820960241,
            1.9504809513119037,
            2.069422385141084,
            0.19431494129220006,
            0.2645542776860532,
            0.37315601573177926,
        ],
    ),
    (
        "uniform(-1,3)",
        Precision::F32,
        [
            1.7971765995025635,
            -0.9086015224456787,
            0.35559654235839844,
            1.9504809379577637,
            0.7912716865539551,
            2.0694222450256348,
        ],
    ),
    (
        "laplace(0.1,1.5)",
        Precision::F64,
        [
            5.768228924735431,
            0.5564892545706968,
            0.4972074480780764,
            1.9130824165062779,
            1.8273619760281388,
            -1.5037739142815096,
        ],
    ),
    (
        "laplace(0.1,1.5)",
        Precision::F32,
        [
            -0.4365256726741791,
            -5.5682291984558105,
            -1.5230789184570313,
            -0.3564892113208771,
            1.3050527572631836,
            0.4972074031829834,
        ],
    ),
    (
        "logistic(-0.2,0.7)",
        Precision::F64,
        [
            2.922333110232004,
            0.17612736662355058,
            0.13177672410008046,
            1.0181298855785337,
            0.9708649940680933,
            -1.3018118431549666,
        ],
    ),
    (
        "logistic(-0.2,0.7)",
        Precision::F32,
        [
            -0.6344136595726013,
            -3.3223330974578857,
            -1.3126730918884277,
            -0.5761274099349976,
            0.6701211333274841,
            0.13177669048309326,
        ],
    ),
    (
        FAST_MIX,
        Precision::F64,
        [
            1.828743150997643,
            0.3,
            0.395893760575076,
            0.7752687507015955,
            -0.5811102396895316,
            -0.6774067788067495,
        ],
    ),
    (
        FAST_MIX,
        Precision::F32,
        [
            -0.6088981628417969,
            -0.007037095259875059,
            -0.46092697978019714,
            -0.31944966316223145,
            0.08524152636528015,
            -0.39589375257492065,
        ],
    ),
];

/// A mixture the fast kernel covers (no Student's t), with a point mass among its parts.
const FAST_MIX: &str =
    "mix(0.6*normal(0,0.6), 0.2*laplace(0.1,1), 0.1*logistic(0,0.5), 0.1*point(0.3))";

#[test]
fn fast_kernel_samplers_are_stable() {
    let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    for (spec, precision, want) in FAST_DRAWS {
        for isa in isas() {
            let k = FastKernel::new(f, &spec.parse().unwrap(), 50, precision, isa).unwrap();
            assert!(k.note().is_none(), "{spec} {precision}: {:?}", k.note());
            let got = k.draws(&mut block_rng(SEED, 0, 0), 6);
            assert_bits(&format!("{spec} {precision} {}", isa.name()), &got, &want);
        }
    }
}

#[test]
fn network_normals_are_stable() {
    // The normals of random networks' weights (NormalStream), one at a time and in bulk.
    let want: [f64; 6] = [
        0.10786916642181593,
        -0.39014844466271614,
        -0.7161297303308422,
        1.1166736536804391,
        0.10200818833555081,
        1.1205754915275379,
    ];
    for isa in isas() {
        let mut s = NormalStream::new(&mut block_rng(SEED, 0, 0), isa);
        let got: Vec<f64> = (0..6).map(|_| s.sample()).collect();
        assert_bits(&format!("NormalStream {}", isa.name()), &got, &want);
        let mut bulk = [0.0; 6];
        NormalStream::new(&mut block_rng(SEED, 0, 0), isa).fill(&mut bulk);
        assert_bits(&format!("NormalStream::fill {}", isa.name()), &bulk, &want);
    }
}

#[test]
fn xoshiro_streams_are_stable() {
    // Two rows of eight words: each generator's seeding from the block stream and its step.
    let want: [u64; 16] = [
        0x05d97996b304f15a,
        0xbcd4ae0e56c218a2,
        0xc4716a9672a43290,
        0x4c6fa7ef7e58acc6,
        0x50ee7510ab6c95f6,
        0x57e1c9c4f7e9f079,
        0xc432c8e6bfdd6b09,
        0x333c707e7af87d97,
        0x806a1fd8d8b0c2b9,
        0xa3f4d8eb6cc5ae8c,
        0x98c189b86b3369f1,
        0xd3645b99385bb941,
        0x6cf67811566f69a1,
        0x7bbf25c87dc310e6,
        0x19e2f2342f744791,
        0xfd967531f76e154e,
    ];
    let mut got = [0u64; 16];
    Streams::from_rng(&mut block_rng(SEED, 0, 0)).fill(&mut got);
    assert_eq!(got, want, "got {got:#018x?}");
}

/// ln g of the first four samples of block 0 of a full block (as runs compute it), per
/// kernel: tanh(2·x), K = 50, seed 42.
const KERNELS: [(&str, Precision, &str, [f64; 4]); 6] = [
    (
        "normal(0,1)",
        Precision::Reference,
        "scalar-f64",
        [
            -75.58358598634231,
            -61.53087240970861,
            -61.31477716373646,
            -58.31530081473981,
        ],
    ),
    (
        "normal(0,1)",
        Precision::F64,
        "fast-f64",
        [
            -61.92327774144515,
            -65.35708827069135,
            -46.64660592538898,
            -74.31717360016543,
        ],
    ),
    (
        "normal(0,1)",
        Precision::F32,
        "fast-f32",
        [
            -65.04225158691406,
            -61.81072807312012,
            -64.31124877929688,
            -75.77029991149902,
        ],
    ),
    (
        FAST_MIX,
        Precision::Reference,
        "scalar-f64",
        [
            -42.14574032591204,
            -15.579622881166209,
            -37.057641005878956,
            -36.82465589313614,
        ],
    ),
    (
        FAST_MIX,
        Precision::F64,
        "fast-f64",
        [
            -28.389951448337854,
            -40.74818981537538,
            -44.423047034899014,
            -59.112777253320054,
        ],
    ),
    (
        FAST_MIX,
        Precision::F32,
        "fast-f32",
        [
            -45.235429763793945,
            -46.39237022399902,
            -18.885794162750244,
            -23.498583793640137,
        ],
    ),
];

#[test]
fn kernels_are_stable() {
    let block = BLOCK_SAMPLES as usize;
    for (spec, precision, name, want) in KERNELS {
        let exp = tanh_experiment(2.0, spec, 50, BLOCK_SAMPLES, SEED)
            .with_precision(precision)
            .unwrap();
        let kernel = vanish::mc::simulate::kernel(&exp);
        assert!(
            kernel.name().starts_with(name),
            "{spec} {precision}: {}",
            kernel.name()
        );
        let mut ln_g = vec![0.0; block];
        kernel.fill_block(
            &mut block_rng(SEED, 0, 0),
            &mut ln_g,
            &mut FactorSums::default(),
        );
        let what = format!("{spec} {}", kernel.name());
        assert_bits(&what, &ln_g[..4], &want);
        if precision != Precision::Reference {
            // The same bits on the portable path.
            let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
            let portable =
                FastKernel::new(f, &spec.parse().unwrap(), 50, precision, Isa::portable()).unwrap();
            let mut p = vec![0.0; block];
            portable.fill_block(
                &mut block_rng(SEED, 0, 0),
                &mut p,
                &mut FactorSums::default(),
            );
            assert_bits(&format!("{spec} {}", portable.name()), &p[..4], &want);
        }
    }
}
