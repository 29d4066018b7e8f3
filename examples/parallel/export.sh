#!/bin/bash
# A few machines without a scheduler: GNU parallel runs one shard per host over SSH.
#
#   INPUT=/shared/archive OUT=/shared/export KEY_FILE=/shared/secure/project.key \
#     examples/parallel/export.sh hosts.txt 8
#
# hosts.txt lists one SSH login per line (`parallel --sshloginfile` format, e.g. `2/user@node1`
# for two shards at a time there; `:` is this machine). INPUT, OUT and KEY_FILE must be the
# same paths on every host (a shared file system) and `us-dicomizer` must be on each host's
# PATH (or set US_DICOMIZER). A shard whose ZIP exists is skipped, so re-running resumes.
set -euo pipefail
HOSTS=${1:?usage: export.sh HOSTS_FILE N}
N=${2:?usage: export.sh HOSTS_FILE N}
: "${INPUT:?}" "${OUT:?}" "${KEY_FILE:?}"
BIN=${US_DICOMIZER:-us-dicomizer}
mkdir -p "$OUT"
# exit 1 of a shard = some inputs skipped with a reason (in its report): not a failure
seq 1 "$N" | parallel --sshloginfile "$HOSTS" --jobs 1 --halt soon,fail=1 \
  "$BIN --key-file '$KEY_FILE' batch $INPUT -o '$OUT/part-{}-of-$N.zip' \
     --report '$OUT/part-{}-of-$N.json' --shard {}/$N ${BATCH_ARGS:-} || [ \$? = 1 ]"
reports=()
for k in $(seq 1 "$N"); do reports+=("$OUT/part-$k-of-$N.json"); done
"$BIN" merge "${reports[@]}" -o "$OUT/all.json" --force || [ $? = 1 ]
