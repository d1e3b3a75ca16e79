#!/usr/bin/env bash
# Brings up a real single-node Slurm cluster on this machine (munged, slurmctld, slurmd; no
# systemd, no cgroups, no accounting), submits a 4-shard `vanish table` sweep and its merge
# through scripts/slurm/submit.sh, compares the merged table with a local unsharded run byte
# for byte, does the same for a 3-shard `vanish train` map and its gather, checks that a
# failing shard cancels the merge instead of leaving it pending, and
# stops every daemon it started by PID, also on failure.
#
# Usage: scripts/slurm/test-local-cluster.sh        (root, or Slurm and munge installed)
# Installs the Debian packages slurm-wlm and munge when missing (apt-get, needs root and the
# Debian mirror). See ../shared/notes/slurm-local.md for why each step is as it is.
#
# Environment: SLURM_LOCAL_BASE (scratch folder; default a new /tmp/vanish-slurm.*),
# SLURMCTLD_PORT / SLURMD_PORT (default 6817 / 6818), SLURM_LOCAL_CPUS (default: detected).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
START=$(date +%s%N)
elapsed() {
    local ms=$((($(date +%s%N) - START) / 1000000))
    printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100))
}
step() { echo "== [$(elapsed) s] $*"; }
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
# wait_for SECONDS DESCRIPTION COMMAND...: polls every 0.1 s.
wait_for() {
    local limit="$1" what="$2" t0
    shift 2
    t0=$(date +%s)
    until "$@" >/dev/null 2>&1; do
        (($(date +%s) - t0 < limit)) || fail "timed out after ${limit} s waiting for $what"
        sleep 0.1
    done
}

BASE="${SLURM_LOCAL_BASE:-$(mktemp -d /tmp/vanish-slurm.XXXXXX)}"
CTLD_PORT="${SLURMCTLD_PORT:-6817}"
SLURMD_PORT="${SLURMD_PORT:-6818}"
POLICY_CREATED=""
STARTED=()

