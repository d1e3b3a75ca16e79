//! The ranges and ticks of a figure's axes, computed from the data alone (no drawing, no
//! files), so that no value read from a file can make an axis that plotters cannot draw:
//! every range is finite, wider than rounding, and inside ±[`LIMIT`].
//!
//! ```
//! use vanish::output::plot::range::{LIMIT, axis_range, ticks, view};
//! assert_eq!(view(f64::NEG_INFINITY, f64::NAN), (0.0, 1.0));
//! assert_eq!(view(-1e308, 1e308), (-LIMIT, LIMIT));
//! let (lo, hi) = axis_range(&[1.0, f64::INFINITY, 3.0]);
//! assert!(lo < 1.0 && hi > 3.0 && hi < 4.0);
//! assert!(ticks((lo, hi), 10).len() <= 12);
//! ```

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::Ranged;

/// The largest magnitude an axis shows: beyond it a figure has nothing a reader could
/// tell apart, and plotters' tick search grows with the range.
pub const LIMIT: f64 = 1e15;

/// The narrowest axis, relative to the magnitude of its ends (below it the ticks would
/// all read the same).
const NARROWEST: f64 = 1e-9;

/// An axis from `lo` to `hi` that a figure can show: finite, inside ±[`LIMIT`], with
/// `lo < hi` and a width of at least a billionth of its magnitude (a flat range is widened
/// around its value; a range with a non-finite end, such as that of no data, is 0 to 1).
pub fn view(lo: f64, hi: f64) -> (f64, f64) {
    if !(lo.is_finite() && hi.is_finite()) {
        return (0.0, 1.0);
    }
    let (lo, hi) = (lo.clamp(-LIMIT, LIMIT), hi.clamp(-LIMIT, LIMIT));
    let (lo, hi) = if hi < lo { (hi, lo) } else { (lo, hi) };
    let least = (lo.abs().max(hi.abs()) * NARROWEST).max(1e-200);
    if hi - lo >= least {
        return (lo, hi);
    }
    let mid = lo / 2.0 + hi / 2.0;
    let half = if mid == 0.0 {
        1.0
    } else {
        (mid.abs() * 0.1).max(least)
    };
    ((mid - half).max(-LIMIT), (mid + half).min(LIMIT))
}

/// The smallest and largest finite values (∞ and −∞ when there are none).
pub fn finite_range(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(v), h.max(v))
        })
}

/// Bounds for data from `lo` to `hi` with 4 % room on each side (a width when flat),
/// made a [`view`].
pub fn padded(lo: f64, hi: f64) -> (f64, f64) {
    if !(lo.is_finite() && hi.is_finite()) {
        return (0.0, 1.0);
    }
    let (lo, hi) = (lo.clamp(-LIMIT, LIMIT), hi.clamp(-LIMIT, LIMIT));
    if hi <= lo {
        let d = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        return view(lo - d, hi + d);
    }
    let pad = (hi - lo) * 0.04;
    view(lo - pad, hi + pad)
}

/// The padded axis over the finite values of `values`.
pub fn axis_range(values: &[f64]) -> (f64, f64) {
    let (lo, hi) = finite_range(values.iter().copied());
    padded(lo, hi)
}

/// Decade bounds around positive data from `lo` to `hi` (for log axes), at most
/// 10^±300 and at least a decade apart.
pub fn decades(lo: f64, hi: f64) -> (f64, f64) {
    if !(lo > 0.0 && hi.is_finite() && hi > 0.0 && lo.is_finite()) {
        return (1e-6, 1.0);
    }
    let (lo, hi) = (lo.min(hi), lo.max(hi));
    let (a, b) = (
        lo.log10().floor().clamp(-300.0, 300.0),
        hi.log10().ceil().clamp(-300.0, 300.0),
    );
    let (a, b) = if b > a { (a, b) } else { (a - 1.0, b + 1.0) };
    (10f64.powf(a), 10f64.powf(b))
}

/// The tick positions plotters chooses for an axis over `range` with at most `most`
/// labels (the search that never ended on an infinite range; `range` goes through
/// [`view`] first).
pub fn ticks(range: (f64, f64), most: usize) -> Vec<f64> {
    let (lo, hi) = view(range.0, range.1);
    let coord: RangedCoordf64 = (lo..hi).into();
    coord.key_points(most.min(100))
}

/// A linear axis over a [`view`] that draws a value far outside it at a point just
/// beyond its edge: plotters turns a coordinate into pixels in `i32` arithmetic, which
/// overflows (a panic, or a wrapped line) for a value such as 1e300 on an axis of 0 to 1.
#[derive(Clone)]
pub struct Clamped(RangedCoordf64);

impl std::fmt::Debug for Clamped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clamped({:?})", self.0.range())
    }
}

impl Clamped {
    /// The axis from `lo` to `hi`, made a [`view`].
    pub fn new(lo: f64, hi: f64) -> Self {
        let (lo, hi) = view(lo, hi);
        Clamped((lo..hi).into())
    }
}

impl Ranged for Clamped {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let r = self.0.range();
        let span = r.end - r.start;
        // Four widths beyond either edge is off the figure, and far from overflowing.
        let v = if v.is_nan() {
            *v
        } else {
            v.clamp(r.start - 4.0 * span, r.end + 4.0 * span)
        };
        self.0.map(&v, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        self.0.key_points(hint)
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.0.range()
    }
}

/// Tick labels as plotters writes those of a plain f64 axis (where a figure sets none).
impl ValueFormatter<f64> for Clamped {
    fn format(value: &f64) -> String {
        RangedCoordf64::format(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_view_is_finite_ordered_and_drawable() {
        let odd = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            1e-300,
            5e-324,
            1e308,
            -1e308,
            f64::MAX,
            f64::MIN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            1e15,
            1e15 + 1.0,
        ];
        for &a in &odd {
            for &b in &odd {
                for (lo, hi) in [view(a, b), padded(a, b), decades(a, b)] {
                    assert!(
                        lo.is_finite() && hi.is_finite() && lo < hi,
                        "{a} {b}: {lo} {hi}"
                    );
                }
                let t = ticks((a, b), 10);
                assert!(
                    t.len() <= 12 && t.iter().all(|x| x.is_finite()),
                    "{a} {b}: {t:?}"
                );
            }
        }
    }

    #[test]
    fn far_values_are_drawn_at_the_edge() {
        let axis = Clamped::new(0.0, 1.0);
        assert_eq!(axis.map(&0.5, (0, 100)), 50);
        for v in [1e300, f64::INFINITY, -1e300, f64::NEG_INFINITY, f64::NAN] {
            let px = axis.map(&v, (0, 100));
            assert!((-400..=500).contains(&px), "{v}: {px}");
        }
    }

    #[test]
    fn ordinary_ranges_are_kept() {
        assert_eq!(view(-2.0, 3.0), (-2.0, 3.0));
        assert_eq!(padded(0.0, 100.0), (-4.0, 104.0));
        assert_eq!(padded(1.0, 1.0), (0.9, 1.1));
        assert_eq!(decades(0.03, 2.0), (0.01, 10.0));
        assert_eq!(decades(1.0, 1.0), (0.1, 10.0));
        assert_eq!(axis_range(&[f64::NAN]), (0.0, 1.0));
    }
}
