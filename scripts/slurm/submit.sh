#!/usr/bin/env bash
# Submits a `vanish table` grid (or a `vanish train` map) to Slurm as a job array of
# SHARDS tasks and a merge job that runs after all of them succeed.
#
# Usage:
#   scripts/slurm/submit.sh SHARDS OUTDIR -- TABLE_FLAGS...
#   VANISH_COMMAND=train scripts/slurm/submit.sh SHARDS OUTDIR -- TRAIN_FLAGS...
# e.g.
#   VANISH=$PWD/target/release/vanish scripts/slurm/submit.sh 16 runs/big -- \
#       --n 1:3:0.1 --depth 10:200:10 --samples 1e6
#
# Environment:
#   VANISH          the vanish binary the jobs run (default: vanish on the jobs' PATH)
#   VANISH_COMMAND  table (default; merged by `vanish merge` into OUTDIR/table) or train
#                   (gathered by `vanish train FLAGS --gather` into OUTDIR/train)
#   SBATCH_ARGS     extra sbatch options for both jobs, e.g. "--partition=cpu --time=2:00:00"
#   MERGE_ARGS      extra flags for the merge, e.g. "--rows n --cols depth" (table) or
#                   "--fit" (train); split at spaces, so no quoted values: a training
#                   map's --state goes with its flags after --
#
# Prints "ARRAY_JOB_ID MERGE_JOB_ID". The merge is submitted with
# --dependency=afterok:ARRAY and --kill-on-invalid-dep=yes: if any shard fails, the merge
# is cancelled instead of pending forever. Re-submitting the same command into the same
# OUTDIR resumes every shard where its journal stopped.
set -euo pipefail
if [[ $# -lt 2 ]]; then
    sed -n '2,26p' "$0" >&2
    exit 2
fi
shards="$1"
out="$2"
shift 2
[[ "${1:-}" == "--" ]] && shift
command="${VANISH_COMMAND:-table}"
if [[ "$command" != table && "$command" != train ]]; then
    echo "error: VANISH_COMMAND must be table or train, got '$command'" >&2
    exit 2
fi
if ! [[ "$shards" =~ ^[1-9][0-9]*$ ]]; then
    echo "error: SHARDS must be a whole number ≥ 1, got '$shards'" >&2
    exit 2
fi
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
# shellcheck disable=SC2086 # SBATCH_ARGS and MERGE_ARGS are lists of options
array=$(sbatch --parsable ${SBATCH_ARGS:-} --array="0-$((shards - 1))" --open-mode=append \
    --output="$out/slurm-%A_%a.out" "$here/vanish-array.sbatch" "$command" "$out" "$shards" -- "$@")
array="${array%%;*}"
# shellcheck disable=SC2086
merge=$(sbatch --parsable ${SBATCH_ARGS:-} --dependency="afterok:$array" \
    --kill-on-invalid-dep=yes --open-mode=append --output="$out/slurm-merge-%j.out" \
    "$here/vanish-merge.sbatch" "$command" "$out" "$shards" ${MERGE_ARGS:-} -- "$@")
merge="${merge%%;*}"
echo "$array $merge"
