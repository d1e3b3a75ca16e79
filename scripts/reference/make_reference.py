#!/usr/bin/env python3
"""Write high-precision reference values used as independent oracles by the Rust tests.

Usage:  python3 scripts/reference/make_reference.py      (needs `pip install mpmath`)

Outputs (relative to the repository root, overwritten each run; fully deterministic):

  tests/data/ln_derivative_reference.csv
      activation,a,n,x,ln_derivative
      ln f'(x) for f = a*tanh(n*x)   (f' = a*n*sech^2(n*x)), and for the logistic
      sigmoid (f' = s(x)(1 - s(x)); a and n are written as 1 and ignored).

  tests/data/normal_moments_reference.csv
      a,n,mu,sigma,mean_ln_derivative,var_ln_derivative
      E[ln f'(X)] and Var[ln f'(X)] for X ~ Normal(mu, sigma), f = a*tanh(n*x).

Conventions:
  * a, n, x, mu, sigma are written with repr(float(v)), and every value is computed
    from mp.mpf(float(v)), i.e. from the exact binary64 number the Rust side parses,
    not from the decimal string.  n*x is the exact (unrounded) product.
  * ln_derivative is the correctly rounded value printed as %.20e (21 significant
    digits), from the 50-digit result; it may lie outside the f64 range near 0
    (e.g. -1e-600), in which case a parser rounds it to -0.0.
  * Rows with |n*x| > 1e303 are skipped (ln f' ~ -2|n*x| would not fit in f64).
  * Moments are printed with 17 significant digits (%.16e).

Each value is cross-checked with a second formula (or a second quadrature at a
different precision); disagreements are printed to stderr and make the script fail.
"""
import decimal
import os
import sys

from mpmath import libmp, mp, mpf

mp.dps = 50
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "data")

X_POS = [1e-300, 1e-200, 1e-20, 1e-10, 1e-8, 1e-5, 1e-3, 0.01, 0.1, 0.3, 1.0, 2.0, 5.0,
         9.011, 20.0, 50.0, 100.0, 354.0, 400.0, 1000.0, 1e5, 1e10, 1e100, 1e300]
X_GRID = sorted([0.0, 0.4406867935, 0.6584789485] + X_POS + [-x for x in X_POS])
TANH_PARAMS = [(1, 1), (1, 2), (1, 1.5), (1, 1.8102), (1, 3), (1.7159, 2 / 3), (1, 1e-3),
               (1, 100), (2.5, 0.25), (1, 1000)]
MOMENT_PARAMS = [(1, 1, 0, 1), (1, 2, 0, 1), (1, 2, 0, 0.5), (1, 2, 0, 3),
                 (1, 1.5, 0.3, 0.7), (1.7159, 2 / 3, 0, 1), (1, 3, 1, 2), (1, 2, 0, 0.05)]
problems = []


def ln_sech2(u):
    """ln sech^2(u) = -2 ln cosh(u) = -2 log1p(2 sinh^2(u/2)); accurate for tiny and huge u."""
    return -2 * mp.log1p(2 * mp.sinh(u / 2) ** 2)


def ln_sech2_checks(u):
    """Two independent formulae, evaluated at extra precision so they work everywhere."""
    au = abs(u)
    extra = 10 + (2 * int(-mp.log10(au)) if 0 < au < 1 else 0)  # cancellation in cosh(u) - 1
    with mp.workdps(mp.dps + extra):
        naive = -2 * mp.log(mp.cosh(u))
        if au == 0:  # the second formula only rounds to ~0 here; ln sech^2(0) = 0 exactly
            return (naive,)
        big = 2 * mp.log(2) - 2 * au - 2 * mp.log1p(mp.exp(-2 * au))
    return naive, big


def agree(label, v, others, rel=mpf(10) ** -40):
    for w in others:
        if abs(v - w) > rel * abs(v) and not (v == 0 and w == 0):
            problems.append(f"{label}: {mp.nstr(v, 25)} vs {mp.nstr(w, 25)}")


