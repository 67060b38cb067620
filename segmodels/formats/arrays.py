"""One-hot and index arrays as label files (`.npy` / `.npz`, encoding `onehot`): read into an index
map, and written back in the form of the file they replace (docs/formats.md, "Encodings in a project").

A reader downstream loads these arrays by shape, dtype and (for `.npz`) member name, so writing one
keeps all of them: a one-hot stack keeps its channel count, axis order (C x H x W or H x W x C) and
dtype; a 2-D index array (labelme's SegmentationClassNpy) keeps its dtype, with unlabelled written as
-1 when the dtype is signed (labelme's convention) and as 255 otherwise; an `.npz` keeps its member
name, its other members and whether it was compressed. Every pixel whose class did not change keeps
its stored row or value exactly (a stack's defective rows included). A new file takes the form of
`like` (another label of the dataset) when given, else a C x H x W uint8 stack of the table's classes.
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from segmodels.atomic import atomic_open
from segmodels.constants import IGNORE_INDEX
from segmodels.errors import SegError, describe
from segmodels.formats.lut import present_values
from segmodels.labels.classes import ClassTable
from segmodels.labels.onehot import channel_axis, decode_onehot, label_key, load_array

NPZ_DEFAULT_KEY = "label"


@dataclass(frozen=True)
class ArrayForm:
    """How a label array is stored, as far as a reader of the dataset depends on it."""

    index: bool                 # a 2-D index array, else a one-hot stack
    dtype: np.dtype
    channels: int = 0           # stack only
    channels_last: bool = False  # stack only: H x W x C
    key: str = NPZ_DEFAULT_KEY  # .npz: the member holding the label
    compressed: bool = True     # .npz: deflated members (np.savez_compressed)
    others: dict[str, np.ndarray] = field(default_factory=dict, compare=False)  # .npz: the other members


def read_array_label(path: Path, classes: ClassTable) -> np.ndarray:
    """The H x W uint8 index map in a `.npy`/`.npz` label; SegError (one sentence) when it has none."""
    return _decode(path, load_array(path), classes)


def _decode(path: Path, array: np.ndarray, classes: ClassTable) -> np.ndarray:
    if array.ndim == 2 and array.dtype.kind not in "iub":
        raise SegError(f"Label {describe(path)} is a 2-D {array.dtype} array; an index array must hold "
                       "integers.", path=path)
    try:
        result = decode_onehot(array, num_classes=len(classes))
    except ValueError as exc:
        raise SegError(f"Label {describe(path)}: {exc}.", path=path) from None
    bad = result.defects.get("out_of_byte")
    if bad is not None:  # an index array with values no label map holds: never clipped silently
        raise SegError(f"Label {describe(path)} holds {bad.count} value(s) outside 0..255 (-1 = unlabelled), "
                       f"first at [y, x] = {list(bad.first)}.", path=path)
    return result.label_map


def default_form(classes: ClassTable) -> ArrayForm:
    return ArrayForm(index=False, dtype=np.dtype(np.uint8), channels=len(classes))


def _form_of(array: np.ndarray, classes: ClassTable, key: str = NPZ_DEFAULT_KEY, compressed: bool = True,
             others: dict[str, np.ndarray] | None = None) -> ArrayForm:
    if array.ndim == 2:
        return ArrayForm(True, array.dtype, key=key, compressed=compressed, others=others or {})
    last = channel_axis(array.shape, len(classes)) == "HWC"  # the rule reading uses (segmodels/labels/onehot.py)
    channels = array.shape[2] if last else array.shape[0]
    return ArrayForm(False, array.dtype, channels, last, key, compressed, others or {})


def _existing(path: Path, classes: ClassTable) -> tuple[np.ndarray, ArrayForm] | None:
    """(label array, its form) of a readable label file at `path`, else None."""
    if not path.is_file():
        return None
    try:
        array = load_array(path)
        if array.ndim not in (2, 3):
            return None
        if path.suffix.lower() != ".npz":
            return array, _form_of(array, classes)
        with np.load(path, allow_pickle=False) as archive:
            key = label_key(archive.files) or NPZ_DEFAULT_KEY
            others = {name: archive[name] for name in archive.files if name != key}
        with zipfile.ZipFile(path) as handle:
            compressed = any(info.compress_type != zipfile.ZIP_STORED for info in handle.infolist())
        return array, _form_of(array, classes, key, compressed, others)
    except (SegError, OSError, ValueError, zipfile.BadZipFile):
        return None  # unreadable: replaced in the form of `like` (the window keeps a copy of such a file)


def write_array_label(path: Path, label_map: np.ndarray, classes: ClassTable, like: Path | None = None) -> None:
    """Write `label_map` to `path` (atomically) in the form of the file it replaces (or of `like`).
    The array is built and checked first (SegError, writing nothing), then written straight into the
    file: a 21-channel 512 x 512 stack is 5.5 MB, not copied through an in-memory file."""
    existing = _existing(path, classes)
    if existing is not None:
        old, form = existing
    else:
        old = None
        model = _existing(like, classes) if like is not None else None
        form = replace(model[1], others={}) if model is not None else default_form(classes)
    array = _build(path, label_map, form)
    if old is not None and old.shape == array.shape:
        try:
            same = _decode(path, old, classes) == label_map
        except SegError:
            same = None
        if same is not None:  # untouched pixels keep their stored value or row exactly
            if form.index:
                array[same] = old[same]
            else:
                _channels_last(array, form)[same] = _channels_last(old, form)[same]
    with atomic_open(path, "wb") as handle:
        if path.suffix.lower() != ".npz":
            np.save(handle, array, allow_pickle=False)
        elif form.compressed:
            np.savez_compressed(handle, **{**form.others, form.key: array})
        else:
            np.savez(handle, **{**form.others, form.key: array})


def _channels_last(array: np.ndarray, form: ArrayForm) -> np.ndarray:
    return array if form.channels_last else np.moveaxis(array, 0, -1)


def _build(path: Path, label_map: np.ndarray, form: ArrayForm) -> np.ndarray:
    """`label_map` in `form`; SegError naming the first value the form cannot hold."""
    values = present_values(label_map)
    if form.index:
        low, high = _value_range(form.dtype)
        signed = form.dtype.kind == "i"
        bad = [int(v) for v in values if not (low <= v <= high or (v == IGNORE_INDEX and signed))]
        if bad:
            raise SegError(f"Label {describe(path)} is a {form.dtype} index array, which cannot hold class index "
                           f"{bad[0]}.", path=path)
        array = label_map.astype(form.dtype)
        if signed:
            array[label_map == IGNORE_INDEX] = -1  # labelme's SegmentationClassNpy: -1 = unlabelled
        return array
    bad = [int(v) for v in values if v >= form.channels and v != IGNORE_INDEX]
    if bad:
        raise SegError(f"Label {describe(path)} is a one-hot stack of {form.channels} channels, which cannot hold "
                       f"class index {bad[0]}.", path=path)
    # One comparison against every channel number, built in its stored axis order (unlabelled, 255, is
    # no channel: a row of zeros). Comparing uint8 with uint8 is 20x faster than the per-class loop.
    channels = np.arange(form.channels, dtype=np.uint8 if form.channels <= IGNORE_INDEX else np.int32)
    if form.channels > IGNORE_INDEX:
        channels[IGNORE_INDEX:] = -1  # unlabelled (255) is no channel's class, even in a stack that long
    hot = (np.equal(label_map[..., np.newaxis], channels) if form.channels_last
           else np.equal(channels[:, np.newaxis, np.newaxis], label_map))
    return hot.view(np.uint8) if form.dtype == np.uint8 else hot.astype(form.dtype)


def _value_range(dtype: np.dtype) -> tuple[int, int]:
    if dtype.kind == "b":
        return 0, 1
    info = np.iinfo(dtype)
    return int(info.min), int(info.max)
