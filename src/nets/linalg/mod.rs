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
mod gemm;
mod tanh;

pub(crate) use gemm::Micro;
use gemm::{Dims, Plain, View};

pub use dispatch::Simd;
pub use element::Element;
pub use tanh::{tanh, tanh_lanes};

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

/// Register tile (rows × columns of outputs) of the portable build.
const PORTABLE_TILE: (usize, usize) = (4, 4);

/// z[r, i] = b[i] + Σ_k x[r, k]·w[i, k] for every example r and unit i, each output one
/// FMA chain over k in order from b[i] (see [`gemm`] for why that order gives the same
/// bits on every instruction set).
///
/// ```
/// use vanish::nets::linalg::{Layer, affine};
/// let shape = Layer { rows: 2, inputs: 3, outputs: 1 };
/// let mut z = [0.0; 2];
/// affine(shape, &[1.0, 2.0, 3.0, 0.0, 1.0, 0.0], &[1.0, 1.0, 1.0], &[0.5], &mut z);
/// assert_eq!(z, [6.5, 1.5]);
/// ```
pub fn affine<T: Element>(shape: Layer, x: &[T], w: &[T], b: &[T], z: &mut [T]) {
    affine_tiled::<T, _, { PORTABLE_TILE.0 }, { PORTABLE_TILE.1 }>(Plain, shape, x, w, b, z);
}

/// The gradients of [`affine`]'s parameters given g = ∂L/∂z: gw[i, k] = Σ_r g[r, i]·x[r, k]
/// (one FMA chain over r in order from 0) and gb[i] = Σ_r g[r, i] (summed over r in order
/// from 0). Both are overwritten.
///
/// ```
/// use vanish::nets::linalg::{Layer, affine_param_grads};
/// let shape = Layer { rows: 2, inputs: 2, outputs: 1 };
/// let (mut gw, mut gb) = ([0.0; 2], [0.0; 1]);
/// affine_param_grads(shape, &[1.0, 2.0], &[3.0, 4.0, 5.0, 6.0], &mut gw, &mut gb);
/// assert_eq!((gw, gb), ([13.0, 16.0], [3.0]));
/// ```
pub fn affine_param_grads<T: Element>(shape: Layer, g: &[T], x: &[T], gw: &mut [T], gb: &mut [T]) {
    affine_param_grads_tiled::<T, _, { PORTABLE_TILE.0 }, { PORTABLE_TILE.1 }>(
        Plain, shape, g, x, gw, gb,
    );
}

/// The gradient of [`affine`]'s input given g = ∂L/∂z: dx[r, k] = Σ_i g[r, i]·w[i, k], one
/// FMA chain over i in order from 0. `dx` is overwritten.
///
/// ```
/// use vanish::nets::linalg::{Layer, affine_input_grad};
/// let shape = Layer { rows: 1, inputs: 2, outputs: 2 };
/// let mut dx = [0.0; 2];
/// affine_input_grad(shape, &[1.0, 2.0], &[3.0, 4.0, 5.0, 6.0], &mut dx);
/// assert_eq!(dx, [13.0, 16.0]);
/// ```
pub fn affine_input_grad<T: Element>(shape: Layer, g: &[T], w: &[T], dx: &mut [T]) {
    affine_input_grad_tiled::<T, _, { PORTABLE_TILE.0 }, { PORTABLE_TILE.1 }>(
        Plain, shape, g, w, dx,
    );
}

// The `*_tiled` functions are `#[inline(always)]` so that [`Simd`] can compile them again
// for AVX2 and AVX-512 with larger tiles (which change no sum's order).

/// [`affine`] with `MR × NR` register tiles.
#[inline(always)]
pub(crate) fn affine_tiled<T: Element, K: Micro<T, MR, NR>, const MR: usize, const NR: usize>(
    kernel: K,
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
    let (a, wt) = (
        View {
            data: x,
            rs: n,
            cs: 1,
        },
        View {
            data: w,
            rs: 1,
            cs: n,
        },
    );
    gemm::gemm(
        kernel,
        Dims {
            m: rows,
            n: m,
            k: n,
        },
        a,
        wt,
        Some(b),
        z,
    );
}

/// [`affine_param_grads`] with `MR × NR` register tiles.
#[inline(always)]
pub(crate) fn affine_param_grads_tiled<
    T: Element,
    K: Micro<T, MR, NR>,
    const MR: usize,
    const NR: usize,
