#!/usr/bin/env python3
"""Write reference tails of ln g for the saddlepoint tests, by numerical inversion of the
Laplace transform along the saddlepoint contour (independent of the lattice and of the
saddlepoint expansions).

Usage:  python3 scripts/reference/make_tail_reference.py     (needs numpy and scipy; ~10 min)

Output (overwritten; deterministic): tests/data/tail_reference.csv
    n,sigma,depth,s,tail,p,p_coarse
  ln g = S = sum of `depth` iid Y = ln(n) + ln sech^2(n x), x ~ Normal(0, sigma) (f = tanh(n x)).
  tail = lower: p = P(S < s); tail = upper: p = P(S > s). s is placed where p is about
  1e-2, 1e-10, 1e-30 and 1e-100 (the Lugannani-Rice value is used only to place s).
  p_coarse is the same inversion with twice the step along the contour; the script fails
  when the two differ by more than 1e-7 relative. Cases within ~1e-9 of the cap, where
  t*s - K*kappa(t) cancels beyond what f64 holds (|t|*max(|s|, K ln n) > 1e6), are left
  out (and named on stderr).

Method: with z = t + iy on the vertical line through the saddlepoint t (K kappa'(t) = s),
  P(S > s) =  1/(2 pi) * integral Re[exp(K kappa(z) - z s) / z] dy      (t > 0)
  P(S < s) = -1/(2 pi) * integral Re[exp(K kappa(z) - z s) / z] dy      (t < 0)
with kappa(z) = z ln n + ln E[exp(z ln sech^2(n x))]. The x-integral is 40-point
Gauss-Legendre on panels narrower than the tilted density's scale, the analyticity radius
of sech (pi/(2n)) and two wavelengths of the oscillation; weights are combined in logs so
that no tilt underflows. The y-integral is the trapezoid rule in u with y = a sinh(u),
a = 1/sqrt(K kappa''(t)) (exponentially convergent for this analytic integrand), carried
out until the integrand is 1e-19 of its value at y = 0, with arg E[...] unwrapped along y.
"""
import os
import sys

import numpy as np
from numpy.polynomial.legendre import leggauss
from scipy.optimize import brentq
from scipy.stats import norm

GL_X, GL_W = leggauss(40)


def lnsech2(v):
    """ln sech^2(v) for v >= 0, without overflow, and with full relative precision
    near 0 (-2 ln cosh v = -2 ln(1 + 2 sinh^2(v/2)))."""
    small = np.minimum(v, 1.0)
    near = -2 * np.log1p(2 * np.sinh(small / 2) ** 2)
    far = 2 * np.log(2) - 2 * v - 2 * np.log1p(np.exp(-2 * v))
    return np.where(v < 1.0, near, far)


def nodes(n, sigma, t, y):
    """x >= 0 nodes and log weights (times the normal density, doubled: x is symmetric)."""
    out = 2 * n * abs(t) * sigma**2 if t < 0 else 0.0
    xmax = out + 40 * sigma
    if t > 0:
        # beyond t*Z < -800 nothing counts: ln sech^2 v <= -5v^2/6 (v <= 1), <= 2 ln 2 - 2v
        v = np.sqrt(960 / t)
        xmax = min(xmax, (v if v <= 1 else 400 / t + np.log(2)) / n)
    slope = min(2 * n, 2 * n * n * xmax)  # |dZ/dx| on [0, xmax]
    width = min(
        sigma / 4,
        np.pi / (4 * n),
        1.0 / (n * np.sqrt(abs(t)) + 1e-300) / 2,
        4 * np.pi / (slope * abs(y) + 1e-300),  # two wavelengths of exp(iyZ)
    )
    m = int(np.ceil(xmax / width))
    edges = np.linspace(0, xmax, m + 1)
    a, b = edges[:-1, None], edges[1:, None]
    x = (0.5 * (b - a) * GL_X + 0.5 * (a + b)).ravel()
    wt = np.broadcast_to(0.5 * (b - a) * GL_W, (m, len(GL_X))).ravel()
    lndens = np.log(2 / (sigma * np.sqrt(2 * np.pi))) - 0.5 * (x / sigma) ** 2
    return x, np.log(wt) + lndens


def ln_mgf(n, sigma, t, y):
    """ln E[exp((t + iy) Z)], Z = ln sech^2(n x): principal branch of the log."""
    x, lw = nodes(n, sigma, t, y)
    z = lnsech2(n * x)
    e = t * z + lw
    mx = e.max()
    return mx + np.log(np.sum(np.exp(e - mx + 1j * y * z)))


