//! The vectorised kernel: the default path of every iid experiment.
//!
//! [`FastKernel`] draws its pre-activations from eight xoshiro256++ generators per block
//! (seeded from the block's ChaCha8 stream, so blocks stay independent of threads and
//! shards) and computes ln f' with branch-free arithmetic ([`real`]) over buffers of 16
//! samples in lockstep ([`block`]). It runs in f32 or f64 ([`Precision`]); the scalar
//! [`ScalarKernel`](crate::mc::kernel::ScalarKernel) stays as the reference and the oracle of
//! the tests.
//!
//! Covered: a·tanh(n·x) (tanh, lecun) and sigmoid, with x from normal, uniform, laplace,
//! logistic, point masses and mixtures of them. Anything else (Student's t, ReLU) runs on
//! the reference kernel, and [`FastKernel::new`] says why.
//!
//! ```
//! use vanish::{model::activation::Activation, mc::fast::{FastKernel, Isa, Precision}};
//! use vanish::mc::kernel::Kernel;
//! let k = FastKernel::new(Activation::scaled_tanh(1.0, 2.0).unwrap(),
//!     &"normal(0,1)".parse().unwrap(), 50, Precision::F32, Isa::portable()).unwrap();
//! assert_eq!(k.name(), "fast-f32-portable");
//! let t = FastKernel::new(Activation::scaled_tanh(1.0, 2.0).unwrap(),
//!     &"student-t(3,1)".parse().unwrap(), 50, Precision::F32, Isa::portable());
//! assert!(t.unwrap_err().contains("student-t"));
//! ```

pub mod block;
mod dispatch;
pub mod normals;
pub mod real;
pub mod xoshiro;

use std::fmt;
use std::str::FromStr;

pub use dispatch::Isa;

use self::block::{Component, Kind, Plan};
use self::real::{Real, Word};
use self::xoshiro::Streams;
use crate::error::ConfigError;
use crate::mc::kernel::Kernel;
use crate::mc::rng::BlockRng;
use crate::mc::summary::FactorSums;
use crate::model::activation::Activation;
use crate::model::distribution::PreActivation;

/// The arithmetic of a run: `--precision f32|f64|reference`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Precision {
    /// The fast kernel in f32: per-factor error in ln f' below 3e-7·(1 + |ln f'| + |ln a·n|).
    #[value(name = "f32")]
    F32,
    /// The fast kernel in f64: per-factor error below 2e-14·(1 + |ln f'| + |ln a·n|). The
    /// default.
    #[default]
    #[value(name = "f64")]
    F64,
    /// The scalar f64 reference kernel (rand_distr samplers, libm): slow, the oracle.
    Reference,
}

impl Precision {
    /// The flag value: `f32`, `f64` or `reference`.
    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::F64 => "f64",
            Precision::Reference => "reference",
        }
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Precision {
    type Err = ConfigError;

    /// ```
    /// use vanish::mc::fast::Precision;
    /// assert_eq!("f32".parse::<Precision>().unwrap(), Precision::F32);
    /// assert!("f16".parse::<Precision>().unwrap_err().to_string().contains("--precision"));
    /// ```
    fn from_str(s: &str) -> Result<Self, ConfigError> {
        crate::error::parse_value_enum("--precision", s)
    }
}

#[derive(Debug, Clone)]
enum Plans {
    F32(Plan<f32>),
    F64(Plan<f64>),
}

/// The vectorised kernel for one (activation, distribution, depth, precision).
#[derive(Debug, Clone)]
pub struct FastKernel {
    plan: Plans,
    isa: Isa,
    note: Option<&'static str>,
}