cleanup() {
    local status=$?
    set +e
    if [[ -n "${SLURM_CONF:-}" ]] && command -v scancel >/dev/null; then
        local jobs
        jobs="$(squeue -h -o %A 2>/dev/null | sort -u | tr '\n' ' ')"
        # shellcheck disable=SC2086 # a list of job ids
        [[ -n "${jobs// /}" ]] && scancel $jobs 2>/dev/null
    fi
    # Stop the daemons we started, newest first, each by its recorded PID and only if that
    # PID still runs the program we started (never a recycled PID).
    local i name pid
    for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do
        name="${STARTED[i]}"
        pid="$(cat "$BASE/run/$name.pid" 2>/dev/null)" || continue
        if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$name"; then
            kill -TERM "$pid" 2>/dev/null
            for _ in $(seq 100); do
                # Gone, or a zombie waiting for PID 1: either way it has exited.
                [[ ! -e /proc/$pid ]] && break
                grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null && break
                sleep 0.1
            done
            [[ -e /proc/$pid ]] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null &&
                kill -KILL "$pid" 2>/dev/null
        fi
    done
    [[ -n "$POLICY_CREATED" ]] && rm -f /usr/sbin/policy-rc.d
    if ((status != 0)); then
        echo "== logs (kept in $BASE/log)" >&2
        tail -n 20 "$BASE"/log/*.log 2>/dev/null >&2
    fi
    step "stopped ${#STARTED[@]} daemons by PID; exit $status"
    exit "$status"
}
trap cleanup EXIT

# --- 1. Packages
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    step "installing slurm-wlm and munge"
    (($(id -u) == 0)) || fail "slurm-wlm and munge are missing; installing them needs root"
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        # Keep package scripts from starting system daemons: ours must be the only ones.
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        POLICY_CREATED=1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        slurm-wlm munge >/dev/null
    [[ -n "$POLICY_CREATED" ]] && rm -f /usr/sbin/policy-rc.d && POLICY_CREATED=""
fi

# --- 2. The binary (VANISH, e.g. the one `cargo test` just built, or a release build)
if [[ -z "${VANISH:-}" ]]; then
    step "building vanish"
    (cd "$ROOT" && cargo build --release --quiet)
    VANISH="$ROOT/target/release/vanish"
fi
[[ -x "$VANISH" ]] || fail "VANISH=$VANISH is not an executable"
export VANISH

# --- 3. munge: a private key and socket, run as user munge in the foreground
[[ -e "$BASE/run/slurmctld.pid" ]] && fail "$BASE already has a cluster; give another SLURM_LOCAL_BASE"
for port in "$CTLD_PORT" "$SLURMD_PORT"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        fail "port $port is in use; set SLURMCTLD_PORT / SLURMD_PORT"
    fi
done
step "starting munged in $BASE"
mkdir -p "$BASE"/{munge,etc,state/ctld,state/slurmd,run,log,out}
chmod 0755 "$BASE"
chown munge:munge "$BASE/munge"
chmod 0755 "$BASE/munge"
setpriv --reuid=munge --regid=munge --init-groups mungekey -c -k "$BASE/munge/munge.key"
chmod 0600 "$BASE/munge/munge.key"
SOCKET="$BASE/munge/munge.socket"
setpriv --reuid=munge --regid=munge --init-groups munged -F --key-file="$BASE/munge/munge.key" \
    --socket="$SOCKET" --pid-file="$BASE/munge/munged.pid" --seed-file="$BASE/munge/munged.seed" \
    >"$BASE/log/munged.log" 2>&1 &
echo $! >"$BASE/run/munged.pid"
STARTED+=(munged)
munge_ok() { munge -S "$SOCKET" -n | unmunge -S "$SOCKET"; }
wait_for 15 "munged" munge_ok

# --- 4. slurm.conf, with the node shape slurmd detects
node="$(slurmd -C | head -n 1 | sed -e 's/^NodeName=[^ ]* //')"
if [[ -n "${SLURM_LOCAL_CPUS:-}" ]]; then
    node="CPUs=$SLURM_LOCAL_CPUS $(echo "$node" | sed -e 's/CPUs=[0-9]* //' \
        -e 's/Boards=[^ ]* //' -e 's/SocketsPerBoard=[^ ]* //' -e 's/CoresPerSocket=[^ ]* //' \
        -e 's/ThreadsPerCore=[^ ]* //')"
fi
export SLURM_CONF="$BASE/etc/slurm.conf"
cat >"$SLURM_CONF" <<CONF
ClusterName=vanishtest
SlurmctldHost=localhost
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCKET
StateSaveLocation=$BASE/state/ctld
SlurmdSpoolDir=$BASE/state/slurmd
SlurmctldPidFile=$BASE/run/slurmctld.own.pid
SlurmdPidFile=$BASE/run/slurmd.own.pid
SlurmctldLogFile=$BASE/log/slurmctld.log
SlurmdLogFile=$BASE/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$BASE/log/jobcomp.txt
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
DependencyParameters=kill_invalid_depend
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
NodeName=localhost NodeAddr=127.0.0.1 $node State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF

# --- 5. slurmctld and slurmd in the foreground
step "starting slurmctld and slurmd"
slurmctld -D -f "$SLURM_CONF" >>"$BASE/log/slurmctld.out" 2>&1 &
echo $! >"$BASE/run/slurmctld.pid"
STARTED+=(slurmctld)
ctld_up() { scontrol ping | grep -q UP; }
wait_for 30 "slurmctld" ctld_up
slurmd -D -N localhost -f "$SLURM_CONF" >>"$BASE/log/slurmd.out" 2>&1 &
echo $! >"$BASE/run/slurmd.pid"
STARTED+=(slurmd)
node_idle() { sinfo -h -n localhost -o %T | grep -qx idle; }
wait_for 30 "the node to be idle" node_idle

# --- 6. A 4-shard sweep and its merge, through sbatch
GRID=(--n 1,1.5,2,3 --depth 10,40 --samples 20000,5000 --dist 'normal(0,{s})' --s 0.5,1 --seed 3)
step "submitting 4 shards and the merge"
# The shards carry the pivot (--rows/--cols) to the merge: nothing is passed to it here.
ids="$("$ROOT/scripts/slurm/submit.sh" 4 "$BASE/out/sweep" -- "${GRID[@]}" --rows n --cols depth)" ||
    fail "submit.sh: $ids"
read -r array merge <<<"$ids"
done_jobs() { [[ -z "$(squeue -h -j "$array,$merge" 2>/dev/null)" ]]; }
wait_for 180 "the array $array and the merge $merge" done_jobs
scontrol -o show job "$merge" | grep -q "JobState=COMPLETED" ||
    fail "merge job: $(scontrol -o show job "$merge" | grep -o 'JobState=[A-Z_]*')"
for i in 0 1 2 3; do
    scontrol -o show job "${array}_$i" | grep -q "JobState=COMPLETED.*ExitCode=0:0" ||
        fail "shard $i: $(scontrol -o show job "${array}_$i" | grep -o 'JobState=[A-Z_]*')"
done

# --- 7. The same table, unsharded, here
step "computing the same table locally, unsharded"
"$VANISH" table "${GRID[@]}" --rows n --cols depth --out "$BASE/out/local" --quiet
for f in table.csv table.json table.md; do
    cmp "$BASE/out/local/$f" "$BASE/out/sweep/table/$f" || fail "$f differs"
done
timing='"elapsed_s"\|"threads"'
diff <(grep -v "$timing" "$BASE/out/local/manifest.json") \
    <(grep -v "$timing" "$BASE/out/sweep/table/manifest.json") || fail "manifest.json differs"
step "merged table = local table, byte for byte ($(wc -l <"$BASE/out/local/table.csv") lines of CSV)"

# --- 8. A training map in 3 shards, gathered through sbatch
TRAIN=(--runs 4 --width 8 --steps 30 --sigma-w 0.5,1,1.5 --depth 4,8 --seed 2)
step "submitting a training map in 3 shards and its gather"
ids="$(VANISH_COMMAND=train MERGE_ARGS=--fit "$ROOT/scripts/slurm/submit.sh" 3 \
    "$BASE/out/train-sweep" -- "${TRAIN[@]}")" || fail "submit.sh: $ids"
read -r array merge <<<"$ids"
wait_for 180 "the training array $array and its gather $merge" done_jobs
scontrol -o show job "$merge" | grep -q "JobState=COMPLETED" ||
    fail "gather job: $(scontrol -o show job "$merge" | grep -o 'JobState=[A-Z_]*')"
"$VANISH" train "${TRAIN[@]}" --fit --out "$BASE/out/train-local" --quiet
for f in journal.jsonl trajectories.csv map.csv map.md summary.json; do
    cmp "$BASE/out/train-local/$f" "$BASE/out/train-sweep/train/$f" || fail "train: $f differs"
done
step "gathered training map = local map, byte for byte ($(wc -l <"$BASE/out/train-local/trajectories.csv") lines of trajectories)"

# --- 9. A failing shard cancels the merge instead of leaving it pending
step "submitting a sweep whose shards fail"
ids="$("$ROOT/scripts/slurm/submit.sh" 2 "$BASE/out/bad" -- --n 0,1)" || fail "submit.sh: $ids"
read -r array merge <<<"$ids"
wait_for 60 "the failing array $array and the merge $merge" done_jobs
state="$(scontrol -o show job "$merge" | grep -o 'JobState=[A-Z_]*')"
[[ "$state" == "JobState=CANCELLED" ]] || fail "merge after failed shards: $state (expected CANCELLED)"
[[ ! -e "$BASE/out/bad/table" ]] || fail "a merge ran on failed shards"
step "failed shards: merge $state"
echo "PASS"
