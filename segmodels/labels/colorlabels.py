"""Colour-coded label images (Cityscapes `*_color.png`, hand-made masks) -> label maps.

Every pixel's colour is looked up in a class table. Each pixel's three bytes are read as one uint32
code (r | g << 8 | b << 16: a little-endian read of 4 bytes at every third byte, the fourth masked
off) and looked up in a dense table of all 2^24 colours (16 MiB, made once per lookup and cached), so a whole image is
converted in one gather, without a Python loop over pixels.
The table's void colour (`palette()[255]`, VOC's (224, 224, 192)) and any extra `ignore_colors` map
to IGNORE_INDEX; any other colour is unknown and reported as a mask, never silently mapped.
"""
from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from segmodels.constants import IGNORE_INDEX
from segmodels.errors import SegError, describe
from segmodels.labels.classes import ClassTable, Color, cityscapes_id_table, cityscapes_labels, is_cityscapes_table
from segmodels.labels.imageio import open_pil


@dataclass(frozen=True)
class ColorLookup:
    """Sorted packed colours and the label index each one stands for."""

    packed: np.ndarray   # (K,) uint32, sorted ascending
    indices: np.ndarray  # (K,) uint8

    @functools.cached_property
    def table(self) -> np.ndarray:
        """The index of every colour code (`color_codes` order), IGNORE_INDEX where unknown (16 MiB)."""
        return _dense_table(_as_codes(self.packed).tobytes(), self.indices.tobytes())

    @functools.cached_property
    def class_codes(self) -> np.ndarray:
        """The codes that stand for a class (not unlabelled), in `color_codes` order."""
        return _as_codes(self.packed[self.indices != IGNORE_INDEX])

    @functools.cached_property
    def ignore_codes(self) -> np.ndarray:
        """The codes that stand for IGNORE_INDEX on purpose (void and ignore colours), not unknown ones."""
        return _as_codes(self.packed[self.indices == IGNORE_INDEX])


def pack_rgb(rgb: np.ndarray) -> np.ndarray:
    """H x W x 3 uint8 -> H x W uint32 (r << 16 | g << 8 | b)."""
    packed = rgb[..., 0].astype(np.uint32)
    packed <<= 8  # in place: one H x W array instead of five (2.5x faster on a 512 x 512 label)
    packed |= rgb[..., 1]
    packed <<= 8
    packed |= rgb[..., 2]
    return packed


def color_codes(rgb: np.ndarray) -> np.ndarray:
    """H x W x 3 uint8 -> H x W uint32 codes r | g << 8 | b << 16: each pixel's 3 bytes and the next
    one read as one little-endian number, the 4th byte masked off (2x faster than shifting channels
    together, on one thread). A C-contiguous array (what Pillow decodes) is read in place, the last
    pixel on its own, as its 4-byte read would pass the buffer's end: no copy of the colours."""
    height, width = rgb.shape[:2]
    count = height * width
    if not rgb.flags.c_contiguous or count == 0:
        rgb = np.ascontiguousarray(rgb)
    flat = rgb.reshape(-1)
    codes = np.empty(count, dtype=np.uint32)
    if count > 1:
        reads = np.ndarray((count - 1,), dtype="<u4", buffer=flat, strides=(3,))
        np.bitwise_and(reads, np.uint32(0xFFFFFF), out=codes[:-1])
    if count:
        r, g, b = (int(v) for v in flat[-3:])
        codes[-1] = r | g << 8 | b << 16
    return codes.reshape(height, width)


def code_color(code: int) -> Color:
    """The (r, g, b) of one colour code."""
    return code & 0xFF, code >> 8 & 0xFF, code >> 16 & 0xFF


def _as_codes(packed: np.ndarray) -> np.ndarray:
    """`pack_rgb` values (r << 16 | g << 8 | b) as `color_codes` (r | g << 8 | b << 16)."""
    packed = packed.astype(np.uint32)
    return ((packed & 0xFF) << 16) | (packed & 0xFF00) | (packed >> 16)


def color_lookup(class_table: ClassTable, ignore_colors: Iterable[Color] = ()) -> ColorLookup:
    """The lookup for a table. When two classes share a colour the lower id wins (as a reader
    of such a file could not tell them apart either); class colours win over ignore colours.
    Made once per (table, ignore colours): a folder of colour labels reads every file with one."""
    return _color_lookup(class_table, tuple(tuple(int(v) for v in color) for color in ignore_colors))


