//! Roots by bisection, to the last bit of the bracket: the one loop the thresholds, the
//! mean field and the saddlepoint share.
//!
//! ```
//! use vanish::theory::roots::bisect;
//! let root = bisect(0.0, 2.0, |x| Some(x * x < 2.0)).unwrap();
//! assert!((root - std::f64::consts::SQRT_2).abs() <= 2.0 * f64::EPSILON);
//! ```

/// The point in [lo, hi] where `above` turns from true to false (`above(x)`: the root lies
/// above x), halving the bracket until its midpoint is one of its ends (at most 200
/// times); `None` as soon as `above` has no answer.
pub fn bisect(mut lo: f64, mut hi: f64, mut above: impl FnMut(f64) -> Option<bool>) -> Option<f64> {
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if above(mid)? {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(0.5 * (lo + hi))
}
