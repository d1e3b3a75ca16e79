//! The fast kernels' `unsafe`: running the block loop (and a random network's row
//! products) compiled for AVX-512 or AVX2 (each with FMA) when the CPU has them, and the
//! portable build of the same code otherwise (the dense layers of the training runs have
//! their own in `nets::linalg::dispatch`).
//!
//! Every build comes from one generic function ([`block::fill_block`], the tally's and the
//! network's kernels), so they compute the same operations in the same order; the fast
//! paths only get wider instructions. Fused multiply-adds are written out as `mul_add`,
//! which is correctly rounded on every build (one instruction with FMA, libm's `fma`
//! without), so they give the same bits too. The tests `fast_paths_agree_bit_for_bit` and
//! `every_level_vanish_simd_names_writes_the_same_files` force each level and compare.

#![allow(unsafe_code)]

use super::block::{self, Plan};
use super::real::Real;
use super::xoshiro::Streams;
use crate::error::ConfigError;
use crate::mc::summary::{BlockTally, FactorSums, Thresholds, histogram_slots};
use crate::methods::importance::draw::Sampler;
use crate::nets::network;

/// The instruction set a fast kernel runs on, chosen at run time.
///
/// The AVX2 and AVX-512 variants can only be obtained through [`Isa::detect`],
/// [`Isa::at_most`] or [`Isa::levels`], after the CPU said it has them (with FMA); that is
/// the invariant the `unsafe` calls below rely on.
///
/// ```
/// use vanish::mc::fast::Isa;
/// assert_eq!(Isa::portable().name(), "portable");
/// assert!(["avx512", "avx2", "portable"].contains(&Isa::detect().name()));
/// assert_eq!(Isa::at_most("portable").unwrap(), Isa::portable());
/// assert!(Isa::at_most("sse9").unwrap_err().to_string().starts_with("VANISH_SIMD:"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Isa(Kind);

/// The levels, lowest first: a level's code runs only on a CPU that has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Portable,
    Avx2,
    Avx512,
}

/// The values `VANISH_SIMD` takes, in the words of its error message.
const LEVEL_NAMES: &str = "auto, portable, avx2 or avx512";

impl Isa {
    /// The best level this CPU has, or the one `VANISH_SIMD` asks for: `portable`, `avx2`
    /// or `avx512` (a level above the CPU's gives the best at or below it; unset, empty or
    /// `auto` gives the best). The numbers are the same on every level; only the speed
    /// changes. A value that names no level is refused by the command line before any work
    /// ([`Isa::check_env`]); here, where nothing can fail, it counts as `auto`.
    pub fn detect() -> Self {
        Self::from_env().unwrap_or_else(|_| Self::best())
    }

    /// The level `VANISH_SIMD` asks for, or why its value names no level.
    ///
    /// ```
    /// // Unset, as in the doc tests: the best level of this CPU.
    /// assert_eq!(vanish::mc::fast::Isa::check_env().unwrap(), vanish::mc::fast::Isa::detect());
    /// ```
    pub fn check_env() -> Result<Self, ConfigError> {
        Self::from_env()
    }

    fn from_env() -> Result<Self, ConfigError> {
        match std::env::var_os("VANISH_SIMD") {
            None => Ok(Self::best()),
            Some(v) => match v.to_str() {
                Some(v) => Self::at_most(v),
                None => Err(ConfigError::new(
                    "VANISH_SIMD",
                    format!("must be {LEVEL_NAMES}, got a value that is not UTF-8"),
                )),
            },
        }
    }

    /// The best level at or below `name` (`portable`, `avx2`, `avx512`; `auto` or empty:
    /// the best) that this CPU has.
    pub fn at_most(name: &str) -> Result<Self, ConfigError> {
        let cap = match name.trim().to_ascii_lowercase().as_str() {
            "" | "auto" => Kind::Avx512,
            "portable" => Kind::Portable,
            "avx2" => Kind::Avx2,
            "avx512" => Kind::Avx512,
            other => {
                return Err(ConfigError::new(
                    "VANISH_SIMD",
                    format!("must be {LEVEL_NAMES}, got '{other}'"),
                ));
            }
        };
        Ok(Self::levels()
            .into_iter()
            .filter(|isa| isa.0 <= cap)
            .max_by_key(|isa| isa.0)
            .unwrap_or_else(Self::portable))
    }

