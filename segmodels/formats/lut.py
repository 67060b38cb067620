"""Per-pixel value maps of 8-bit labels through 256-entry lookup tables (docs/formats.md, "Speed").

A label file's stored values and the label map's class indices differ for some encodings (Cityscapes
label ids <-> train ids, class index -> colour). Each map is one table of 256 entries (every byte
value has one, so an id the table does not name maps to its entry, 255 for Cityscapes) applied in
one `np.take` (into the array itself where the caller owns it): 3x faster than fancy indexing
`table[values]` on a 512 x 512 label, and exactly the same values. The Cityscapes tables are made
once and read-only, so no caller can change them.
"""
from __future__ import annotations

import functools

import numpy as np

from segmodels.constants import IGNORE_INDEX
from segmodels.labels.classes import cityscapes_id_to_train_id, cityscapes_labels


def apply_lut(table: np.ndarray, values: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """`table[values]` for a uint8 array `values` and a table of 256 rows (scalars or colours), into
    `out` when given (it may be `values` itself: each value is read before its place is written)."""
    if values.dtype != np.uint8 or len(table) != 256:
        raise ValueError(f"expected uint8 values and a 256-entry table, got {values.dtype} and {len(table)}")
    # np.take, not OpenCV's LUT: cv2 splits a 512 x 512 map over its thread pool, which on a busy
    # machine waits for a core far longer than the lookup takes (measured: several ms per label).
    if table.ndim == 1 and values.flags.c_contiguous and values.size % 2 == 0 and values.size \
            and (out is None or out.flags.c_contiguous):
        # Two pixels per lookup: half the index conversions np.take makes (2x faster), same bytes.
        pairs = _pair_table(np.ascontiguousarray(table, dtype=np.uint8).tobytes())
        into = None if out is None else out.reshape(-1).view(np.uint16)
        result = np.take(pairs, values.reshape(-1).view(np.uint16), out=into)
        return result.view(np.uint8).reshape(values.shape)
    return np.take(table, values, axis=0, out=out)


@functools.lru_cache(maxsize=8)
def _pair_table(table: bytes) -> np.ndarray:
    """65,536 entries, one per two bytes as they lie in memory: each byte mapped through `table`."""
    single = np.frombuffer(table, dtype=np.uint8)
    two_bytes = np.arange(1 << 16, dtype=np.uint16).view(np.uint8).reshape(-1, 2)  # in this machine's order
    return np.ascontiguousarray(single[two_bytes]).reshape(-1).view(np.uint16)


@functools.cache
def label_id_to_train_id_table() -> np.ndarray:
    """Cityscapes label id -> train id for every byte value; ids that are no train class -> 255."""
    table = cityscapes_id_to_train_id()
    table.flags.writeable = False
    return table


def label_ids_to_train_ids(ids: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """A Cityscapes labelIds image's values as train ids (255 for every id not trained on)."""
    return apply_lut(label_id_to_train_id_table(), ids, out)


def train_id_to_label_id() -> np.ndarray:
    """Cityscapes train id -> the label id cityscapesScripts gives it; 255 (unlabelled) -> 0 ('unlabeled')."""
    lut = np.zeros(256, dtype=np.uint8)
    for label in sorted(cityscapes_labels(), key=lambda label: -label.id):  # the lowest id wins a shared train id
        if label.train_id != IGNORE_INDEX:
            lut[label.train_id] = label.id
    return lut


@functools.cache
def train_id_to_label_id_table() -> np.ndarray:
    """`train_id_to_label_id()`, made once and read-only."""
    table = train_id_to_label_id()
    table.flags.writeable = False
    return table


def train_ids_to_label_ids(train: np.ndarray) -> np.ndarray:
    """Train ids as the label ids a Cityscapes labelIds file stores (ids no class has -> 0, 'unlabeled')."""
    return apply_lut(train_id_to_label_id_table(), train)


def present_values(label_map: np.ndarray) -> np.ndarray:
    """The sorted distinct values of a uint8 label map, as uint8 (a bincount: 3x faster than np.unique)."""
    return np.flatnonzero(np.bincount(label_map.reshape(-1), minlength=256)).astype(np.uint8)
