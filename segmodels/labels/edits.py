"""Pixel algorithms for label editing: pure numpy/OpenCV, no Qt (STYLE.md convention 4). The colour
tables that show label maps live in segmodels.labels.colortable, zoom levels in segmodels.labels.pyramid.

Everything here works in image coordinates (row y, column x) on `H x W uint8` label maps where
`IGNORE_INDEX` (255) means unlabelled. An edit is recorded as a `PaintAtom`: the top-left corner of
a bounding box, a boolean mask inside it, the old values under the mask and the new value(s), so
undo stores only what changed and restores it bit for bit. An undo step keeps its atoms as
`PackedAtom`s (`pack_atom`): the mask bit-packed and zlib-compressed (None when the whole box
changed), the old and new values zlib-compressed (one int when they are all the same class, the
common case of a fill; the plain array when they do not compress, such as noise). A full-image
fill on 8192 x 8192 then costs kilobytes instead of 128 MiB; `apply_packed` / `revert_packed`
unpack only what they need, and a whole-box, one-value atom is restored with one slice assignment.

Brush geometry: a brush of `size` pixels is the disk `disk_mask(size)` whose top-left corner sits at
`(y - size // 2, x - size // 2)` for a dab at (y, x). A stroke segment is the union of that disk
stamped at every pixel of the 8-connected line between two mouse positions (OpenCV `LINE_8`, no
anti-aliasing, so no stray class indices appear), which leaves no gaps however fast the mouse moves.
segmodels.labels.sweep computes it as one run of pixels per row, and what a dab of a drag must write.
"""
from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

Box = tuple[int, int, int, int]  # (y0, x0, y1, x1), end exclusive
#: Given a label-map region, True where an edit may write (None: everywhere); see Protection.writable.
Writable = Callable[[np.ndarray], "np.ndarray | None"]


@dataclass(frozen=True, eq=False)
class PaintAtom:
    """One recorded change: `label_map[y0:y0+h, x0:x0+w][mask]` went from `old_values` to `new_values`."""

    y0: int
    x0: int
    mask: np.ndarray                 # h x w bool, True where pixels changed
    old_values: np.ndarray           # 1-D uint8, the values under `mask` before the edit
    new_values: np.ndarray | int     # one class index, or 1-D uint8 values under `mask`

    @property
    def box(self) -> Box:
        h, w = self.mask.shape
        return self.y0, self.x0, self.y0 + h, self.x0 + w

    @property
    def pixel_count(self) -> int:
        return int(self.old_values.size)


def _region(label_map: np.ndarray, atom: PaintAtom) -> np.ndarray:
    y0, x0, y1, x1 = atom.box
    return label_map[y0:y1, x0:x1]


def apply_atom(label_map: np.ndarray, atom: PaintAtom) -> None:
    _region(label_map, atom)[atom.mask] = atom.new_values


def revert_atom(label_map: np.ndarray, atom: PaintAtom) -> None:
    _region(label_map, atom)[atom.mask] = atom.old_values


#: Values of a packed atom: zlib-compressed bytes; the one value all of them have; or, when zlib
#: would not save a tenth (noise-like values), the plain 1-D uint8 array (compressing it costs seconds
#: on a whole 8192 x 8192 image for nothing).
Packed = bytes | int | np.ndarray
#: How much of the values zlib tries first to tell whether they compress.
_PROBE_BYTES = 1 << 20
#: zlib level for packed atoms: level 1 packs label runs nearly as small as level 9, several times faster.
_ZLIB_LEVEL = 1
#: Python object overhead counted per packed atom on top of its bytes (a small dataclass and its fields).
_ATOM_OVERHEAD = 256