    /// Every level this CPU has, lowest first (portable always).
    pub fn levels() -> Vec<Self> {
        let mut out = vec![Self::portable()];
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            if has!("avx2") && has!("fma") {
                out.push(Isa(Kind::Avx2));
                if has!("avx512f")
                    && has!("avx512cd")
                    && has!("avx512dq")
                    && has!("avx512bw")
                    && has!("avx512vl")
                {
                    out.push(Isa(Kind::Avx512));
                }
            }
        }
        out
    }

    /// The best level this CPU has.
    fn best() -> Self {
        *Self::levels().last().expect("portable is always there")
    }

    /// Plain code for the target the crate was compiled for (SSE2 on x86-64, NEON on ARM).
    pub fn portable() -> Self {
        Isa(Kind::Portable)
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

impl Isa {
    /// The dot products of a tile of a random network's Gaussian rows with its input and
    /// tangent ([`network::rows_dot2`]): the same bits on every instruction set (the rows
    /// in flight do not change the order of any sum).
    pub(crate) fn rows_dot2(self, w: &[f64], y: &[f64], v: &[f64], a: &mut [f64], b: &mut [f64]) {
        match self.0 {
            #[cfg(target_arch = "x86_64")]
            k if k != Kind::Portable && std::arch::is_x86_feature_detected!("avx2") => {
                // SAFETY: the CPU has AVX2 (just checked), all `rows_dot2_avx2` requires.
                unsafe { rows_dot2_avx2(w, y, v, a, b) }
            }
            _ => network::rows_dot2::<{ network::PORTABLE_ROWS }>(w, y, v, a, b),
        }
    }

    /// One Householder reflector of a random network's orthogonal weights applied to its
    /// input and tangent ([`network::reflect`]): the same bits on every instruction set.
    pub(crate) fn reflect(self, z: &mut [f64], y: &mut [f64], v: &mut [f64], before: bool) {
        match self.0 {
            #[cfg(target_arch = "x86_64")]
            k if k != Kind::Portable && std::arch::is_x86_feature_detected!("avx2") => {
                // SAFETY: the CPU has AVX2 (just checked), all `reflect_avx2` requires.
                unsafe { reflect_avx2(z, y, v, before) }
            }
            _ => network::reflect(z, y, v, before),
        }
    }
}

/// [`network::reflect`] compiled for AVX2 (no FMA).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn reflect_avx2(z: &mut [f64], y: &mut [f64], v: &mut [f64], before: bool) {
    network::reflect(z, y, v, before)
}

/// [`network::rows_dot2`] compiled for AVX2 (no FMA) with four rows in flight.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn rows_dot2_avx2(w: &[f64], y: &[f64], v: &[f64], a: &mut [f64], b: &mut [f64]) {
    network::rows_dot2::<{ network::AVX2_ROWS }>(w, y, v, a, b)
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
        Kind::Avx512 => {
            // SAFETY: an `Isa` holds `Kind::Avx512` only when `Isa::levels` found AVX-512
            // (F, CD, DQ, BW, VL), AVX2 and FMA on the running CPU, all that
            // `fill_block_avx512` requires.
            unsafe { fill_block_avx512(plan, streams, ln_g, factors) }
        }
        #[cfg(target_arch = "x86_64")]
        Kind::Avx2 => {
            // SAFETY: an `Isa` holds `Kind::Avx2` only when `Isa::levels` found AVX2 and FMA
            // on the running CPU, which is all `fill_block_avx2` requires.
            unsafe { fill_block_avx2(plan, streams, ln_g, factors) }
        }
        _ => block::fill_block(plan, streams, ln_g, factors),
    }
}

impl Isa {
    /// One batch of an importance sampler ([`Sampler::batch`]) compiled for this level: its
    /// normals, logs and ln f' are the fast kernel's, whose `mul_add`s are one instruction
    /// with FMA and libm calls without; the same bits either way.
    pub(crate) fn sampler_batch(self, sampler: &mut Sampler<'_>) {
        match self.0 {
            #[cfg(target_arch = "x86_64")]
            Kind::Avx512 | Kind::Avx2 => {
                // SAFETY: an `Isa` holds `Kind::Avx2` or `Kind::Avx512` only when
                // `Isa::levels` found AVX2 and FMA on the running CPU, which is all
                // `sampler_batch_fma` requires.
                unsafe { sampler_batch_fma(sampler) }
            }
            _ => sampler.batch(),
        }
    }
}

