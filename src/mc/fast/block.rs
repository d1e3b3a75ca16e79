//! One block of samples in the fast kernel, generic over the precision.
//!
//! [`LANES`] samples advance in lockstep, [`CHUNK`] factors at a time: the pre-activations
//! of a chunk are drawn into a small buffer that stays in L1 cache (row k holds factor k of
//! each of the lane samples), turned into ln f' in place, and added up per lane. Every loop
//! runs over whole buffers element by element, so each compiles to vector instructions, and
//! the lanes' running sums are independent chains that keep the core busy.
//!
//! For a·tanh(n·x), with t = 2n|x| and u = e^(−t) ∈ (0, 1]:
//! ln f'(x) = ln(4an) − t − 2·ln(1 + u), exact in form for every x (no overflow, no
//! cancellation beyond the rounding of 1 + u).

use super::real::{self, Real, Word};
use super::xoshiro::{STREAMS, Words};
use crate::mc::summary::FactorSums;

/// Samples advanced in lockstep.
pub const LANES: usize = 16;
/// Factors per pass over the buffer; also the length of the partial sums kept in `R`
/// before they are added in f64.
pub const CHUNK: usize = 32;
const MAX_ELEMENTS: usize = LANES * CHUNK;
/// Values computed stage by stage together: each step of exp, ln or sin/cos runs across
/// all of them before the next, so their long dependency chains overlap.
const STAGE: usize = 64;
const _: () = assert!(
    MAX_ELEMENTS.is_multiple_of(2 * STAGE)
        && LANES.is_multiple_of(STREAMS)
        && STAGE.is_multiple_of(LANES)
);

/// The families with a vectorised sampler (a point mass draws nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Standard normal by Box–Muller.
    Normal,
    /// Uniform on [0, 1).
    Uniform,
    /// Standard Laplace (density e^−|z|/2) by inversion.
    Laplace,
    /// Standard logistic by inversion.
    Logistic,
    /// Always 0.
    Point,
}

impl Kind {
    /// The kinds that draw words, in the order their buffers are filled.
    pub const DRAWN: [Kind; 4] = [Kind::Normal, Kind::Uniform, Kind::Laplace, Kind::Logistic];

    fn index(self) -> usize {
        match self {
            Kind::Normal => 0,
            Kind::Uniform => 1,
            Kind::Laplace => 2,
            Kind::Logistic => 3,
            Kind::Point => 4,
        }
    }
}

/// x = loc + scale·z, with z of the component's kind.
#[derive(Debug, Clone, Copy)]
pub struct Component<R> {
    /// Which standard variate z is.
    pub kind: Kind,
    /// Location.
    pub loc: R,
    /// Scale (0 for a point mass).
    pub scale: R,
}

/// Everything a block needs, converted to the working precision.
#[derive(Debug, Clone)]
pub struct Plan<R: Real> {
    /// The mixture's components (one for a plain distribution), nested mixtures flattened.
    pub components: Vec<Component<R>>,
    /// Component j ≥ 1 is chosen when a uniform word is ≥ `cumulative[j − 1]` (the last
    /// such j wins), so component j has probability weight j.
    pub cumulative: Vec<R::Word>,
    /// 2n.
    pub two_n: R,
    /// ln(4·a·n).
    pub ln_4an: R,
    /// −ln max f' = −ln(a·n): the bound below which a factor counts as "below 1/max".
    pub ln_inverse_max: R,
    /// K.
    pub depth: u32,
}

/// Working buffers of one block: words, pools and one buffer per drawn kind, and the
/// pre-activations.
struct Scratch<R: Real> {
    words: Aligned<R::Word>,
    /// Standard variates drawn ahead, [`MAX_ELEMENTS`] per drawn kind, so that a chunk of
    /// any length takes exactly what it needs and nothing is thrown away.
    pool: Aligned<R>,
    /// How much of each kind's pool is used up.
    used: [usize; 4],
    z: Aligned<R>,
    x: Aligned<R>,
}

/// A buffer that starts on a 64-byte boundary (a cache line), so that no vector load of
/// the kernel straddles two lines; malloc only promises 16 bytes.
struct Aligned<T> {
    v: Vec<T>,
    at: usize,
    len: usize,
}

impl<T: Copy> Aligned<T> {
    fn new(fill: T, len: usize) -> Self {
        let size = std::mem::size_of::<T>();
        let v = vec![fill; len + 64 / size];
        // Bytes from the start to the next multiple of 64, in elements (a whole number:
        // the start is aligned to the element size).
        let at = (v.as_ptr() as usize).wrapping_neg() % 64 / size;
        Aligned { v, at, len }
    }
}

