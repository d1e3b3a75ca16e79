//! tanh for the training runs' forward pass, written without libm, branches or FMA so that
//! a loop over a layer compiles to vector code and gives the same bits on every machine.
//!
//! tanh u = (1 − e^(−2u))/(1 + e^(−2u)) for u ≥ 0.3 (no cancellation: e^(−2u) ≤ 0.55),
//! and its Taylor series u·Σ c_j u^(2j) below (12 terms: the next is under 2e-16 of the
//! value). e^(−2u) is 2^k·e^r with a Cody–Waite split of ln 2 and the degree-13 Taylor
//! polynomial of e^r on |r| ≤ ln2/2. Accuracy: a few ulps (tested against libm).
//!
//! ```
//! use vanish::nets::linalg::tanh;
//! assert!((tanh(0.5) - 0.5f64.tanh()).abs() < 1e-15);
//! assert_eq!(tanh(-30.0), -1.0);
//! ```

/// Taylor coefficients of tanh u / u in powers of u² (2^{2n}(2^{2n}−1)B_{2n}/(2n)!).
const SERIES: [f64; 12] = [
    1.0,
    -0.3333333333333333,
    0.13333333333333333,
    -0.05396825396825397,
    0.021869488536155203,
    -0.008863235529902197,
    0.003592128036572481,
    -0.0014558343870513183,
    0.000590027440945586,
    -0.00023912911424355248,
    9.691537956929451e-05,
    -3.927832388331683e-05,
];

/// 1/j! for j = 0…13.
const EXP: [f64; 14] = [
    1.0,
    1.0,
    0.5,
    0.16666666666666666,
    0.041666666666666664,
    0.008333333333333333,
    0.001388888888888889,
    0.0001984126984126984,
    2.48015873015873e-05,
    2.7557319223985893e-06,
    2.755731922398589e-07,
    2.505210838544172e-08,
    2.08767569878681e-09,
    1.6059043836821613e-10,
];

/// 1.5·2^52: adding it rounds to an integer kept in the low mantissa bits.
const MAGIC: f64 = 6_755_399_441_055_744.0;
/// ln 2 = LN2_HI + LN2_LO (fdlibm's split: k·LN2_HI is exact for the k here).
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);

/// Below this |x| the series, above it the exponential.
const SPLIT: f64 = 0.3;

/// tanh x (see the module doc).
#[inline]
pub fn tanh(x: f64) -> f64 {
    tanh_lanes(&[x])[0]
}

/// tanh of every lane: independent chains the compiler puts side by side in vectors.
#[inline(always)]
pub fn tanh_lanes<const M: usize>(x: &[f64; M]) -> [f64; M] {
    std::array::from_fn(|i| {
        let u = x[i].abs();
        // e^(−2u), 2u capped at 80 (e^(−80) is below half an ulp of 1); NaN stays NaN.
        let y = -(if u >= 40.0 { 80.0 } else { 2.0 * u });
        let v = y * std::f64::consts::LOG2_E + MAGIC;
        let k = v - MAGIC;
        let r = (y - k * LN2_HI) - k * LN2_LO;
        let mut p = EXP[13];
        for &c in EXP[..13].iter().rev() {
            p = p * r + c;
        }
        let scale = f64::from_bits(
            (v.to_bits().wrapping_sub(MAGIC.to_bits()))
                .wrapping_add(1023)
                .wrapping_shl(52),
        );
        let t = p * scale;
        let far = (1.0 - t) / (1.0 + t);
        let z = u * u;
        let mut s = SERIES[11];
        for &c in SERIES[..11].iter().rev() {
            s = s * z + c;
        }
        let near = u * s;
        let t = if u < SPLIT { near } else { far };
        if x[i].is_sign_negative() { -t } else { t }
    })
}

/// h = a·tanh(n·z) and φ'(z) = n·(a − h²/a) of every element of a layer, computed in f64
/// through [`tanh_lanes`] and rounded to `T`; plain arithmetic only, so any vector width
/// gives the same bits. `#[inline(always)]` so that [`super::Simd`] compiles it for AVX2
/// and AVX-512 too.
#[inline(always)]
pub(crate) fn scaled_tanh_layer<T: super::Element>(
    a: f64,
    n: f64,
    z: &[T],
    h: &mut [T],
    d: &mut [T],
) {
    const M: usize = 8;
    assert!(h.len() == z.len() && d.len() == z.len());
    let (ta, tn) = (T::from_f64(a), T::from_f64(n));
    for ((z, h), d) in z.chunks(M).zip(h.chunks_mut(M)).zip(d.chunks_mut(M)) {
        let mut lanes = [0.0; M];
        for (l, &z) in lanes.iter_mut().zip(z) {
            *l = n * z.to_f64();
        }
        let t = tanh_lanes(&lanes);
        for ((h, d), &t) in h.iter_mut().zip(d.iter_mut()).zip(&t) {
            let v = T::from_f64(a * t);
            *h = v;
            *d = tn * (ta - v * v / ta);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Within 4 ulps of libm's tanh over a dense grid (signs, the split, underflow of
    /// e^(−2u), saturation), and exactly odd.
    #[test]
    fn tanh_is_within_a_few_ulps_of_libm() {
        let mut worst = 0.0f64;
        for i in 0..200_000 {
            let x = (i as f64 / 200_000.0).powi(3) * 25.0 + 1e-300 * i as f64;
            for x in [x, -x, 0.3 + x * 1e-6, 0.3 - x * 1e-6] {
                let (got, want) = (tanh(x), x.tanh());
                let ulp = (want.abs().max(f64::MIN_POSITIVE) * f64::EPSILON).max(f64::MIN_POSITIVE);
                worst = worst.max((got - want).abs() / ulp);
                assert_eq!(tanh(-x).to_bits(), (-got).to_bits());
            }
        }
        assert!(worst <= 4.0, "worst error {worst} ulps");
        assert_eq!(tanh(0.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(tanh(1e3), 1.0);
        assert!(tanh(f64::NAN).is_nan());
    }
}