def moments(n, sigma, t):
    """ln E[exp(tZ)], the tilted mean and variance of Z."""
    x, lw = nodes(n, sigma, t, 0.0)
    z = lnsech2(n * x)
    e = t * z + lw
    mx = e.max()
    p = np.exp(e - mx)
    m0 = p.sum()
    m1 = (p * z).sum() / m0
    return mx + np.log(m0), m1, (p * (z - m1) ** 2).sum() / m0


def saddlepoint(n, sigma, depth, s):
    target = s / depth - np.log(n)
    f = lambda t: moments(n, sigma, t)[1] - target
    lo, hi = -1.0, 1.0
    while f(lo) > 0:
        lo *= 2
    while f(hi) < 0:
        hi *= 2
    return brentq(f, lo, hi, xtol=1e-14)  # any t on the right side is a valid contour


def inversion(n, sigma, depth, s, du):
    """The tail on the saddlepoint's side: P(S > s) for t > 0, P(S < s) for t < 0."""
    c = np.log(n)
    t = saddlepoint(n, sigma, depth, s)
    k0, _, var = moments(n, sigma, t)
    a = 1 / np.sqrt(depth * var)
    base = depth * (k0 + c * t) - t * s  # the real log of the integrand at y = 0
    total = 0.0
    for sign in (1, -1):
        u, prev, acc, peak = 0.0, 0.0, 0.0, None
        while u < 40:
            y = sign * a * np.sinh(u)
            z = t + 1j * y
            lm = ln_mgf(n, sigma, t, y)
            arg = prev + (lm.imag - prev + np.pi) % (2 * np.pi) - np.pi
            prev = arg
            big = depth * (lm.real + 1j * arg + c * z) - z * s - base
            jac = a * np.cosh(u)
            v = (np.exp(big) / z).real * jac
            acc += v * (0.5 if u == 0 else 1.0)
            size = np.exp(big.real) / abs(z) * jac
            peak = size if peak is None else peak
            if u > 1 and size < 1e-19 * peak:
                break
            u += du
        total += acc * du
    p = total / (2 * np.pi) * np.exp(base)
    return t, (p if t > 0 else -p)


def lugannani_rice(n, sigma, depth, t):
    """s(t) and the Lugannani-Rice tail on t's side, to place s."""
    c = np.log(n)
    k0, m1, var = moments(n, sigma, t)
    s = depth * (c + m1)
    w = np.sign(t) * np.sqrt(max(2 * (t * s - depth * (k0 + c * t)), 0))
    u = t * np.sqrt(depth * var)
    corr = norm.pdf(w) * (1 / u - 1 / w)
    return s, (norm.sf(w) + corr if t > 0 else norm.cdf(w) - corr)


def place(n, sigma, depth, lower, target):
    """s where the Lugannani-Rice tail is about `target` (log-bisection on t)."""
    sign = -1.0 if lower else 1.0
    g = lambda lt: np.log10(lugannani_rice(n, sigma, depth, sign * np.exp(lt))[1]) - np.log10(target)
    lo = np.log(0.5 / np.sqrt(depth * moments(n, sigma, 0.0)[2]))  # w ~ 0.5: p ~ 0.3
    hi = lo + 1.0
    while g(hi) > 0:
        hi += 1.0
    return lugannani_rice(n, sigma, depth, sign * np.exp(brentq(g, lo, hi, xtol=1e-10)))[0]


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    path = os.path.join(root, "tests", "data", "tail_reference.csv")
    rows = ["n,sigma,depth,s,tail,p,p_coarse"]
    bad = 0
    for n in (1.0, 1.81, 2.0, 4.0):
        for sigma in (0.5, 1.0, 2.0):
            for depth in (20, 50, 1000):
                for lower in (True, False):
                    for target in (1e-2, 1e-10, 1e-30, 1e-100):
                        s = place(n, sigma, depth, lower, target)
                        t, p = inversion(n, sigma, depth, s, 0.05)
                        if abs(t) * max(abs(s), depth * abs(np.log(n))) > 1e6:
                            # Within ~1e-9 of the cap: t*s - K*kappa cancels to 1e-6 in
                            # f64, here and in any f64 saddlepoint code.
                            print(f"ill-conditioned, left out: {n},{sigma},{depth},{target}",
                                  file=sys.stderr)
                            continue
                        _, coarse = inversion(n, sigma, depth, s, 0.1)
                        tail = "lower" if lower else "upper"
                        row = f"{n!r},{sigma!r},{depth},{float(s)!r},{tail},{p:.16e},{coarse:.16e}"
                        print(row, flush=True)
                        if not abs(coarse / p - 1) < 1e-7:
                            print(f"not converged: {row}", file=sys.stderr)
                            bad += 1
                        rows.append(row)
    with open(path, "w") as f:
        f.write("\n".join(rows) + "\n")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