impl<T> std::ops::Deref for Aligned<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.v[self.at..self.at + self.len]
    }
}

impl<T> std::ops::DerefMut for Aligned<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.v[self.at..self.at + self.len]
    }
}

impl<R: Real> Scratch<R> {
    fn new() -> Self {
        Scratch {
            words: Aligned::new(R::Word::default(), 2 * MAX_ELEMENTS + 2 * STREAMS),
            pool: Aligned::new(R::ZERO, 4 * MAX_ELEMENTS),
            used: [MAX_ELEMENTS; 4],
            z: Aligned::new(R::ZERO, 5 * MAX_ELEMENTS),
            x: Aligned::new(R::ZERO, MAX_ELEMENTS),
        }
    }
}

/// Copies the next `dst.len()` standard variates of `kind` into `dst`, refilling the
/// kind's pool a whole pool at a time as it empties.
#[inline(always)]
fn take<R: Real, W: Words>(
    src: &mut W,
    words: &mut [R::Word],
    pool: &mut [R],
    used: &mut usize,
    kind: Kind,
    dst: &mut [R],
) {
    let mut done = 0;
    while done < dst.len() {
        if *used == pool.len() {
            let w = draw::<R, W>(src, words, kind, pool.len());
            standard(kind, w, pool);
            *used = 0;
        }
        let k = (dst.len() - done).min(pool.len() - *used);
        dst[done..done + k].copy_from_slice(&pool[*used..*used + k]);
        done += k;
        *used += k;
    }
}

/// Words that `n` standard variates of `kind` consume (before rounding up to a fill row).
pub fn words_for<R: Real>(kind: Kind, n: usize) -> usize {
    let wide = if R::TWO_WORD_UNIFORM { 2 } else { 1 };
    match kind {
        // Per pair: the radius's uniform and one angle word.
        Kind::Normal => n / 2 * (wide + 1),
        Kind::Uniform => n,
        Kind::Laplace | Kind::Logistic => n * wide,
        Kind::Point => 0,
    }
}

/// The first `words_for(kind, n)` of `words` after a fill rounded up to whole rows.
#[inline(always)]
fn draw<'a, R: Real, W: Words>(
    src: &mut W,
    words: &'a mut [R::Word],
    kind: Kind,
    n: usize,
) -> &'a [R::Word] {
    let need = words_for::<R>(kind, n);
    let len = need.next_multiple_of(<R::Word as Word>::ROW);
    <R::Word as Word>::fill(src, &mut words[..len]);
    &words[..need]
}

/// (hi, lo, rest) word slices.
type Split<'a, W> = (&'a [W], &'a [W], &'a [W]);

/// Splits `words` into the (hi, lo) word streams of `n` uniforms from [`Real::open_unit`]
/// and the rest (lo is hi again in f64, where one word is enough).
#[inline(always)]
fn split_uniforms<R: Real>(words: &[R::Word], n: usize) -> Split<'_, R::Word> {
    let (hi, rest) = words.split_at(n);
    if R::TWO_WORD_UNIFORM {
        let (lo, rest) = rest.split_at(n);
        (hi, lo, rest)
    } else {
        (hi, hi, rest)
    }
}

