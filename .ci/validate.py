#!/usr/bin/env python3
"""External validation of an us-dicomizer export.

For every exported entry of a batch report: read the output with pydicom and compare its
pixels with pydicom's own decode of the input (libjxl through imagecodecs for JPEG XL, which
pydicom cannot decode), cropped as the report says; run dciodvfy on
input and output and fail on any error the input did not already have; run dcmdump on the
output. Outputs with masked text boxes: the boxes must be black and everything else exact
(lossless) or close (lossy); JPEG Baseline kept in the DCT domain: the luma outside the boxes
exactly the input's. Usage: validate.py REPORT.json OUT.zip WORKDIR [--allow-blocked]
"""
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pydicom

report_path, zip_path, work = sys.argv[1], sys.argv[2], Path(sys.argv[3])
work.mkdir(parents=True, exist_ok=True)
report = json.load(open(report_path))
zf = zipfile.ZipFile(zip_path)
failures = []
checked = 0
masked_files = []  # outputs with blanked text boxes
dct_exact = []  # JPEG outputs whose luma was checked exact outside the boxes


def dciodvfy_errors(path):
    r = subprocess.run(["dciodvfy", "-new", str(path)], capture_output=True, text=True)
    errs = set()
    for line in (r.stdout + r.stderr).splitlines():
        if line.startswith("Error"):
            # keep the message kind, drop values and element paths that differ after a crop
            norm = re.sub(r"<[^>]*>", "<>", line)
            norm = re.sub(r"\d+", "#", norm)
            errs.add(norm)
    return errs


def n_methods(ds):
    """Lossy steps recorded (Lossy Image Compression Method values)."""
    if "LossyImageCompressionMethod" not in ds:
        return 0
    v = ds.LossyImageCompressionMethod
    return len(v) if isinstance(v, pydicom.multival.MultiValue) else 1


JPEG_XL = ("1.2.840.10008.1.2.4.110", "1.2.840.10008.1.2.4.111", "1.2.840.10008.1.2.4.112")


def pixels_of(ds):
    """pydicom's decode; JPEG XL, which pydicom cannot decode, through libjxl (imagecodecs)."""
    if ds.file_meta.TransferSyntaxUID in JPEG_XL:
        import imagecodecs
        from pydicom.encaps import generate_frames

        n = int(getattr(ds, "NumberOfFrames", 1) or 1)
        a = np.stack([imagecodecs.jpegxl_decode(f) for f in generate_frames(ds.PixelData, number_of_frames=n)])
        return a if n > 1 else a[0]
    return ds.pixel_array


def frames_of(ds):
    a = pixels_of(ds)
    n = int(getattr(ds, "NumberOfFrames", 1) or 1)
    if n == 1:
        a = a[np.newaxis, ...]
    return a