def fmt(v, digits):
    """%.{digits-1}e of an mpf, rounded once by mpmath (exponent range unbounded)."""
    if v == 0:
        return format(0.0, f".{digits - 1}e")
    s = libmp.to_str(v._mpf_, digits)  # rounded to `digits` significant digits
    mant, exp = format(decimal.Decimal(s), f".{digits - 1}e").split("e")
    return f"{mant}e{int(exp):+03d}"  # Python-style exponent: e+05, e-600


def ln_derivative_rows():
    rows = []
    for a, n in TANH_PARAMS:
        ma, mn = mpf(float(a)), mpf(float(n))
        for x in X_GRID:
            if abs(float(n) * x) > 1e303:
                continue
            u = mn * mpf(x)
            v = mp.log(ma) + mp.log(mn) + ln_sech2(u)
            agree(f"tanh a={a} n={n} x={x}", v,
                  [mp.log(ma * mn) + w for w in ln_sech2_checks(u)])
            rows.append(("tanh", repr(float(a)), repr(float(n)), repr(x), fmt(v, 21)))
    for x in X_GRID:
        mx = mpf(x)
        # s(x)(1 - s(x)) = 1/(4 cosh^2(x/2))
        v = -2 * mp.log(2) + ln_sech2(mx / 2)
        with mp.workdps(mp.dps + 10):
            alt = -abs(mx) - 2 * mp.log1p(mp.exp(-abs(mx)))
        agree(f"sigmoid x={x}", v, [alt])
        rows.append(("sigmoid", "1.0", "1.0", repr(x), fmt(v, 21)))
    return rows


def moments(a, n, mu, sigma, dps):
    """Mean and (centred) variance of ln f'(mu + sigma*Z), Z ~ N(0,1), by tanh-sinh quadrature."""
    with mp.workdps(dps):
        ma, mn, mmu, ms = (mpf(float(v)) for v in (a, n, mu, sigma))
        pts = sorted({mpf(0), -mmu / ms})  # z = 0 (x = mu) and z = -mu/sigma (x = 0)
        pts = [-mp.inf] + pts + [mp.inf]
        phi = lambda z: mp.exp(-z * z / 2) / mp.sqrt(2 * mp.pi)
        h = lambda z: mp.log(ma * mn) + ln_sech2(mn * (mmu + ms * z))
        mean = mp.quad(lambda z: h(z) * phi(z), pts, maxdegree=10)
        var = mp.quad(lambda z: (h(z) - mean) ** 2 * phi(z), pts, maxdegree=10)
        return +mean, +var


def moment_rows():
    rows = []
    for a, n, mu, sigma in MOMENT_PARAMS:
        m50, v50 = moments(a, n, mu, sigma, 50)
        m35, v35 = moments(a, n, mu, sigma, 35)
        label = f"moments a={a} n={n} mu={mu} sigma={sigma}"
        agree(label + " mean", m50, [m35], rel=mpf(10) ** -25)
        agree(label + " var", v50, [v35], rel=mpf(10) ** -25)
        rows.append((repr(float(a)), repr(float(n)), repr(float(mu)), repr(float(sigma)),
                     fmt(m50, 17), fmt(v50, 17)))
    return rows


def write(name, header, rows):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name), "w", newline="\n") as f:
        f.write(header + "\n")
        for r in rows:
            f.write(",".join(r) + "\n")
    print(f"wrote tests/data/{name} ({len(rows)} rows)")


if __name__ == "__main__":
    write("ln_derivative_reference.csv", "activation,a,n,x,ln_derivative", ln_derivative_rows())
    write("normal_moments_reference.csv", "a,n,mu,sigma,mean_ln_derivative,var_ln_derivative",
          moment_rows())
    for p in problems:
        print("DISAGREE", p, file=sys.stderr)
    sys.exit(1 if problems else 0)
