//! Binning ln g into the histograms of a [`Summary`] fast: each value's HDR bucket is
//! computed in vector code, counted in a dense array of buckets, and the counts are handed
//! to the HDR histograms only when flushed (once per wave of blocks, not once per sample).
//! The histograms end up exactly as if every value had been recorded one by one.

use std::f64::consts::LOG10_E;

use super::{MAX_UNITS, Summary, UNITS_PER_DECADE, round_half_away};
use crate::mc::fast::Isa;

/// Sub-buckets per HDR bucket at [`super::HDR_SIGFIG`] = 3 and lowest value 1: values below
/// 2048 have a bucket each, and each power of two above has 1024.
const SUB_BUCKETS: u64 = 2048;
/// log2 of half of [`SUB_BUCKETS`].
const HALF_MAGNITUDE: u32 = 10;
/// 64 − log2 [`SUB_BUCKETS`]: the HDR crate's `leading_zero_count_base`.
const LEADING_ZERO_BASE: u32 = 53;
/// Slots of the dense count array: 0 = not finite (not binned), then the unbinned counts
/// below and above, [`LARGE`], then two slots (upper, lower) per HDR bucket index.
const NOT_FINITE: u32 = 0;
const UNBINNED_BELOW: u32 = 1;
const UNBINNED_ABOVE: u32 = 2;
const FIRST_BUCKET: u32 = 4;
/// Values whose slots are computed in one go.
const STEP: usize = 256;

/// The HDR bucket index of `v` (the crate's `index_for` at 3 significant digits and
/// lowest discernible value 1): v itself below 2048, then 1024 per power of two.
#[inline(always)]
fn bucket_index(v: u64) -> u64 {
    let b = u64::from(LEADING_ZERO_BASE - (v | (SUB_BUCKETS - 1)).leading_zeros());
    (b << HALF_MAGNITUDE) + (v >> b)
}

/// The lowest value of bucket `index` (the inverse of [`bucket_index`] on bucket starts).
fn bucket_value(index: u64) -> u64 {
    if index < SUB_BUCKETS {
        index
    } else {
        let b = (index >> HALF_MAGNITUDE) - 1;
        (index - (b << HALF_MAGNITUDE)) << b
    }
}

/// The slot of a value whose |units| is 2^52 or more (or NaN): those are computed one by
/// one, by [`large_slot`], so that the vector code needs no 64-bit float conversion.
const LARGE: u32 = 3;
const TWO_52: f64 = 4_503_599_627_370_496.0;

/// units = round(1000·(log10 g − anchor)), half away from zero.
#[inline(always)]
fn units(anchor: f64, l: f64) -> f64 {
    round_half_away((l * LOG10_E - anchor) * UNITS_PER_DECADE)
}

/// The slot of units in the histograms' count array.
#[inline(always)]
fn binned_slot(units: f64, v: u64) -> u32 {
    FIRST_BUCKET + 2 * bucket_index(v) as u32 + u32::from(units < 0.0)
}

/// The slot of each ln g of `ln_g` in `slots` (|units| ≥ 2^52 marked [`LARGE`]).
#[inline(always)]
pub(crate) fn slots(anchor: f64, ln_g: &[f64], slots: &mut [u32]) {
    for (s, &l) in slots.iter_mut().zip(ln_g) {
        let units = units(anchor, l);
        let a = units.abs();
        let small = a < TWO_52;
        // An integral a below 2^52 is the low bits of a + 2^52, exactly.
        let v = (if small { a } else { 0.0 } + TWO_52).to_bits() - TWO_52.to_bits();
        let slot = if small { binned_slot(units, v) } else { LARGE };
        *s = if l.is_finite() { slot } else { NOT_FINITE };
    }
}

/// The slot of a finite ln g marked [`LARGE`]: unbinned beyond [`MAX_UNITS`].
fn large_slot(anchor: f64, l: f64) -> u32 {
    let units = units(anchor, l);
    if units > MAX_UNITS {
        UNBINNED_ABOVE
    } else if units < -MAX_UNITS {
        UNBINNED_BELOW
    } else {
        binned_slot(units, units.abs() as u64)
    }
}

/// Histogram counts not yet handed to a [`Summary`]: one per HDR bucket (and per side of
/// the anchor), grown to the largest bucket seen.
///
/// ```
/// use vanish::mc::summary::{Bins, Summary, Thresholds};
/// let th = Thresholds { ln_vanish: -1.0, ln_explode: 1.0, ln_cap: 5.0 };
/// let (mut a, mut b) = (Summary::new(th, 0.0), Summary::new(th, 0.0));
/// let ln_g = [0.0, 1.0, -1.0, 1.0, 1e6, f64::NAN];
/// a.bin_block(&ln_g);
/// let mut bins = Bins::default();
/// bins.bin(&mut b, &ln_g[..2]);
/// bins.bin(&mut b, &ln_g[2..]);
/// bins.flush(&mut b);
/// assert_eq!(a.buckets(), b.buckets());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Bins {
    counts: Vec<u32>,
    /// Values counted since the last flush (bounds every count below 2^32).
    pending: u64,
    slots: Vec<u32>,
}

