#!/usr/bin/env python3
"""Independent oracle for src/dynamics/risks.rs: lifelines' Aalen-Johansen estimate.

Usage: scripts/oracle_risks.py IN.csv

IN.csv has columns time,cause with cause 0 = censored and 1.. = causes (lifelines'
convention; vanish's cause j is column value j + 1). Prints JSON on stdout:

    {"lifelines": "0.30.3",
     "causes": {"1": {"times": [...], "cif": [...], "variance": [...]}, ...}}

with, for each cause, the CIF and lifelines' delta-method variance at every event time
(of any cause), ascending. A variance lifelines cannot compute (0*inf at the last time)
is null.

lifelines jitters tied event times of different causes at random (it warns and then
answers a different question), so feed it continuous times without ties; this script
refuses data with tied event times rather than compare against jittered numbers.
"""

import csv
import json
import math
import sys
import warnings


def main(path):
    import lifelines
    from lifelines import AalenJohansenFitter

    times, causes = [], []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            times.append(float(row["time"]))
            causes.append(int(row["cause"]))
    event_times = [t for t, c in zip(times, causes) if c != 0]
    if len(set(event_times)) != len(event_times):
        sys.exit("oracle_risks.py: tied event times; lifelines would jitter them")

    out = {"lifelines": lifelines.__version__, "causes": {}}
    for cause in sorted(set(c for c in causes if c != 0)):
        ajf = AalenJohansenFitter(calculate_variance=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a jitter warning must not pass silently
            ajf.fit(times, causes, event_of_interest=cause)
        table = ajf.event_table
        cif = ajf.cumulative_density_.iloc[:, 0]
        at_events = table["observed"] > 0
        variance = ajf.variance_
        out["causes"][str(cause)] = {
            "times": [float(t) for t in table.index[at_events]],
            "cif": [float(v) for v in cif[at_events]],
            "variance": [
                float(v) if math.isfinite(v) else None for v in variance[at_events]
            ],
        }
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
