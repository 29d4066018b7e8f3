#!/usr/bin/env python3
"""Writes the small generated DICOM files in tests/data/codec/ (JPEG XL, HTJ2K, JPEG-LS) that
tests/codecs.rs decodes. Needs pydicom, numpy and imagecodecs (libjxl, OpenJPH, CharLS). The
pixels follow a formula the Rust test recomputes: grey v = (3x + 5y + 7f) % 256; colour adds
(x*y + 40f) % 256 and (255 - v). Every value written is synthetic. For the lossy files the
independent decode (libjxl / OpenJPH through imagecodecs) is written next to them as NAME.raw
(the frames' samples, interleaved), which the Rust test compares with its own decode.

    python3 .ci/gen_codec_fixtures.py tests/data/codec
"""
import sys, pathlib
import numpy as np
import imagecodecs
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

W, H, F = 40, 24, 2


def pixels(spp):
    y, x = np.mgrid[0:H, 0:W]
    out = []
    for f in range(F):
        v = (3 * x + 5 * y + 7 * f) % 256
        if spp == 1:
            out.append(v.astype(np.uint8))
        else:
            out.append(np.stack([v, (x * y + 40 * f) % 256, 255 - v], axis=-1).astype(np.uint8))
    return out


def write(path, ts, spp, frames, lossy, bits=8):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.3.1"
    meta.MediaStorageSOPInstanceUID = generate_uid(prefix="1.2.826.0.1.3680043.8.498.")
    meta.TransferSyntaxUID = pydicom.uid.UID(ts)
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid(prefix="1.2.826.0.1.3680043.8.498.")
    ds.SeriesInstanceUID = generate_uid(prefix="1.2.826.0.1.3680043.8.498.")
    ds.Modality = "US"
    ds.PatientName = "Codec^Fixture"
    ds.PatientID = "GEN-CODEC"
    ds.Rows, ds.Columns = H, W
    ds.NumberOfFrames = F
    ds.SamplesPerPixel = spp
    ds.PhotometricInterpretation = "MONOCHROME2" if spp == 1 else "RGB"
    if spp == 3:
        ds.PlanarConfiguration = 0
    ds.BitsAllocated = 8 if bits == 8 else 16
    ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 0
    ds.BurnedInAnnotation = "NO"
    ds.LossyImageCompression = "01" if lossy else "00"
    ds.PixelData = encapsulate(frames)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    # pydicom 3.0 does not know the JPEG XL / HTJ2K UIDs yet (it refuses to save under them):
    # the meta group and the Explicit VR Little Endian data set are written one after the other
    from pydicom.filebase import DicomBytesIO
    from pydicom.filewriter import write_dataset, write_file_meta_info

    fp = DicomBytesIO()
    fp.write(b"\0" * 128 + b"DICM")
    write_file_meta_info(fp, meta, enforce_standard=True)
    fp.is_implicit_VR, fp.is_little_endian = False, True
    del ds.file_meta
    write_dataset(fp, ds)
    pathlib.Path(path).write_bytes(fp.getvalue())


def raw(path, frames):
    pathlib.Path(path).write_bytes(b"".join(np.ascontiguousarray(f, dtype=np.uint8).tobytes() for f in frames))


def main(out):
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for spp in (1, 3):
        tag = "mono" if spp == 1 else "rgb"
        px = pixels(spp)
        jxl = [imagecodecs.jpegxl_encode(p, lossless=True) for p in px]
        assert all((imagecodecs.jpegxl_decode(b) == p).all() for b, p in zip(jxl, px))
        write(out / f"jxl_lossless_{tag}.dcm", "1.2.840.10008.1.2.4.110", spp, jxl, False)
        lossy = [imagecodecs.jpegxl_encode(p, level=90) for p in px]
        write(out / f"jxl_lossy_{tag}.dcm", "1.2.840.10008.1.2.4.112", spp, lossy, True)
        ht = [imagecodecs.htj2k_encode(p) for p in px]
        assert all((imagecodecs.htj2k_decode(b) == p).all() for b, p in zip(ht, px))
        write(out / f"htj2k_lossless_{tag}.dcm", "1.2.840.10008.1.2.4.201", spp, ht, False)
    # HTJ2K Lossless RPCL (.202): OpenJPH writes RPCL; the TLM marker the UID asks for is added
    px = pixels(1)
    rpcl = [imagecodecs.htj2k_encode(p, tlm=True) for p in px]
    for b, p in zip(rpcl, px):
        cod = b.find(b"\xff\x52")
        assert b[cod + 5] == 2 and b.find(b"\xff\x55") > 0  # RPCL, TLM
        assert (imagecodecs.htj2k_decode(b) == p).all()
    write(out / "htj2k_rpcl_mono.dcm", "1.2.840.10008.1.2.4.202", 1, rpcl, False)
    # HTJ2K (.203) lossy: the irreversible transform
    px = pixels(3)
    ht = [imagecodecs.htj2k_encode(p, reversible=False) for p in px]
    write(out / "htj2k_lossy_rgb.dcm", "1.2.840.10008.1.2.4.203", 3, ht, True)
    raw(out / "htj2k_lossy_rgb.raw", [imagecodecs.htj2k_decode(b) for b in ht])
    # JPEG XL JPEG Recompression (.111): a baseline JPEG of the frame, recompressed losslessly
    px = pixels(1)
    jpegs = [imagecodecs.jpeg8_encode(p, level=90) for p in px]
    rec = [imagecodecs.jpegxl_encode_jpeg(j) for j in jpegs]
    assert all(imagecodecs.jpegxl_decode_jpeg(r) == j for r, j in zip(rec, jpegs))
    write(out / "jxl_jpeg_mono.dcm", "1.2.840.10008.1.2.4.111", 1, rec, True)
    raw(out / "jxl_jpeg_mono.raw", [imagecodecs.jpegxl_decode(r) for r in rec])
    # JPEG-LS lossless (.80), for the truncation checks
    jls = [imagecodecs.jpegls_encode(p) for p in px]
    assert all((imagecodecs.jpegls_decode(b) == p).all() for b, p in zip(jls, px))
    write(out / "jpegls_lossless_mono.dcm", "1.2.840.10008.1.2.4.80", 1, jls, False)
    # 12-bit JPEG Extended (process 4), grey: v12 = (97x + 31y + 500f) % 4096
    y, x = np.mgrid[0:H, 0:W]
    px12 = [((97 * x + 31 * y + 500 * f) % 4096).astype(np.uint16) for f in range(F)]
    j12 = [imagecodecs.jpeg8_encode(p, level=95, bitspersample=12) for p in px12]
    for b, p in zip(j12, px12):
        assert b[b.find(b"\xff\xc1") + 4] == 12
        assert np.abs(imagecodecs.jpeg8_decode(b).astype(int) - p).mean() < 2
    write(out / "jpeg_ext12_mono.dcm", "1.2.840.10008.1.2.4.51", 1, j12, True, bits=12)
    # independent read-back: pydicom parses each file and sees the frames
    for p in sorted(out.glob("*.dcm")):
        ds = pydicom.dcmread(p)
        if ds.file_meta.TransferSyntaxUID.startswith("1.2.840.10008.1.2.4.8"):
            assert (ds.pixel_array == np.stack(pixels(1))).all()
        assert int(ds.NumberOfFrames) == F and ds.Rows == H
        print(p.name, ds.file_meta.TransferSyntaxUID, p.stat().st_size, "bytes")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/data/codec")
