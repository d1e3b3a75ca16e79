//! Small dense kernels shared by the network draws and the training runs: sums in a fixed
//! order (four partial sums), so that results are the same bits on every machine.
//!
//! ```
//! use vanish::linalg::{axpy, dot, dot2};
//! assert_eq!(dot(&[1.0, 2.0, 3.0, 4.0, 5.0], &[1.0; 5]), 15.0);
//! assert_eq!(dot2(&[1.0, 2.0], &[3.0, 4.0], &[1.0, 0.0]), (11.0, 1.0));
//! let mut y = [1.0, 1.0];
//! axpy(&mut y, 2.0, &[1.0, 3.0]);
//! assert_eq!(y, [3.0, 7.0]);
//! ```

/// Σ a_i·b_i with four partial sums (a fixed order: the same bits on every machine).
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..4 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut tail = 0.0;
    for (x, y) in ra.iter().zip(rb) {
        tail += x * y;
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
pub fn axpy(y: &mut [f64], a: f64, x: &[f64]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}
