#!/usr/bin/env bash
# End-to-end test of the terminal UI: the real binary in a private, detached tmux server on
# the demo exam. Navigates, steps frames, opens help, crops (auto + apply to same geometry),
# tags (menu + copy to marked), exports through a user keymap override, quits, checks the
# ZIP and its manifest, then starts again to check the session was restored. Then: `--fresh`
# (nothing shown, saved session kept aside) followed by a normal start (work restored); a second
# window on the same inputs refused; ctrl-c in a prompt; ctrl-z suspends and SIGCONT resumes;
# SIGTERM mid-session saves the session and restores the terminal (raw mode and alternate
# screen left), and the next start has the change and the cursor back.
#
# Usage: .ci/tui_e2e.sh BIN SCRATCH     (exit status non-zero on failure)
# E2E_TIMEOUT_SCALE=N multiplies every wait (slow CI machines).
set -euo pipefail

BIN=$(realpath "${1:?usage: tui_e2e.sh BIN SCRATCH}")
S=$(mkdir -p "${2:?usage: tui_e2e.sh BIN SCRATCH}" && realpath "$2")
SCALE=${E2E_TIMEOUT_SCALE:-1}
command -v tmux >/dev/null || { echo "tui_e2e: tmux is not installed"; exit 1; }
command -v python3 >/dev/null || { echo "tui_e2e: python3 is not installed"; exit 1; }

rm -rf "$S/exam" "$S/cfg" "$S/home" "$S/out.zip" "$S/status" "$S/pid"
mkdir -p "$S/cfg/keymaps" "$S/home"
RUN=0
T=(tmux -L "usd-e2e-$$-$RUN" -f /dev/null)
cleanup() { "${T[@]}" kill-server 2>/dev/null || true; }
trap cleanup EXIT

step() { echo "tui_e2e: $*"; }
screen() { "${T[@]}" capture-pane -p -t app 2>/dev/null || true; }
fail() {
  echo "tui_e2e: FAIL: $*"
  echo "----- screen -----"
  screen
  echo "------------------"
  exit 1
}
# wait_for REGEX [SECONDS]: polls the screen, never a fixed sleep.
wait_for() {
  local deadline=$((SECONDS + ${2:-10} * SCALE))
  until screen | grep -Eq -- "$1"; do
    ((SECONDS < deadline)) || fail "timed out waiting for /$1/"
    sleep 0.1
  done
}
keys() { "${T[@]}" send-keys -t app "$@"; }
text() { "${T[@]}" send-keys -t app -l -- "$1"; }

# start ARGS...: runs the UI in a 120x40 tmux pane; its exit status lands in $S/status and its
# process id in $S/pid.
start() {
  rm -f "$S/status" "$S/pid"
  local cmd
  cmd=$(printf '%q ' "$BIN" --config-dir "$S/cfg" --protocol halfblocks "$@")
  # The launcher writes its pid, then becomes the program (exec): that pid is the program's.
  printf '#!/bin/sh\necho $$ > %q\nexec %s\n' "$S/pid" "$cmd" >"$S/launch.sh"
  # A fresh tmux server (private socket) per run.
  "${T[@]}" kill-server 2>/dev/null || true
  RUN=$((RUN + 1))
  T=(tmux -L "usd-e2e-$$-$RUN" -f /dev/null)
  "${T[@]}" new-session -d -s app -x 120 -y 40 \
    -e HOME="$S/home" -e XDG_DATA_HOME="$S/home/data" -e XDG_CONFIG_HOME="$S/home/config" -e TERM=xterm-256color \
    "sh -c 'sh $S/launch.sh; echo \$? > $S/status; sleep 30'"
}
# wait_exit [STATUS]: waits for the program to end with STATUS (default 0).
wait_exit() {
  local want=${1:-0}
  local deadline=$((SECONDS + 15 * SCALE))
  until [ -s "$S/status" ]; do
    ((SECONDS < deadline)) || fail "the program did not exit"
    sleep 0.1
  done
  local st
  st=$(cat "$S/status")
  [ "$st" = "$want" ] || fail "exit status $st (expected $want)"
}

step "demo exam"
"$BIN" demo "$S/exam" >/dev/null

# A user keymap override: `g e` exports (checked below by using it).
cat >"$S/cfg/keymaps/e2e.toml" <<'EOF'
[files]
"g e" = "export"
EOF

step "start on the demo exam"
start "$S/exam"
wait_for 'Files 5' 20
wait_for '5 file\(s\) listed, 0 invalid' 30
for f in demo_01 demo_02 demo_03 demo_04 demo_05; do screen | grep -q "$f" || fail "$f not listed"; done
wait_for 'frame 1/1 ' 20
step "files listed (5), first frame shown"