/// [`Sampler::batch`] compiled for AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn sampler_batch_fma(sampler: &mut Sampler<'_>) {
    sampler.batch()
}

/// Fills `z` (a multiple of 128 long) with standard normals from `streams` on `isa`,
/// using `words` (at least `z.len()` long) for the random words.
pub(super) fn normals(isa: Isa, streams: &mut Streams, words: &mut [u64], z: &mut [f64]) {
    match isa.0 {
        #[cfg(target_arch = "x86_64")]
        Kind::Avx512 => {
            // SAFETY: as in `fill_block`: `Kind::Avx512` means the CPU has AVX-512, AVX2
            // and FMA.
            unsafe { normals_avx512(streams, words, z) }
        }
        #[cfg(target_arch = "x86_64")]
        Kind::Avx2 => {
            // SAFETY: as in `fill_block`: `Kind::Avx2` means the CPU has AVX2 and FMA.
            unsafe { normals_avx2(streams, words, z) }
        }
        _ => block::normals(streams, words, z),
    }
}

/// [`block::normals`] compiled for AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn normals_avx2(streams: &mut Streams, words: &mut [u64], z: &mut [f64]) {
    // SAFETY: this function runs only on a CPU with AVX2 (its own contract).
    let mut w = unsafe { avx2::Words::new(streams) };
    block::normals(&mut w, words, z)
}

/// [`block::normals`] compiled for AVX-512 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512cd,avx512dq,avx512bw,avx512vl,avx2,fma")]
fn normals_avx512(streams: &mut Streams, words: &mut [u64], z: &mut [f64]) {
    // SAFETY: this function runs only on a CPU with AVX-512F (its own contract).
    let mut w = unsafe { avx512::Words::new(streams) };
    block::normals(&mut w, words, z)
}

/// The block loop, with every inlined helper compiled for AVX2 and FMA (the `mul_add`s of
/// [`Real`] become single instructions; Rust never fuses a·b + c on its own, so every
/// other operation rounds as on the portable path).
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

/// The block loop compiled for AVX-512 (512-bit vectors: 16 f32 or 8 f64 lanes) and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512cd,avx512dq,avx512bw,avx512vl,avx2,fma")]
fn fill_block_avx512<R: Real>(
    plan: &Plan<R>,
    streams: &mut Streams,
    ln_g: &mut [f64],
    factors: &mut FactorSums,
) {
    // SAFETY: this function runs only on a CPU with AVX-512F (its own contract).
    let mut words = unsafe { avx512::Words::new(streams) };
    block::fill_block(plan, &mut words, ln_g, factors)
}

impl Isa {
    /// [`BlockTally::compute`] on this instruction set (the same bits on every one).
    pub(crate) fn block_tally(
        self,
        thresholds: &Thresholds,
        ln_g: &[f64],
        factors: &FactorSums,
    ) -> BlockTally {
        match self.0 {
            #[cfg(target_arch = "x86_64")]
            Kind::Avx512 => {
                // SAFETY: as in `fill_block`: `Kind::Avx512` means the CPU has AVX-512 (F,
                // CD, DQ, BW, VL), AVX2 and FMA.
                unsafe { block_tally_avx512(thresholds, ln_g, factors) }
            }
            #[cfg(target_arch = "x86_64")]
            Kind::Avx2 => {
                // SAFETY: as in `fill_block`: `Kind::Avx2` means the CPU has AVX2 and FMA.
                unsafe { block_tally_avx2(thresholds, ln_g, factors) }
            }
            _ => BlockTally::compute(thresholds, ln_g, factors),
        }
    }

    /// [`histogram_slots`] on this instruction set (the same slots on every one).
    pub(crate) fn histogram_slots(self, anchor: f64, ln_g: &[f64], slots: &mut [u32]) {
        match self.0 {
            #[cfg(target_arch = "x86_64")]
            Kind::Avx512 => {
                // SAFETY: as in `block_tally`.
                unsafe { histogram_slots_avx512(anchor, ln_g, slots) }
            }
            #[cfg(target_arch = "x86_64")]
            Kind::Avx2 => {
                // SAFETY: as in `block_tally`.
                unsafe { histogram_slots_avx2(anchor, ln_g, slots) }
            }
            _ => histogram_slots(anchor, ln_g, slots),
        }
    }
}

/// [`BlockTally::compute`] compiled for AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn block_tally_avx2(thresholds: &Thresholds, ln_g: &[f64], factors: &FactorSums) -> BlockTally {
    BlockTally::compute(thresholds, ln_g, factors)
}

