#!/usr/bin/env python3
"""Independent oracle for `vanish::hmm`: fit a Gaussian HMM with hmmlearn.

Usage: python3 scripts/oracle_hmm.py IN.csv K [INITS]

IN.csv has a header and columns run,step,y (y = log10 of the gain); rows of a run are read
in step order, runs in order of first appearance. The model is
hmmlearn.hmm.GaussianHMM(n_components=K, covariance_type="diag") fitted with one sequence
per run (`lengths`), from INITS (default 8) k-means initialisations with different
random_state; the best by `score` is kept. Pure maximum likelihood: covars_prior=0 (the
hmmlearn default adds 0.01 to each variance numerator), Dirichlet priors 1 (no effect).

Prints JSON: {"k", "means", "sds", "initial", "transition", "log_likelihood", "converged",
"iterations"} with states sorted by decreasing mean, like vanish. `log_likelihood` is
model.score(all runs), the total ln p of the data.
"""

import csv
import json
import sys

import numpy as np
from hmmlearn.hmm import GaussianHMM


def read_runs(path):
    runs = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            runs.setdefault(row["run"], []).append((int(row["step"]), float(row["y"])))
    return [[y for _, y in sorted(r)] for r in runs.values()]


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    runs = [r for r in read_runs(sys.argv[1]) if r]
    k = int(sys.argv[2])
    inits = int(sys.argv[3]) if len(sys.argv) == 4 else 8
    x = np.concatenate([np.asarray(r) for r in runs]).reshape(-1, 1)
    lengths = [len(r) for r in runs]
    best, best_score = None, -np.inf
    for seed in range(inits):
        model = GaussianHMM(
            n_components=k,
            covariance_type="diag",
            n_iter=500,
            tol=1e-6,
            implementation="scaling",
            covars_prior=0.0,
            random_state=seed,
        )
        model.fit(x, lengths)
        score = model.score(x, lengths)
        if score > best_score:
            best, best_score = model, score
    order = np.argsort(-best.means_[:, 0], kind="stable")
    sds = np.sqrt(np.diagonal(best.covars_, axis1=1, axis2=2)[:, 0])
    print(
        json.dumps(
            {
                "k": k,
                "means": best.means_[order, 0].tolist(),
                "sds": sds[order].tolist(),
                "initial": best.startprob_[order].tolist(),
                "transition": best.transmat_[np.ix_(order, order)].tolist(),
                "log_likelihood": float(best_score),
                "converged": bool(best.monitor_.converged),
                "iterations": int(best.monitor_.iter),
            }
        )
    )


if __name__ == "__main__":
    main()
