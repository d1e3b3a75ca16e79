//! The matrix product behind the dense layers, in the BLIS manner: blocks of A and B are
//! packed into contiguous panels, and an `MR × NR` micro-kernel keeps its outputs in
//! registers while it streams one panel of each.
//!
//! Every output is one FMA chain in a fixed order: c[i, j] = fma(a[i, k−1], b[k−1, j], …
//! fma(a[i, 0], b[0, j], c₀[j])), from c₀ = the initial row (the bias) or 0. Blocking over
//! k only pauses a chain (its sums go to C and come back), tiles only compute several
//! chains side by side, and `mul_add` is one rounding on every target, so the bits do not
//! depend on the tile sizes or the instruction set: [`plain`] is the triple loop they equal.

use super::Element;

/// A read-only strided matrix: element (i, p) at `data[i·rs + p·cs]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View<'a, T> {
    pub data: &'a [T],
    pub rs: usize,
    pub cs: usize,
}

#[cfg(test)]
impl<T: Copy> View<'_, T> {
    fn at(&self, i: usize, p: usize) -> T {
        self.data[i * self.rs + p * self.cs]
    }
}

/// The shape of a product: C is `m × n` (row-major, dense), the sums run over `k`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dims {
    pub m: usize,
    pub n: usize,
    pub k: usize,
}

/// Depth of a block (the length of the chains a micro-kernel call advances): a panel of B
/// (128 × 16 f64) and one of A (128 × 8) fill half of a 48 KiB L1.
const KC: usize = 128;
/// Rows of A packed at once (an L2-sized block).
const MC: usize = 128;
/// Columns of B packed at once.
const NC: usize = 1024;

/// c[i, j] = init[j] + Σ_p a(i, p)·b(p, j) as one FMA chain per output in p order (see the
/// module doc), with `MR × NR` register tiles. `c` is `m × n`, row-major.
#[inline(always)]
pub(crate) fn gemm<T: Element, K: Micro<T, MR, NR>, const MR: usize, const NR: usize>(
    kernel: K,
    d: Dims,
    a: View<'_, T>,
    b: View<'_, T>,
    init: Option<&[T]>,
    c: &mut [T],
) {
    let Dims { m, n, k } = d;
    assert!(c.len() == m * n && init.is_none_or(|v| v.len() == n));
    if k == 0 {
        for row in c.chunks_exact_mut(n.max(1)) {
            match init {
                Some(v) => row.copy_from_slice(v),
                None => row.fill(T::ZERO),
            }
        }
        return;
    }
    // No closure here: a closure would not inherit the caller's target features.
    let (mut pa, mut pb) = T::take_scratch();
    for j0 in (0..n).step_by(NC) {
        let nc = NC.min(n - j0);
        for p0 in (0..k).step_by(KC) {
            let kc = KC.min(k - p0);
            let b_lines = Lines {
                data: b.data,
                base: p0 * b.rs + j0 * b.cs,
                line: b.cs,
                step: b.rs,
            };
            pack::<T, NR>(&mut pb, kc, nc, b_lines);
            for i0 in (0..m).step_by(MC) {
                let mc = MC.min(m - i0);
                let a_lines = Lines {
                    data: a.data,
                    base: i0 * a.rs + p0 * a.cs,
                    line: a.rs,
                    step: a.cs,
                };
                pack::<T, MR>(&mut pa, kc, mc, a_lines);
                let start = if p0 == 0 {
                    Start::Init(init)
                } else {
                    Start::Resume
                };
                let block = Block { i0, j0, mc, nc, kc };
                macro_block(kernel, block, &pa, &pb, start, n, c);
            }
        }
    }
    T::put_scratch(pa, pb);
}

/// The lines (rows of A or columns of B) of a block: value p of line l at
/// `data[base + l·line + p·step]`.
#[derive(Clone, Copy)]
struct Lines<'a, T> {
    data: &'a [T],
    base: usize,
    line: usize,
    step: usize,
}

/// Where a chain starts in this depth block.
#[derive(Clone, Copy)]
enum Start<'a, T> {
    /// From the initial row (or 0): the first block.
    Init(Option<&'a [T]>),
    /// From the partial sums stored in C by the previous block.
    Resume,
}

/// A block of C being computed: rows i0..i0+mc, columns j0..j0+nc, depth kc.
#[derive(Clone, Copy)]
struct Block {
    i0: usize,
    j0: usize,
    mc: usize,
    nc: usize,
    kc: usize,
}

