//! The element types the dense kernels and the training runs compute in: f64 (the default)
//! and f32.

use std::fmt::Debug;
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

/// A floating-point element of the dense kernels: `f64` or `f32`.
///
/// Every operation is correctly rounded in the element's own precision (`mul_add` is one
/// rounding on every target: hardware FMA or libm's `fma`), so a kernel written over
/// `Element` gives the same bits on every instruction set. Conversions go through f64:
/// activations and initial weights are computed in f64 and rounded.
///
/// ```
/// use vanish::nets::linalg::Element;
/// assert_eq!(<f32 as Element>::from_f64(0.1), 0.1f32);
/// assert_eq!(2.0f64.mul_add(3.0, 1.0), 7.0);
/// assert_eq!(Element::norm(&[3.0f32, 4.0]), 5.0);
/// ```
pub trait Element:
    Copy
    + Default
    + Debug
    + PartialEq
    + PartialOrd
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// −∞.
    const NEG_INFINITY: Self;
    /// `"f64"` or `"f32"`.
    const NAME: &'static str;
    /// Whether this is f32 (whose vectors hold twice as many lanes).
    const IS_F32: bool;
    /// The nearest element to `v`.
    fn from_f64(v: f64) -> Self;
    /// The exact value as f64.
    fn to_f64(self) -> f64;
    /// self·a + b with one rounding.
    fn mul_add(self, a: Self, b: Self) -> Self;
    /// √self.
    fn sqrt(self) -> Self;
    /// e^self.
    fn exp(self) -> Self;
    /// ln self.
    fn ln(self) -> Self;
    /// The larger of the two (the other if one is NaN).
    fn max(self, other: Self) -> Self;
    /// Neither infinite nor NaN.
    fn is_finite(self) -> bool;
    /// The Euclidean norm of `v` as f64: for f64 the square root of [`super::dot`]`(v, v)`,
    /// for f32 the same sum over the values widened to f64 (no overflow or flush to zero
    /// of the squares).
    fn norm(v: &[Self]) -> f64;
    /// `s` as f64 values, if `Self` is f64 (for kernels written per type).
    fn as_f64s(s: &[Self]) -> Option<&[f64]>;
    /// `s` as mutable f64 values, if `Self` is f64.
    fn as_f64s_mut(s: &mut [Self]) -> Option<&mut [f64]>;
    /// `s` as f32 values, if `Self` is f32.
    fn as_f32s(s: &[Self]) -> Option<&[f32]>;
    /// `s` as mutable f32 values, if `Self` is f32.
    fn as_f32s_mut(s: &mut [Self]) -> Option<&mut [f32]>;
    /// This thread's two packing buffers of [`super::gemm`], lent until [`put_scratch`]
    /// (kept between calls, so a training step allocates nothing once they have grown).
    ///
    /// [`put_scratch`]: Element::put_scratch
    fn take_scratch() -> (Vec<Self>, Vec<Self>);
    /// Gives the buffers of [`Element::take_scratch`] back.
    fn put_scratch(a: Vec<Self>, b: Vec<Self>);
}

macro_rules! element {
    ($t:ty, $name:literal, $f32:literal, $scratch:ident, $as64:expr, $as32:expr) => {
        thread_local! {
            static $scratch: std::cell::Cell<(Vec<$t>, Vec<$t>)> =
                const { std::cell::Cell::new((Vec::new(), Vec::new())) };
        }

        impl Element for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const NEG_INFINITY: Self = <$t>::NEG_INFINITY;
            const NAME: &'static str = $name;
            const IS_F32: bool = $f32;
            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                f64::from(self)
            }
            #[inline(always)]
            fn mul_add(self, a: Self, b: Self) -> Self {
                <$t>::mul_add(self, a, b)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline(always)]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline(always)]
            fn max(self, other: Self) -> Self {
                <$t>::max(self, other)
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
            fn norm(v: &[Self]) -> f64 {
                widened_norm(v)
            }
            fn as_f64s(s: &[Self]) -> Option<&[f64]> {
                $as64(s)
            }
            fn as_f64s_mut(s: &mut [Self]) -> Option<&mut [f64]> {
                $as64(s)
            }
            fn as_f32s(s: &[Self]) -> Option<&[f32]> {
                $as32(s)
            }
            fn as_f32s_mut(s: &mut [Self]) -> Option<&mut [f32]> {
                $as32(s)
            }
            fn take_scratch() -> (Vec<Self>, Vec<Self>) {
                $scratch.take()
            }
            fn put_scratch(a: Vec<Self>, b: Vec<Self>) {
                $scratch.set((a, b));
            }
        }
    };
}

element!(f64, "f64", false, SCRATCH_F64, Some, |_| None);
element!(f32, "f32", true, SCRATCH_F32, |_| None, Some);

/// √(Σ v²) in f64 in [`super::dot`]'s order (for f64, exactly `dot(v, v).sqrt()`).
fn widened_norm<T: Element>(v: &[T]) -> f64 {
    let mut acc = [0.0; 4];
    let chunks = v.chunks_exact(4);
    let rest = chunks.remainder();
    for c in chunks {
        for k in 0..4 {
            let x = c[k].to_f64();
            acc[k] += x * x;
        }
    }
    let mut tail = 0.0;
    for x in rest {
        let x = x.to_f64();
        tail += x * x;
    }
    ((acc[0] + acc[1]) + (acc[2] + acc[3]) + tail).sqrt()
}
