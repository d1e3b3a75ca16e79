//! The dense layers' `unsafe`: running [`affine`](super::affine) and its gradients compiled
//! for AVX-512 or AVX2 (each with FMA) when the CPU has them, and the portable build of the
//! same code otherwise.
//!
//! Both builds come from one generic function (the `*_tiled` functions of [`super`]), so
//! they compute the same operations in the same order; the fast path only gets wider
//! instructions and larger tiles, which do not change the order of any sum. The test
//! `dense_paths_agree_bit_for_bit` forces the portable path and compares.

#![allow(unsafe_code)]

use super::{Element, Layer};

/// The instruction set the dense layers run on, chosen at run time.
///
/// The AVX2 and AVX-512 variants can only be obtained from [`Simd::detect`] or
/// [`Simd::available`], after the CPU said it has them; that is the invariant the `unsafe`
/// calls below rely on.
///
/// ```
/// use vanish::nets::linalg::Simd;
/// assert_eq!(Simd::portable().name(), "portable");
/// assert!(["avx512", "avx2", "portable"].contains(&Simd::detect().name()));
/// assert!(Simd::available().contains(&Simd::detect()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Simd(Kind);

/// Levels from the lowest; `Ord` is "at or below".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Portable,
    /// AVX2 and FMA.
    Avx2,
    /// AVX-512 F, AVX2 and FMA.
    Avx512,
}

impl Simd {
    /// The best level this CPU has, capped by `VANISH_SIMD` as the block loop's
    /// [`Isa::detect`](crate::mc::fast::Isa::detect) reads it (`auto`, `portable`, `avx2`,
    /// `avx512`; a level the CPU lacks falls back to the best it has below that). Read once
    /// per process. The numbers are the same on every level; only the speed changes.
    pub fn detect() -> Self {
        static CHOSEN: std::sync::OnceLock<Simd> = std::sync::OnceLock::new();
        *CHOSEN.get_or_init(|| {
            let cap = match crate::mc::fast::Isa::detect().name() {
                "portable" => Kind::Portable,
                "avx2" => Kind::Avx2,
                _ => Kind::Avx512,
            };
            Simd(best().min(cap))
        })
    }

    /// Every level this CPU has, the lowest first (for tests and benchmarks that compare
    /// them).
    pub fn available() -> Vec<Self> {
        [Kind::Portable, Kind::Avx2, Kind::Avx512]
            .into_iter()
            .filter(|&k| k <= best())
            .map(Simd)
            .collect()
    }

    /// Plain code for the target the crate was compiled for (SSE2 on x86-64, NEON on ARM);
    /// `mul_add` is libm's `fma` there: slower, the same bits.
    pub fn portable() -> Self {
        Simd(Kind::Portable)
    }

    /// `"avx512"`, `"avx2"` or `"portable"`.
    pub fn name(self) -> &'static str {
        match self.0 {
            Kind::Avx512 => "avx512",
            Kind::Avx2 => "avx2",
            Kind::Portable => "portable",
        }
    }
}

/// The best level this CPU has.
fn best() -> Kind {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        if has!("avx2") && has!("fma") {
            return if has!("avx512f") {
                Kind::Avx512
            } else {
                Kind::Avx2
            };
        }
    }
    Kind::Portable
}