/// Packs `len` lines (rows of A or columns of B) of depth `kc` into panels of `W` lines:
/// panel q holds, for p in 0..kc, the W values get(p, qW..qW+W) (0 past `len`).
#[inline(always)]
fn pack<T: Element, const W: usize>(buf: &mut Vec<T>, kc: usize, len: usize, src: Lines<'_, T>) {
    let panels = len.div_ceil(W);
    buf.clear();
    buf.resize(panels * kc * W, T::ZERO);
    for (q, panel) in buf.chunks_exact_mut(kc * W).enumerate() {
        let lines = W.min(len - q * W);
        for (p, slot) in panel.chunks_exact_mut(W).enumerate() {
            let at = src.base + q * W * src.line + p * src.step;
            if src.line == 1 && lines == W {
                // A constant length: moves in registers, no call to memmove.
                slot.copy_from_slice(&src.data[at..][..W]);
            } else if src.line == 1 {
                slot[..lines].copy_from_slice(&src.data[at..][..lines]);
            } else {
                for (l, v) in slot[..lines].iter_mut().enumerate() {
                    *v = src.data[at + l * src.line];
                }
            }
        }
    }
}

/// Every `MR × NR` tile of a block: B's panel stays in L1 while A's panels stream past.
#[inline(always)]
fn macro_block<T: Element, K: Micro<T, MR, NR>, const MR: usize, const NR: usize>(
    kernel: K,
    blk: Block,
    pa: &[T],
    pb: &[T],
    start: Start<'_, T>,
    n: usize,
    c: &mut [T],
) {
    let kc = blk.kc;
    for (jq, bp) in pb.chunks_exact(kc * NR).enumerate() {
        let j = blk.j0 + jq * NR;
        let cols = NR.min(blk.j0 + blk.nc - j);
        for (iq, ap) in pa.chunks_exact(kc * MR).enumerate() {
            let i = blk.i0 + iq * MR;
            let rows = MR.min(blk.i0 + blk.mc - i);
            let mut acc = [[T::ZERO; NR]; MR];
            for (r, acc) in acc.iter_mut().enumerate().take(rows) {
                let row = &c[(i + r) * n + j..][..cols];
                match start {
                    Start::Init(Some(v)) => acc[..cols].copy_from_slice(&v[j..][..cols]),
                    Start::Init(None) => {}
                    Start::Resume => acc[..cols].copy_from_slice(row),
                }
            }
            kernel.run(kc, ap, bp, &mut acc);
            for (r, acc) in acc.iter().enumerate().take(rows) {
                c[(i + r) * n + j..][..cols].copy_from_slice(&acc[..cols]);
            }
        }
    }
}

/// A micro-kernel: advances the `MR × NR` chains of `acc` by the `kc` packed steps of `a`
/// (MR values per step) and `b` (NR per step), each by `mul_add` in step order.
pub(crate) trait Micro<T, const MR: usize, const NR: usize>: Copy {
    /// One call: `a` holds kc·MR values, `b` kc·NR.
    fn run(self, kc: usize, a: &[T], b: &[T], acc: &mut [[T; NR]; MR]);
}

/// The micro-kernel in plain Rust (the portable build's).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plain;

impl<T: Element, const MR: usize, const NR: usize> Micro<T, MR, NR> for Plain {
    #[inline(always)]
    fn run(self, kc: usize, a: &[T], b: &[T], acc: &mut [[T; NR]; MR]) {
        *acc = micro::<T, MR, NR>(kc, a, b, *acc);
    }
}

/// Advances the `MR × NR` chains by the `kc` packed steps of `a` (MR per step) and `b` (NR
/// per step): the register-tiled heart of the product.
#[inline(always)]
fn micro<T: Element, const MR: usize, const NR: usize>(
    kc: usize,
    a: &[T],
    b: &[T],
    mut acc: [[T; NR]; MR],
) -> [[T; NR]; MR] {
    let (a, b) = (&a.as_chunks::<MR>().0[..kc], &b.as_chunks::<NR>().0[..kc]);
    for (a, b) in a.iter().zip(b) {
        for (acc, &a) in acc.iter_mut().zip(a) {
            for (acc, &b) in acc.iter_mut().zip(b) {
                *acc = a.mul_add(b, *acc);
            }
        }
    }
    acc
}

/// The triple loop [`gemm`] equals bit for bit (the reference of the tests).
#[cfg(test)]
pub(crate) fn plain<T: Element>(
    d: Dims,
    a: View<'_, T>,
    b: View<'_, T>,
    init: Option<&[T]>,
    c: &mut [T],
) {
    for i in 0..d.m {
        for j in 0..d.n {
            let mut s = init.map_or(T::ZERO, |v| v[j]);
            for p in 0..d.k {
                s = a.at(i, p).mul_add(b.at(p, j), s);
            }
            c[i * d.n + j] = s;
        }
    }
}
