//! The block loop's `unsafe`: running it compiled for AVX2 and FMA when the CPU has them,
//! and the portable build of the same code otherwise (the dense layers of the training runs
//! have their own in `nets::linalg::dispatch`).
//!
//! Both builds come from one generic function ([`block::fill_block`]), so they compute the
//! same operations in the same order; the fast path only gets wider instructions. The test
//! `fast_paths_agree_bit_for_bit` forces the portable path and compares.

#![allow(unsafe_code)]

use super::block::{self, Plan};
use super::real::Real;
use super::xoshiro::Streams;
use crate::mc::summary::FactorSums;

/// The instruction set a fast kernel runs on, chosen at run time.
///
/// The AVX2 variant can only be obtained from [`Isa::detect`], after the CPU said it has
/// AVX2 and FMA; that is the invariant the `unsafe` call below relies on.
///
/// ```
/// use vanish::mc::fast::Isa;
/// assert_eq!(Isa::portable().name(), "portable");
/// assert!(["avx2", "portable"].contains(&Isa::detect().name()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Isa(Kind);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Avx2,
    Portable,
}

impl Isa {
    /// AVX2 with FMA if this CPU has both, else portable code. The environment variable
    /// `VANISH_SIMD=portable` forces the portable path (the numbers are the same; only the
    /// speed changes).
    pub fn detect() -> Self {
        if std::env::var_os("VANISH_SIMD").is_some_and(|v| v == "portable") {
            return Self::portable();
        }
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return Isa(Kind::Avx2);
        }
        Self::portable()
    }

    /// Plain code for the target the crate was compiled for (SSE2 on x86-64, NEON on ARM).
    pub fn portable() -> Self {
        Isa(Kind::Portable)
    }

    /// `"avx2"` or `"portable"`.
    pub fn name(self) -> &'static str {
        match self.0 {
            Kind::Avx2 => "avx2",
            Kind::Portable => "portable",
        }
    }
}

/// Runs [`block::fill_block`] on `isa`.
pub(super) fn fill_block<R: Real>(
    isa: Isa,
    plan: &Plan<R>,
    streams: &mut Streams,
    ln_g: &mut [f64],
    factors: &mut FactorSums,
) {
    match isa.0 {
        #[cfg(target_arch = "x86_64")]
        Kind::Avx2 => {
            // SAFETY: an `Isa` holds `Kind::Avx2` only when `Isa::detect` found AVX2 and FMA
            // on the running CPU, which is all `fill_block_avx2` requires.
            unsafe { fill_block_avx2(plan, streams, ln_g, factors) }
        }
        _ => block::fill_block(plan, streams, ln_g, factors),
    }
}

/// Fills `z` (a multiple of 128 long) with standard normals from `streams` on `isa`,
/// using `words` (at least `z.len()` long) for the random words.
pub(super) fn normals(isa: Isa, streams: &mut Streams, words: &mut [u64], z: &mut [f64]) {
    match isa.0 {
        #[cfg(target_arch = "x86_64")]
        Kind::Avx2 => {
            // SAFETY: as in `fill_block`: `Kind::Avx2` means the CPU has AVX2 and FMA.
            unsafe { normals_avx2(streams, words, z) }
        }
        _ => block::normals(streams, words, z),
    }
}

/// [`block::normals`] compiled for AVX2 (no FMA is formed, as above).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn normals_avx2(streams: &mut Streams, words: &mut [u64], z: &mut [f64]) {
    // SAFETY: this function runs only on a CPU with AVX2 (its own contract).
    let mut w = unsafe { avx2::Words::new(streams) };
    block::normals(&mut w, words, z)
}

/// The block loop, with every inlined helper compiled for AVX2 and FMA. (FMA is enabled but
/// unused: Rust never fuses a·b + c on its own, which keeps the bits of both paths equal.)
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn fill_block_avx2<R: Real>(
    plan: &Plan<R>,
    streams: &mut Streams,
    ln_g: &mut [f64],
    factors: &mut FactorSums,
) {
    // SAFETY: this function runs only on a CPU with AVX2 (its own contract).
    let mut words = unsafe { avx2::Words::new(streams) };
    block::fill_block(plan, &mut words, ln_g, factors)
}

