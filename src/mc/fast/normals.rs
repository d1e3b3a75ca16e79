//! Standard normals in bulk, for the weights of random networks: the fast kernel's
//! Box–Muller sampler in f64 over its eight xoshiro256++ streams, on AVX2 where the CPU has
//! it (the same bits either way).

use super::Isa;
use super::block::{self, Kind};
use super::dispatch;
use super::xoshiro::Streams;
use crate::mc::rng::BlockRng;

/// Normals made per refill: whole stages of pairs (a multiple of 128).
pub const POOL: usize = 1024;

/// A stream of standard normals seeded from one block stream.
///
/// ```
/// use vanish::mc::fast::{Isa, normals::NormalStream};
/// let mut a = NormalStream::new(&mut vanish::mc::rng::block_rng(1, 0, 0), Isa::detect());
/// let mut b = NormalStream::new(&mut vanish::mc::rng::block_rng(1, 0, 0), Isa::portable());
/// let (mut x, mut y) = (vec![0.0; 3000], vec![0.0; 3000]);
/// a.fill(&mut x);
/// b.fill(&mut y);
/// assert_eq!(x, y);                                  // same bits on every instruction set
/// let mean = x.iter().sum::<f64>() / 3000.0;
/// assert!(mean.abs() < 5.0 / 3000f64.sqrt());
/// ```
#[derive(Debug, Clone)]
pub struct NormalStream {
    streams: Streams,
    isa: Isa,
    words: Vec<u64>,
    pool: Vec<f64>,
    used: usize,
}

impl NormalStream {
    /// Seeds the eight generators from `rng` (32 words).
    pub fn new(rng: &mut BlockRng, isa: Isa) -> Self {
        NormalStream {
            streams: Streams::from_rng(rng),
            isa,
            words: vec![0; block::words_for::<f64>(Kind::Normal, POOL)],
            pool: vec![0.0; POOL],
            used: POOL,
        }
    }

    /// Reseeds from `rng` to run on `isa`, keeping the buffers.
    pub fn reseed(&mut self, rng: &mut BlockRng, isa: Isa) {
        self.streams = Streams::from_rng(rng);
        self.isa = isa;
        self.used = POOL;
    }

    /// Fills `out` with the next normals.
    pub fn fill(&mut self, out: &mut [f64]) {
        let mut done = 0;
        while done < out.len() {
            if self.used == POOL {
                dispatch::normals(self.isa, &mut self.streams, &mut self.words, &mut self.pool);
                self.used = 0;
            }
            let k = (out.len() - done).min(POOL - self.used);
            out[done..done + k].copy_from_slice(&self.pool[self.used..self.used + k]);
            done += k;
            self.used += k;
        }
    }

    /// The next normal.
    pub fn sample(&mut self) -> f64 {
        let mut z = [0.0];
        self.fill(&mut z);
        z[0]
    }
}
