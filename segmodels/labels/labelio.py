"""Label map I/O: 8-bit palette PNGs (mode P) are segstudio's one on-disk label form.

Pixel value = class index, 255 = unlabelled; the palette carries the class colours. Pillow reads and
writes them because OpenCV expands palettes to colours. Writes are atomic.
"""
from __future__ import annotations

import io
import os

import numpy as np
from PIL import Image

from segmodels.atomic import atomic_write_bytes
from segmodels.errors import SegError, describe
from segmodels.labels.classes import ClassTable
from segmodels.labels.imageio import open_pil
from segmodels.labels.pixels import index_values

#: Fast zlib level: label maps compress well at level 1 and saving stays interactive on 8k images.
PNG_COMPRESS_LEVEL = 1


def encode_label_png(label_map: np.ndarray, classes: ClassTable | np.ndarray) -> bytes:
    """Encode an H x W uint8 label map as a palette PNG (palette = class colours)."""
    if label_map.ndim != 2 or label_map.dtype != np.uint8:
        raise ValueError(f"label map must be H x W uint8, got {label_map.shape} {label_map.dtype}")
    palette = classes.palette() if isinstance(classes, ClassTable) else np.asarray(classes, dtype=np.uint8)
    height, width = label_map.shape
    image = Image.frombytes("P", (width, height), np.ascontiguousarray(label_map).tobytes())
    image.putpalette(palette.reshape(-1).tolist())
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


def write_label_png(path: str | os.PathLike[str], label_map: np.ndarray, classes: ClassTable | np.ndarray) -> None:
    """Write a label map as a palette PNG, atomically."""
    atomic_write_bytes(path, encode_label_png(label_map, classes))


def read_label_png(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a palette (P) or grey (L) label PNG as H x W uint8 indices, exactly as stored.

    A colour PNG is refused with a sentence saying how to read it (through a class table).
    """
    image = open_pil(path, what="label")
    if image.mode in ("P", "L", "1"):  # a 1-bit mask: its two values are the indices 0 and 1
        return index_values(image)  # one copy, straight from Pillow's memory
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        values = np.array(image)
        if values.max(initial=0) > 255:
            raise SegError(f"Label {describe(path)} is a 16-bit image with values above 255; "
                           "labels must be 8-bit class indices.", path=path)
        return values.astype(np.uint8)
    raise SegError(f"Label {describe(path)} is a {image.mode} colour image, not an index or palette PNG; "
                   "read it as a colour-coded label with a class table.", path=path)


def read_label_palette(path: str | os.PathLike[str]) -> np.ndarray | None:
    """The 256 x 3 palette stored in a palette PNG, or None for a grey label."""
    image = open_pil(path, what="label")
    if image.mode != "P":
        return None
    raw = np.array(image.getpalette() or [], dtype=np.uint8)
    palette = np.zeros((256, 3), dtype=np.uint8)
    raw = raw[: (raw.size // 3) * 3].reshape(-1, 3)[:256]
    palette[: len(raw)] = raw
    return palette