impl Bins {
    /// Counts the finite ln g of `ln_g` against `summary`'s anchor (flushing into it first
    /// if a count could overflow).
    pub fn bin(&mut self, summary: &mut Summary, ln_g: &[f64]) {
        if self.pending + ln_g.len() as u64 > u64::from(u32::MAX) {
            self.flush(summary);
        }
        self.pending += ln_g.len() as u64;
        self.slots.resize(STEP, NOT_FINITE);
        let isa = Isa::detect();
        for part in ln_g.chunks(STEP) {
            let slots = &mut self.slots[..part.len()];
            isa.histogram_slots(summary.anchor, part, slots);
            for &s in slots.iter() {
                let s = s as usize;
                if s >= self.counts.len() {
                    self.counts.resize((s + 1).next_power_of_two(), 0);
                }
                self.counts[s] += 1;
            }
            // Values marked LARGE (rare) move from that slot to their own.
            let large = LARGE as usize;
            if self.counts.get(large).is_some_and(|&n| n > 0) {
                self.counts[large] = 0;
                for (_, &l) in slots.iter().zip(part).filter(|(s, _)| **s == LARGE) {
                    let s = large_slot(summary.anchor, l) as usize;
                    if s >= self.counts.len() {
                        self.counts.resize((s + 1).next_power_of_two(), 0);
                    }
                    self.counts[s] += 1;
                }
            }
        }
    }

    /// Adds the counts to `summary`'s histograms and unbinned counts, and starts afresh.
    pub fn flush(&mut self, summary: &mut Summary) {
        for (slot, count) in self.counts.iter_mut().enumerate() {
            let (slot, n) = (slot as u32, u64::from(*count));
            if n == 0 {
                continue;
            }
            *count = 0;
            match slot {
                NOT_FINITE => {}
                UNBINNED_BELOW => summary.unbinned_below += n,
                UNBINNED_ABOVE => summary.unbinned_above += n,
                _ => {
                    let side = slot - FIRST_BUCKET;
                    let value = bucket_value(u64::from(side / 2));
                    let h = if side.is_multiple_of(2) {
                        &mut summary.upper
                    } else {
                        &mut summary.lower
                    };
                    h.record_n(value, n).expect("auto-resizing");
                }
            }
        }
        self.pending = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mc::summary::Thresholds;
    use hdrhistogram::Histogram;

    #[test]
    fn bucket_index_is_the_hdr_bucket() {
        let h = Histogram::<u64>::new(super::super::HDR_SIGFIG).unwrap();
        let mut v = 1u64;
        let mut values = vec![
            0u64,
            1,
            2047,
            2048,
            2049,
            4095,
            4096,
            4_000_000_000_000_000_000,
        ];
        while v < 4_000_000_000_000_000_000 {
            values.extend([v - 1, v, v + 1]);
            v = v * 3 / 2 + 1;
        }
        for v in values {
            let i = bucket_index(v);
            assert_eq!(bucket_value(i), h.lowest_equivalent(v), "{v}");
            if bucket_value(i) > 0 {
                assert_eq!(bucket_index(bucket_value(i) - 1), i - 1, "{v}");
            }
        }
    }

    /// ln g over the whole range: ordinary values, ties of the rounding, the edges of the
    /// histogram and of the vector path (2^52 units), beyond them, and not finite.
    fn awkward_ln_g(anchor: f64) -> Vec<f64> {
        let mut out = vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -0.0, 1e300];
        out.push(-1e300);
        let mut x = 0.123_456_789f64;
        for _ in 0..20_000 {
            x = (x * 997.0 + 0.5).fract();
            out.push((x - 0.5) * 200.0);
        }
        for units in [
            0.5,
            1.5,
            2047.5,
            2048.5,
            TWO_52,
            2.0 * TWO_52,
            MAX_UNITS,
            4.1e18,
        ] {
            for u in [units, -units, units * (1.0 + 1e-15), -units * (1.0 - 1e-15)] {
                out.push((u / UNITS_PER_DECADE + anchor) / LOG10_E);
            }
        }
        out
    }

    #[test]
    fn bins_give_the_histograms_of_recording_every_value() {
        let th = Thresholds {
            ln_vanish: -1.0,
            ln_explode: 1.0,
            ln_cap: 5.0,
        };
        let anchor = -3.217;
        let ln_g = awkward_ln_g(anchor);
        let mut want = Summary::new(th, anchor);
        for &l in &ln_g {
            if !l.is_finite() {
                continue;
            }
            let units = ((l * LOG10_E - want.anchor) * UNITS_PER_DECADE).round();
            if units > MAX_UNITS {
                want.unbinned_above += 1;
            } else if units < -MAX_UNITS {
                want.unbinned_below += 1;
            } else if units >= 0.0 {
                want.upper.record(units as u64).unwrap();
            } else {
                want.lower.record((-units) as u64).unwrap();
            }
        }
        assert!(want.unbinned_above > 0 && want.unbinned_below > 0);
        let recorded = |h: &Histogram<u64>| -> Vec<(u64, u64)> {
            h.iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value()))
                .collect()
        };
        let mut got = Summary::new(th, anchor);
        let mut bins = Bins::default();
        for part in ln_g.chunks(777) {
            bins.bin(&mut got, part);
        }
        bins.flush(&mut got);
        assert_eq!(recorded(&got.upper), recorded(&want.upper));
        assert_eq!(recorded(&got.lower), recorded(&want.lower));
        assert_eq!(got.buckets(), want.buckets());
        assert_eq!(
            (got.unbinned_below, got.unbinned_above),
            (want.unbinned_below, want.unbinned_above)
        );
        let mut portable = vec![0u32; ln_g.len()];
        slots(got.anchor, &ln_g, &mut portable);
        for isa in Isa::levels() {
            let mut s = vec![0u32; ln_g.len()];
            isa.histogram_slots(got.anchor, &ln_g, &mut s);
            assert_eq!(s, portable, "{}", isa.name());
        }
    }
}
