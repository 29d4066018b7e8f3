#!/usr/bin/env bash
# Exports every ultrasound file of the shared corpus on its own (the corpus holds several
# encodings of the same image, which one batch would treat as duplicates), with an inner crop
# that is off every codec grid, then checks each output with pydicom, dciodvfy and dcmdump
# (.ci/validate.py). Usage: validate_corpus.sh BIN WORKDIR [extra batch args...]
set -u
BIN=$1; WORK=$2; shift 2
CORPUS=${CORPUS:-$(cd "$(dirname "$0")/../.." && pwd)/shared/testdata/dicom}
PATTERN=${PATTERN:-us_*}
HERE=$(cd "$(dirname "$0")" && pwd)
rm -rf "$WORK"; mkdir -p "$WORK"
# TEXT_MODE=keep (the default here): burned-in text is kept, so that every output can be
# compared with its input pixel for pixel. TEXT_MODE=mask: the tool's default settings; found
# text is blanked, and validate.py checks the reported boxes are black and every other pixel
# exact (lossless) or close (lossy; JPEG kept in the DCT domain: luma exact); a file blocked by
# text over the scan is counted, not failed.
TEXT_MODE=${TEXT_MODE:-keep}
printf '[pixels]\nburned_in_text = "keep"\n' >"$WORK/keep-text.toml"
if [ "$TEXT_MODE" = keep ]; then
  text_args=(--settings "$WORK/keep-text.toml"); val_args=()
else
  text_args=(); val_args=(--allow-blocked)
fi
# A fixed project key, so that every run gives the same date shift and UIDs: with a fresh random
# key, a shift of a few days can map one of a file's dates onto another of its original dates
# (US1_RLE: StudyDate 20031208 + 2 days = its InstanceCreationDate), which verify rightly
# reports; a CI step must not pass or fail by the draw of a key.
printf 'us-dicomizer corpus validation key 0123456789\n' >"$WORK/ci.key"
chmod 600 "$WORK/ci.key"
fail=0; n=0; blocked=0
for f in "$CORPUS"/$PATTERN; do
  name=$(basename "$f" .dcm)
  dims=$(python3 -c "import pydicom,sys;d=pydicom.dcmread(sys.argv[1],stop_before_pixels=True);print(d.Columns,d.Rows)" "$f")
  read -r c r <<<"$dims"
  crop="$((c/8+1)),$((r/8+3)),$((c-c/8)),$((r-r/10))"
  if ! "$BIN" --config-dir "$WORK/cfg" --key-file "$WORK/ci.key" batch "$f" -o "$WORK/$name.zip" --crop "$crop" --pseudonym P1 \
      "${text_args[@]}" --allow-uncropped \
      --tag position=CFV --tag side=L --tag purpose=diagnostic --report "$WORK/$name.json" "$@" >"$WORK/$name.log" 2>&1; then
    if [ "$TEXT_MODE" != keep ] && grep -q "skipped: .*burned-in text over the scan" "$WORK/$name.log"; then
      echo "$name: blocked (burned-in text over the scan: a person decides)"; blocked=$((blocked+1)); continue
    fi
    echo "FAIL $name: batch failed: $(tail -2 "$WORK/$name.log")"; fail=1; continue
  fi
  if ! python3 "$HERE/validate.py" "$WORK/$name.json" "$WORK/$name.zip" "$WORK/w_$name" "${val_args[@]}" >"$WORK/$name.val" 2>&1; then
    echo "FAIL $name:"; sed 's/^/  /' "$WORK/$name.val"; fail=1
  fi
  if ! "$BIN" verify "$WORK/$name.zip" --against "$f" >"$WORK/$name.verify" 2>&1; then
    echo "FAIL $name: verify found identifying values:"; sed 's/^/  /' "$WORK/$name.verify"; fail=1
  fi
  [ "$TEXT_MODE" = keep ] || echo "$name: $(tail -1 "$WORK/$name.val")"
  n=$((n+1))
done
echo "corpus validation (text $TEXT_MODE; $*): $n files exported and checked, $blocked blocked by text, $([ $fail = 0 ] && echo ok || echo FAILED)"
exit $fail
