"""One-hot label stacks (`.npy` / `.npz`, H x W x C or C x H x W) -> label maps, with their defects.

Training assumes exactly one 1 per pixel. A row of all zeros or with several ones silently corrupts
the loss, so reading a stack always reports such rows (count and first [y, x]) instead of guessing.
M2NIST-style stacks have no background channel: with `implicit_background=True` an all-zero row is
class 0 and channel k is class k + 1. Values other than 0/1 and NaN are reported too.

The channel axis is the one whose length equals the expected channel count; failing that, the
smaller of the first and last axes (images are larger than their class count).
A 2-D integer array is taken as an index map as it is (-1 in a signed one = unlabelled, labelme's
convention).
Sizes are checked before anything is allocated: an array's header (shape x dtype) and an archive's member
sizes must stay under MAX_ARRAY_BYTES, so a small compressed file cannot ask for gigabytes.
"""
from __future__ import annotations

import math
import os
import tokenize
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np

from segmodels.atomic import open_regular
from segmodels.constants import IGNORE_INDEX
from segmodels.errors import SegError, TruncatedFile, describe

#: Largest array a .npy or .npz label may declare, in bytes (shape x dtype; 4096 x 4096 x 32 channels of
#: uint8). Checked from the headers before anything is allocated; decoding needs a few times this.
MAX_ARRAY_BYTES: int = 512 * 1024 * 1024
NPY_HEADER_SLACK = 64 * 1024  # an .npy member holds its header too

#: Names tried, in order, for the label array inside an .npz holding several arrays.
NPZ_KEYS = ("onehot", "label", "labels", "mask", "masks", "segmentation", "y")


@dataclass(frozen=True)
class Defect:
    count: int
    first: tuple[int, int] | None  # (y, x) of the first defective pixel in row-major order


@dataclass(frozen=True)
class OneHotResult:
    """A decoded stack: label_map (defective pixels are IGNORE_INDEX) and what was wrong."""

    label_map: np.ndarray
    channels: int
    layout: str  # "HWC", "CHW" or "index"
    defects: dict[str, Defect] = field(default_factory=dict)  # kinds: empty, multiple, nan, not_binary


def first_true(mask: np.ndarray) -> tuple[int, int] | None:
    """(y, x) of the first True pixel in row-major order, or None."""
    flat = int(np.argmax(mask.reshape(-1)))
    if not mask.reshape(-1)[flat]:
        return None
    y, x = divmod(flat, mask.shape[1])
    return int(y), int(x)


def _defect(mask: np.ndarray) -> Defect | None:
    count = int(np.count_nonzero(mask))
    return Defect(count, first_true(mask)) if count else None


def channel_axis(shape: tuple[int, ...], expected_channels: int | None) -> str:
    """'HWC' or 'CHW' for a 3-D stack of this shape (see the module docstring for the rule)."""
    if expected_channels is not None:
        if shape[2] == expected_channels and shape[0] != expected_channels:
            return "HWC"
        if shape[0] == expected_channels and shape[2] != expected_channels:
            return "CHW"
    return "CHW" if shape[0] < shape[2] else "HWC"


