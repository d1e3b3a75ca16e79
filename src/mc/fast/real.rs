//! The arithmetic of the fast kernel, written once per precision, without branches or
//! calls, so that every loop over a buffer of lanes compiles to vector instructions.
//!
//! Everything here is correctly rounded IEEE arithmetic (+, −, ×, ÷, √, fused multiply-add
//! and bit operations) in a fixed order: no other libm function, no lookup tables. The
//! AVX-512, AVX2 and portable builds of the same code therefore give the same bits (the
//! fused multiply-add is one instruction on the first two and libm's correctly rounded
//! `fma` on the last, which only makes that path slower), which is what lets shards
//! computed on different CPUs merge into the numbers of one run.
//!
//! Accuracy, against the correctly rounded value (checked by the tests on dense grids):
//! `exp_neg` and `ln` to a few ulps; `sin_cos_eighth` likewise on [0, π/4].

use std::fmt::Debug;
use std::ops::{Add, Div, Mul, Neg, Sub};

use super::xoshiro::{STREAMS, Words};

/// The random word a precision consumes: 32 bits for f32 (so that its loops run eight
/// lanes wide), 64 for f64.
pub trait Word: Copy + Default + Debug + PartialOrd + Send + Sync + 'static {
    /// Words per fill row.
    const ROW: usize;
    /// Fills `out` (a multiple of [`Word::ROW`] long) from `src`.
    fn fill<W: Words>(src: &mut W, out: &mut [Self]);
    /// Bit `i`.
    fn bit(self, i: u32) -> bool;
    /// The word w such that a uniform word is ≥ w with probability 1 − p (p in [0, 1),
    /// rounded to the word's resolution: 2^−32 or 2^−64).
    fn threshold(p: f64) -> Self;
}

impl Word for u32 {
    fn threshold(p: f64) -> Self {
        (p * 4_294_967_296.0).round().min(4_294_967_295.0) as u32
    }
    #[inline(always)]
    fn bit(self, i: u32) -> bool {
        (self >> i) & 1 == 1
    }
    const ROW: usize = 2 * STREAMS;
    #[inline(always)]
    fn fill<W: Words>(src: &mut W, out: &mut [Self]) {
        src.fill_halves(out)
    }
}

impl Word for u64 {
    fn threshold(p: f64) -> Self {
        (p * 18_446_744_073_709_551_616.0) as u64 // saturates just below 1
    }
    #[inline(always)]
    fn bit(self, i: u32) -> bool {
        (self >> i) & 1 == 1
    }
    const ROW: usize = STREAMS;
    #[inline(always)]
    fn fill<W: Words>(src: &mut W, out: &mut [Self]) {
        src.fill(out)
    }
}

