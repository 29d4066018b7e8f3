#!/bin/bash
# Queues the array of N shards and the merge that runs when all of them succeeded.
#   INPUT=/data/archive OUT=/scratch/export KEY_FILE=/secure/project.key \
#     examples/slurm/submit.sh 16
# WAIT=1 blocks until the merge has finished (used by CI).
set -euo pipefail
N=${1:?usage: submit.sh N (number of shards)}
HERE=$(cd "$(dirname "$0")" && pwd)
export INPUT OUT KEY_FILE N
array=$(sbatch --parsable --array="1-$N" --export=ALL "$HERE/export.sbatch")
array=${array%%;*}
wait_flag=()
if [ "${WAIT:-0}" = 1 ]; then wait_flag=(--wait); fi
merge=$(sbatch --parsable "${wait_flag[@]}" --dependency="afterok:$array" --kill-on-invalid-dep=yes \
  --export=ALL "$HERE/merge.sbatch")
echo "array job $array, merge job ${merge%%;*}"
