//! Eight xoshiro256++ generators advanced side by side, one per vector lane.
//!
//! Each block of samples seeds its [`STREAMS`] generators from its own ChaCha8 stream
//! ([`crate::mc::rng::block_rng`]), so the block stays a pure function of (seed, cell, block).
//! Word j of a fill comes from generator j mod [`STREAMS`]: a fixed interleaving, the same
//! on every CPU and for every vector width.

use rand::Rng;

use crate::mc::rng::BlockRng;

/// Generators advanced in lockstep (four AVX2 registers of 64-bit lanes per state word).
pub const STREAMS: usize = 8;

/// The states of [`STREAMS`] xoshiro256++ generators, stored lane-wise.
///
/// ```
/// use vanish::mc::fast::xoshiro::{Streams, Words, STREAMS};
/// let mut s = Streams::from_rng(&mut vanish::mc::rng::block_rng(1, 0, 0));
/// let mut words = [0u64; 4 * STREAMS];
/// s.fill(&mut words);
/// let distinct: std::collections::HashSet<_> = words.iter().collect();
/// assert_eq!(distinct.len(), words.len());
/// ```
#[derive(Debug, Clone)]
pub struct Streams {
    pub(in crate::mc::fast) s: [[u64; STREAMS]; 4],
}

impl Streams {
    /// Seeds every generator with four words of `rng` (an all-zero state, the one fixed
    /// point of xoshiro, is replaced by a fixed non-zero state; its probability is 2^−256).
    pub fn from_rng(rng: &mut BlockRng) -> Self {
        let mut s = [[0u64; STREAMS]; 4];
        for lane in 0..STREAMS {
            for word in &mut s {
                word[lane] = rng.next_u64();
            }
            if s.iter().all(|word| word[lane] == 0) {
                s[0][lane] = 0x9e37_79b9_7f4a_7c15;
            }
        }
        Streams { s }
    }

    /// The generators with the given states (lane i starts at `states[i]`).
    pub fn from_states(states: [[u64; 4]; STREAMS]) -> Self {
        let mut s = [[0u64; STREAMS]; 4];
        for (lane, state) in states.iter().enumerate() {
            for (word, &v) in s.iter_mut().zip(state) {
                word[lane] = v;
            }
        }
        Streams { s }
    }
}

/// A source of random words, filled a row of [`STREAMS`] outputs at a time. Implemented
/// by [`Streams`] (portable) and by an AVX2 twin that gives the same words.
pub trait Words {
    /// Fills `out` (a multiple of [`STREAMS`] long) with the next outputs; word j comes
    /// from generator j mod [`STREAMS`].
    fn fill(&mut self, out: &mut [u64]);
    /// Fills `out` (a multiple of 2·[`STREAMS`] long) with the next outputs split into
    /// 32-bit halves, low half first: `out[2j]`, `out[2j+1]` are output j of [`Words::fill`].
    fn fill_halves(&mut self, out: &mut [u32]);
}

impl Words for Streams {
    #[inline(always)]
    fn fill(&mut self, out: &mut [u64]) {
        assert_eq!(out.len() % STREAMS, 0, "fills come in whole rows of lanes");
        for row in out.chunks_exact_mut(STREAMS) {
            let row: &mut [u64; STREAMS] = row.try_into().expect("whole rows");
            step(&mut self.s, row);
        }
    }

    #[inline(always)]
    fn fill_halves(&mut self, out: &mut [u32]) {
        assert_eq!(
            out.len() % (2 * STREAMS),
            0,
            "fills come in whole rows of lanes"
        );
        let mut row = [0u64; STREAMS];
        for halves in out.chunks_exact_mut(2 * STREAMS) {
            step(&mut self.s, &mut row);
            for (pair, &w) in halves.chunks_exact_mut(2).zip(&row) {
                pair[0] = w as u32;
                pair[1] = (w >> 32) as u32;
            }
        }
    }
}

/// One step of every generator (the reference; the AVX2 twin is in `dispatch`).
#[inline(always)]
fn step(s: &mut [[u64; STREAMS]; 4], out: &mut [u64; STREAMS]) {
    let [s0, s1, s2, s3] = s;
    for l in 0..STREAMS {
        let (a, b, c, d) = (s0[l], s1[l], s2[l], s3[l]);
        out[l] = a.wrapping_add(d).rotate_left(23).wrapping_add(a);
        let t = b << 17;
        let c = c ^ a;
        let d = d ^ b;
        let b = b ^ c;
        let a = a ^ d;
        s0[l] = a;
        s1[l] = b;
        s2[l] = c ^ t;
        s3[l] = d.rotate_left(45);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_lane_is_the_reference_xoshiro256plusplus() {
        // Blackman and Vigna's xoshiro256plusplus.c from the state (0, 0, 0, 1).
        let want: [u64; 10] = [
            0x0000_0000_0080_0000,
            0x0000_0000_0080_0011,
            0x0002_2000_0080_0011,
            0x0002_2000_4400_0020,
            0x0002_2000_4480_08a1,
            0x0110_2100_8022_08a0,
            0x0114_0022_8420_0880,
            0x0402_8966_44a6_4095,
            0x8a14_a0a2_44ac_c891,
            0x8c88_ba46_80b2_0495,
        ];
        let mut states = [[7u64, 8, 9, 10]; STREAMS];
        states[3] = [0, 0, 0, 1];
        let mut s = Streams::from_states(states);
        let mut out = [0u64; 10 * STREAMS];
        s.fill(&mut out[..2 * STREAMS]);
        s.fill(&mut out[2 * STREAMS..]); // two fills continue one sequence
        let mut halves = [0u32; 20 * STREAMS];
        Streams::from_states(states).fill_halves(&mut halves);
        for (j, &w) in out.iter().enumerate() {
            assert_eq!(
                (halves[2 * j], halves[2 * j + 1]),
                (w as u32, (w >> 32) as u32)
            );
        }
        let lane3: Vec<u64> = out.iter().skip(3).step_by(STREAMS).copied().collect();
        assert_eq!(lane3, want);
        // The other lanes are one generator from (7, 8, 9, 10), all equal.
        assert!(
            out.chunks(STREAMS)
                .all(|row| row[0] == row[7] && row[0] != row[3])
        );
    }
}