def decode_onehot(stack: np.ndarray, *, num_classes: int | None = None,
                  implicit_background: bool = False) -> OneHotResult:
    """Decode an array already in memory. `num_classes` counts the background class too.

    Raises ValueError for an array of the wrong rank (callers turn it into a problem or SegError).
    """
    stack = np.asarray(stack)
    if stack.ndim == 2 and (stack.dtype.kind in "iub"):
        return _decode_index_map(stack)
    if stack.ndim != 3:
        raise ValueError(f"a one-hot stack must have 3 axes (H x W x C or C x H x W), got shape {stack.shape}")
    expected = None if num_classes is None else num_classes - (1 if implicit_background else 0)
    layout = channel_axis(stack.shape, expected)
    axis = 2 if layout == "HWC" else 0  # worked on in place: moving the axis made every pass strided
    defects: dict[str, Defect] = {}
    nan_rows = None
    if stack.dtype.kind == "f":
        nan_values = np.isnan(stack)
        nan_rows = nan_values.any(axis=axis)
        hot = (stack != 0) & ~nan_values
        not_binary = hot & (stack != 1)
    else:
        hot = stack != 0
        # unsigned: a value other than 0 and 1 is one above 1 (one pass instead of two)
        not_binary = None if stack.dtype.kind == "b" else (stack > 1) if stack.dtype.kind == "u" else hot & (stack != 1)
    ones = hot.sum(axis=axis, dtype=np.int32)
    empty = ones == 0
    multiple = ones > 1
    if nan_rows is not None:
        empty &= ~nan_rows  # a NaN row is reported as NaN, not also as empty
    for kind, mask in (("empty", None if implicit_background else empty), ("multiple", multiple),
                       ("nan", nan_rows), ("not_binary", None if not_binary is None else not_binary.any(axis=axis))):
        found = None if mask is None else _defect(mask)
        if found is not None:
            defects[kind] = found
    label_map = _label_map(hot, axis, ones, implicit_background, nan_rows)
    return OneHotResult(label_map, int(stack.shape[axis]), layout, defects)


def _label_map(hot: np.ndarray, axis: int, ones: np.ndarray, implicit_background: bool,
               nan_rows: np.ndarray | None) -> np.ndarray:
    offset = 1 if implicit_background else 0
    if hot.shape[axis] + offset > IGNORE_INDEX:
        raise ValueError(f"a stack with {hot.shape[axis]} channels has more classes than a label map holds")
    label_map = (np.argmax(hot, axis=axis) + offset).astype(np.uint8)
    label_map[ones != 1] = IGNORE_INDEX
    if implicit_background:
        label_map[ones == 0] = 0
    if nan_rows is not None:
        label_map[nan_rows] = IGNORE_INDEX
    return label_map


def _decode_index_map(values: np.ndarray) -> OneHotResult:
    if values.dtype != np.uint8:
        # labelme's SegmentationClassNpy marks unlabelled pixels -1 (docs/formats.md): that is 255 here
        unlabelled = values == -1 if values.dtype.kind == "i" else np.zeros(values.shape, dtype=bool)
        out_of_byte = ((values < 0) | (values > IGNORE_INDEX)) & ~unlabelled
        found = _defect(out_of_byte)
        label_map = np.where(out_of_byte | unlabelled, IGNORE_INDEX, values).astype(np.uint8)
        return OneHotResult(label_map, 0, "index", {"out_of_byte": found} if found else {})
    return OneHotResult(values, 0, "index")


def load_array(path: str | os.PathLike[str]) -> np.ndarray:
    """The label array in a .npy or .npz file; SegError (one sentence) when it cannot be read,
    TruncatedFile when it ends early or its header or archive is damaged."""
    path = Path(path)
    try:
        with open_regular(path, "label") as handle:  # a FIFO or a link to /dev/zero is refused, never read
            size = os.fstat(handle.fileno()).st_size
            if size == 0:
                raise SegError(f"Label {describe(path)} is empty (0 bytes).", path=path)
            magic = handle.read(6)
            if not (magic.startswith(b"\x93NUMPY") or magic.startswith(b"PK")):
                # np.load would try it as a pickle and suggest allow_pickle=True: never that for a label.
                raise SegError(f"Label {describe(path)} is not a NumPy .npy/.npz file.", path=path)
            handle.seek(0)
            if magic.startswith(b"PK"):
                _check_npz_sizes(handle, path)
            else:
                _check_npy_size(handle, size, path, path.name)
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.lib.npyio.NpzFile):
            with loaded:
                return _pick_array(loaded, path)
        return loaded
    except SegError:
        raise
    except FileNotFoundError:
        raise SegError(f"Label {describe(path)} does not exist.", path=path) from None
    except (EOFError, zipfile.BadZipFile) as exc:
        raise TruncatedFile(f"Label {describe(path)} is truncated or corrupt ({exc}).", path=path) from None
    except (SyntaxError, tokenize.TokenError, TypeError, KeyError, OverflowError, MemoryError, zlib.error,
            NotImplementedError, RuntimeError):  # RuntimeError: zip member flagged encrypted
        # A damaged header reaches numpy's header parser (tokenize / literal_eval) or asks for an
        # impossible size; found by fuzzing (tests/reliability/fuzzing.py).
        raise TruncatedFile(f"Label {describe(path)} is truncated or corrupt (damaged NumPy header or archive).",
                            path=path) from None
    except (OSError, ValueError) as exc:
        text = str(exc)
        # numpy has no exception type for a short file; these are its words for one.
        if any(hint in text for hint in ("reshape", "EOF", "could only read", "not fully written")):
            raise TruncatedFile(f"Label {describe(path)} is truncated or corrupt.", path=path) from None
        raise SegError(f"Label {describe(path)} is unreadable ({text}).", path=path) from None