impl Simd {
    /// [`super::affine`] on this instruction set (the same bits on every one).
    pub fn affine<T: Element>(self, shape: Layer, x: &[T], w: &[T], b: &[T], z: &mut [T]) {
        match self.0 {
            #[cfg(target_arch = "x86_64")]
            Kind::Avx512 => {
                // SAFETY: `Kind::Avx512` means the CPU has AVX-512 F, AVX2 and FMA
                // (`best`), all that `affine_avx512` requires.
                unsafe { affine_avx512(shape, x, w, b, z) }
            }
            #[cfg(target_arch = "x86_64")]
            Kind::Avx2 => {
                // SAFETY: `Kind::Avx2` means the CPU has AVX2 and FMA (`best`), all that
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
            Kind::Avx512 => {
                // SAFETY: as in `affine`: `Kind::Avx512` means AVX-512 F, AVX2 and FMA.
                unsafe { affine_param_grads_avx512(shape, g, x, gw, gb) }
            }
            #[cfg(target_arch = "x86_64")]
            Kind::Avx2 => {
                // SAFETY: as in `affine`: `Kind::Avx2` means AVX2 and FMA.
                unsafe { affine_param_grads_avx2(shape, g, x, gw, gb) }
            }
            _ => super::affine_param_grads(shape, g, x, gw, gb),
        }
    }

    /// [`super::affine_input_grad`] on this instruction set (the same bits on every one).
    pub fn affine_input_grad<T: Element>(self, shape: Layer, g: &[T], w: &[T], dx: &mut [T]) {
        match self.0 {
            #[cfg(target_arch = "x86_64")]
            Kind::Avx512 => {
                // SAFETY: as in `affine`: `Kind::Avx512` means AVX-512 F, AVX2 and FMA.
                unsafe { affine_input_grad_avx512(shape, g, w, dx) }
            }
            #[cfg(target_arch = "x86_64")]
            Kind::Avx2 => {
                // SAFETY: as in `affine`: `Kind::Avx2` means AVX2 and FMA.
                unsafe { affine_input_grad_avx2(shape, g, w, dx) }
            }
            _ => super::affine_input_grad(shape, g, w, dx),
        }
    }
}

impl Simd {
    /// h = a·tanh(n·z) and φ'(z) of a layer on this instruction set (the same bits on every
    /// one: plain arithmetic, see [`super::tanh`]). `h` and `d` have `z`'s length.
    pub fn scaled_tanh_layer<T: Element>(self, a: f64, n: f64, z: &[T], h: &mut [T], d: &mut [T]) {
        match self.0 {
            #[cfg(target_arch = "x86_64")]
            Kind::Avx512 => {
                // SAFETY: as in `affine`: `Kind::Avx512` means AVX-512 F, AVX2 and FMA.
                unsafe { scaled_tanh_avx512(a, n, z, h, d) }
            }
            #[cfg(target_arch = "x86_64")]
            Kind::Avx2 => {
                // SAFETY: as in `affine`: `Kind::Avx2` means AVX2 and FMA.
                unsafe { scaled_tanh_avx2(a, n, z, h, d) }
            }
            _ => super::tanh::scaled_tanh_layer(a, n, z, h, d),
        }
    }
}

/// [`super::tanh::scaled_tanh_layer`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn scaled_tanh_avx2<T: Element>(a: f64, n: f64, z: &[T], h: &mut [T], d: &mut [T]) {
    super::tanh::scaled_tanh_layer(a, n, z, h, d)
}

/// [`super::tanh::scaled_tanh_layer`] compiled for AVX-512.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
fn scaled_tanh_avx512<T: Element>(a: f64, n: f64, z: &[T], h: &mut [T], d: &mut [T]) {
    super::tanh::scaled_tanh_layer(a, n, z, h, d)
}

/// Calls `$f::<T, K, MR, NR>($kernel, $args)` with `$kernel`'s tile for `T`: f64's
/// (rows, columns) or f32's (twice the columns: as many vectors), picked by a branch the
/// compiler resolves.
#[cfg(target_arch = "x86_64")]
macro_rules! tiled {
    ($f:ident, $kernel:expr, $f64:expr, $f32:expr, $($arg:expr),*) => {
        if T::IS_F32 {
            super::$f::<T, _, { $f32.0 }, { $f32.1 }>($kernel, $($arg),*)
        } else {
            super::$f::<T, _, { $f64.0 }, { $f64.1 }>($kernel, $($arg),*)
        }
    };
}

