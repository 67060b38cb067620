"""A decoded Pillow image's pixels as numpy arrays, copied once, straight from Pillow's own memory.

`np.array(image)` first asks Pillow for a `bytes` copy of the pixels and then copies that into the
array: two fresh buffers per label. On the development VM each fresh buffer of a 512 x 512 label
costs its page faults, ~0.35 ms, about as much as decoding the PNG. Pillow (11.2 and later) also
exports its pixels without a copy through the Arrow C data interface (`Image.__arrow_c_array__`), so
these functions read them in place and fill one new array: label reads went from 1.65x to 1.05x the
time of Pillow decoding the same files to `np.asarray` (docs/formats.md, "Speed").

Anything unexpected (an older Pillow, an image whose rows are not in one memory block, which Pillow
uses above 16 MB, another layout) takes the plain numpy path: same values, one more copy.
"""
from __future__ import annotations

import ctypes
from collections.abc import Callable

import numpy as np
from PIL import Image


class _ArrowArray(ctypes.Structure):
    """The Arrow C data interface's `struct ArrowArray` (a stable ABI)."""


_ArrowArray._fields_ = [
    ("length", ctypes.c_int64), ("null_count", ctypes.c_int64), ("offset", ctypes.c_int64),
    ("n_buffers", ctypes.c_int64), ("n_children", ctypes.c_int64),
    ("buffers", ctypes.POINTER(ctypes.c_void_p)), ("children", ctypes.POINTER(ctypes.POINTER(_ArrowArray))),
    ("dictionary", ctypes.c_void_p), ("release", ctypes.c_void_p), ("private_data", ctypes.c_void_p),
]

_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]

#: Modes whose pixels Pillow stores as one byte each, holding the value numpy reads ("1" stores 0/255
#: where numpy reads False/True, so it is not here).
_ONE_BYTE = ("L", "P")
#: Modes stored as four bytes a pixel (R, G, B, then padding or alpha).
_FOUR_BYTES = ("RGB", "RGBA")


def _with_pixels(image: Image.Image, bytes_per_pixel: int, use: Callable[[np.ndarray], object]) -> bool:
    """Call `use(view)` with a read-only uint8 view of the image's memory (height * width *
    bytes_per_pixel bytes) while Pillow's export keeps that memory alive; False when the pixels cannot
    be had in place (nothing was called)."""
    try:
        _schema, array = image.__arrow_c_array__()
    except (AttributeError, ValueError, TypeError):
        return False
    exported = _ArrowArray.from_address(_capsule_pointer(array, b"arrow_array"))
    count = image.width * image.height
    if bytes_per_pixel == 1:
        data = exported
    elif exported.n_children == 1:  # a fixed-size list of 4 bytes: the bytes are its child's
        data = exported.children[0].contents
    else:
        return False
    if (exported.length != count or exported.offset or data.offset or data.n_buffers != 2
            or data.length != count * bytes_per_pixel or not data.buffers[1]):
        return False
    buffer = (ctypes.c_uint8 * (count * bytes_per_pixel)).from_address(data.buffers[1])
    use(np.frombuffer(buffer, dtype=np.uint8))  # `array` (the export) lives until here: `use` copies
    return True


def index_values(image: Image.Image,
                 mapped: Callable[[np.ndarray, np.ndarray], object] | None = None) -> np.ndarray:
    """A P, L or 1-bit image's stored values as a new, writable H x W uint8 array; with `mapped`, the
    values as `mapped(values, out)` writes them into `out` (a lookup table, read straight from Pillow's
    memory: mapping a copy in place would make numpy buffer the overlapping output, one more array)."""
    def fill(values: np.ndarray, out: np.ndarray) -> None:
        if mapped is None:
            np.copyto(out, values)
        else:
            mapped(values, out)

    out = np.empty((image.height, image.width), dtype=np.uint8)
    if image.mode in _ONE_BYTE and (out.size == 0 or _with_pixels(
            image, 1, lambda view: fill(view.reshape(out.shape), out))):
        return out
    fill(np.asarray(image, dtype=np.uint8), out)
    return out


def rgb_codes(image: Image.Image) -> np.ndarray:
    """An RGB or RGBA image's colours as H x W uint32 codes r | g << 8 | b << 16 (alpha dropped),
    the order of `segmodels.labels.colorlabels.color_codes`."""
    out = np.empty((image.height, image.width), dtype=np.uint32)
    mask = np.uint32(0xFFFFFF)
    if image.mode in _FOUR_BYTES:
        if out.size == 0 or _with_pixels(
                image, 4, lambda view: np.bitwise_and(view.view("<u4"), mask, out=out.reshape(-1))):
            return out
    colours = image if image.mode in _FOUR_BYTES else image.convert("RGB")
    raw = colours.tobytes("raw", "RGBA" if colours.mode == "RGBA" else "RGBX")
    np.bitwise_and(np.frombuffer(raw, dtype="<u4"), mask, out=out.reshape(-1))
    return out