for f in report["files"]:
    if f["status"] != "exported":
        continue
    name = f["output"]
    src = Path(f["input"])
    out = work / name
    out.write_bytes(zf.read(name))
    checked += 1
    try:
        ids = pydicom.dcmread(src)
        ods = pydicom.dcmread(out)
        x0, y0, x1, y1 = f["crop"]
        a = frames_of(ids)[:, y0:y1, x0:x1]
        ipi, opi = ids.PhotometricInterpretation, ods.PhotometricInterpretation
        if ipi == "PALETTE COLOR" and opi != "PALETTE COLOR":
            # own LUT lookup: pydicom's apply_color_lut misreads big-endian LUT data
            desc = ids.RedPaletteColorLookupTableDescriptor
            first, bits = int(desc[1]), int(desc[2])
            dt = "<u2" if ids.original_encoding[1] else ">u2"
            luts = []
            for c in ("Red", "Green", "Blue"):
                lut = np.frombuffer(ids[f"{c}PaletteColorLookupTableData"].value, dtype=dt).astype(np.int32)
                luts.append(lut >> 8 if bits > 8 else lut)
            idx = np.clip(a.astype(np.int32) - first, 0, len(luts[0]) - 1)
            a = np.stack([l[idx] for l in luts], axis=-1)
        elif int(ids.BitsAllocated) > 8 and int(ods.BitsAllocated) == 8:
            # rendered to 8 bits: the header's VOI window, else the whole stored range
            bits = int(ids.BitsStored)
            signed = int(ids.PixelRepresentation) == 1
            if "WindowCenter" in ids and "WindowWidth" in ids:
                wc = ids.WindowCenter if not isinstance(ids.WindowCenter, pydicom.multival.MultiValue) else ids.WindowCenter[0]
                ww = ids.WindowWidth if not isinstance(ids.WindowWidth, pydicom.multival.MultiValue) else ids.WindowWidth[0]
                c, w = float(wc), float(ww)
            else:
                w = float(2 ** bits - 1)
                c = -0.5 if signed else w / 2
            t = np.clip((a.astype(np.float64) - (c - w / 2)) / max(w, 1.0), 0, 1)
            a = np.round(t * 255).astype(np.int32)
            if ipi == "MONOCHROME1":
                a = 255 - a
        elif ipi == "MONOCHROME1" and opi == "MONOCHROME2":
            a = (2 ** int(ids.BitsStored) - 1) - a.astype(np.int32)
        b = frames_of(ods)
        if a.shape != b.shape:
            failures.append(f"{name}: shape {b.shape} != expected {a.shape}")
        else:
            diff = np.abs(a.astype(np.int32) - b.astype(np.int32))
            # burned-in text blanked on export (report "masked"): the rest must be exact, the
            # boxes black (the display's black: lowest grey, highest for MONOCHROME1, 0 for RGB)
            masked = f.get("masked", [])
            for mx0, my0, mx1, my1 in masked:
                diff[:, my0:my1, mx0:mx1] = 0
                box = b[:, my0:my1, mx0:mx1].astype(np.int32)
                if box.size == 0:
                    continue
                if opi == "MONOCHROME1":
                    bad = box.min() != b.max()
                elif opi == "PALETTE COLOR":
                    bad = box.min() != box.max()
                elif b.ndim == 4 and f["pixel_encoding"] == "lossy":
                    # decoded to RGB: chroma upsampling may tint the box's outer pixel ring
                    inner = box[:, 1:-1, 1:-1]
                    bad = inner.size > 0 and inner.max() > 2
                else:
                    bad = box.max() != (0 if b.ndim == 4 else b.min())
                if bad:
                    failures.append(f"{name}: masked box {[mx0, my0, mx1, my1]} is not black")
            if masked:
                masked_files.append(name)
            # JPEG Baseline kept in the DCT domain (cropped and/or blanked there, no new lossy
            # step recorded): the luma of every block outside the boxes decodes exactly as the
            # input's, inside the boxes to 0
            dct_path = (ids.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.50"
                        and ods.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.50"
                        and n_methods(ods) == n_methods(ids)
                        and int(ids.SamplesPerPixel) == 3)
            if dct_path:
                ya = pydicom.pixels.pixel_array(str(src), as_rgb=False)
                yb = pydicom.pixels.pixel_array(str(out), as_rgb=False)
                if ya.ndim == 3:
                    ya, yb = ya[np.newaxis], yb[np.newaxis]
                ya = ya[:, y0:y1, x0:x1, 0].astype(np.int32)
                yb = yb[..., 0].astype(np.int32)
                keep = np.ones(yb.shape, dtype=bool)
                for mx0, my0, mx1, my1 in masked:
                    keep[:, my0:my1, mx0:mx1] = False
                    if yb[:, my0:my1, mx0:mx1].size and yb[:, my0:my1, mx0:mx1].max() != 0:
                        failures.append(f"{name}: DCT-blanked box {[mx0, my0, mx1, my1]} luma not 0")
                if ya.shape != yb.shape:
                    failures.append(f"{name}: luma shape {yb.shape} != {ya.shape}")
                elif np.any(ya[keep] != yb[keep]):
                    failures.append(f"{name}: DCT path but luma differs outside the masked boxes "
                                    f"(max {np.abs(ya - yb)[keep].max()})")
                else:
                    dct_exact.append(name)
            if f["pixel_encoding"] == "lossless":
                if diff.max() != 0:
                    failures.append(f"{name}: lossless but max diff {diff.max()}")
            else:
                # lossy: DCT-domain crops differ only at block borders; re-encoded at the
                # default quality 85 (the original's own; 90 before issue 11). The corpus's worst
                # is a 256x120 RGB test pattern whose sharp colour edges 4:2:2 chroma cannot
                # keep: mean 4.01 at 85 (3.42 at 90), against 5.35 for that crop one pixel to
                # the right and 10.4 one pixel down
                mean = float(diff.mean())
                if mean > 4.5:
                    failures.append(f"{name}: lossy mean abs diff {mean:.2f} > 4.5")
        for attr, want in (("Rows", y1 - y0), ("Columns", x1 - x0)):
            if int(getattr(ods, attr)) != want:
                failures.append(f"{name}: {attr} {getattr(ods, attr)} != {want}")
        if ods.file_meta.MediaStorageSOPInstanceUID != ods.SOPInstanceUID:
            failures.append(f"{name}: MediaStorageSOPInstanceUID != SOPInstanceUID")
    except Exception as e:  # noqa: BLE001
        failures.append(f"{name}: pydicom failed: {type(e).__name__}: {e}")
    new_errors = dciodvfy_errors(out) - dciodvfy_errors(src)
    for e in sorted(new_errors):
        failures.append(f"{name}: dciodvfy error not in the input: {e}")
    d = subprocess.run(["dcmdump", "-q", str(out)], capture_output=True, text=True)
    if d.returncode != 0:
        failures.append(f"{name}: dcmdump failed: {d.stderr.strip()[:200]}")

# burned-in text blocks a file (text over the scan): a decision, not a failure, when asked for
blocked = [f for f in report["files"] if f["status"] == "skipped" and "burned-in text" in (f.get("reason") or "")]
allow_blocked = "--allow-blocked" in sys.argv[4:]
for line in failures:
    print("FAIL", line)
print(f"validate: {checked} outputs checked ({len(masked_files)} with masked text, "
      f"{len(dct_exact)} JPEG luma-exact in the DCT domain), {len(blocked)} blocked by text, "
      f"{len(failures)} problems")
ok = not failures and (checked > 0 or (allow_blocked and blocked))
sys.exit(0 if ok else 1)