/// `z.len()` standard variates of `kind` from `words` (laid out as [`words_for`] says:
/// for normals, the radius words, then the angle words; z.len() a multiple of 2·LANES).
#[inline(always)]
pub fn standard<R: Real>(kind: Kind, words: &[R::Word], z: &mut [R]) {
    let n = z.len();
    match kind {
        Kind::Normal => {
            // Box–Muller, one pair per (radius uniform, angle word): r = √(−2 ln u), and
            // the angle is φ ∈ [0, π/4) plus three bits: swap (cos, sin), and two signs.
            let half = n / 2;
            assert_eq!(half % STAGE, 0, "normals come in whole stages of pairs");
            let (hi, lo, wa) = split_uniforms::<R>(words, half);
            let (z1, z2) = z.split_at_mut(half);
            let out = z1.chunks_exact_mut(STAGE).zip(z2.chunks_exact_mut(STAGE));
            let words = hi
                .chunks_exact(STAGE)
                .zip(lo.chunks_exact(STAGE))
                .zip(wa.chunks_exact(STAGE));
            for ((z1, z2), ((hi, lo), wa)) in out.zip(words) {
                let wa: &[R::Word; STAGE] = wa.try_into().expect("whole stages");
                let mut u = [R::ZERO; STAGE];
                for i in 0..STAGE {
                    u[i] = R::open_unit(hi[i], lo[i]);
                }
                let mut r = real::ln_positive(&u);
                for r in &mut r {
                    *r = (R::of(-2.0) * *r).sqrt();
                }
                let (s, c) = real::sin_cos_eighth::<R, STAGE>(wa);
                for i in 0..STAGE {
                    let p = R::pick(wa[i], 0, s[i], c[i]);
                    let q = R::pick(wa[i], 0, c[i], s[i]);
                    z1[i] = (r[i] * p).flip_sign(wa[i], 1);
                    z2[i] = (r[i] * q).flip_sign(wa[i], 2);
                }
            }
        }
        Kind::Uniform => {
            for (z, &w) in z.iter_mut().zip(words) {
                *z = R::unit(w);
            }
        }
        Kind::Laplace => by_inversion::<R, false>(words, z),
        Kind::Logistic => by_inversion::<R, true>(words, z),
        Kind::Point => z.fill(R::ZERO),
    }
}

/// Laplace (|z| = −ln u) or logistic (|z| = ln((1 − v)/v) for v = u/2 uniform on (0, ½]),
/// with a random sign, in stages (z.len() a multiple of [`STAGE`]).
#[inline(always)]
fn by_inversion<R: Real, const LOGISTIC: bool>(words: &[R::Word], z: &mut [R]) {
    assert_eq!(z.len() % STAGE, 0, "whole stages");
    let (hi, lo, _) = split_uniforms::<R>(words, z.len());
    let words = hi.chunks_exact(STAGE).zip(lo.chunks_exact(STAGE));
    for (z, (hi, lo)) in z.chunks_exact_mut(STAGE).zip(words) {
        let mut a = [R::ZERO; STAGE];
        for i in 0..STAGE {
            let u = R::open_unit(hi[i], lo[i]);
            a[i] = if LOGISTIC { R::of(2.0) / u - R::ONE } else { u };
        }
        let l = real::ln_positive(&a);
        for i in 0..STAGE {
            let v = if LOGISTIC { l[i] } else { -l[i] };
            z[i] = v.flip_sign(lo[i], 0);
        }
    }
}

/// Draws the next `n` pre-activations into `s.x[..n]`.
#[inline(always)]
fn sample<R: Real, W: Words>(plan: &Plan<R>, src: &mut W, s: &mut Scratch<R>, n: usize) {
    let x = &mut s.x[..n];
    let mut pools = s.pool.chunks_exact_mut(MAX_ELEMENTS).zip(s.used.iter_mut());
    if let [c] = plan.components[..] {
        let (pool, used) = pools.nth(c.kind.index()).expect("a drawn kind");
        take(src, &mut s.words, pool, used, c.kind, x);
        for x in x.iter_mut() {
            *x = c.scale.mul_add(*x, c.loc);
        }
        return;
    }
    for (kind, (pool, used)) in Kind::DRAWN.into_iter().zip(pools) {
        if plan.components.iter().any(|c| c.kind == kind) {
            let at = kind.index() * MAX_ELEMENTS;
            take(src, &mut s.words, pool, used, kind, &mut s.z[at..at + n]);
        }
    }
    // One word per element chooses its component, compared as an integer with the
    // cumulative weights (resolution 2^−32 in f32, 2^−64 in f64).
    let choice = draw::<R, W>(src, &mut s.words, Kind::Uniform, n);
    for (j, c) in plan.components.iter().enumerate() {
        let at = c.kind.index() * MAX_ELEMENTS;
        let z = &s.z[at..at + n];
        if j == 0 {
            for (x, &z) in x.iter_mut().zip(z) {
                *x = c.scale.mul_add(z, c.loc);
            }
        } else {
            let from = plan.cumulative[j - 1];
            for ((x, &z), &w) in x.iter_mut().zip(z).zip(choice) {
                let v = c.scale.mul_add(z, c.loc);
                *x = if w >= from { v } else { *x };
            }
        }
    }
}