/// A floating-point type the fast kernel computes in: `f32` or `f64`.
pub trait Real:
    Copy
    + Default
    + Debug
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + Send
    + Sync
    + 'static
{
    /// `"f32"` or `"f64"`.
    const NAME: &'static str;
    /// The random word this precision consumes.
    type Word: Word;
    /// Whether [`Real::open_unit`] needs two words (f32) or one (f64).
    const TWO_WORD_UNIFORM: bool;
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// Largest |x| the kernel accepts for this type: n·|x| stays far from overflow.
    const RANGE: f64;

    /// The nearest value of this type.
    fn of(x: f64) -> Self;
    /// Widens to f64 (exact).
    fn to_f64(self) -> f64;
    /// Correctly rounded square root.
    fn sqrt(self) -> Self;
    /// self·a + b with one rounding (fused multiply-add).
    fn mul_add(self, a: Self, b: Self) -> Self;
    /// |x|, by clearing the sign bit.
    fn abs(self) -> Self;
    /// −x when bit `i` of `w` is set, x otherwise (a sign-bit flip).
    fn flip_sign(self, w: Self::Word, i: u32) -> Self;
    /// `if_set` when bit `i` of `w` is set, else `if_clear`, by masking bits (no branch).
    fn pick(w: Self::Word, i: u32, if_set: Self, if_clear: Self) -> Self;
    /// Coefficients, lowest order first, of e^r ≈ Σ c_j r^j on |r| ≤ ln2/2. All four
    /// polynomials are near-minimax fits (`scripts/reference/fit_kernel_polynomials.py`),
    /// exact at 0.
    const EXP: &'static [Self];
    /// Coefficients of ln m ≈ s·Σ c_j s^(2j), s = (m−1)/(m+1) (2·atanh s), |s| ≤ 0.1716.
    const ATANH: &'static [Self];
    /// Coefficients of sin φ ≈ φ·Σ c_j φ^(2j) on [0, π/4].
    const SIN: &'static [Self];
    /// Coefficients of cos φ ≈ Σ c_j φ^(2j) on [0, π/4].
    const COS: &'static [Self];

    /// First step of e^(−t), t ≥ 0: (r, v) with e^(−t) = e^r·2^k, |r| ≤ ln2/2, and k held
    /// in v's low bits. Beyond t = 80 it works with 80: e^(−80) is below the rounding unit
    /// of both types, so 1 + e^(−t) is still exactly 1, and 2^k stays a normal number.
    fn exp_reduce(t: Self) -> (Self, Self);
    /// Last step of e^(−t): p·2^k from p = e^r and the v of [`Real::exp_reduce`].
    fn exp_scale(p: Self, v: Self) -> Self;
    /// First step of ln x, x positive and normal: (s, k) with x = 2^k·m, m ∈ [√½, √2),
    /// s = (m−1)/(m+1).
    fn ln_reduce(x: Self) -> (Self, Self);
    /// Last step of ln x: k·ln 2 + s·p, with p = Σ c_j s^(2j).
    fn ln_finish(s: Self, p: Self, k: Self) -> Self;

    /// e^(−t) for t ≥ 0 (one value; the kernel uses [`exp_neg`] on arrays).
    #[inline(always)]
    fn exp_neg(t: Self) -> Self {
        exp_neg(&[t])[0]
    }
    /// ln x for a positive normal x (one value; the kernel uses [`ln_positive`]).
    #[inline(always)]
    fn ln_positive(x: Self) -> Self {
        ln_positive(&[x])[0]
    }
    /// A uniform number in (0, 1] with relative resolution near 0, from bits 1 and up of
    /// `hi` and `lo` (f32: the 31-bit hi rounded to 24 significant bits, plus lo's 31 bits
    /// below 2^−31, smallest value 2^−63) or of `hi` alone (f64: 63 bits, smallest value
    /// 2^−64; `lo` unused), so −ln u reaches 43.7 (f32) and 44.4 (f64). Bit 0 is free.
    fn open_unit(hi: Self::Word, lo: Self::Word) -> Self;
    /// A uniform number in [0, 1) from the top bits of `w` (24 in f32, 52 in f64); bits
    /// 0…2 are free.
    fn unit(w: Self::Word) -> Self;
    /// (sin φ, cos φ) for φ = (π/4)·[`Real::unit`](w) (one value; the kernel uses
    /// [`sin_cos_eighth`]).
    #[inline(always)]
    fn sin_cos_eighth(w: Self::Word) -> (Self, Self) {
        let (s, c) = sin_cos_eighth::<Self, 1>(&[w]);
        (s[0], c[0])
    }
}

/// Polynomial Σ c_j x^j by Horner's rule, one stage per coefficient across the whole
/// array: the M evaluations are independent chains that the core runs side by side.
#[inline(always)]
fn poly<R: Real, const M: usize>(x: &[R; M], c: &[R]) -> [R; M] {
    let mut acc = [c[c.len() - 1]; M];
    for &cj in c[..c.len() - 1].iter().rev() {
        for i in 0..M {
            acc[i] = acc[i].mul_add(x[i], cj);
        }
    }
    acc
}

