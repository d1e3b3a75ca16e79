//! The one place that turns (seed, cell, block) into a random stream.
//!
//! Each block of samples draws from its own ChaCha8 stream: the key comes from the seed and
//! the 64-bit stream number packs the cell index (high 32 bits) and the block index (low 32
//! bits), so no two blocks of a run share a stream and a block's numbers do not depend on
//! which thread, process or shard computes it.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

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
