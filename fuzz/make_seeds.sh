#!/usr/bin/env bash
# Seed corpora for the fuzz targets from the project's DICOM test corpus (gitignored output):
#   corpus/deidentify/          selector byte + a whole small file (and header variants of them)
#   corpus/deidentify_dataset/  preset byte + transfer-syntax byte + the file's data set only
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../scripts/env.sh"
SRC=$KAKOU_CORPUS/dcm
FILES=(
  pydicom__dicomdirtests_TINY_ALPHA_PT000000_ST000000_SE000000_IM00000M.dcm  # explicit LE, tiny
  pydicom__SC_rgb_small_odd_big_endian.dcm   # explicit BE, odd length
  pydicomcharset__chrJapMulti.dcm            # ISO 2022 Japanese, private tags
  pydicomcharset__chrX2.dcm                  # GB18030
  pydicom__rtdose_1frame.dcm                 # implicit VR, sequences
  pydicom__rtplan_truncated.dcm              # implicit VR, truncated, nested sequences
  pydicom__SC_rgb_rle.dcm                    # RLE
  pydicom__SC_rgb_small_odd_jpeg.dcm         # JPEG baseline, encapsulated
  pydicom__reportsi_with_empty_number_tags.dcm  # SR content tree
  pydicom__SC_rgb_gdcm_KY.dcm                # JPEG 2000
  pydicom__dicomdirtests_77654033_CT2_17106.dcm # 99 private elements
  pydicom__image_dfl.dcm                     # deflated
  pydicom__JPEGLSNearLossless_08.dcm         # JPEG-LS
)
python3 - "$SRC" "$HERE/corpus" "${FILES[@]}" <<'PY'
import os, struct, sys
src, out, names = sys.argv[1], sys.argv[2], sys.argv[3:]
TS = ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99",
      "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.5", "1.2.840.10008.1.2.4.90"]
raw, ds = os.path.join(out, "deidentify"), os.path.join(out, "deidentify_dataset")
os.makedirs(raw, exist_ok=True); os.makedirs(ds, exist_ok=True)

def split(b):
    """(transfer syntax UID, data set bytes) of a Part 10 file with a preamble."""
    assert b[128:132] == b"DICM"
    i, ts = 132, None
    while i + 8 <= len(b) and b[i:i+2] == b"\x02\x00":
        el, vr = struct.unpack("<H", b[i+2:i+4])[0], b[i+4:i+6]
        if vr in (b"OB", b"OW", b"UN", b"SQ", b"UT", b"UC", b"UR", b"OF", b"OD", b"OL", b"OV"):
            n, h = struct.unpack("<I", b[i+8:i+12])[0], 12
        else:
            n, h = struct.unpack("<H", b[i+6:i+8])[0], 8
        if el == 0x10:
            ts = b[i+h:i+h+n].rstrip(b"\0 ").decode()
        i += h + n
    return ts, b[i:]

for k, name in enumerate(names):
    b = open(os.path.join(src, name), "rb").read()
    ts, body = split(b)
    t = TS.index(ts) if ts in TS else 0
    stem = os.path.splitext(name)[0]
    p = k % 3
    open(os.path.join(raw, stem), "wb").write(bytes([p]) + b)
    open(os.path.join(raw, stem + ".hdr"), "wb").write(bytes([0x80 | p, t]) + body)
    open(os.path.join(ds, stem), "wb").write(bytes([p, t]) + body)
print(f"{len(names)} seed files -> {raw}, {ds}")
PY