@dataclass(frozen=True, eq=False)
class PackedAtom:
    """A `PaintAtom` stored compactly for undo: `unpack()` gives the same atom back bit for bit."""

    y0: int
    x0: int
    height: int
    width: int
    pixel_count: int
    mask_bits: bytes | None   # zlib(np.packbits(mask)); None when every pixel of the box changed
    old_values: Packed        # the old values (see `Packed`)
    new_values: Packed        # the new values

    @property
    def box(self) -> Box:
        return self.y0, self.x0, self.y0 + self.height, self.x0 + self.width

    @property
    def nbytes(self) -> int:
        """Memory this atom holds (its packed bytes plus a fixed overhead)."""
        parts = (self.mask_bits, self.old_values, self.new_values)
        return _ATOM_OVERHEAD + sum(len(part) if isinstance(part, bytes) else part.nbytes
                                    for part in parts if isinstance(part, bytes | np.ndarray))

    def mask(self) -> np.ndarray:
        shape = (self.height, self.width)
        if self.mask_bits is None:
            return np.ones(shape, dtype=bool)
        bits = np.frombuffer(zlib.decompress(self.mask_bits), dtype=np.uint8)
        return np.unpackbits(bits, count=self.height * self.width).reshape(shape).view(bool)

    def unpack(self) -> PaintAtom:
        return PaintAtom(self.y0, self.x0, self.mask(), _unpack_values(self.old_values, self.pixel_count),
                         self.new_values if isinstance(self.new_values, int)
                         else _unpack_values(self.new_values, self.pixel_count))


def _pack_values(values: np.ndarray | int) -> Packed:
    if isinstance(values, int | np.integer):
        return int(values)
    values = np.asarray(values, dtype=np.uint8)
    if values.ndim != 1 or not values.flags.c_contiguous:
        values = np.ascontiguousarray(values).reshape(-1)
    if values.size and values.min() == values.max():
        return int(values[0])
    probe = values[:_PROBE_BYTES]
    if len(zlib.compress(probe, _ZLIB_LEVEL)) > 0.9 * probe.nbytes:
        return values.copy() if values.base is not None else values  # incompressible: kept as it is
    return zlib.compress(values, _ZLIB_LEVEL)


def _unpack_values(values: Packed, count: int) -> np.ndarray:
    if isinstance(values, int):
        return np.full(count, values, dtype=np.uint8)
    if isinstance(values, np.ndarray):
        return values
    return np.frombuffer(zlib.decompress(values), dtype=np.uint8)


def pack_atom(atom: PaintAtom) -> PackedAtom:
    """The compact form of `atom` (see the module docstring)."""
    height, width = atom.mask.shape
    full = bool(atom.mask.all())
    mask_bits = None if full else zlib.compress(np.packbits(atom.mask), _ZLIB_LEVEL)
    return PackedAtom(atom.y0, atom.x0, height, width, atom.pixel_count, mask_bits,
                      _pack_values(atom.old_values), _pack_values(atom.new_values))


def _write_packed(label_map: np.ndarray, packed: PackedAtom, values: Packed) -> None:
    y0, x0, y1, x1 = packed.box
    region = label_map[y0:y1, x0:x1]
    if packed.mask_bits is None:  # the whole box: no mask to unpack
        region[...] = values if isinstance(values, int) else _unpack_values(values, packed.pixel_count).reshape(
            region.shape)
        return
    region[packed.mask()] = values if isinstance(values, int) else _unpack_values(values, packed.pixel_count)


def apply_packed(label_map: np.ndarray, packed: PackedAtom) -> None:
    _write_packed(label_map, packed, packed.new_values)


def revert_packed(label_map: np.ndarray, packed: PackedAtom) -> None:
    _write_packed(label_map, packed, packed.old_values)