/// The AVX2 and AVX-512 builds of the three products: the generic `*_tiled` functions
/// compiled with those features, their micro-kernel and their tiles.
macro_rules! builds {
    ($features:literal, $kernel:expr, $f64:expr, $f32:expr, $affine:ident, $param:ident, $input:ident) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        fn $affine<T: Element>(shape: Layer, x: &[T], w: &[T], b: &[T], z: &mut [T]) {
            tiled!(affine_tiled, $kernel, $f64, $f32, shape, x, w, b, z)
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        fn $param<T: Element>(shape: Layer, g: &[T], x: &[T], gw: &mut [T], gb: &mut [T]) {
            tiled!(
                affine_param_grads_tiled,
                $kernel,
                $f64,
                $f32,
                shape,
                g,
                x,
                gw,
                gb
            )
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        fn $input<T: Element>(shape: Layer, g: &[T], w: &[T], dx: &mut [T]) {
            tiled!(
                affine_input_grad_tiled,
                $kernel,
                $f64,
                $f32,
                shape,
                g,
                w,
                dx
            )
        }
    };
}

// Tiles: 8 rows × 2 vectors on AVX-512 (16 of the 32 ZMM registers hold sums), 4 rows × 2
// vectors on AVX2 (8 of the 16 YMM).
builds!(
    "avx2,fma",
    avx::Avx2(()),
    (4, 8),
    (4, 16),
    affine_avx2,
    affine_param_grads_avx2,
    affine_input_grad_avx2
);
builds!(
    "avx512f,avx2,fma",
    avx::Avx512(()),
    (8, 16),
    (8, 32),
    affine_avx512,
    affine_param_grads_avx512,
    affine_input_grad_avx512
);

/// The micro-kernels written with intrinsics (the compiler does not keep a generic tile of
/// sums in registers): per lane the same `mul_add` chain as [`super::gemm`]'s plain one,
/// so the same bits.
#[cfg(target_arch = "x86_64")]
mod avx {
    use std::arch::x86_64::*;

    use super::super::{Element, Micro};

    /// The AVX2 micro-kernels; made only inside the `*_avx2` builds, which run only on a
    /// CPU with AVX2 and FMA.
    #[derive(Clone, Copy)]
    pub(super) struct Avx2(pub(super) ());
    /// The AVX-512 micro-kernels; made only inside the `*_avx512` builds, which run only on
    /// a CPU with AVX-512 F.
    #[derive(Clone, Copy)]
    pub(super) struct Avx512(pub(super) ());

    macro_rules! kernel {
        ($name:ident, $t:ty, $features:literal, $lanes:expr, $mr:expr,
         $zero:ident, $load:ident, $store:ident, $set1:ident, $fmadd:ident) => {
            /// Advances MR × (2 vectors) chains by `kc` packed steps.
            ///
            /// # Safety
            /// The CPU has the features this function is compiled with.
            #[target_feature(enable = $features)]
            unsafe fn $name(kc: usize, a: &[$t], b: &[$t], acc: &mut [$t]) {
                const NR: usize = 2 * $lanes;
                assert!(a.len() >= kc * $mr && b.len() >= kc * NR && acc.len() == $mr * NR);
                let mut c = [[$zero(); 2]; $mr];
                for (i, row) in c.iter_mut().enumerate() {
                    for (v, lane) in row.iter_mut().enumerate() {
                        // SAFETY: i·NR + v·lanes + lanes ≤ MR·NR = acc.len().
                        *lane = unsafe { $load(acc.as_ptr().add(i * NR + v * $lanes)) };
                    }
                }
                for p in 0..kc {
                    // SAFETY: p·NR + NR ≤ kc·NR ≤ b.len() (asserted above).
                    let bv = unsafe {
                        [
                            $load(b.as_ptr().add(p * NR)),
                            $load(b.as_ptr().add(p * NR + $lanes)),
                        ]
                    };
                    for (i, row) in c.iter_mut().enumerate() {
                        // SAFETY: p·MR + i < kc·MR ≤ a.len() (asserted above).
                        let av = $set1(unsafe { *a.get_unchecked(p * $mr + i) });
                        row[0] = $fmadd(av, bv[0], row[0]);
                        row[1] = $fmadd(av, bv[1], row[1]);
                    }
                }
                for (i, row) in c.iter().enumerate() {
                    for (v, lane) in row.iter().enumerate() {
                        // SAFETY: as for the loads.
                        unsafe { $store(acc.as_mut_ptr().add(i * NR + v * $lanes), *lane) };
                    }
                }
            }
        };
    }

    kernel!(
        avx2_f64,
        f64,
        "avx2,fma",
        4,
        4,
        _mm256_setzero_pd,
        _mm256_loadu_pd,
        _mm256_storeu_pd,
        _mm256_set1_pd,
        _mm256_fmadd_pd
    );
    kernel!(
        avx2_f32,
        f32,
        "avx2,fma",
        8,
        4,
        _mm256_setzero_ps,
        _mm256_loadu_ps,
        _mm256_storeu_ps,
        _mm256_set1_ps,
        _mm256_fmadd_ps
    );
    kernel!(
        avx512_f64,
        f64,
        "avx512f",
        8,
        8,
        _mm512_setzero_pd,
        _mm512_loadu_pd,
        _mm512_storeu_pd,
        _mm512_set1_pd,
        _mm512_fmadd_pd
    );
    kernel!(
        avx512_f32,
        f32,
        "avx512f",
        16,
        8,
        _mm512_setzero_ps,
        _mm512_loadu_ps,
        _mm512_storeu_ps,
        _mm512_set1_ps,
        _mm512_fmadd_ps
    );

    /// `Micro<T, MR, NR>` for `$kernel` through `$f64` when T is f64, `$f32` when f32.
    macro_rules! micro {
        ($kernel:ty, $mr:expr, $nr:expr, $call:ident, $as:ident, $as_mut:ident) => {
            impl<T: Element> Micro<T, $mr, $nr> for $kernel {
                #[inline(always)]
                fn run(self, kc: usize, a: &[T], b: &[T], acc: &mut [[T; $nr]; $mr]) {
                    let acc = acc.as_flattened_mut();
                    match (T::$as(a), T::$as(b), T::$as_mut(acc)) {
                        (Some(a), Some(b), Some(acc)) => {
                            // SAFETY: this kernel value exists only inside a build compiled
                            // for (and run only on a CPU with) the kernel's features.
                            unsafe { $call(kc, a, b, acc) }
                        }
                        _ => unreachable!("tiles are chosen per element type"),
                    }
                }
            }
        };
    }

    micro!(Avx2, 4, 8, avx2_f64, as_f64s, as_f64s_mut);
    micro!(Avx2, 4, 16, avx2_f32, as_f32s, as_f32s_mut);
    micro!(Avx512, 8, 16, avx512_f64, as_f64s, as_f64s_mut);
    micro!(Avx512, 8, 32, avx512_f32, as_f32s, as_f32s_mut);
}

#[cfg(test)]
mod tests {
    use super::Simd;
    use crate::nets::linalg::tests::{shapes, values};
    use crate::nets::linalg::{self, Element, Layer};

    /// The three products of `shape` on `isa`, as bits.
    fn run<T: Element>(isa: Simd, shape: Layer, seed: u64) -> [Vec<u64>; 4] {
        let Layer {
            rows,
            inputs: n,
            outputs: m,
        } = shape;
        let v = |len, k| -> Vec<T> { values(len, seed + k).into_iter().map(T::from_f64).collect() };
        let (x, w, b, g) = (v(rows * n, 0), v(m * n, 1), v(m, 2), v(rows * m, 3));
        let (mut z, mut gw, mut gb, mut dx) = (
            vec![T::ZERO; rows * m],
            vec![T::ZERO; m * n],
            vec![T::ZERO; m],
            vec![T::ZERO; rows * n],
        );
        isa.affine(shape, &x, &w, &b, &mut z);
        isa.affine_param_grads(shape, &g, &x, &mut gw, &mut gb);
        isa.affine_input_grad(shape, &g, &w, &mut dx);
        [z, gw, gb, dx].map(|v| v.iter().map(|v| v.to_f64().to_bits()).collect())
    }

    /// Every level this CPU has gives the portable bits, in f64 and f32, on shapes that are
    /// not multiples of any tile (1, 3, 7, 17, 33, …) and on shapes past one block.
    #[test]
    fn dense_paths_agree_bit_for_bit() {
        let levels = Simd::available();
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") {
            assert_eq!(levels.len(), 3, "this CPU's AVX-512 build is tested");
        }
        let big =
            [(300, 130, 70), (64, 256, 257), (1, 1030, 3)].map(|(rows, inputs, outputs)| Layer {
                rows,
                inputs,
                outputs,
            });
        for (seed, shape) in shapes().chain(big).enumerate() {
            let seed = 8 * seed as u64;
            let (want64, want32) = (
                run::<f64>(Simd::portable(), shape, seed),
                run::<f32>(Simd::portable(), shape, seed),
            );
            for &isa in &levels[1..] {
                assert_eq!(
                    run::<f64>(isa, shape, seed),
                    want64,
                    "{shape:?} {}",
                    isa.name()
                );
                assert_eq!(
                    run::<f32>(isa, shape, seed),
                    want32,
                    "{shape:?} {}",
                    isa.name()
                );
            }
        }
        let shape = Layer {
            rows: 37,
            inputs: 70,
            outputs: 29,
        };
        let (x, w, b) = (values(37 * 70, 1), values(29 * 70, 2), values(29, 3));
        let mut z = vec![0.0; 37 * 29];
        linalg::affine(shape, &x, &w, &b, &mut z);
        let mut fast = vec![0.0; 37 * 29];
        Simd::detect().affine(shape, &x, &w, &b, &mut fast);
        assert_eq!(z.map_bits(), fast.map_bits());
    }

    /// The fused a·tanh(n·z) pass gives the portable bits on every level, f64 and f32.
    #[test]
    fn tanh_layers_agree_bit_for_bit() {
        let z: Vec<f64> = values(1037, 5).into_iter().map(|v| v * 7.0).collect();
        let z32: Vec<f32> = z.iter().map(|&v| v as f32).collect();
        let run = |isa: Simd| {
            let (mut h, mut d) = (vec![0.0; z.len()], vec![0.0; z.len()]);
            isa.scaled_tanh_layer(1.7, 0.6, &z, &mut h, &mut d);
            let (mut h32, mut d32) = (vec![0.0f32; z.len()], vec![0.0f32; z.len()]);
            isa.scaled_tanh_layer(1.7, 0.6, &z32, &mut h32, &mut d32);
            (h.map_bits(), d.map_bits(), h32, d32)
        };
        let want = run(Simd::portable());
        for isa in Simd::available() {
            let got = run(isa);
            assert_eq!(got.0, want.0, "{}", isa.name());
            assert_eq!(got.1, want.1, "{}", isa.name());
            assert_eq!(
                got.2
                    .iter()
                    .chain(&got.3)
                    .map(|v| v.to_bits())
                    .collect::<Vec<_>>(),
                want.2
                    .iter()
                    .chain(&want.3)
                    .map(|v| v.to_bits())
                    .collect::<Vec<_>>()
            );
        }
    }

    trait Bits {
        fn map_bits(&self) -> Vec<u64>;
    }

    impl Bits for Vec<f64> {
        fn map_bits(&self) -> Vec<u64> {
            self.iter().map(|v| v.to_bits()).collect()
        }
    }
}