/// [`BlockTally::compute`] compiled for AVX-512 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512cd,avx512dq,avx512bw,avx512vl,avx2,fma")]
fn block_tally_avx512(thresholds: &Thresholds, ln_g: &[f64], factors: &FactorSums) -> BlockTally {
    BlockTally::compute(thresholds, ln_g, factors)
}

/// [`histogram_slots`] compiled for AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn histogram_slots_avx2(anchor: f64, ln_g: &[f64], slots: &mut [u32]) {
    histogram_slots(anchor, ln_g, slots)
}

/// [`histogram_slots`] compiled for AVX-512 (its 64-bit conversions and leading-zero
/// counts are single vector instructions there) and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512cd,avx512dq,avx512bw,avx512vl,avx2,fma")]
fn histogram_slots_avx512(anchor: f64, ln_g: &[f64], slots: &mut [u32]) {
    histogram_slots(anchor, ln_g, slots)
}

/// The `Words` of an intrinsics module (`avx2`, `avx512`): [`Streams`] whose fills call the
/// module's own `rows`, which writes `count` rows of [`STREAMS`](super::xoshiro::STREAMS)
/// outputs with the module's instructions. `$level` names the instruction set the CPU must
/// have.
#[cfg(target_arch = "x86_64")]
macro_rules! lane_words {
    ($level:literal) => {
        #[doc = concat!("[`Streams`] filled with ", $level, " code.")]
        pub(super) struct Words<'a>(&'a mut Streams);

        impl<'a> Words<'a> {
            /// # Safety
            #[doc = concat!("The CPU has ", $level, ": every fill runs its instructions.")]
            pub(super) unsafe fn new(streams: &'a mut Streams) -> Self {
                Words(streams)
            }
        }

        impl super::super::xoshiro::Words for Words<'_> {
            #[inline(always)]
            fn fill(&mut self, out: &mut [u64]) {
                assert_eq!(out.len() % STREAMS, 0, "fills come in whole rows of lanes");
                // SAFETY: a `Words` is only made by `Words::new`, whose contract is a CPU with
                // the module's level; `out` holds out.len() / STREAMS rows of 64 bytes.
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
    };
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

    lane_words!("AVX2");

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

/// The xoshiro step with AVX-512 intrinsics: the eight generators' state words fill one
/// 512-bit register each, and the rotates are single instructions. Integer arithmetic, so
/// the words are identical to [`Streams`]'.
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::{
        __m512i, _mm512_add_epi64, _mm512_loadu_si512, _mm512_rol_epi64, _mm512_slli_epi64,
        _mm512_storeu_si512, _mm512_xor_si512,
    };

    use super::super::xoshiro::{STREAMS, Streams};

    lane_words!("AVX-512F");

    /// Writes `count` rows of [`STREAMS`] outputs (64 bytes each) from `out` on.
    ///
    /// # Safety
    /// The CPU has AVX-512F, and `out` is valid for writes of `64·count` bytes.
    #[target_feature(enable = "avx512f")]
    unsafe fn rows(s: &mut [[u64; STREAMS]; 4], out: *mut __m512i, count: usize) {
        let [mut a, mut b, mut c, mut d] = s.each_ref().map(|w| {
            // SAFETY: each state word is an array of 8 u64, 64 bytes; unaligned loads
            // accept any address.
            unsafe { _mm512_loadu_si512(w.as_ptr().cast()) }
        });
        for row in 0..count {
            let w = _mm512_add_epi64(_mm512_rol_epi64::<23>(_mm512_add_epi64(a, d)), a);
            let t = _mm512_slli_epi64::<17>(b);
            c = _mm512_xor_si512(c, a);
            d = _mm512_xor_si512(d, b);
            b = _mm512_xor_si512(b, c);
            a = _mm512_xor_si512(a, d);
            c = _mm512_xor_si512(c, t);
            d = _mm512_rol_epi64::<45>(d);
            // SAFETY: 64 bytes at byte offset 64·row < 64·count, inside `out` by the
            // caller's contract; unaligned stores accept any address.
            unsafe { _mm512_storeu_si512(out.add(row).cast(), w) };
        }
        for (word, v) in s.iter_mut().zip([a, b, c, d]) {
            // SAFETY: as for the loads above.
            unsafe { _mm512_storeu_si512(word.as_mut_ptr().cast(), v) };
        }
    }
}