/// Why a plan cannot run in the precision asked for.
enum Unfit {
    /// f32 cannot represent this experiment faithfully; f64 can.
    NeedsF64(&'static str),
    /// Only the reference kernel runs it.
    Reference(&'static str),
}

impl FastKernel {
    /// The fast kernel, or the reason it cannot run this experiment (then the caller runs
    /// the reference kernel). `precision` must be f32 or f64; an f32 experiment that f32
    /// cannot represent faithfully (see [`Kernel::note`]) runs in f64.
    pub fn new(
        activation: Activation,
        dist: &PreActivation,
        depth: u32,
        precision: Precision,
        isa: Isa,
    ) -> Result<Self, &'static str> {
        let f64_plan = || match plan::<f64>(activation, dist, depth) {
            Ok(p) => Ok(Plans::F64(p)),
            Err(Unfit::NeedsF64(reason) | Unfit::Reference(reason)) => Err(reason),
        };
        let (plan, note) = match precision {
            Precision::F32 => match plan::<f32>(activation, dist, depth) {
                Ok(p) => (Plans::F32(p), None),
                Err(Unfit::NeedsF64(reason)) => (f64_plan()?, Some(reason)),
                Err(Unfit::Reference(reason)) => return Err(reason),
            },
            Precision::F64 => (f64_plan()?, None),
            Precision::Reference => {
                return Err("the reference precision asks for the scalar kernel");
            }
        };
        Ok(FastKernel { plan, isa, note })
    }

    /// The instruction set this kernel runs on.
    pub fn isa(&self) -> Isa {
        self.isa
    }

    /// ln f'(x) for each x, computed by the kernel's own code in its precision (x rounded
    /// to it first): what the tests hold against the reference.
    ///
    /// ```
    /// use vanish::{model::activation::Activation, mc::fast::{FastKernel, Isa, Precision}};
    /// let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    /// let k = FastKernel::new(f, &"normal(0,1)".parse().unwrap(), 1, Precision::F64,
    ///                         Isa::portable()).unwrap();
    /// let l = k.ln_derivatives(&[0.0, 3.0]);
    /// assert!((l[0] - 2f64.ln()).abs() < 1e-15 && (l[1] - f.ln_derivative(3.0)).abs() < 1e-14);
    /// ```
    pub fn ln_derivatives(&self, x: &[f64]) -> Vec<f64> {
        match &self.plan {
            Plans::F32(p) => block::ln_derivatives(p, x),
            Plans::F64(p) => block::ln_derivatives(p, x),
        }
    }

    /// The first `count` pre-activations the kernel draws from `rng` (as f64): the
    /// sampler under test, without the derivative.
    pub fn draws(&self, rng: &mut BlockRng, count: usize) -> Vec<f64> {
        let mut streams = Streams::from_rng(rng);
        match &self.plan {
            Plans::F32(p) => block::draws(p, &mut streams, count),
            Plans::F64(p) => block::draws(p, &mut streams, count),
        }
    }
}

impl Kernel for FastKernel {
    fn name(&self) -> &'static str {
        match (&self.plan, self.isa.name()) {
            (Plans::F32(_), "avx512") => "fast-f32-avx512",
            (Plans::F32(_), "avx2") => "fast-f32-avx2",
            (Plans::F32(_), _) => "fast-f32-portable",
            (Plans::F64(_), "avx512") => "fast-f64-avx512",
            (Plans::F64(_), "avx2") => "fast-f64-avx2",
            (Plans::F64(_), _) => "fast-f64-portable",
        }
    }

    fn note(&self) -> Option<&'static str> {
        self.note
    }

    fn fill_block(&self, rng: &mut BlockRng, ln_g: &mut [f64], factors: &mut FactorSums) {
        let mut streams = Streams::from_rng(rng);
        match &self.plan {
            Plans::F32(p) => dispatch::fill_block(self.isa, p, &mut streams, ln_g, factors),
            Plans::F64(p) => dispatch::fill_block(self.isa, p, &mut streams, ln_g, factors),
        }
    }
}

/// The furthest a standard variate of each kind reaches, in units of its scale: normals
/// stop near 9.5σ, laplace near 44.4 (−ln of the smallest uniform), logistic near 45.1.
fn reach(kind: Kind) -> f64 {
    match kind {
        Kind::Normal => 10.0,
        Kind::Uniform => 1.0,
        Kind::Laplace | Kind::Logistic => 46.0,
        Kind::Point => 0.0,
    }
}