def make_atom(label_map: np.ndarray, y0: int, x0: int, mask: np.ndarray,
              new_values: np.ndarray | int, writable: Writable | None = None) -> PaintAtom | None:
    """Record (without writing) the change of setting `mask` at (y0, x0) to `new_values`.

    The mask is clipped to the image and narrowed to pixels whose value really changes (and, with
    `writable`, to the pixels it allows: protected labels, segmodels.labels.protection); None when
    nothing would change. `new_values` is a class index or an array shaped like `mask`.
    """
    clipped = clip_to_image(label_map.shape, y0, x0, mask)
    if clipped is None:
        return None
    cy0, cx0, cmask = clipped
    h, w = cmask.shape
    region = label_map[cy0:cy0 + h, cx0:cx0 + w]
    # In-place `&=`, one boolean-index copy per array and no copy of a mask that is already tight:
    # a full-image fill on 8192 x 8192 would otherwise allocate several 64 MiB temporaries.
    values: np.ndarray | None = None
    if np.isscalar(new_values) or np.ndim(new_values) == 0:
        changed = region != int(new_values)
    else:
        values = np.asarray(new_values, dtype=np.uint8)
        values = values[cy0 - y0:cy0 - y0 + h, cx0 - x0:cx0 - x0 + w]
        changed = region != values
    changed &= cmask
    allowed = writable(region) if writable is not None else None
    if allowed is not None:
        changed &= allowed
    if not changed.any():
        return None
    box = bounding_box(changed)
    assert box is not None
    by0, bx0, by1, bx1 = box
    mask_tight = changed[by0:by1, bx0:bx1]
    old = region[by0:by1, bx0:bx1][mask_tight]  # boolean indexing copies
    new = int(new_values) if values is None else values[by0:by1, bx0:bx1][mask_tight]
    if mask_tight.shape != changed.shape:
        mask_tight = mask_tight.copy()  # do not keep all of `changed` alive through a view
    return PaintAtom(cy0 + by0, cx0 + bx0, mask_tight, old, new)


def clip_to_image(shape: tuple[int, ...], y0: int, x0: int,
                  mask: np.ndarray) -> tuple[int, int, np.ndarray] | None:
    """The part of a mask placed at (y0, x0) that lies inside an image of `shape`, or None."""
    height, width = shape[:2]
    h, w = mask.shape
    top, left = max(y0, 0), max(x0, 0)
    bottom, right = min(y0 + h, height), min(x0 + w, width)
    if top >= bottom or left >= right:
        return None
    return top, left, mask[top - y0:bottom - y0, left - x0:right - x0]


def bounding_box(mask: np.ndarray) -> Box | None:
    """(y0, x0, y1, x1) of the True pixels, end exclusive; None for an empty mask."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def union_box(a: Box | None, b: Box | None) -> Box | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


@lru_cache(maxsize=64)
def _disk_cached(size: int) -> bytes:
    centre = (size - 1) / 2.0
    yy, xx = np.mgrid[0:size, 0:size]
    inside = (yy - centre) ** 2 + (xx - centre) ** 2 <= (size / 2.0) ** 2
    return np.packbits(inside).tobytes()


def disk_mask(size: int) -> np.ndarray:
    """A size x size boolean disk (the brush footprint); size 1 is one pixel."""
    size = max(1, int(size))
    bits = np.unpackbits(np.frombuffer(_disk_cached(size), dtype=np.uint8), count=size * size)
    return bits.reshape(size, size).astype(bool)


def _cv2():
    """OpenCV, imported on the first stroke or fill: importing it costs start-up time the first
    frame does not need."""
    import cv2

    return cv2


def stroke_segment(p0: tuple[int, int], p1: tuple[int, int], size: int) -> tuple[int, int, np.ndarray]:
    """The brush footprint swept from p0 to p1 (both (y, x)): returns (y0, x0, mask), unclipped.
    Built from one run of pixels per row (segmodels.labels.sweep), not by dilating the line with
    the disk: the same pixels, without a size x size kernel pass per pixel."""
    from segmodels.labels.sweep import runs_to_mask, segment_runs

    return runs_to_mask(segment_runs(p0, p1, size))


def flood_fill_mask(label_map: np.ndarray, y: int, x: int) -> tuple[int, int, np.ndarray] | None:
    """The 4-connected region of equal label value containing (y, x), as (y0, x0, mask)."""
    height, width = label_map.shape
    if not (0 <= y < height and 0 <= x < width):
        return None
    fill_mask = np.zeros((height + 2, width + 2), dtype=np.uint8)
    cv2 = _cv2()
    flags = 4 | cv2.FLOODFILL_MASK_ONLY | cv2.FLOODFILL_FIXED_RANGE | (1 << 8)
    _, _, _, rect = cv2.floodFill(np.ascontiguousarray(label_map), fill_mask, (int(x), int(y)), 0,
                                  loDiff=0, upDiff=0, flags=flags)
    rx, ry, rw, rh = rect
    region = fill_mask[1 + ry:1 + ry + rh, 1 + rx:1 + rx + rw].view(bool)  # 0/1 bytes: no copy needed
    return ry, rx, region