/// e^(−t) for each t ≥ 0 (see [`Real::exp_reduce`]), relative error below 3e-7 (f32) and
/// 1.5e-14 (f64).
#[inline(always)]
pub fn exp_neg<R: Real, const M: usize>(t: &[R; M]) -> [R; M] {
    let (mut r, mut v) = ([R::ZERO; M], [R::ZERO; M]);
    for i in 0..M {
        (r[i], v[i]) = R::exp_reduce(t[i]);
    }
    let mut p = poly(&r, R::EXP);
    for i in 0..M {
        p[i] = R::exp_scale(p[i], v[i]);
    }
    p
}

/// ln x for each positive normal x, error below 2e-7 (f32) and 1e-15 (f64) relative to
/// max(1, |ln x|).
#[inline(always)]
pub fn ln_positive<R: Real, const M: usize>(x: &[R; M]) -> [R; M] {
    let (mut s, mut k, mut z) = ([R::ZERO; M], [R::ZERO; M], [R::ZERO; M]);
    for i in 0..M {
        (s[i], k[i]) = R::ln_reduce(x[i]);
        z[i] = s[i] * s[i];
    }
    let mut p = poly(&z, R::ATANH);
    for i in 0..M {
        p[i] = R::ln_finish(s[i], p[i], k[i]);
    }
    p
}

/// (sin φ, cos φ) for φ = (π/4)·[`Real::unit`](w) of each word.
#[inline(always)]
pub fn sin_cos_eighth<R: Real, const M: usize>(w: &[R::Word; M]) -> ([R; M], [R; M]) {
    let (mut phi, mut z) = ([R::ZERO; M], [R::ZERO; M]);
    for i in 0..M {
        phi[i] = R::unit(w[i]) * R::of(FRAC_PI_4);
        z[i] = phi[i] * phi[i];
    }
    let mut s = poly(&z, R::SIN);
    for i in 0..M {
        s[i] = phi[i] * s[i];
    }
    (s, poly(&z, R::COS))
}

const FRAC_PI_4: f64 = std::f64::consts::FRAC_PI_4;
/// Cody–Waite splits of ln 2: the high part has trailing zero bits, so k·hi is exact for
/// every exponent k that occurs; the low part carries the rest.
const LN2_HI_32: f32 = 355.0 / 512.0;
const LN2_LO_32: f32 = -2.121_944_4e-4;
/// fdlibm's split (e_log.c).
const LN2_HI_64: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO_64: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
const LOG2_E: f64 = std::f64::consts::LOG2_E;
/// 1.5·2^23 and 1.5·2^52: adding one rounds to an integer, kept in the low mantissa bits.
const MAGIC_32: f32 = 12_582_912.0;
const MAGIC_64: f64 = 6_755_399_441_055_744.0;

impl Real for f32 {
    const NAME: &'static str = "f32";
    type Word = u32;
    const TWO_WORD_UNIFORM: bool = true;
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    // Far below f32's 3e38, so that the squares summed for the variance of ln f' cannot
    // overflow either.
    const RANGE: f64 = 1e17;

    #[inline(always)]
    fn of(x: f64) -> Self {
        x as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        f32::mul_add(self, a, b)
    }
    #[inline(always)]
    fn abs(self) -> Self {
        f32::from_bits(self.to_bits() & 0x7fff_ffff)
    }
    #[inline(always)]
    fn flip_sign(self, w: u32, i: u32) -> Self {
        f32::from_bits(self.to_bits() ^ (((w >> i) & 1) << 31))
    }
    #[inline(always)]
    fn pick(w: u32, i: u32, if_set: Self, if_clear: Self) -> Self {
        let mask = 0u32.wrapping_sub((w >> i) & 1);
        f32::from_bits((if_set.to_bits() & mask) | (if_clear.to_bits() & !mask))
    }

