//! The sums of a network draw, fused so that each weight is read once while it is in L1.
//!
//! Every sum here has one fixed order, the order of [`crate::nets::linalg::dot`]: four
//! partial sums over the indices ≡ 0, 1, 2, 3 (mod 4) of the whole chunks, the leftover
//! elements added in order into a fifth, and the result `(s₀ + s₁) + (s₂ + s₃) + tail`. A
//! fused kernel computes several such sums in one pass (several rows against the same two
//! vectors, or one vector against three), each in exactly that order, so the bits do not
//! depend on how many are fused, on the tile size, or on the instruction set. The functions
//! are `#[inline(always)]` so that a caller compiled for a wider instruction set gets them
//! compiled for it too.

/// Rows of Gaussian weights drawn by one call of the normal stream (32 KiB at W = 1024,
/// within L1) and then dotted with y and v by [`rows_dot2`].
pub(super) const TILE_ROWS: usize = 4;

/// The rows [`rows_dot2`] keeps in flight on the portable build (SSE2: 2·2 running sums of
/// four lanes fill 8 of the 16 XMM registers; 4 rows would spill).
pub(crate) const PORTABLE_ROWS: usize = 2;

/// The rows in flight on AVX2: 2·4 running sums, one YMM register each, 8 of the 16.
pub(crate) const AVX2_ROWS: usize = 4;

/// The four partial sums of one dot product.
type Lanes = [f64; 4];

/// `(s₀ + s₁) + (s₂ + s₃) + tail`: how the partial sums of every dot product end.
#[inline(always)]
fn finish(s: Lanes, tail: f64) -> f64 {
    (s[0] + s[1]) + (s[2] + s[3]) + tail
}

/// `s += a·b` lane by lane (a product, then a sum: no FMA).
#[inline(always)]
fn add_products(s: &mut Lanes, a: &[f64], b: &[f64]) {
    for k in 0..4 {
        s[k] += a[k] * b[k];
    }
}

