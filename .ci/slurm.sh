#!/usr/bin/env bash
# Runs examples/slurm on a real single-node SLURM started here (no systemd needed, as root):
# munged, slurmctld and slurmd as background processes with a private slurm.conf, an array of
# 3 shards over a generated multi-patient archive, the merge job, and a comparison with one
# single run (identical entries, bytes, UIDs and pseudonyms). The daemons are stopped by PID.
# Needs: slurm-wlm munge (installed by .ci/run). Usage: slurm.sh BIN WORKDIR
set -euo pipefail
BIN=$(realpath "$1")
W=$2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$W"
W=$(realpath "$W")
fail() { echo "slurm.sh: FAILED: $*" >&2; exit 1; }
for t in munged slurmctld slurmd sbatch sinfo squeue; do
  command -v "$t" >/dev/null || fail "$t not installed (apt-get install slurm-wlm munge)"
done
[ "$(id -u)" = 0 ] || fail "must run as root (the daemons run as root here)"

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
}
trap cleanup EXIT
dump_logs() {
  for f in "$W"/munge/munged.log "$W"/slurmctld.log "$W"/slurmd.log "$W"/out/*.log; do
    [ -f "$f" ] && { echo "---- $f"; tail -n 30 "$f"; }
  done
}

# ---- munge: a private key and socket
mkdir -p "$W/munge" && chmod 700 "$W/munge"
dd if=/dev/urandom of="$W/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$W/munge/munge.key"
SOCK="$W/munge/munge.socket"
munged -F --force --socket="$SOCK" --key-file="$W/munge/munge.key" \
  --pid-file="$W/munge/munged.pid" --log-file="$W/munge/munged.log" \
  --seed-file="$W/munge/munged.seed" >"$W/munge/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || { dump_logs; fail "munged did not start"; }

# ---- slurm.conf for this host only (own ports, own state folders)
HOST=$(hostname -s)
NODE=$(slurmd -C | head -n1)
mkdir -p "$W/state" "$W/spool" "$W/out"
export SLURM_CONF="$W/slurm.conf"
cat >"$SLURM_CONF" <<CONF
ClusterName=ci
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
AuthInfo=socket=$SOCK
CredType=cred/munge
StateSaveLocation=$W/state
SlurmdSpoolDir=$W/spool
SlurmctldPidFile=$W/slurmctld.pid
SlurmdPidFile=$W/slurmd.pid
SlurmctldLogFile=$W/slurmctld.log
SlurmdLogFile=$W/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MaxArraySize=100
$NODE NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=ci Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld -D -i -f "$SLURM_CONF" >"$W/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >"$W/slurmd.out" 2>&1 &
pids+=($!)
state=""
for _ in $(seq 120); do
  state=$(sinfo -h -o %T 2>/dev/null | head -n1 || true)
  case "$state" in idle|mixed|allocated) break ;; esac
  sleep 0.5
done
case "$state" in idle|mixed|allocated) ;; *) dump_logs; fail "the node did not come up (state '$state')" ;; esac
echo "slurm up: node $HOST $state"

# ---- the archive, the key, one single run for reference
"$BIN" demo "$W/archive" --patients 9 --studies 2 --files 3 --cines 2 >/dev/null
head -c 32 /dev/urandom >"$W/project.key"
chmod 600 "$W/project.key"
ARGS="--tag position=CFV --tag side=L --tag purpose=diagnostic"
# shellcheck disable=SC2086
"$BIN" --config-dir "$W/cfg" --key-file "$W/project.key" batch "$W/archive" \
  -o "$W/single.zip" --report "$W/single.json" $ARGS

# ---- the example, as a user runs it: 3 array tasks, then the merge job
cd "$W/out"
export INPUT="$W/archive" OUT="$W/out" KEY_FILE="$W/project.key" US_DICOMIZER="$BIN" \
  CONFIG_DIR="$W/cfg" BATCH_ARGS="$ARGS" WAIT=1
if ! timeout 240 bash "$ROOT/examples/slurm/submit.sh" 3; then
  squeue || true; dump_logs; fail "the job array or the merge did not finish"
fi
[ -f "$W/out/all.json" ] || { dump_logs; fail "no merged report"; }

# ---- the union of the shards is the single run
python3 - "$W/single.json" "$W/out/all.json" "$W/single.zip" "$W"/out/part-*-of-3.zip <<'PY'
import hashlib, json, sys, zipfile
single, merged = (json.load(open(p)) for p in sys.argv[1:3])
def rows(files):
    return sorted((f["output"], f["pseudonym"], f["study_instance_uid"], f["sop_instance_uid"])
                  for f in files if f["status"] == "exported")
a, b = rows(single["files"]), rows(merged["files"])
assert a == b, "shards differ from the single run"
def entries(z):
    with zipfile.ZipFile(z) as zz:
        return {n: hashlib.sha256(zz.read(n)).hexdigest() for n in zz.namelist() if n.endswith(".dcm")}
one, union = entries(sys.argv[3]), {}
for z in sys.argv[4:]:
    e = entries(z)
    assert not set(e) & set(union), "an entry name in two shards"
    union.update(e)
assert one == union, "entry bytes differ"
assert len(sys.argv[4:]) == 3 and all(entries(z) for z in sys.argv[4:]), "a shard is empty"
pseud = {r[1] for r in a}
assert len(pseud) == 9, f"expected 9 pseudonyms, got {len(pseud)}"
print(f"slurm: {len(a)} files in 3 shards identical to one run ({len(pseud)} pseudonyms)")
PY
