"""Whether an 8-bit palette or grey PNG has a pixel that is not 255, without decoding it into an array.

Telling an all-255 label file from a reviewed one needs its pixels, and decoding every label of a
project costs far more than listing it (docs/models-and-labels.md#blank-label-files). An all-255 row
stored with any of PNG's five row filters is one fixed byte string, given that the rows above it are
all 255 too (the filters predict from the left, upper and upper-left pixels, all 255 or, on the first
row and column, 0). So `has_labelled_pixel_png` inflates the image data row by row with zlib and
compares each row with the string for its filter: the first row that differs holds a labelled pixel,
and the answer is certain there (real labels usually answer on their first row). None means "not told
this way" (another kind of PNG, interlaced, damaged or cut short), and the caller decodes the file.
"""
from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_GREY, _PALETTE = 0, 3
_INFLATE_ROWS = 8  # rows inflated at a time: a labelled first row answers at once; memory stays bounded


def has_labelled_pixel_png(path: Path) -> bool | None:
    """True/False for a non-interlaced 8-bit palette or grey PNG; None for anything else."""
    try:
        with open(path, "rb") as handle:
            return _scan(handle)
    except (OSError, ValueError, struct.error, zlib.error):
        return None


def _all_255_rows(width: int) -> tuple[dict[int, bytes], dict[int, bytes]]:
    """Filtered bytes of an all-255 row by filter type: (the first row, a row below an all-255 row).
    None, Sub, Up, Average, Paeth; the predictor of a pixel outside the image is 0."""
    rest = width - 1
    full, zeros = b"\xff" * width, b"\x00" * width
    first = {0: full, 1: b"\xff" + b"\x00" * rest, 2: full, 3: b"\xff" + b"\x80" * rest, 4: b"\xff" + b"\x00" * rest}
    below = {0: full, 1: b"\xff" + b"\x00" * rest, 2: zeros, 3: b"\x80" + b"\x00" * rest, 4: zeros}
    return first, below


def _scan(handle: BinaryIO) -> bool | None:
    if handle.read(8) != SIGNATURE:
        return None
    length, kind = struct.unpack(">I4s", handle.read(8))
    if kind != b"IHDR" or length != 13:
        return None
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", handle.read(13))
    if depth != 8 or colour not in (_GREY, _PALETTE) or interlace or width == 0:
        return None
    handle.read(4)  # CRC
    first, below = _all_255_rows(width)
    rows = 0
    for row in _rows(handle, width + 1):
        expected = (below if rows else first).get(row[0])
        if expected is None:
            return None  # no such filter: a damaged file, for the full decode to name
        if row[1:] != expected:
            return True
        rows += 1
        if rows == height:
            return False
    return None  # cut short


def _rows(handle: BinaryIO, stride: int) -> Iterator[bytes]:
    """The filtered rows (filter byte + pixels) of the IDAT stream, inflated a step at a time."""
    inflater = zlib.decompressobj()
    pending = b""
    while True:
        header = handle.read(8)
        if len(header) < 8:
            return
        length, kind = struct.unpack(">I4s", header)
        if kind == b"IEND":
            return
        data = handle.read(length)
        handle.read(4)  # CRC
        if kind != b"IDAT":
            continue
        while data:
            pending += inflater.decompress(data, _INFLATE_ROWS * stride)
            data = inflater.unconsumed_tail
            whole = len(pending) - len(pending) % stride
            for start in range(0, whole, stride):
                yield pending[start:start + stride]
            pending = pending[whole:]


_RGB, _RGBA = 2, 6


def first_row_colors(path: Path) -> np.ndarray | None:
    """The first row of a non-interlaced 8-bit RGB or RGBA PNG as colour codes (r | g << 8 | b << 16, as
    `colorlabels.color_codes`; alpha dropped), inflating only that row; None for any other PNG or a
    damaged one. A colour label whose first row holds a class colour is labelled without decoding the
    rest (real labels almost always answer there); otherwise the caller decodes the file."""
    try:
        with open(path, "rb") as handle:
            if handle.read(8) != SIGNATURE:
                return None
            length, kind = struct.unpack(">I4s", handle.read(8))
            if kind != b"IHDR" or length != 13:
                return None
            width, _height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", handle.read(13))
            if depth != 8 or colour not in (_RGB, _RGBA) or interlace or width == 0:
                return None
            handle.read(4)  # CRC
            channels = 3 if colour == _RGB else 4
            row = next(_rows(handle, width * channels + 1), None)
    except (OSError, ValueError, struct.error, zlib.error):
        return None
    if row is None:
        return None
    pixels = _unfilter_first_row(row[0], np.frombuffer(row, dtype=np.uint8, offset=1).reshape(width, channels))
    if pixels is None:
        return None
    wide = pixels[:, :3].astype(np.uint32)
    return wide[:, 0] | wide[:, 1] << 8 | wide[:, 2] << 16


def _unfilter_first_row(kind: int, raw: np.ndarray) -> np.ndarray | None:
    """PNG's row filters undone for the first row, whose row above is all zeros: None and Up store the
    bytes, Sub and Paeth (whose predictor is then the left pixel) add the pixel to the left, Average adds
    half of it (docs/models-and-labels.md#blank-label-files)."""
    if kind in (0, 2):
        return raw
    if kind in (1, 4):
        return (np.cumsum(raw, axis=0, dtype=np.uint32) % 256).astype(np.uint8)
    if kind == 3:
        out = raw.astype(np.int32)
        for x in range(1, len(out)):
            out[x] = (out[x] + out[x - 1] // 2) % 256
        return out.astype(np.uint8)
    return None