>(
    kernel: K,
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
    let (gt, a) = (
        View {
            data: g,
            rs: 1,
            cs: m,
        },
        View {
            data: x,
            rs: n,
            cs: 1,
        },
    );
    gemm::gemm(kernel, Dims { m, n, k: rows }, gt, a, None, gw);
}

/// [`affine_input_grad`] with `MR × NR` register tiles.
#[inline(always)]
pub(crate) fn affine_input_grad_tiled<
    T: Element,
    K: Micro<T, MR, NR>,
    const MR: usize,
    const NR: usize,
>(
    kernel: K,
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
    let (a, b) = (
        View {
            data: g,
            rs: m,
            cs: 1,
        },
        View {
            data: w,
            rs: n,
            cs: 1,
        },
    );
    gemm::gemm(kernel, Dims { m: rows, n, k: m }, a, b, None, dx);
}

#[cfg(test)]
mod tests {
    use super::gemm::plain;
    use super::*;

    /// Awkward values (signed zeros, magnitudes far apart) from a fixed recurrence.
    pub(crate) fn values(len: usize, seed: u64) -> Vec<f64> {
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

    /// The plain triple loops of the three products: (z, gw, gb, dx).
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
        let v = |data, rs, cs| View { data, rs, cs };
        plain(
            Dims {
                m: rows,
                n: m,
                k: n,
            },
            v(x, n, 1),
            v(w, 1, n),
            Some(b),
            &mut z,
        );
        plain(
            Dims { m, n, k: rows },
            v(g, 1, m),
            v(x, n, 1),
            None,
            &mut gw,
        );
        plain(
            Dims { m: rows, n, k: m },
            v(g, m, 1),
            v(w, n, 1),
            None,
            &mut dx,
        );
        for r in 0..rows {
            for i in 0..m {
                gb[i] += g[r * m + i];
            }
        }
        [z, gw, gb, dx]
    }

    pub(crate) fn shapes() -> impl Iterator<Item = Layer> {
        let sizes = [1, 2, 3, 7, 8, 9, 13, 17, 33];
        sizes.into_iter().flat_map(move |rows| {
            sizes.into_iter().flat_map(move |inputs| {
                [1, 3, 4, 6, 13, 17, 33].map(move |outputs| Layer {
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

    fn check<const MR: usize, const NR: usize>(shape: Layer, seed: u64) {
        let Layer {
            rows,
            inputs: n,
            outputs: m,
        } = shape;
        let (x, w) = (values(rows * n, seed), values(m * n, seed + 1));
        let (b, g) = (values(m, seed + 2), values(rows * m, seed + 3));
        let (mut z, mut gw, mut gb, mut dx) = (
            vec![9.0; rows * m],
            vec![9.0; m * n],
            vec![9.0; m],
            vec![9.0; rows * n],
        );
        affine_tiled::<_, _, MR, NR>(Plain, shape, &x, &w, &b, &mut z);
        affine_param_grads_tiled::<_, _, MR, NR>(Plain, shape, &g, &x, &mut gw, &mut gb);
        affine_input_grad_tiled::<_, _, MR, NR>(Plain, shape, &g, &w, &mut dx);
        let want = reference(shape, &x, &w, &b, &g);
        for (got, want) in [z, gw, gb, dx].iter().zip(&want) {
            assert_eq!(bits(got), bits(want), "{shape:?} {MR}x{NR}");
        }
    }

    #[test]
    fn packed_products_have_the_bits_of_the_plain_loops() {
        for (seed, shape) in shapes().enumerate() {
            let seed = 4 * seed as u64;
            check::<{ PORTABLE_TILE.0 }, { PORTABLE_TILE.1 }>(shape, seed);
            check::<1, 1>(shape, seed);
            check::<3, 5>(shape, seed);
            check::<8, 16>(shape, seed);
        }
    }

    /// Depths past one block (KC = 128) and rows past one A block (MC = 128): the chains
    /// paused and resumed through C keep their order.
    #[test]
    fn blocked_products_have_the_bits_of_the_plain_loops() {
        for (k, shape) in [(300, 130, 5), (513, 7, 19), (257, 129, 40)]
            .into_iter()
            .enumerate()
        {
            let shape = Layer {
                rows: shape.1,
                inputs: shape.0,
                outputs: shape.2,
            };
            check::<4, 8>(shape, 1000 + k as u64);
            let shape = Layer {
                rows: shape.inputs,
                inputs: shape.outputs,
                outputs: shape.rows,
            };
            check::<8, 16>(shape, 2000 + k as u64);
        }
    }
}