    // Near-minimax (Chebyshev) fits from scripts/reference/fit_kernel_polynomials.py;
    // worst relative errors of the rounded polynomials: exp 2.04e-7, atanh series 2.53e-9,
    // sin 1.26e-8, cos 9.96e-10.
    const EXP: &'static [f32] = &[1.0, 1.0, 0.4999937, 0.16666576, 0.041875675, 0.008363178];
    const ATANH: &'static [f32] = &[2.0, 0.66666687, 0.39988777, 0.29580045];
    const SIN: &'static [f32] = &[1.0, -0.16666664, 0.008332748, -0.0001958789];
    const COS: &'static [f32] = &[1.0, -0.5, 0.04166665, -0.0013887589, 2.4463789e-05];
    #[inline(always)]
    fn exp_reduce(t: Self) -> (Self, Self) {
        // e^y = 2^k · e^r with k = round(y/ln 2); Cody–Waite split of ln 2.
        let y = -(if t < 80.0 { t } else { 80.0 });
        let v = y.mul_add(LOG2_E as f32, MAGIC_32);
        let kf = v - MAGIC_32;
        (kf.mul_add(-LN2_LO_32, kf.mul_add(-LN2_HI_32, y)), v)
    }

    #[inline(always)]
    fn exp_scale(p: Self, v: Self) -> Self {
        // k ∈ [−116, 0] is the integer in v's low mantissa bits; 2^k is built from bits.
        let k = v.to_bits().wrapping_sub(MAGIC_32.to_bits());
        p * f32::from_bits(k.wrapping_add(127) << 23)
    }

    #[inline(always)]
    fn ln_reduce(x: Self) -> (Self, Self) {
        // musl's offset trick puts m in [√½, √2).
        let ix = x.to_bits().wrapping_add(0x3f80_0000 - 0x3f35_04f3);
        // k + 127 as a float, exactly, without an int→float conversion.
        let kf = f32::from_bits(0x4b00_0000 | (ix >> 23)) - (8_388_608.0 + 127.0);
        let f = f32::from_bits((ix & 0x007f_ffff) + 0x3f35_04f3) - 1.0;
        (f / (2.0 + f), kf)
    }

    #[inline(always)]
    fn ln_finish(s: Self, p: Self, k: Self) -> Self {
        k.mul_add(LN2_HI_32, s.mul_add(p, k * LN2_LO_32))
    }

    #[inline(always)]
    fn open_unit(hi: u32, lo: u32) -> Self {
        let hi = ((hi >> 1) as i32) as f32; // 31 bits
        let lo = ((lo >> 1) as i32) as f32; // 31 more
        hi.mul_add(
            1.0 / 2_147_483_648.0,
            lo.mul_add(2.168_404_3e-19, 1.084_202_2e-19),
        )
    }

    #[inline(always)]
    fn unit(w: u32) -> Self {
        ((w >> 8) as i32) as f32 * (1.0 / 16_777_216.0)
    }
}

impl Real for f64 {
    const NAME: &'static str = "f64";
    type Word = u64;
    const TWO_WORD_UNIFORM: bool = false;
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const RANGE: f64 = 1e290;

    #[inline(always)]
    fn of(x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        f64::mul_add(self, a, b)
    }
    #[inline(always)]
    fn abs(self) -> Self {
        f64::from_bits(self.to_bits() & 0x7fff_ffff_ffff_ffff)
    }
    #[inline(always)]
    fn flip_sign(self, w: u64, i: u32) -> Self {
        f64::from_bits(self.to_bits() ^ (((w >> i) & 1) << 63))
    }
    #[inline(always)]
    fn pick(w: u64, i: u32, if_set: Self, if_clear: Self) -> Self {
        let mask = 0u64.wrapping_sub((w >> i) & 1);
        f64::from_bits((if_set.to_bits() & mask) | (if_clear.to_bits() & !mask))
    }