/// a·b in the fixed order.
#[inline(always)]
pub(super) fn dot(a: &[f64], b: &[f64]) -> f64 {
    let (ca, cb) = (a.chunks_exact(4), b[..a.len()].chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    let mut s = Lanes::default();
    for (a, b) in ca.zip(cb) {
        add_products(&mut s, a, b);
    }
    let mut tail = 0.0;
    for (a, b) in ra.iter().zip(rb) {
        tail += a * b;
    }
    finish(s, tail)
}

/// `(w_r·y, w_r·v)` for the `R` rows of `w` (row r is `w[r·n..(r+1)·n]`, n = `y.len()`),
/// each sum in the fixed order; `y` and `v` are read once per tile instead of once per row.
#[inline(always)]
pub(super) fn dot2_rows<const R: usize>(w: &[f64], y: &[f64], v: &[f64]) -> [(f64, f64); R] {
    let n = y.len();
    let full = n - n % 4;
    let (v, rows) = (
        &v[..n],
        std::array::from_fn::<&[f64], R, _>(|r| &w[r * n..][..n]),
    );
    let (mut a, mut b) = ([Lanes::default(); R], [Lanes::default(); R]);
    for c in (0..full).step_by(4) {
        let (yc, vc) = (&y[c..c + 4], &v[c..c + 4]);
        for r in 0..R {
            let wc = &rows[r][c..c + 4];
            add_products(&mut a[r], wc, yc);
            add_products(&mut b[r], wc, vc);
        }
    }
    std::array::from_fn(|r| {
        let (mut ta, mut tb) = (0.0, 0.0);
        for i in full..n {
            ta += rows[r][i] * y[i];
            tb += rows[r][i] * v[i];
        }
        (finish(a[r], ta), finish(b[r], tb))
    })
}

/// `a[r] = w_r·y` and `b[r] = w_r·v` for each row r of `w` (rows of n = `y.len()` ≥ 1
/// values, `a.len()` of them), `R` rows at a time: each sum in the fixed order whatever `R`.
/// [`crate::mc::fast::Isa::rows_dot2`] runs it on the best instruction set.
#[inline(always)]
pub(crate) fn rows_dot2<const R: usize>(
    w: &[f64],
    y: &[f64],
    v: &[f64],
    a: &mut [f64],
    b: &mut [f64],
) {
    let n = y.len();
    let rows = a.len();
    let mut tiles = w[..rows * n].chunks_exact(R * n);
    let mut out = a.iter_mut().zip(b.iter_mut());
    for tile in &mut tiles {
        // The tile's sums first: zip stops at them without taking a row from `out`.
        for (ab, (a, b)) in dot2_rows::<R>(tile, y, v).into_iter().zip(&mut out) {
            (*a, *b) = ab;
        }
    }
    for ((a, b), row) in out.zip(tiles.remainder().chunks_exact(n)) {
        (*a, *b) = dot2_rows::<1>(row, y, v)[0];
    }
}

/// One Householder reflector with its sign, applied to `y` and `v` (the coordinates k…N−1
/// of the input and the tangent) from `z`, the fresh normals of the reflector (replaced by
/// its Householder vector): z₀ += sign(z₀)·‖z‖, then y ← y − 2(z·y)/(z·z)·z (and v alike),
/// with the sign D = −sign(z₀) applied to y₀ and v₀ `before` the reflection or after it.
/// Three passes over z: ‖z‖², then (z·z, z·y, z·v), then both updates.
/// [`crate::mc::fast::Isa::reflect`] runs it on the best instruction set.
#[inline(always)]
pub(crate) fn reflect(z: &mut [f64], y: &mut [f64], v: &mut [f64], before: bool) {
    let norm = dot(z, z).sqrt();
    let sign = if z[0] >= 0.0 { 1.0 } else { -1.0 };
    z[0] += sign * norm;
    if before {
        y[0] *= -sign;
        v[0] *= -sign;
    }
    let (ww, zy, zv) = dot3(z, y, v);
    if ww > 0.0 {
        sub2(y, 2.0 * zy / ww, v, 2.0 * zv / ww, z);
    }
    if !before {
        y[0] *= -sign;
        v[0] *= -sign;
    }
}

/// `(z·z, z·y, z·v)` in one pass, each in the fixed order.
#[inline(always)]
fn dot3(z: &[f64], y: &[f64], v: &[f64]) -> (f64, f64, f64) {
    let n = z.len();
    let (cz, cy, cv) = (
        z.chunks_exact(4),
        y[..n].chunks_exact(4),
        v[..n].chunks_exact(4),
    );
    let (rz, ry, rv) = (cz.remainder(), cy.remainder(), cv.remainder());
    let (mut zz, mut zy, mut zv) = (Lanes::default(), Lanes::default(), Lanes::default());
    for ((z, y), v) in cz.zip(cy).zip(cv) {
        add_products(&mut zz, z, z);
        add_products(&mut zy, z, y);
        add_products(&mut zv, z, v);
    }
    let (mut tz, mut ty, mut tv) = (0.0, 0.0, 0.0);
    for ((z, y), v) in rz.iter().zip(ry).zip(rv) {
        tz += z * z;
        ty += z * y;
        tv += z * v;
    }
    (finish(zz, tz), finish(zy, ty), finish(zv, tv))
}

/// `y −= a·z` and `v −= b·z` in one pass (a product, then a difference: no FMA).
#[inline(always)]
fn sub2(y: &mut [f64], a: f64, v: &mut [f64], b: f64, z: &[f64]) {
    let n = z.len();
    for ((y, v), &z) in y[..n].iter_mut().zip(&mut v[..n]).zip(z) {
        *y -= a * z;
        *v -= b * z;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixed order written out one term at a time.
    fn reference(a: &[f64], b: &[f64]) -> f64 {
        let full = a.len() - a.len() % 4;
        let mut s = [0.0; 4];
        for i in 0..full {
            s[i % 4] += a[i] * b[i];
        }
        let mut tail = 0.0;
        for i in full..a.len() {
            tail += a[i] * b[i];
        }
        (s[0] + s[1]) + (s[2] + s[3]) + tail
    }

    /// Numbers whose sums round differently in other orders.
    fn wiggly(n: usize, seed: f64) -> Vec<f64> {
        (0..n)
            .map(|i| ((i as f64 + seed) * 0.731).sin() * 10f64.powi((i % 7) as i32 - 3))
            .collect()
    }

    #[test]
    fn fused_sums_have_the_bits_of_one_dot_product_at_a_time() {
        for n in [1, 3, 4, 5, 8, 13, 64, 67, 256] {
            let (y, v) = (wiggly(n, 0.5), wiggly(n, 1.5));
            let w = wiggly(TILE_ROWS * n, 2.5);
            let tile = dot2_rows::<TILE_ROWS>(&w, &y, &v);
            for (r, &(a, b)) in tile.iter().enumerate() {
                let row = &w[r * n..(r + 1) * n];
                assert_eq!(a.to_bits(), reference(row, &y).to_bits(), "n {n} row {r}");
                assert_eq!(b.to_bits(), reference(row, &v).to_bits(), "n {n} row {r}");
                assert_eq!(dot2_rows::<1>(row, &y, &v)[0], (a, b));
            }
            let (mut a, mut b) = (vec![0.0; TILE_ROWS + 3], vec![0.0; TILE_ROWS + 3]);
            let w7 = wiggly((TILE_ROWS + 3) * n, 3.5);
            rows_dot2::<PORTABLE_ROWS>(&w7, &y, &v, &mut a, &mut b);
            let (mut a4, mut b4) = (a.clone(), b.clone());
            rows_dot2::<AVX2_ROWS>(&w7, &y, &v, &mut a4, &mut b4);
            for r in 0..TILE_ROWS + 3 {
                let row = &w7[r * n..(r + 1) * n];
                assert_eq!(
                    a[r].to_bits(),
                    reference(row, &y).to_bits(),
                    "n {n} row {r}"
                );
                assert_eq!(
                    b[r].to_bits(),
                    reference(row, &v).to_bits(),
                    "n {n} row {r}"
                );
                assert_eq!(
                    (a4[r].to_bits(), b4[r].to_bits()),
                    (a[r].to_bits(), b[r].to_bits())
                );
            }
            let z = &w[..n];
            let (zz, zy, zv) = dot3(z, &y, &v);
            assert_eq!(zz.to_bits(), reference(z, z).to_bits());
            assert_eq!(zy.to_bits(), reference(z, &y).to_bits());
            assert_eq!(zv.to_bits(), reference(z, &v).to_bits());
            assert_eq!(dot(z, &y).to_bits(), zy.to_bits());
        }
    }

    #[test]
    fn sub2_is_two_updates() {
        let z = wiggly(11, 0.0);
        let (mut y, mut v) = (wiggly(11, 1.0), wiggly(11, 2.0));
        let (y0, v0) = (y.clone(), v.clone());
        sub2(&mut y, 0.3, &mut v, -1.7, &z);
        for i in 0..11 {
            assert_eq!(y[i], y0[i] - 0.3 * z[i]);
            assert_eq!(v[i], v0[i] - -1.7 * z[i]);
        }
    }
}
