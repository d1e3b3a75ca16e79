//! The one place that turns (seed, cell, block) into a random stream, and the numbers
//! version ([`NUMBERS`]) of what those streams make.
//!
//! Each block of samples draws from its own ChaCha8 stream: the key comes from the seed and
//! the 64-bit stream number packs the cell index (high 32 bits) and the block index (low 32
//! bits), so no two blocks of a run share a stream and a block's numbers do not depend on
//! which thread, process or shard computes it.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The numbers version: which numbers a seed and settings give. It goes up by one with
/// every deliberate change of the numbers vanish computes (a sampler, a kernel, a random
/// stream), in the commit that updates the golden values (`golden_values_are_stable`
/// checks that the two move together); it is recorded in every manifest, journal header
/// and journal fingerprint, and results of two numbers versions are never mixed
/// (`--resume`, `merge` and `--gather` refuse them).
///
/// Version 4 is the numbers of 0.1.0 as it stood when versions began to be recorded: the
/// golden values changed three times since the first set (4c9eb53, the ln sech² change;
/// deae33b, staged evaluation in the fast kernel; 4ec0c4a, its near-minimax polynomials).
/// Version 5: importance sampling draws from streams of its own
/// ([`streams::IMPORTANCE_LOWER`], [`streams::IMPORTANCE_UPPER`]) instead of the training
/// runs' and probes' (`--method is` estimates changed; the golden values did not).
/// Version 6: importance sampling draws on the fast kernel's xoshiro256++ streams from
/// envelopes of the tilted law (`--method is` estimates changed; the golden values did not).
/// Version 7: the fast kernel fuses multiply-adds (`mul_add` in its polynomials, range
/// reductions, uniforms and sums), and a block's tally sums log10 g, its squared
/// deviations and g in eight interleaved lanes with log10 g = ln g·log10 e and the fast
/// kernel's e^x (every fast result moved in its last bits; the reference kernel's ln g did
/// not, its summaries did).
pub const NUMBERS: u32 = 7;

/// The generator every result is drawn from.
pub type BlockRng = ChaCha8Rng;

/// The name recorded in manifests.
pub const RNG_NAME: &str = "ChaCha8 (rand_chacha 0.10), key from seed via seed_from_u64, \
     stream = cell<<32 | block; the fast kernel seeds 8 xoshiro256++ generators per block from it";

/// The stream for block `block` of cell `cell` under `seed`.
///
/// ```
/// use rand::Rng;
/// let mut a = vanish::mc::rng::block_rng(7, 0, 3);
/// let mut b = vanish::mc::rng::block_rng(7, 0, 3);
/// assert_eq!(a.next_u64(), b.next_u64());
/// let mut c = vanish::mc::rng::block_rng(7, 0, 4);
/// assert_ne!(a.next_u64(), c.next_u64());
/// ```
pub fn block_rng(seed: u64, cell: u32, block: u32) -> BlockRng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream((u64::from(cell) << 32) | u64::from(block));
    rng
}

/// Every stream cell that is not a grid cell, in one place: a computation beside the grid
/// (training, importance sampling, resampling) draws from `block_rng(seed, CELL, block)`
/// with its own CELL here, above every grid cell (`sweep::grid::MAX_CELLS`), so no two
/// computations of one seed share a stream.
///
/// Numbers version 5 moved importance sampling off the training streams (it had
/// 0x8000_0001 and 0x8000_0002, the runs' and the probes').
pub mod streams {
    /// The training data set (and its teacher): block 0.
    pub const TRAIN_DATA: u32 = 0x8000_0000;
    /// A training run's initialisation and minibatches: block = run.
    pub const TRAIN_RUN: u32 = 0x8000_0001;
    /// A training run's probe set: block = run.
    pub const TRAIN_PROBE: u32 = 0x8000_0002;
    /// Importance sampling of the lower tail (vanishing): block = block of samples.
    pub const IMPORTANCE_LOWER: u32 = 0x8000_0003;
    /// Importance sampling of the upper tail (exploding): block = block of samples.
    pub const IMPORTANCE_UPPER: u32 = 0x8000_0004;
    /// The run bootstrap of the competing-risk bands: block = replicate.
    pub const RISK_RESAMPLE: u32 = 0x8000_0010;
    /// The run resampling of the one-way verdict: block = replicate.
    pub const ONE_WAY_RESAMPLE: u32 = 0x8000_0011;
    /// The posterior-predictive simulations of the latent study: block = data set.
    pub const PPC: u32 = 0x8000_0012;
    /// The HMM bootstrap ("HMM" in ASCII, kept from before this list): block = replicate.
    pub const HMM_BOOTSTRAP: u32 = 0x0048_4d4d;

    /// Every stream cell above, by name.
    pub const ALL: [(&str, u32); 9] = [
        ("TRAIN_DATA", TRAIN_DATA),
        ("TRAIN_RUN", TRAIN_RUN),
        ("TRAIN_PROBE", TRAIN_PROBE),
        ("IMPORTANCE_LOWER", IMPORTANCE_LOWER),
        ("IMPORTANCE_UPPER", IMPORTANCE_UPPER),
        ("RISK_RESAMPLE", RISK_RESAMPLE),
        ("ONE_WAY_RESAMPLE", ONE_WAY_RESAMPLE),
        ("PPC", PPC),
        ("HMM_BOOTSTRAP", HMM_BOOTSTRAP),
    ];
}

#[cfg(test)]
mod tests {
    use super::streams::ALL;

    #[test]
    fn stream_cells_are_distinct_and_above_every_grid_cell() {
        for (i, (a, x)) in ALL.iter().enumerate() {
            for (b, y) in &ALL[i + 1..] {
                assert_ne!(x, y, "{a} and {b} share a stream");
            }
            let cells = crate::sweep::grid::MAX_CELLS;
            assert!(
                *x as usize >= cells,
                "{a} = {x:#x} can be a grid cell (< {cells})"
            );
        }
    }

    #[test]
    fn every_stream_cell_of_the_sources_is_in_the_list() {
        // A stream cell written as a number anywhere else would escape the check above.
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut stack = vec![std::path::PathBuf::from(dir)];
        while let Some(p) = stack.pop() {
            if p.is_dir() {
                stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            if p.ends_with("mc/rng.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            for line in text.lines().filter(|l| l.contains("block_rng(")) {
                assert!(
                    !line.contains("0x"),
                    "{}: a stream cell by number: {line}",
                    p.display()
                );
            }
            for line in text
                .lines()
                .filter(|l| l.contains("const") && l.contains("CELL"))
            {
                assert!(
                    line.contains("streams::") || !line.contains("0x"),
                    "{}: a stream cell outside mc::rng::streams: {line}",
                    p.display()
                );
            }
        }
    }
}