    // Near-minimax (Chebyshev) fits from scripts/reference/fit_kernel_polynomials.py;
    // worst relative errors of the rounded polynomials: exp 5.94e-16, atanh series 6.87e-16,
    // sin 2.03e-17, cos 2.91e-16.
    const EXP: &'static [f64] = &[
        1.0,
        1.0000000000000013,
        0.5000000000000001,
        0.16666666666615615,
        0.041666666666624136,
        0.008333333367327151,
        0.001388888891720967,
        0.00019841190623382567,
        2.4801521302241082e-05,
        2.763265216957956e-06,
        2.7620085455018414e-07,
    ];
    const ATANH: &'static [f64] = &[
        2.0,
        0.6666666666666208,
        0.4000000001121182,
        0.2857142413663627,
        0.22222862463799065,
        0.18140185772958126,
        0.16621938471804512,
    ];
    const SIN: &'static [f64] = &[
        1.0,
        -0.16666666666666666,
        0.008333333333330948,
        -0.00019841269836758574,
        2.755731610255244e-06,
        -2.5051131845003624e-08,
        1.5918129294866608e-10,
    ];
    const COS: &'static [f64] = &[
        1.0,
        -0.49999999999999967,
        0.04166666666663093,
        -0.0013888888882127952,
        2.480158262335195e-05,
        -2.755585551192951e-07,
        2.066550487012274e-09,
    ];
    #[inline(always)]
    fn exp_reduce(t: Self) -> (Self, Self) {
        let y = -(if t < 80.0 { t } else { 80.0 });
        let v = y.mul_add(LOG2_E, MAGIC_64);
        let kf = v - MAGIC_64;
        (kf.mul_add(-LN2_LO_64, kf.mul_add(-LN2_HI_64, y)), v)
    }

    #[inline(always)]
    fn exp_scale(p: Self, v: Self) -> Self {
        let k = v.to_bits().wrapping_sub(MAGIC_64.to_bits());
        p * f64::from_bits(k.wrapping_add(1023) << 52)
    }

    #[inline(always)]
    fn ln_reduce(x: Self) -> (Self, Self) {
        let ix = x
            .to_bits()
            .wrapping_add(0x3ff0_0000_0000_0000 - 0x3fe6_a09e_667f_3bcd);
        let kf =
            f64::from_bits(0x4330_0000_0000_0000 | (ix >> 52)) - (4_503_599_627_370_496.0 + 1023.0);
        let f = f64::from_bits((ix & 0x000f_ffff_ffff_ffff) + 0x3fe6_a09e_667f_3bcd) - 1.0;
        (f / (2.0 + f), kf)
    }

    #[inline(always)]
    fn ln_finish(s: Self, p: Self, k: Self) -> Self {
        k.mul_add(LN2_HI_64, s.mul_add(p, k * LN2_LO_64))
    }

    #[inline(always)]
    fn open_unit(w: u64, _: u64) -> Self {
        let hi = f64::from_bits(0x3ff0_0000_0000_0000 | (w >> 12)) - 1.0; // 52 bits, exact
        let lo =
            f64::from_bits(0x4330_0000_0000_0000 | ((w >> 1) & 0x7ff)) - 4_503_599_627_370_496.0;
        hi + lo.mul_add(1.084_202_172_485_504_4e-19, 5.421_010_862_427_522e-20)
    }

    #[inline(always)]
    fn unit(w: u64) -> Self {
        f64::from_bits(0x3ff0_0000_0000_0000 | (w >> 12)) - 1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        if b == 0.0 {
            a.abs()
        } else {
            ((a - b) / b).abs()
        }
    }

    #[test]
    fn exp_neg_matches_std_on_a_dense_grid() {
        let (mut w32, mut w64) = (0.0f64, 0.0f64);
        for i in 0..=200_000 {
            let t = f64::from(i) * 4e-4; // 0 … 80
            w64 = w64.max(rel(f64::exp_neg(t), (-t).exp()));
            let t32 = t as f32;
            w32 = w32.max(rel(f32::exp_neg(t32).into(), (-f64::from(t32)).exp()));
        }
        assert!(w64 < 1.5e-14, "f64 exp_neg worst relative error {w64:e}");
        assert!(w32 < 3e-7, "f32 exp_neg worst relative error {w32:e}");
        assert_eq!(f64::exp_neg(1e300), f64::exp_neg(80.0)); // clamped, and 1 + it is 1
        assert!(1.0 + f64::exp_neg(1e300) == 1.0 && f64::exp_neg(1e300) > 0.0);
        assert!(f32::exp_neg(f32::MAX) > 0.0 && 1.0 + f32::exp_neg(f32::MAX) == 1.0);
    }

    #[test]
    fn ln_matches_std_across_the_exponent_range() {
        let (mut w32, mut w64) = (0.0f64, 0.0f64);
        let mut x = 1e-30f64;
        while x < 1e30 {
            w64 = w64.max((f64::ln_positive(x) - x.ln()).abs() / x.ln().abs().max(1.0));
            let x32 = x as f32;
            let want = f64::from(x32).ln();
            w32 = w32.max((f64::from(f32::ln_positive(x32)) - want).abs() / want.abs().max(1.0));
            x *= 1.000_37;
        }
        assert!(w64 < 1e-15, "f64 ln worst error {w64:e}");
        assert!(w32 < 2e-7, "f32 ln worst error {w32:e}");
        assert_eq!(f64::ln_positive(1.0), 0.0);
        assert_eq!(f32::ln_positive(1.0), 0.0);
    }

    #[test]
    fn sin_cos_eighth_matches_std() {
        let (mut w32, mut w64) = (0.0f64, 0.0f64);
        for i in 0..100_000u64 {
            let w = i.wrapping_mul(0x9e37_79b9_7f4a_7c15);
            let (s, c) = f64::sin_cos_eighth(w);
            let phi = f64::unit(w) * FRAC_PI_4;
            w64 = w64.max((s - phi.sin()).abs()).max((c - phi.cos()).abs());
            let w = (w >> 32) as u32;
            let (s, c) = f32::sin_cos_eighth(w);
            let phi = f64::from(f32::unit(w) * FRAC_PI_4 as f32);
            w32 = w32
                .max((f64::from(s) - phi.sin()).abs())
                .max((f64::from(c) - phi.cos()).abs());
        }
        assert!(w64 < 1.5e-15, "f64 sin/cos worst error {w64:e}");
        assert!(w32 < 2e-7, "f32 sin/cos worst error {w32:e}");
    }

    #[test]
    fn uniforms_stay_in_their_intervals_at_the_extreme_words() {
        for w in [
            0u64,
            1,
            2,
            3,
            u64::MAX,
            u64::MAX - 1,
            1 << 63,
            (1 << 63) - 1,
        ] {
            let (hi, lo) = ((w >> 32) as u32, w as u32);
            for u in [f64::open_unit(w, w), f64::from(f32::open_unit(hi, lo))] {
                assert!(u > 0.0 && u <= 1.0, "open_unit({w:#x}) = {u}");
            }
            for u in [f64::unit(w), f64::from(f32::unit(hi))] {
                assert!((0.0..1.0).contains(&u), "unit({w:#x}) = {u}");
            }
        }
        assert_eq!(f64::open_unit(0, 0), 2f64.powi(-64));
        assert_eq!(f64::open_unit(1, 0), 2f64.powi(-64)); // bit 0 is not used
        assert_eq!(f32::open_unit(0, 0), 2f32.powi(-63));
        assert_eq!(f32::open_unit(1, 1), 2f32.powi(-63));
        assert_eq!(f32::open_unit(u32::MAX, u32::MAX), 1.0);
    }
}
