#!/usr/bin/env python3
"""Near-minimax polynomials of the fast kernel (src/mc/fast/real.rs), by Chebyshev
approximation in 60-digit arithmetic (mpmath.chebyfit), rounded to f32 and f64.

Usage:  python3 scripts/reference/fit_kernel_polynomials.py

Prints, for each function and precision, the coefficients lowest order first (as pasted
into real.rs) and the worst relative error of the rounded polynomial on a dense grid,
evaluated in 60 digits (so it is the approximation error plus coefficient rounding, not
the rounding of the evaluation itself).

  exp(r)             on |r| <= 0.3466 (ln2/2 plus the Cody-Waite rounding)
  2 atanh(s)/s = P(z), z = s^2 <= 0.02944 (s = (m-1)/(m+1), m in [sqrt(1/2), sqrt(2)))
  sin(p)/p = S(z),  cos(p) = C(z),  z = p^2 <= (pi/4)^2
"""
import struct

import mpmath as mp

mp.mp.dps = 60
Z_ATANH = mp.mpf("0.02944")
Z_TRIG = (mp.pi / 4) ** 2


def f32(x):
    return struct.unpack("f", struct.pack("f", float(x)))[0]


def shortest(x, ty):
    """The shortest decimal that reads back as x in type ty (Rust's own float syntax)."""
    if ty == "f64":
        return repr(x)
    for digits in range(1, 10):
        text = "%.*g" % (digits, x)
        if f32(float(text)) == x:
            return text if any(c in text for c in ".e") else text + ".0"
    raise ValueError(x)


FUNCS = {
    "EXP": (lambda r: mp.exp(r), (-mp.mpf("0.3466"), mp.mpf("0.3466"))),
    "ATANH": (lambda z: 2 * mp.atanh(mp.sqrt(z)) / mp.sqrt(z) if z > 0 else mp.mpf(2),
              (mp.mpf(0), Z_ATANH)),
    "SIN": (lambda z: mp.sin(mp.sqrt(z)) / mp.sqrt(z) if z > 0 else mp.mpf(1),
            (mp.mpf(0), Z_TRIG)),
    "COS": (lambda z: mp.cos(mp.sqrt(z)), (mp.mpf(0), Z_TRIG)),
}

# Degrees chosen so that the rounded polynomial is within about one unit of the type's
# rounding (f32: 2^-24 = 6e-8, f64: 2^-53 = 1.1e-16).
DEGREES = {
    "f32": {"EXP": 5, "ATANH": 3, "SIN": 3, "COS": 4},
    "f64": {"EXP": 10, "ATANH": 6, "SIN": 6, "COS": 6},
}


def worst(coeffs, f, lo, hi, points=4000):
    w = mp.mpf(0)
    for i in range(points + 1):
        x = lo + (hi - lo) * i / points
        p = mp.mpf(0)
        for c in reversed(coeffs):
            p = p * x + mp.mpf(c)
        w = max(w, abs(p / f(x) - 1))
    return w


def main():
    for ty, degrees in DEGREES.items():
        for name, (f, (lo, hi)) in FUNCS.items():
            # The constant term is held exact (e^0 = 1, P(0) = 2, S(0) = C(0) = 1) and the
            # rest fitted to (f(x) - f(0))/x, so each function is exact at 0.
            c0 = f(mp.mpf(0))
            rest = lambda x: (f(x) - c0) / x if x != 0 else mp.diff(f, 0)
            poly, _ = mp.chebyfit(rest, [lo, hi], degrees[name], error=True)
            coeffs = [c0] + list(reversed(poly))  # lowest order first
            rounded = [f32(c) if ty == "f32" else float(c) for c in coeffs]
            err = worst(rounded, f, lo, hi)
            body = ", ".join(shortest(c, ty) for c in rounded)
            print(f"// {ty} {name}: degree {degrees[name]}, worst relative error {mp.nstr(err, 3)}")
            print(f"const {name}: &'static [{ty}] = &[{body}];")


if __name__ == "__main__":
    main()
