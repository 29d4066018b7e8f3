#!/usr/bin/env bash
# Encodings and layouts the shared corpus lacks, made from the demo exam with dcmtk and pydicom
# (JPEG 4:2:0 labelled YBR_FULL, several fragments per frame, JPEG Lossless RGB, JPEG Extended,
# JPEG-LS colour with and without interleave, near-lossless JPEG-LS, RLE, deflate, big endian,
# implicit VR, 16-bit MONOCHROME1 native and RLE, JPEG 2000 RGB), then the same checks as the
# corpus (validate_corpus.sh) with both output policies. Usage: transcode_variants.sh BIN WORK
set -euo pipefail
BIN=$1; WORK=$2
HERE=$(cd "$(dirname "$0")" && pwd)
rm -rf "$WORK"; mkdir -p "$WORK/in"
"$BIN" demo "$WORK/demo" >/dev/null
cd "$WORK/in"
cp "$WORK/demo/demo_02_rgb_cine.dcm" us_rgb.dcm
cp "$WORK/demo/demo_01_mono_single.dcm" us_mono.dcm
dcmcjpeg +eb us_rgb.dcm us_jpeg_422.dcm
dcmcjpeg +eb +s4 us_rgb.dcm us_jpeg_420.dcm
dcmcjpeg +eb +fs 8 us_rgb.dcm us_jpeg_fragments.dcm
dcmcjpeg +el us_rgb.dcm us_jpeg_lossless_rgb.dcm
dcmcjpeg +ee us_mono.dcm us_jpeg_extended_mono.dcm
dcmcjpls us_rgb.dcm us_jpegls_rgb.dcm
dcmcjpls +in us_rgb.dcm us_jpegls_rgb_planes.dcm
dcmcjpls +en us_mono.dcm us_jpegls_near.dcm
dcmcrle us_rgb.dcm us_rle_rgb.dcm
dcmconv +td us_rgb.dcm us_deflate.dcm
dcmconv +tb us_mono.dcm us_bigendian_mono.dcm
dcmconv +ti us_rgb.dcm us_implicit_rgb.dcm
python3 - <<'PY'
import numpy as np, pydicom
from pydicom.uid import RLELossless, JPEG2000Lossless, generate_uid
d = pydicom.dcmread("us_mono.dcm")
a = d.pixel_array.astype(np.uint16) * 16
d.BitsAllocated, d.BitsStored, d.HighBit = 16, 12, 11
d.PhotometricInterpretation = "MONOCHROME1"
d.PixelData = (a & 0xFFF).astype("<u2").tobytes()
d.SOPInstanceUID = d.file_meta.MediaStorageSOPInstanceUID = generate_uid()
d.save_as("us_mono1_16bit.dcm")
d.compress(RLELossless)
d.SOPInstanceUID = d.file_meta.MediaStorageSOPInstanceUID = generate_uid()
d.save_as("us_rle_mono1_16bit.dcm")
r = pydicom.dcmread("us_rgb.dcm")
r.compress(JPEG2000Lossless)
r.save_as("us_j2k_rgb.dcm")
PY
cd - >/dev/null
rc=0
CORPUS="$WORK/in" bash "$HERE/validate_corpus.sh" "$BIN" "$WORK/preserve" || rc=1
CORPUS="$WORK/in" bash "$HERE/validate_corpus.sh" "$BIN" "$WORK/jpeg" --encoding jpeg || rc=1
exit $rc
