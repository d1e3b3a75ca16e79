//! Small dense kernels shared by the network draws and the training runs: sums in a fixed
//! order (four partial sums), so that results are the same bits on every machine.
//!
//! ```
//! use vanish::nets::linalg::{axpy, dot, dot2};
//! assert_eq!(dot(&[1.0, 2.0, 3.0, 4.0, 5.0], &[1.0; 5]), 15.0);
//! assert_eq!(dot2(&[1.0, 2.0], &[3.0, 4.0], &[1.0, 0.0]), (11.0, 1.0));
//! let mut y = [1.0, 1.0];
//! axpy(&mut y, 2.0, &[1.0, 3.0]);
//! assert_eq!(y, [3.0, 7.0]);
//! ```

mod dispatch;
mod element;

pub use dispatch::Simd;
pub use element::Element;

/// Σ a_i·b_i with four partial sums (a fixed order: the same bits on every machine).
pub fn dot<T: Element>(a: &[T], b: &[T]) -> T {
    let mut acc = [T::ZERO; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..4 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut tail = T::ZERO;
    for (x, y) in ra.iter().zip(rb) {
        tail += *x * *y;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// (w·y, w·v) in one pass over w.
pub fn dot2(w: &[f64], y: &[f64], v: &[f64]) -> (f64, f64) {
    let (mut a, mut b) = ([0.0; 4], [0.0; 4]);
    let (cw, cy, cv) = (w.chunks_exact(4), y.chunks_exact(4), v.chunks_exact(4));
    let (rw, ry, rv) = (cw.remainder(), cy.remainder(), cv.remainder());
    for ((w, y), v) in cw.zip(cy).zip(cv) {
        for k in 0..4 {
            a[k] += w[k] * y[k];
            b[k] += w[k] * v[k];
        }
    }
    let (mut ta, mut tb) = (0.0, 0.0);
    for ((w, y), v) in rw.iter().zip(ry).zip(rv) {
        ta += w * y;
        tb += w * v;
    }
    (
        (a[0] + a[1]) + (a[2] + a[3]) + ta,
        (b[0] + b[1]) + (b[2] + b[3]) + tb,
    )
}

/// y += a·x.
pub fn axpy<T: Element>(y: &mut [T], a: T, x: &[T]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// The shape of a dense layer applied to a batch: `rows` examples, `inputs` values in and
/// `outputs` values out per example. Matrices are row-major: the batch `rows × inputs`,
/// the weights `outputs × inputs` (one row per unit), the result `rows × outputs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layer {
    /// Examples in the batch.
    pub rows: usize,
    /// Values in per example (the fan-in).
    pub inputs: usize,
    /// Values out per example (the units).
    pub outputs: usize,
}

/// Row and unit tile of [`affine`]'s portable build: 2 × 2 outputs of four partial sums each
/// are 8 SSE2 registers.
const AFFINE_TILE: (usize, usize) = (2, 2);
/// Row (or unit) and lane tile of the portable gradients: 4 × 4 sums are 8 SSE2 registers.
const GRAD_TILE: (usize, usize) = (4, 4);

/// z[r, i] = dot(x[r, :], w[i, :]) + b[i] for every example r and unit i, the same bits as
/// calling [`dot`] per output.
///
/// ```
/// use vanish::nets::linalg::{Layer, affine};
/// let shape = Layer { rows: 2, inputs: 3, outputs: 1 };
/// let mut z = [0.0; 2];
/// affine(shape, &[1.0, 2.0, 3.0, 0.0, 1.0, 0.0], &[1.0, 1.0, 1.0], &[0.5], &mut z);
/// assert_eq!(z, [6.5, 1.5]);
/// ```
pub fn affine<T: Element>(shape: Layer, x: &[T], w: &[T], b: &[T], z: &mut [T]) {
    affine_tiled::<_, { AFFINE_TILE.0 }, { AFFINE_TILE.1 }>(shape, x, w, b, z);
}

/// The gradients of [`affine`]'s parameters given g = ∂L/∂z: gw[i, k] = Σ_r g[r, i]·x[r, k]
/// and gb[i] = Σ_r g[r, i], each summed over r in order from 0.0 (the bits of accumulating
/// [`axpy`] row by row). Both are overwritten.
///
/// ```
/// use vanish::nets::linalg::{Layer, affine_param_grads};
/// let shape = Layer { rows: 2, inputs: 2, outputs: 1 };
/// let (mut gw, mut gb) = ([0.0; 2], [0.0; 1]);
/// affine_param_grads(shape, &[1.0, 2.0], &[3.0, 4.0, 5.0, 6.0], &mut gw, &mut gb);
/// assert_eq!((gw, gb), ([13.0, 16.0], [3.0]));
/// ```
pub fn affine_param_grads<T: Element>(shape: Layer, g: &[T], x: &[T], gw: &mut [T], gb: &mut [T]) {
    affine_param_grads_tiled::<_, { GRAD_TILE.0 }, { GRAD_TILE.1 }>(shape, g, x, gw, gb);
}

/// The gradient of [`affine`]'s input given g = ∂L/∂z: dx[r, k] = Σ_i g[r, i]·w[i, k],
/// summed over i in order from 0.0 (the bits of accumulating [`axpy`] unit by unit). `dx`
/// is overwritten.
///
/// ```
/// use vanish::nets::linalg::{Layer, affine_input_grad};
/// let shape = Layer { rows: 1, inputs: 2, outputs: 2 };
/// let mut dx = [0.0; 2];
/// affine_input_grad(shape, &[1.0, 2.0], &[3.0, 4.0, 5.0, 6.0], &mut dx);
/// assert_eq!(dx, [13.0, 16.0]);
/// ```
pub fn affine_input_grad<T: Element>(shape: Layer, g: &[T], w: &[T], dx: &mut [T]) {
    affine_input_grad_tiled::<_, { GRAD_TILE.0 }, { GRAD_TILE.1 }>(shape, g, w, dx);
}

// Register tiling. Every output keeps its own sums, added in the order of the per-output
// loops above (`dot`'s four lanes of chunks, then its sequential tail; `axpy`'s running sum
// over r or over i, from 0.0); a tile only computes several of them side by side, sharing
// the loads of x, w and g between them. Same operations in the same order per output, so
// the same bits, whatever the tile sizes and the instruction set (Rust never fuses a·b + c
// into an FMA). The `*_tiled` functions are `#[inline(always)]` so that
// [`Simd`] can compile them again for AVX2 with larger tiles.

/// [`affine`] with tiles of `R` rows × `U` units.
#[inline(always)]
pub(crate) fn affine_tiled<T: Element, const R: usize, const U: usize>(
    shape: Layer,
    x: &[T],
    w: &[T],
    b: &[T],
    z: &mut [T],
) {
    let Layer {
        rows,
        inputs: n,
        outputs: m,
    } = shape;
    assert!(x.len() == rows * n && w.len() == m * n && b.len() == m && z.len() == rows * m);
    let mut i0 = 0;
    while i0 + U <= m {
        affine_units::<_, R, U>(shape, x, w, b, i0, z);
        i0 += U;
    }
    for i in i0..m {
        affine_units::<_, R, 1>(shape, x, w, b, i, z);
    }
}

/// Units i0..i0+U of every row of [`affine`], `R` rows at a time (the U weight rows stay
/// in L1 while the batch streams past).
#[inline(always)]
fn affine_units<T: Element, const R: usize, const U: usize>(
    shape: Layer,
    x: &[T],
    w: &[T],
    b: &[T],
    i0: usize,
    z: &mut [T],
) {
    let (n, m) = (shape.inputs, shape.outputs);
    let units: [&[T]; U] = std::array::from_fn(|c| &w[(i0 + c) * n..][..n]);
    let bias = &b[i0..][..U];
    let mut store = |r: usize, dots: &[T; U]| {
        for ((z, &d), &b) in z[r * m + i0..][..U].iter_mut().zip(dots).zip(bias) {
            *z = d + b;
        }
    };
    let mut r0 = 0;
    while r0 + R <= shape.rows {
        let tile = dot_tile::<_, R, U>(std::array::from_fn(|a| &x[(r0 + a) * n..][..n]), units);
        for (a, dots) in tile.iter().enumerate() {
            store(r0 + a, dots);
        }
        r0 += R;
    }
    for r in r0..shape.rows {
        store(r, &dot_tile::<_, 1, U>([&x[r * n..][..n]], units)[0]);
    }
}

/// dot(x[a], w[c]) for every pair, all of one length: the R·U sets of [`dot`]'s four
/// partial sums stay in registers while each chunk of x and w is loaded once per tile.
#[inline(always)]
fn dot_tile<T: Element, const R: usize, const U: usize>(x: [&[T]; R], w: [&[T]; U]) -> [[T; U]; R] {
    let n = w.first().map_or(0, |w| w.len());
    let chunks = n / 4;
    let xc = x.map(|x| &x.as_chunks::<4>().0[..chunks]);
    let wc = w.map(|w| &w.as_chunks::<4>().0[..chunks]);
    let mut acc = [[[T::ZERO; 4]; U]; R];
    for j in 0..chunks {
        for (acc, x) in acc.iter_mut().zip(&xc) {
            for (acc, w) in acc.iter_mut().zip(&wc) {
                for k in 0..4 {
                    acc[k] += x[j][k] * w[j][k];
                }
            }
        }
    }
    std::array::from_fn(|a| {
        std::array::from_fn(|c| {
            let mut tail = T::ZERO;
            for (x, y) in x[a][4 * chunks..].iter().zip(&w[c][4 * chunks..n]) {
                tail += *x * *y;
            }
            let s = acc[a][c];
            (s[0] + s[1]) + (s[2] + s[3]) + tail
        })
    })
}

/// [`affine_param_grads`] with tiles of `A` units × `L` inputs.
#[inline(always)]
pub(crate) fn affine_param_grads_tiled<T: Element, const A: usize, const L: usize>(
    shape: Layer,
    g: &[T],
    x: &[T],
    gw: &mut [T],
    gb: &mut [T],
) {
    let Layer {
        rows,
        inputs: n,
        outputs: m,
    } = shape;
    assert!(g.len() == rows * m && x.len() == rows * n && gw.len() == m * n && gb.len() == m);
    gb.fill(T::ZERO);
    for g in g.chunks_exact(m.max(1)) {
        for (b, &g) in gb.iter_mut().zip(g) {
            *b += g;
        }
    }
    let k0 = weight_grad_strips::<_, A, L>(shape, g, x, 0, gw);
    let k0 = weight_grad_strips::<_, A, 4>(shape, g, x, k0, gw);
    weight_grad_strips::<_, A, 1>(shape, g, x, k0, gw);
}

/// Columns k0.. of gw in strips of `L` (as many as fit), `A` units at a time; returns where
/// it stopped. The strip of x (rows × L) stays in L1 across the units.
#[inline(always)]
fn weight_grad_strips<T: Element, const A: usize, const L: usize>(
    shape: Layer,
    g: &[T],
    x: &[T],
    mut k0: usize,
    gw: &mut [T],
) -> usize {
    let (n, m) = (shape.inputs, shape.outputs);
    while k0 + L <= n {
        let mut block = |i0: usize, sums: &[[T; L]]| {
            for (a, sums) in sums.iter().enumerate() {
                gw[(i0 + a) * n + k0..][..L].copy_from_slice(sums);
            }
        };
        let mut i0 = 0;
        while i0 + A <= m {
            block(
                i0,
                &outer_sums::<_, A, L>(weight_terms::<_, A, L>(g, x, shape, i0, k0)),
            );
            i0 += A;
        }
        for i in i0..m {
            block(
                i,
                &outer_sums::<_, 1, L>(weight_terms::<_, 1, L>(g, x, shape, i, k0)),
            );
        }
        k0 += L;
    }
    k0
}

/// (g[r, i0..i0+A], x[r, k0..k0+L]) for r in order: the terms of a block of gw.
#[inline(always)]
fn weight_terms<'a, T: Element, const A: usize, const L: usize>(
    g: &'a [T],
    x: &'a [T],
    shape: Layer,
    i0: usize,
    k0: usize,
) -> impl Iterator<Item = (&'a [T], &'a [T])> {
    g.chunks_exact(shape.outputs)
        .zip(x.chunks_exact(shape.inputs))
        .map(move |(g, x)| (&g[i0..][..A], &x[k0..][..L]))
}

/// [`affine_input_grad`] with tiles of `A` rows × `L` inputs.
#[inline(always)]
pub(crate) fn affine_input_grad_tiled<T: Element, const A: usize, const L: usize>(
    shape: Layer,
    g: &[T],
    w: &[T],
    dx: &mut [T],
) {
    let Layer {
        rows,
        inputs: n,
        outputs: m,
    } = shape;
    assert!(g.len() == rows * m && w.len() == m * n && dx.len() == rows * n);
    let k0 = input_grad_strips::<_, A, L>(shape, g, w, 0, dx);
    let k0 = input_grad_strips::<_, A, 4>(shape, g, w, k0, dx);
    input_grad_strips::<_, A, 1>(shape, g, w, k0, dx);
}

/// Columns k0.. of dx in strips of `L` (as many as fit), `A` rows at a time; returns where
/// it stopped. The strip of w (outputs × L) stays in L1 across the rows.
#[inline(always)]
fn input_grad_strips<T: Element, const A: usize, const L: usize>(
    shape: Layer,
    g: &[T],
    w: &[T],
    mut k0: usize,
    dx: &mut [T],
) -> usize {
    let (n, m) = (shape.inputs, shape.outputs);
    while k0 + L <= n {
        let mut block = |r0: usize, sums: &[[T; L]]| {
            for (a, sums) in sums.iter().enumerate() {
                dx[(r0 + a) * n + k0..][..L].copy_from_slice(sums);
            }
        };
        let mut r0 = 0;
        while r0 + A <= shape.rows {
            let g: [&[T]; A] = std::array::from_fn(|a| &g[(r0 + a) * m..][..m]);
            block(
                r0,
                &outer_sums::<_, A, L>(input_terms::<_, A, L>(g, w, n, k0)),
            );
            r0 += A;
        }
        for r in r0..shape.rows {
            block(
                r,
                &outer_sums::<_, 1, L>(input_terms::<_, 1, L>([&g[r * m..][..m]], w, n, k0)),
            );
        }
        k0 += L;
    }
    k0
}

/// (g[a][i] for each a, w[i, k0..k0+L]) for i in order: the terms of a block of dx.
#[inline(always)]
fn input_terms<'a, T: Element, const A: usize, const L: usize>(
    g: [&'a [T]; A],
    w: &'a [T],
    n: usize,
    k0: usize,
) -> impl Iterator<Item = ([T; A], &'a [T])> {
    w.chunks_exact(n)
        .enumerate()
        .map(move |(i, w)| (g.map(|g| g[i]), &w[k0..][..L]))
}

/// sums[a][l] = Σ_t s_t[a]·v_t[l] over the terms in order, each sum from 0.0: A × L
/// running sums held in registers for the whole pass (an [`axpy`] per term, fused).
#[inline(always)]
fn outer_sums<T: Element, const A: usize, const L: usize>(
    terms: impl Iterator<Item = (impl AsRef<[T]>, impl AsRef<[T]>)>,
) -> [[T; L]; A] {
    let mut sums = [[T::ZERO; L]; A];
    for (s, v) in terms {
        let (s, v) = (&s.as_ref()[..A], &v.as_ref()[..L]);
        for (sums, &s) in sums.iter_mut().zip(s) {
            for (sum, &v) in sums.iter_mut().zip(v) {
                *sum += s * v;
            }
        }
    }
    sums
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Awkward values (signed zeros, magnitudes far apart) from a fixed recurrence.
    fn values(len: usize, seed: u64) -> Vec<f64> {
        let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..len)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                match s % 16 {
                    0 => -0.0,
                    1 => 0.0,
                    k => {
                        (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5 * 10f64.powi(k as i32 % 7 - 3)
                    }
                }
            })
            .collect()
    }

    /// The plain per-output loops the tiled kernels replace: (z, gw, gb, dx).
    fn reference(shape: Layer, x: &[f64], w: &[f64], b: &[f64], g: &[f64]) -> [Vec<f64>; 4] {
        let Layer {
            rows,
            inputs: n,
            outputs: m,
        } = shape;
        let (mut z, mut gw, mut gb, mut dx) = (
            vec![0.0; rows * m],
            vec![0.0; m * n],
            vec![0.0; m],
            vec![0.0; rows * n],
        );
        for r in 0..rows {
            let xr = &x[r * n..(r + 1) * n];
            for i in 0..m {
                let wi = &w[i * n..(i + 1) * n];
                z[r * m + i] = dot(xr, wi) + b[i];
                let gri = g[r * m + i];
                gb[i] += gri;
                axpy(&mut gw[i * n..(i + 1) * n], gri, xr);
                axpy(&mut dx[r * n..(r + 1) * n], gri, wi);
            }
        }
        [z, gw, gb, dx]
    }

    fn shapes() -> impl Iterator<Item = Layer> {
        let sizes = [1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 17, 33];
        sizes.into_iter().flat_map(move |rows| {
            sizes.into_iter().flat_map(move |inputs| {
                [1, 3, 4, 6, 13].map(move |outputs| Layer {
                    rows,
                    inputs,
                    outputs,
                })
            })
        })
    }

    fn bits(v: &[f64]) -> Vec<u64> {
        v.iter().map(|v| v.to_bits()).collect()
    }

    fn check<const R: usize, const U: usize, const A: usize, const L: usize>() {
        for (seed, shape) in shapes().enumerate() {
            let Layer {
                rows,
                inputs: n,
                outputs: m,
            } = shape;
            let seed = 4 * seed as u64;
            let (x, w) = (values(rows * n, seed), values(m * n, seed + 1));
            let (b, g) = (values(m, seed + 2), values(rows * m, seed + 3));
            let (mut z, mut gw, mut gb, mut dx) = (
                vec![9.0; rows * m],
                vec![9.0; m * n],
                vec![9.0; m],
                vec![9.0; rows * n],
            );
            affine_tiled::<_, R, U>(shape, &x, &w, &b, &mut z);
            affine_param_grads_tiled::<_, A, L>(shape, &g, &x, &mut gw, &mut gb);
            affine_input_grad_tiled::<_, A, L>(shape, &g, &w, &mut dx);
            let want = reference(shape, &x, &w, &b, &g);
            for (got, want) in [z, gw, gb, dx].iter().zip(&want) {
                assert_eq!(bits(got), bits(want), "{shape:?}");
            }
        }
    }

    #[test]
    fn tiles_have_the_bits_of_the_plain_loops() {
        check::<{ AFFINE_TILE.0 }, { AFFINE_TILE.1 }, { GRAD_TILE.0 }, { GRAD_TILE.1 }>();
        check::<1, 1, 1, 1>();
        check::<4, 3, 4, 8>();
        check::<3, 5, 5, 12>();
    }
}
