#!/usr/bin/env python3
"""Independent oracle for vanish::outcome: scikit-learn's logistic regression and AUC.

Usage:
  python3 scripts/oracle_outcome.py IN.csv [--ridge 1.0] [--folds 5]

IN.csv has a header; the column `y` is the outcome (0/1), an optional column `score` is a
set of scores whose AUC alone is wanted, every other column is a feature.  The features
are standardised with StandardScaler (population sd, a constant column becomes 0) and fitted
with LogisticRegression(C = 1/ridge): scikit-learn minimises C * sum(log-loss) + ||w||^2 / 2,
the intercept unpenalised, which is vanish's  sum(log-loss) + (ridge/2) ||w||^2  divided by
C.  The solver is exact Newton (newton-cholesky) with a tight tolerance.  Cross-validation
holds out run i in fold i mod folds, standardising on each fold's training runs.

Prints one JSON object: sklearn's version, the means and sds, the intercept and
coefficients on the standardised scale, the out-of-fold probabilities, and roc_auc_score of
the full fit's in-sample probabilities, of the out-of-fold ones, and of `score`.
"""
import argparse
import csv
import json

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler


def fit(x, y, ridge):
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=1.0 / ridge, solver="newton-cholesky", tol=1e-14, max_iter=1000)
    model.fit(scaler.transform(x), y)
    return scaler, model


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv")
    ap.add_argument("--ridge", type=float, default=1.0)
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    if not args.ridge > 0:
        ap.error("--ridge must be > 0 (C = 1/ridge)")

    with open(args.csv, newline="") as f:
        rows = list(csv.DictReader(f))
    names = [c for c in rows[0].keys() if c not in ("y", "score")]
    x = np.array([[float(r[c]) for c in names] for r in rows])
    y = np.array([int(r["y"]) for r in rows])

    scaler, model = fit(x, y, args.ridge)
    n = len(y)
    oof = np.full(n, np.nan)
    for f in range(args.folds):
        held = np.arange(n) % args.folds == f
        s, m = fit(x[~held], y[~held], args.ridge)
        oof[held] = m.predict_proba(s.transform(x[held]))[:, 1]

    out = {
        "sklearn_version": sklearn.__version__,
        "names": names,
        "means": scaler.mean_.tolist(),
        "sds": np.sqrt(scaler.var_).tolist(),
        "intercept_standardised": float(model.intercept_[0]),
        "coefficients_standardised": model.coef_[0].tolist(),
        "in_sample_auc": roc_auc_score(y, model.predict_proba(scaler.transform(x))[:, 1]),
        "out_of_fold": oof.tolist(),
        "cv_auc": roc_auc_score(y, oof),
    }
    if "score" in rows[0]:
        out["score_auc"] = roc_auc_score(y, np.array([float(r["score"]) for r in rows]))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