keys j
wait_for '#2 demo_02_rgb_cine' 5
wait_for 'frame 1/12' 5
keys ']' ']' ']' '['
wait_for 'frame 3/12' 5
keys '}'
wait_for 'frame 12/12' 5
step "navigation and frame stepping (1/12 -> 3/12 -> 12/12)"

keys '?'
wait_for 'Help: the live keymap' 5
screen | grep -Eq 'g e +export' || fail "help does not show the user's g e binding"
keys Escape
wait_for 'FILES' 5
step "help lists the live keymap (user override g e shown)"

keys c
wait_for 'CROP' 5
keys a
wait_for 'automatic crop [0-9]+,[0-9]+,[0-9]+,[0-9]+' 20
keys A
wait_for 'Apply crop .* to 4 file\(s\) of 640x480' 5
keys n
wait_for 'cancelled' 5
screen | grep -q 'applied to 4' && fail "apply-to-all happened after answering no"
keys A
wait_for 'Apply crop' 5
keys y
wait_for 'applied to 4 file\(s\)' 5
keys G c a
wait_for 'automatic crop [0-9]+,[0-9]+,[0-9]+,[0-9]+' 20
keys Enter
wait_for 'applied \(user\)' 5
step "crop: auto crop, apply to same geometry (no honoured, then yes), second geometry"

keys g g t 1 1 1
wait_for 'tagged: position=CFV side=L purpose=diagnostic \(#1\); now #2' 5
keys Escape g g V
wait_for '5 files marked' 5
keys Y
wait_for 'tags copied to 4 marked file\(s\); marks cleared' 5
wait_for '5 ready( ·)? 0 blocked' 5
step "tags: menu keys 1 1 1 (the menu moves on), copied to the marked files, marks cleared"

keys g e
wait_for 'Pseudonym' 5
text P01
keys Enter
wait_for 'Destination ZIP' 5
keys C-u
text "$S/out.zip"
keys Enter
wait_for 'Export 5 of 5 listed file\(s\)' 5
keys y
wait_for 'exported 5/5 file\(s\)' 120
step "export through the UI finished"

keys Escape
wait_for '^ FILES ' 5
keys q
wait_exit
step "quit with status 0"

[ -f "$S/out.zip" ] || fail "no $S/out.zip"
python3 - "$S/out.zip" <<'EOF' || fail "ZIP check"
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = z.namelist()
dcm = [n for n in names if n.endswith(".dcm")]
assert len(dcm) == 5, f"expected 5 .dcm entries, got {len(dcm)}: {names}"
assert "manifest.json" in names, names
m = json.loads(z.read("manifest.json"))
entries = m["entries"]
assert len(entries) == 5, entries
for e in entries:
    assert e["entry"] in dcm, e
    assert e["crop_source"] == "user", e
    x0, y0, _, _ = e["crop"]
    assert x0 > 0 or y0 > 0, e
    assert e["tags"].get("position") == "CFV" and e["tags"].get("side") == "L", e
for n in dcm:
    assert n.startswith("P01_") and "CFV-L" in n, n
    data = z.read(n)
    assert data[128:132] == b"DICM", n
print(f"tui_e2e: ZIP has {len(dcm)} .dcm entries + manifest.json, all cropped (user) and tagged CFV-L")
EOF

step "restart on the same inputs: the session is restored"
start "$S/exam"
wait_for '5 file\(s\) listed' 30
wait_for 'tags position=CFV side=L purpose=diagnostic' 5
wait_for 'crop X0 +[1-9][0-9]* Y0' 5
keys q
wait_exit
step "session restored (crop and tags of file 1)"

pane() { "${T[@]}" display-message -p -t app "$1"; }
app_pid() {
  local deadline=$((SECONDS + 10 * SCALE))
  until [ -s "$S/pid" ]; do
    ((SECONDS < deadline)) || fail "no pid file"
    sleep 0.1
  done
  cat "$S/pid"
}
# terminal_restored: the pane left the alternate screen, shows the cursor, and its tty is back
# in cooked mode (canonical input and echo on, as the shell left it).
terminal_restored() {
  [ "$(pane '#{alternate_on}')" = 0 ] || return 1
  [ "$(pane '#{cursor_flag}')" = 1 ] || return 1
  local modes
  modes=$(stty -F "$(pane '#{pane_tty}')" -a) || return 1
  echo "$modes" | grep -Eq '(^| )icanon( |$)' && echo "$modes" | grep -Eq '(^| )echo( |$)'
}
wait_until() { # wait_until SECONDS WHAT COMMAND...
  local deadline=$((SECONDS + $1 * SCALE)) what=$2
  shift 2
  until "$@"; do
    ((SECONDS < deadline)) || fail "timed out waiting until $what"
    sleep 0.1
  done
}