def _check_npz_sizes(handle: IO[bytes], path: Path) -> None:
    """Refuse an archive whose members declare more than MAX_ARRAY_BYTES, before anything is inflated:
    numpy allocates the whole array a member's header declares before reading a byte of it, so a
    0.5 MB .npz can ask for gigabytes."""
    with zipfile.ZipFile(handle) as archive:
        for info in archive.infolist():
            if info.file_size > MAX_ARRAY_BYTES + NPY_HEADER_SLACK:
                raise SegError(f"Label {describe(path)}: member '{info.filename}' unpacks to "
                               f"{_megabytes(info.file_size)}, over the {_megabytes(MAX_ARRAY_BYTES)} limit for a "
                               "label stack; refused.", path=path)
            if info.filename.endswith(".npy"):
                with archive.open(info) as member:
                    _check_npy_size(member, info.file_size, path, info.filename)


def _check_npy_size(stream: IO[bytes], size: int, path: Path, name: str) -> None:
    """Check the shape x dtype an .npy header declares against the bytes that follow it and the limit."""
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, _fortran, dtype = np.lib.format.read_array_header_1_0(stream)
    elif version == (2, 0):
        shape, _fortran, dtype = np.lib.format.read_array_header_2_0(stream)
    else:
        return  # (3, 0) has no public header reader; np.load checks the rest
    declared = math.prod(int(n) for n in shape) * dtype.itemsize
    if declared > MAX_ARRAY_BYTES:
        shown = " x ".join(str(n) for n in shape)
        raise SegError(f"Label {describe(path)}: '{name}' declares a {shown} {dtype} array "
                       f"({_megabytes(declared)}), over the {_megabytes(MAX_ARRAY_BYTES)} limit for a label "
                       "stack; refused.", path=path)
    if declared > size:
        raise TruncatedFile(f"Label {describe(path)} is truncated or corrupt ('{name}' declares "
                            f"{declared} bytes of data but holds at most {size}).", path=path)


def _megabytes(count: int) -> str:
    return f"{count / (1024 * 1024):.0f} MiB"


def label_key(keys: list[str]) -> str | None:
    """The member of an .npz holding the label array: its only one, else the first of NPZ_KEYS."""
    if len(keys) == 1:
        return keys[0]
    return next((key for key in NPZ_KEYS if key in keys), None)


def _pick_array(archive: np.lib.npyio.NpzFile, path: Path) -> np.ndarray:
    keys = list(archive.files)
    key = label_key(keys)
    if key is not None:
        return archive[key]
    raise SegError(f"Label {describe(path)} holds arrays {', '.join(keys)}; name the label array one of "
                   f"{', '.join(NPZ_KEYS)}.", path=path)


def read_onehot(path: str | os.PathLike[str], *, num_classes: int | None = None,
                implicit_background: bool = False) -> OneHotResult:
    """Read and decode a one-hot stack file. SegError when unreadable or of the wrong rank."""
    stack = load_array(path)
    try:
        return decode_onehot(stack, num_classes=num_classes, implicit_background=implicit_background)
    except ValueError as exc:
        raise SegError(f"Label {describe(path)}: {exc}.", path=path) from None