/// Overwrites each x with ln f'(x) (x.len() a multiple of 64, the stage length).
#[inline(always)]
pub fn ln_derivative<R: Real>(plan: &Plan<R>, x: &mut [R]) {
    let (two_n, c) = (plan.two_n, plan.ln_4an);
    for v in x.chunks_exact_mut(STAGE) {
        let v: &mut [R; STAGE] = v.try_into().expect("whole stages");
        let mut t = [R::ZERO; STAGE];
        for i in 0..STAGE {
            t[i] = (two_n * v[i]).abs();
        }
        let mut m = real::exp_neg(&t);
        for m in &mut m {
            *m = R::ONE + *m;
        }
        let l = real::ln_positive(&m);
        for i in 0..STAGE {
            v[i] = R::of(-2.0).mul_add(l[i], c - t[i]);
        }
    }
}

/// ln f'(x) for each x (rounded to `R`), through the kernel's code: for tests.
pub fn ln_derivatives<R: Real>(plan: &Plan<R>, x: &[f64]) -> Vec<f64> {
    let mut buf: Vec<R> = x.iter().map(|&v| R::of(v)).collect();
    buf.resize(x.len().next_multiple_of(STAGE), R::ZERO);
    ln_derivative(plan, &mut buf);
    buf[..x.len()].iter().map(|v| v.to_f64()).collect()
}

/// The first `count` pre-activations drawn from `src`, through the kernel's sampler.
pub fn draws<R: Real, W: Words>(plan: &Plan<R>, src: &mut W, count: usize) -> Vec<f64> {
    let mut s = Scratch::new();
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        let n = MAX_ELEMENTS.min((count - out.len()).next_multiple_of(LANES));
        sample(plan, src, &mut s, n);
        out.extend(s.x[..n.min(count - out.len())].iter().map(|v| v.to_f64()));
    }
    out
}

/// Fills `z` (a multiple of 2·STAGE long) with standard normals in f64 from `src`, using
/// `words` (at least `z.len()` long) for the random words.
#[inline(always)]
pub fn normals<W: Words>(src: &mut W, words: &mut [u64], z: &mut [f64]) {
    let w = draw::<f64, W>(src, words, Kind::Normal, z.len());
    standard(Kind::Normal, w, z);
}

/// Fills `ln_g` (one entry per sample) and `factors` for one block.
#[inline(always)]
pub fn fill_block<R: Real, W: Words>(
    plan: &Plan<R>,
    src: &mut W,
    ln_g: &mut [f64],
    factors: &mut FactorSums,
) {
    let mut s = Scratch::new();
    let (mut sum, mut sum_sq) = ([0.0f64; LANES], [0.0f64; LANES]);
    let (mut above, mut below) = ([0u64; LANES], [0u64; LANES]);
    let mut shift = None;
    let limit = plan.ln_inverse_max;
    for out in ln_g.chunks_mut(LANES) {
        let mut acc = [0.0f64; LANES];
        let mut done = 0;
        while done < plan.depth {
            let rows = (plan.depth - done).min(CHUNK as u32) as usize;
            let n = rows * LANES;
            sample(plan, src, &mut s, n);
            ln_derivative(plan, &mut s.x[..n.next_multiple_of(STAGE)]);
            let x = &s.x[..n];
            let sh = *shift.get_or_insert(x[0]);
            let (mut a, mut d1, mut d2) = ([R::ZERO; LANES], [R::ZERO; LANES], [R::ZERO; LANES]);
            let (mut ab, mut be) = ([0u32; LANES], [0u32; LANES]);
            for row in x.chunks_exact(LANES) {
                for l in 0..LANES {
                    let v = row[l];
                    let d = v - sh;
                    a[l] = a[l] + v;
                    d1[l] = d1[l] + d;
                    d2[l] = d.mul_add(d, d2[l]);
                    ab[l] += u32::from(v > R::ZERO);
                    be[l] += u32::from(v < limit);
                }
            }
            // Lanes past the end of a partial last group are drawn but not counted.
            for l in 0..out.len() {
                acc[l] += a[l].to_f64();
                sum[l] += d1[l].to_f64();
                sum_sq[l] += d2[l].to_f64();
                above[l] += u64::from(ab[l]);
                below[l] += u64::from(be[l]);
            }
            done += rows as u32;
        }
        out.copy_from_slice(&acc[..out.len()]);
    }
    *factors = FactorSums {
        count: ln_g.len() as u64 * u64::from(plan.depth),
        zero: 0,
        infinite_x: 0,
        shift: shift.map_or(0.0, R::to_f64),
        sum: sum.iter().sum(),
        sum_sq: sum_sq.iter().sum(),
        above_one: above.iter().sum(),
        below_inverse_max: below.iter().sum(),
    };
}