step "start with --fresh: nothing restored, the saved session kept aside"
start --fresh "$S/exam"
wait_for '5 file\(s\) listed' 30
wait_for 'tags position=- side=- purpose=-' 5
wait_for 'kept as' 5
ls "$S/home/data/us-dicomizer/sessions/" | grep -q 'before-fresh' || {
  ls -la "$S/home/data/us-dicomizer/sessions/"
  fail "no before-fresh file"
}
keys q
wait_exit
step "fresh start showed nothing and kept the saved session aside"

step "normal start after --fresh: the work is restored"
start "$S/exam"
wait_for '5 file\(s\) listed, 0 invalid; restored 5 crops, 15 tags' 30
wait_for 'tags position=CFV side=L purpose=diagnostic' 5
wait_for 'crop X0 +[1-9][0-9]* Y0' 5

step "a second window on the same inputs is refused"
set +e
second=$(env HOME="$S/home" XDG_DATA_HOME="$S/home/data" XDG_CONFIG_HOME="$S/home/config" \
  timeout 20 "$BIN" --config-dir "$S/cfg" --protocol halfblocks "$S/exam" </dev/null 2>&1)
st=$?
set -e
[ "$st" = 1 ] || fail "second window: exit status $st (expected 1): $second"
echo "$second" | grep -q 'already open in another us-dicomizer window' || fail "second window: $second"

step "ctrl-c in a prompt cancels the prompt"
keys e
wait_for 'Pseudonym' 5
keys C-c
wait_for '^ FILES ' 5
[ -s "$S/status" ] && fail "ctrl-c in the prompt ended the program"

step "ctrl-z suspends (terminal given back), SIGCONT resumes"
PID=$(app_pid)
keys C-z
stopped() { [ "$(awk '{print $3}' "/proc/$PID/stat")" = T ]; }
wait_until 10 "the program is stopped" stopped
wait_until 10 "the terminal is restored while suspended" terminal_restored
kill -CONT "$PID"
wait_until 10 "the screen is taken again" test "$(pane '#{alternate_on}')" = 1
wait_for '^ FILES ' 10

step "SIGTERM mid-session: session saved, terminal restored"
keys G t Tab 2 Escape
wait_for 'side=R' 5
kill -TERM "$PID"
wait_exit 143
wait_until 10 "the terminal is restored after SIGTERM" terminal_restored
wait_for 'ended by SIGTERM; the session was saved' 5
start "$S/exam"
wait_for '5 file\(s\) listed, 0 invalid; restored 5 crops, 15 tags' 30
wait_for '#5 demo_05' 5
wait_for 'tags position=CFV side=R purpose=diagnostic' 5
keys q
wait_exit
step "after SIGTERM: the change and the cursor (file 5) came back"

step "key-count goal: a new demo exam cropped, tagged and exported in at most 25 keys"
"$BIN" demo "$S/exam2" >/dev/null
rm -f "$S/home/P02.zip"
# The demo is the same content as the first exam: its work would come back (per-file
# sessions), so this run starts fresh.
start --fresh "$S/exam2"
wait_for '5 file\(s\) listed' 30
wait_for 'blocked: no crop.*press c' 5
N=0
k() { N=$((N + $#)); keys "$@"; }
k c a
wait_for 'automatic crop [0-9]+,[0-9]+,[0-9]+,[0-9]+' 20
k A y
wait_for 'applied to 4 file\(s\)' 5
k G c a
wait_for 'automatic crop [0-9]+,[0-9]+,[0-9]+,[0-9]+' 20
k Enter g g t 1 1 1 . . . .
wait_for '5 ready( ·)? 0 blocked' 5
k e
wait_for 'Pseudonym' 5
k P 0 2 Enter
wait_for "Destination ZIP" 5
screen | grep -q "$S/home/P02.zip" || fail "the default destination is not in the home folder"
k Enter
wait_for 'Export 5 of 5 listed file\(s\)' 5
k y
wait_for 'exported 5/5 file\(s\)' 120
((N <= 25)) || fail "$N keys (goal: at most 25)"
keys Escape q
wait_exit
python3 - "$S/home/P02.zip" <<'EOF' || fail "ZIP check (key-count run)"
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
m = json.loads(z.read("manifest.json"))
assert len(m["entries"]) == 5, m["entries"]
assert m["pseudonym"] == "P02" and m["not_exported"] == [], m
for e in m["entries"]:
    assert e["tags"].get("position") == "CFV", e
    x0, y0, _, _ = e["crop"]
    assert x0 > 0 or y0 > 0, e
EOF
step "key-count goal met: $N keys, ZIP checked"

echo "tui_e2e: all checks passed"
