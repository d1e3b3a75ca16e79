//! The dense layers' `unsafe`: running [`affine`](super::affine) and its gradients compiled
//! for AVX2 when the CPU has it, and the portable build of the same code otherwise.
//!
//! Both builds come from one generic function (the `*_tiled` functions of [`super`]), so
//! they compute the same operations in the same order; the fast path only gets wider
//! instructions and larger tiles, which do not change the order of any sum. The test
//! `dense_paths_agree_bit_for_bit` forces the portable path and compares.

#![allow(unsafe_code)]

use super::{Element, Layer};

/// The instruction set the dense layers run on, chosen at run time.
///
/// The AVX2 variant can only be obtained from [`Simd::detect`], after the CPU said it has
/// AVX2; that is the invariant the `unsafe` calls below rely on.
///
/// ```
/// use vanish::nets::linalg::Simd;
/// assert_eq!(Simd::portable().name(), "portable");
/// assert!(["avx2", "portable"].contains(&Simd::detect().name()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Simd(Kind);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Avx2,
    Portable,
}

impl Simd {
    /// The best level this CPU has, or the one `VANISH_SIMD` (`portable`, `avx2`, `avx512`)
    /// asks for when the CPU has it (else the best it has below that); the numbers are the
    /// same on every level, only the speed changes.
    pub fn detect() -> Self {
        let wanted = std::env::var("VANISH_SIMD").unwrap_or_default();
        if wanted == "portable" {
            return Self::portable();
        }
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            return Simd(Kind::Avx2);
        }
        Self::portable()
    }

    /// Plain code for the target the crate was compiled for (SSE2 on x86-64, NEON on ARM).
    pub fn portable() -> Self {
        Simd(Kind::Portable)
    }

    /// `"avx2"` or `"portable"`.
    pub fn name(self) -> &'static str {
        match self.0 {
            Kind::Avx2 => "avx2",
            Kind::Portable => "portable",
        }
    }
}

/// Tiles of the dense layers on AVX2: [`super::affine_tiled`] keeps 4 rows × 3 units of
/// four partial sums in 12 of the 16 YMM registers, the gradients 4 rows (or units) × 8
/// inputs of running sums in 8.
#[cfg(target_arch = "x86_64")]
const AVX2_AFFINE_TILE: (usize, usize) = (4, 3);
#[cfg(target_arch = "x86_64")]
const AVX2_GRAD_TILE: (usize, usize) = (4, 8);

impl Simd {
    /// [`super::affine`] on this instruction set (the same bits on every one).
    pub fn affine<T: Element>(self, shape: Layer, x: &[T], w: &[T], b: &[T], z: &mut [T]) {
        match self.0 {
            #[cfg(target_arch = "x86_64")]
            Kind::Avx2 => {
                // SAFETY: `Kind::Avx2` means the CPU has AVX2 (`Simd::detect`), all that
                // `affine_avx2` requires.
                unsafe { affine_avx2(shape, x, w, b, z) }
            }
            _ => super::affine(shape, x, w, b, z),
        }
    }

    /// [`super::affine_param_grads`] on this instruction set (the same bits on every one).
    pub fn affine_param_grads<T: Element>(
        self,
        shape: Layer,
        g: &[T],
        x: &[T],
        gw: &mut [T],
        gb: &mut [T],
    ) {
        match self.0 {
            #[cfg(target_arch = "x86_64")]
            Kind::Avx2 => {
                // SAFETY: as in `affine`: `Kind::Avx2` means the CPU has AVX2.
                unsafe { affine_param_grads_avx2(shape, g, x, gw, gb) }
            }
            _ => super::affine_param_grads(shape, g, x, gw, gb),
        }
    }

    /// [`super::affine_input_grad`] on this instruction set (the same bits on every one).
    pub fn affine_input_grad<T: Element>(self, shape: Layer, g: &[T], w: &[T], dx: &mut [T]) {
        match self.0 {
            #[cfg(target_arch = "x86_64")]
            Kind::Avx2 => {
                // SAFETY: as in `affine`: `Kind::Avx2` means the CPU has AVX2.
                unsafe { affine_input_grad_avx2(shape, g, w, dx) }
            }
            _ => super::affine_input_grad(shape, g, w, dx),
        }
    }
}

/// [`super::affine`] compiled for AVX2 (no FMA: only AVX2 is enabled) with larger tiles.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn affine_avx2<T: Element>(shape: Layer, x: &[T], w: &[T], b: &[T], z: &mut [T]) {
    super::affine_tiled::<_, { AVX2_AFFINE_TILE.0 }, { AVX2_AFFINE_TILE.1 }>(shape, x, w, b, z)
}

/// [`super::affine_param_grads`] compiled for AVX2 with larger tiles.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn affine_param_grads_avx2<T: Element>(shape: Layer, g: &[T], x: &[T], gw: &mut [T], gb: &mut [T]) {
    super::affine_param_grads_tiled::<_, { AVX2_GRAD_TILE.0 }, { AVX2_GRAD_TILE.1 }>(
        shape, g, x, gw, gb,
    )
}

/// [`super::affine_input_grad`] compiled for AVX2 with larger tiles.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn affine_input_grad_avx2<T: Element>(shape: Layer, g: &[T], w: &[T], dx: &mut [T]) {
    super::affine_input_grad_tiled::<_, { AVX2_GRAD_TILE.0 }, { AVX2_GRAD_TILE.1 }>(shape, g, w, dx)
}

#[cfg(test)]
mod tests {
    use super::Simd;
    use crate::nets::linalg::{self, Layer};

    #[test]
    fn dense_paths_agree_bit_for_bit() {
        let shape = Layer {
            rows: 37,
            inputs: 70,
            outputs: 29,
        };
        let values = |len: usize, k: usize| -> Vec<f64> {
            (0..len)
                .map(|i| ((i * 7919 + k) % 1013) as f64 / 97.0 - 5.0)
                .collect()
        };
        let (x, w, b, g) = (
            values(37 * 70, 1),
            values(29 * 70, 2),
            values(29, 3),
            values(37 * 29, 4),
        );
        let run = |isa: Simd| {
            let (mut z, mut gw, mut gb, mut dx) = (
                vec![0.0; 37 * 29],
                vec![0.0; 29 * 70],
                vec![0.0; 29],
                vec![0.0; 37 * 70],
            );
            isa.affine(shape, &x, &w, &b, &mut z);
            isa.affine_param_grads(shape, &g, &x, &mut gw, &mut gb);
            isa.affine_input_grad(shape, &g, &w, &mut dx);
            [z, gw, gb, dx].map(|v| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>())
        };
        assert_eq!(run(Simd::detect()), run(Simd::portable()));
        let mut z = vec![0.0; 37 * 29];
        linalg::affine(shape, &x, &w, &b, &mut z);
        assert_eq!(
            run(Simd::portable())[0],
            z.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
    }
}