@functools.lru_cache(maxsize=16)
def _color_lookup(class_table: ClassTable, ignore_colors: tuple[Color, ...]) -> ColorLookup:
    colors: dict[int, int] = {}
    for info in class_table:
        colors.setdefault(_pack_one(info.color), info.id)
    for color in (tuple(class_table.palette()[IGNORE_INDEX]), *ignore_colors):
        colors.setdefault(_pack_one(color), IGNORE_INDEX)
    packed = np.array(sorted(colors), dtype=np.uint32)
    indices = np.array([colors[int(p)] for p in packed], dtype=np.uint8)
    packed.flags.writeable = indices.flags.writeable = False  # shared by every caller
    return ColorLookup(packed, indices)


def _pack_one(color: Iterable[int]) -> int:
    r, g, b = (int(v) for v in color)
    return (r << 16) | (g << 8) | b


def cityscapes_ignore_colors() -> tuple[Color, ...]:
    """Colours of Cityscapes labels that are not training classes (void, ego vehicle, ...)."""
    return tuple(label.color for label in cityscapes_labels() if label.train_id == IGNORE_INDEX)


def label_file_lookup(class_table: ClassTable, ignore_colors: Iterable[Color] = ()) -> ColorLookup:
    """How a colour-coded label file is read with this table: a Cityscapes colour file also paints
    the labels that are no train class (unlabeled, ego vehicle, dynamic...) in their own colours, all
    read as unlabelled (docs/formats.md, "Cityscapes")."""
    extra = cityscapes_ignore_colors() if is_cityscapes_table(class_table) else ()
    return color_lookup(class_table, (*ignore_colors, *extra))


def label_file_colors(class_table: ClassTable) -> np.ndarray:
    """256 x 3 (RGB) or 256 x 4 (RGBA): what a new colour-coded label file of this table stores for
    each index; unlabelled is the table's void colour. Cityscapes colour files (the 19 train classes or
    the 34 label ids) are RGBA with alpha 255 and 'unlabeled' (0, 0, 0), as json2labelImg writes them."""
    palette = class_table.palette()
    if not (is_cityscapes_table(class_table) or class_table.names == cityscapes_id_table().names):
        return palette
    palette[IGNORE_INDEX] = 0
    return np.column_stack([palette, np.full(len(palette), 255, np.uint8)])


def colors_to_label_map(rgb: np.ndarray, lookup: ColorLookup) -> tuple[np.ndarray, np.ndarray]:
    """(label_map uint8, unknown mask bool) for an H x W x 3 uint8 colour image.

    Unknown colours get IGNORE_INDEX in the label map and True in the mask.
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected H x W x 3 colours, got shape {rgb.shape}")
    return codes_to_label_map(color_codes(rgb), lookup)


def codes_to_label_map(codes: np.ndarray, lookup: ColorLookup) -> tuple[np.ndarray, np.ndarray]:
    """`colors_to_label_map` of colours already read as codes (`color_codes`, `segmodels.labels.pixels.rgb_codes`)."""
    # One gather per pixel (a binary search per pixel was 3x slower than decoding the PNG).
    label_map = np.take(lookup.table, codes)
    unknown = np.zeros(label_map.shape, dtype=bool)
    maybe = label_map == IGNORE_INDEX  # unknown colours read as IGNORE_INDEX, and so do the ignore colours
    if maybe.any():
        unknown[maybe] = ~np.isin(codes[maybe], lookup.ignore_codes)
    return label_map, unknown


@functools.lru_cache(maxsize=4)
def _dense_table(codes: bytes, indices: bytes) -> np.ndarray:
    """Index of every 24-bit colour code (IGNORE_INDEX when not in the lookup). Keyed by the lookup's
    bytes, so the few tables in use (one per class table) are made once: 16 MiB each, at most 4."""
    table = np.full(1 << 24, IGNORE_INDEX, dtype=np.uint8)
    table[np.frombuffer(codes, dtype=np.uint32)] = np.frombuffer(indices, dtype=np.uint8)
    return table


def read_color_label(path: str | os.PathLike[str], class_table: ClassTable,
                     ignore_colors: Iterable[Color] = ()) -> tuple[np.ndarray, np.ndarray]:
    """Read a colour-coded label image: (label_map, mask of pixels whose colour is not in the table).

    Alpha is dropped; palette images are expanded to their colours first. Raises SegError when the
    file cannot be read.
    """
    image = open_pil(path, what="label")
    if image.mode not in ("RGB", "RGBA", "P", "PA", "L", "LA"):
        raise SegError(f"Label {describe(path)} is a {image.mode} image; a colour-coded label must be "
                       "8-bit RGB.", path=path)
    rgb = np.asarray(image.convert("RGB") if image.mode != "RGB" else image, dtype=np.uint8)
    return colors_to_label_map(rgb, color_lookup(class_table, ignore_colors))
