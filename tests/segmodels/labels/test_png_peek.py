"""png_peek answers as a full decode does, for every PNG row filter, and says None when it cannot tell."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from segmodels.labels.classes import ClassTable
from segmodels.labels.labelio import write_label_png
from segmodels.labels.png_peek import has_labelled_pixel_png
from support.png_filters import predictor


def write_grey_png(path: Path, pixels: np.ndarray, filters: list[int], *, idat_parts: int = 2) -> None:
    """An 8-bit grey PNG with the given row filters (PIL picks its own), the data over `idat_parts` IDATs."""
    height, width = pixels.shape
    raw = bytearray()
    prior = [0] * width
    for y in range(height):
        row = [int(v) for v in pixels[y]]
        raw.append(filters[y])
        for x in range(width):
            left, up_left = (row[x - 1], prior[x - 1]) if x else (0, 0)
            raw.append((row[x] - predictor(filters[y], left, prior[x], up_left)) % 256)
        prior = row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    data = zlib.compress(bytes(raw))
    cut = [len(data) * i // idat_parts for i in range(idat_parts + 1)]
    parts = b"".join(chunk(b"IDAT", data[a:b]) for a, b in zip(cut, cut[1:], strict=False))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + parts + chunk(b"IEND", b""))


@pytest.mark.parametrize("kind", [0, 1, 2, 3, 4])
def test_every_filter_agrees_with_a_full_decode(tmp_path: Path, kind: int) -> None:
    rng = np.random.default_rng(kind)
    for case in range(40):
        height, width = (int(v) for v in rng.integers(1, 20, 2))
        pixels = np.full((height, width), 255, np.uint8)
        if case % 2:  # one labelled pixel anywhere, often far below the first row
            pixels[rng.integers(0, height), rng.integers(0, width)] = rng.integers(0, 255)
        filters = [kind if rng.random() < 0.7 else int(rng.integers(0, 5)) for _ in range(height)]
        path = tmp_path / f"{case}.png"
        write_grey_png(path, pixels, filters)
        assert np.array_equal(np.asarray(Image.open(path)), pixels)  # a valid PNG of these pixels
        assert has_labelled_pixel_png(path) is bool((pixels != 255).any())


def test_palette_labels_as_segstudio_writes_them(tmp_path: Path) -> None:
    classes = ClassTable.from_names(["background", "cat"])
    blank = np.full((300, 500), 255, np.uint8)
    write_label_png(tmp_path / "blank.png", blank, classes)
    blank[299, 499] = 1  # the last pixel of the last row
    write_label_png(tmp_path / "last.png", blank, classes)
    assert has_labelled_pixel_png(tmp_path / "blank.png") is False
    assert has_labelled_pixel_png(tmp_path / "last.png") is True


def test_what_it_cannot_tell_is_none(tmp_path: Path) -> None:
    Image.fromarray(np.full((8, 8, 3), 255, np.uint8)).save(tmp_path / "rgb.png")
    Image.fromarray(np.full((8, 8), 255, np.uint16)).save(tmp_path / "deep.png")
    (tmp_path / "text.png").write_bytes(b"not a png")
    write_grey_png(tmp_path / "cut.png", np.full((30, 30), 255, np.uint8), [0] * 30)
    (tmp_path / "cut.png").write_bytes((tmp_path / "cut.png").read_bytes()[:60])
    for name in ("rgb.png", "deep.png", "text.png", "cut.png", "missing.png"):
        assert has_labelled_pixel_png(tmp_path / name) is None, name