/// The xoshiro step written with AVX2 intrinsics: the compiler keeps the portable
/// [`Streams`] step scalar (it will not vectorise the 64-bit rotates), so this is the one
/// piece of the fast path written by hand. Integer arithmetic, so the words are identical.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        __m256i, _mm256_add_epi64, _mm256_loadu_si256, _mm256_or_si256, _mm256_setzero_si256,
        _mm256_slli_epi64, _mm256_srli_epi64, _mm256_storeu_si256, _mm256_xor_si256,
    };

    use super::super::xoshiro::{STREAMS, Streams};

    /// [`Streams`] filled with AVX2 code.
    pub(super) struct Words<'a>(&'a mut Streams);

    impl<'a> Words<'a> {
        /// # Safety
        /// The CPU has AVX2: every fill runs AVX2 instructions.
        pub(super) unsafe fn new(streams: &'a mut Streams) -> Self {
            Words(streams)
        }
    }

    impl super::super::xoshiro::Words for Words<'_> {
        #[inline(always)]
        fn fill(&mut self, out: &mut [u64]) {
            assert_eq!(out.len() % STREAMS, 0, "fills come in whole rows of lanes");
            // SAFETY: a `Words` is only made by `Words::new`, whose contract is a CPU with
            // AVX2; `out` holds out.len() / STREAMS rows of 64 bytes.
            unsafe { rows(&mut self.0.s, out.as_mut_ptr().cast(), out.len() / STREAMS) }
        }

        #[inline(always)]
        fn fill_halves(&mut self, out: &mut [u32]) {
            assert_eq!(
                out.len() % (2 * STREAMS),
                0,
                "fills come in whole rows of lanes"
            );
            // SAFETY: as above; a row of 16 u32 has the size of a row of 8 u64, and storing
            // 64-bit lanes on x86 (little-endian) puts each low half first, as `fill_halves`
            // specifies.
            unsafe {
                rows(
                    &mut self.0.s,
                    out.as_mut_ptr().cast(),
                    out.len() / (2 * STREAMS),
                )
            }
        }
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn rotl<const L: i32, const R: i32>(x: __m256i) -> __m256i {
        _mm256_or_si256(_mm256_slli_epi64::<L>(x), _mm256_srli_epi64::<R>(x))
    }

    /// One xoshiro256++ step of four generators: returns their outputs.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn step(s: &mut [__m256i; 4]) -> __m256i {
        let [a, b, c, d] = *s;
        let out = _mm256_add_epi64(rotl::<23, 41>(_mm256_add_epi64(a, d)), a);
        let t = _mm256_slli_epi64::<17>(b);
        let c = _mm256_xor_si256(c, a);
        let d = _mm256_xor_si256(d, b);
        let b = _mm256_xor_si256(b, c);
        let a = _mm256_xor_si256(a, d);
        *s = [a, b, _mm256_xor_si256(c, t), rotl::<45, 19>(d)];
        out
    }

    /// Writes `count` rows of [`STREAMS`] outputs (64 bytes each) from `out` on.
    ///
    /// # Safety
    /// The CPU has AVX2, and `out` is valid for writes of `64·count` bytes.
    #[target_feature(enable = "avx2")]
    unsafe fn rows(s: &mut [[u64; STREAMS]; 4], out: *mut __m256i, count: usize) {
        let mut lanes = [[_mm256_setzero_si256(); 4]; 2];
        for (half, lanes) in lanes.iter_mut().enumerate() {
            for (word, lane) in lanes.iter_mut().enumerate() {
                // SAFETY: 4 u64 at offset 4·half ∈ {0, 4} of an array of 8; unaligned
                // loads accept any address.
                *lane = unsafe { _mm256_loadu_si256(s[word].as_ptr().add(4 * half).cast()) };
            }
        }
        for row in 0..count {
            for (half, lanes) in lanes.iter_mut().enumerate() {
                let w = step(lanes);
                // SAFETY: 32 bytes at byte offset 64·row + 32·half < 64·count, inside `out`
                // by the caller's contract; unaligned stores accept any address.
                unsafe { _mm256_storeu_si256(out.add(2 * row + half), w) };
            }
        }
        for (half, lanes) in lanes.iter().enumerate() {
            for (word, lane) in lanes.iter().enumerate() {
                // SAFETY: as for the loads above.
                unsafe { _mm256_storeu_si256(s[word].as_mut_ptr().add(4 * half).cast(), *lane) };
            }
        }
    }
}