fn flatten(
    dist: &PreActivation,
    weight: f64,
    out: &mut Vec<(f64, Kind, f64, f64)>,
) -> Result<(), Unfit> {
    let (kind, loc, scale) = match *dist {
        PreActivation::Normal { mu, sigma } => (Kind::Normal, mu, sigma),
        PreActivation::Uniform { lo, hi } => (Kind::Uniform, lo, hi - lo),
        PreActivation::Laplace { mu, b } => (Kind::Laplace, mu, b),
        PreActivation::Logistic { mu, s } => (Kind::Logistic, mu, s),
        PreActivation::Point { x0 } => (Kind::Point, x0, 0.0),
        PreActivation::StudentT { .. } => {
            return Err(Unfit::Reference(
                "student-t has no vectorised sampler; the reference kernel runs it",
            ));
        }
        PreActivation::Mixture(ref m) => {
            for (w, d) in m.components() {
                flatten(d, weight * w, out)?;
            }
            return Ok(());
        }
    };
    out.push((weight, kind, loc, scale));
    Ok(())
}

/// The smallest mixture weight f32 runs: its choice word has 32 bits, so weights are
/// rounded to multiples of 2^−32, a relative error of at most 2.3·10⁻⁴ here.
const F32_MIN_WEIGHT: f64 = 1e-6;
/// The largest |location|/scale f32 runs: beyond it, x = loc + scale·z rounded to f32
/// loses more than 10⁻⁴ of the scale.
const F32_MAX_OFFSET: f64 = 1000.0;

fn plan<R: Real>(
    activation: Activation,
    dist: &PreActivation,
    depth: u32,
) -> Result<Plan<R>, Unfit> {
    let (a, n) = match activation {
        Activation::ScaledTanh { a, n } => (a, n),
        // σ'(x) = ¼·sech²(x/2): a·tanh(n·x) with a = n = ½ as far as f' goes.
        Activation::Sigmoid => (0.5, 0.5),
        Activation::Relu | Activation::LeakyRelu { .. } => {
            return Err(Unfit::Reference(
                "relu and leaky-relu run on the reference kernel",
            ));
        }
    };
    let mut parts = Vec::new();
    flatten(dist, 1.0, &mut parts)?;
    if parts.iter().all(|&(_, kind, ..)| kind == Kind::Point) {
        return Err(Unfit::Reference(
            "a point mass needs no sampling; the reference kernel computes it exactly",
        ));
    }
    let reach_x = parts
        .iter()
        .map(|&(_, kind, loc, scale)| loc.abs() + scale * reach(kind))
        .fold(0.0, f64::max);
    let reach_t = 2.0 * n * reach_x;
    let f32 = R::NAME == "f32";
    if reach_t.is_nan() || reach_t > R::RANGE {
        return Err(if f32 {
            Unfit::NeedsF64("2n·|x| may exceed 1e17, too large for f32 sums: ran in f64")
        } else {
            Unfit::Reference("2n·|x| may overflow f64: the reference kernel runs it")
        });
    }
    if f32 && parts.iter().any(|&(w, ..)| w < F32_MIN_WEIGHT) {
        return Err(Unfit::NeedsF64(
            "a mixture weight below 1e-6 is finer than f32's component choice: ran in f64",
        ));
    }
    let offset = |&(_, kind, loc, scale): &(f64, Kind, f64, f64)| {
        kind != Kind::Point && loc.abs() > F32_MAX_OFFSET * scale
    };
    if f32 && parts.iter().any(offset) {
        return Err(Unfit::NeedsF64(
            "|location| > 1000·scale would round x coarsely in f32: ran in f64",
        ));
    }
    let mut cumulative = Vec::new();
    let mut total = 0.0;
    for &(w, ..) in &parts[..parts.len() - 1] {
        total += w;
        cumulative.push(R::Word::threshold(total));
    }
    Ok(Plan {
        components: parts
            .iter()
            .map(|&(_, kind, loc, scale)| Component {
                kind,
                loc: R::of(loc),
                scale: R::of(scale),
            })
            .collect(),
        cumulative,
        two_n: R::of(2.0 * n),
        ln_4an: R::of((4.0 * a * n).ln()),
        ln_inverse_max: R::of(-(a * n).ln()),
        depth,
    })
}
