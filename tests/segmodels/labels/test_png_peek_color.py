"""png_peek's first row of a colour PNG equals Pillow's decode for every row filter, and listing a colour
label as reviewed reads only that row when it holds a class colour."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from segmodels.labels.colorlabels import color_codes
from segmodels.labels.png_peek import first_row_colors
from support.png_filters import predictor


def write_color_png(path: Path, pixels: np.ndarray, kind: int) -> None:
    """An 8-bit RGB or RGBA PNG whose every row uses filter `kind` (Pillow picks its own)."""
    height, width, channels = pixels.shape
    flat = pixels.reshape(height, width * channels).astype(int)
    raw, prior = bytearray(), [0] * (width * channels)
    for y in range(height):
        row = list(flat[y])
        raw.append(kind)
        for x in range(len(row)):
            left, up_left = (row[x - channels], prior[x - channels]) if x >= channels else (0, 0)
            raw.append((row[x] - predictor(kind, left, prior[x], up_left)) % 256)
        prior = row

    def chunk(name: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + name + data + struct.pack(">I", zlib.crc32(name + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2 if channels == 3 else 6, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(raw)))
                     + chunk(b"IEND", b""))


@pytest.mark.parametrize("channels", [3, 4])
@pytest.mark.parametrize("kind", [0, 1, 2, 3, 4])
def test_the_first_row_equals_pillows_decode_for_every_filter(tmp_path, kind, channels):
    rng = np.random.default_rng(kind * 10 + channels)
    pixels = rng.integers(0, 256, (3, 17, channels), dtype=np.uint8)
    path = tmp_path / "label.png"
    write_color_png(path, pixels, kind)
    with Image.open(path) as image:
        decoded = np.asarray(image.convert("RGB"))
    np.testing.assert_array_equal(first_row_colors(path), color_codes(decoded)[0])


def test_other_pngs_and_damaged_files_are_not_told(tmp_path):
    grey = tmp_path / "grey.png"
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(grey)
    cut = tmp_path / "cut.png"
    write_color_png(cut, np.zeros((4, 4, 3), np.uint8), 1)
    cut.write_bytes(cut.read_bytes()[:40])
    assert first_row_colors(grey) is None and first_row_colors(cut) is None
    assert first_row_colors(tmp_path / "missing.png") is None


def test_a_colour_label_lists_by_its_first_row_and_decodes_only_when_that_is_blank(tmp_path, monkeypatch):
    from segmodels.formats.encodings import LabelEncoding
    from segmodels.labels import labelled_files
    from segmodels.labels.classes import ClassTable

    classes = ClassTable.from_names(["background", "cat"])
    void = tuple(int(v) for v in classes.palette()[255])
    cat = tuple(int(v) for v in classes.palette()[1])
    colours = labelled_files.class_color_codes(classes)
    decoded: list[Path] = []

    def read(path: Path) -> np.ndarray:
        from segmodels.formats.encodings import read_label_file

        decoded.append(path)
        return read_label_file(path, classes, LabelEncoding.COLOR)

    first = np.full((6, 8, 3), void, np.uint8)
    first[0, 3] = cat
    later = np.full((6, 8, 3), void, np.uint8)
    later[5, 7] = cat
    blank = np.full((6, 8, 3), void, np.uint8)
    for name, pixels in (("first", first), ("later", later), ("blank", blank)):
        Image.fromarray(pixels).save(tmp_path / f"{name}.png")
    answers = {name: labelled_files.has_labelled_file(tmp_path / f"{name}.png", read, class_colors=colours)
               for name in ("first", "later", "blank")}
    assert answers == {"first": True, "later": True, "blank": False}
    assert decoded == [tmp_path / "later.png", tmp_path / "blank.png"]  # the first answered from its row
