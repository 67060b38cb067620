"""Label file encodings: how class indices are stored on disk, read into one in-memory form and
written back in the file's own encoding (docs/formats.md).

In memory a label is always an H x W uint8 map of class indices, 255 = unlabelled. On disk it is one of:

    palette    8-bit palette PNG, value = index (VOC, segstudio's default)
    grey       8-bit grey PNG, value = index (mmseg, ADE20K, Cityscapes *_labelTrainIds.png); a 1-bit
               PNG is read as 0/1
    color      RGB PNG, colour = class colour (CVAT, datumaro, Cityscapes *_color.png)
    onehot     .npy / .npz: a one-hot stack (H x W x C or C x H x W) or an integer index array
               (labelme's SegmentationClassNpy, where -1 = unlabelled)
    labelIds   grey PNG of Cityscapes label ids (0..33), mapped to train ids (0..18, 255) on reading
    binary     grey PNG with 0 = background and 255 = foreground

A dataset must not change meaning on the way in or out, so a label saved in place keeps its file's
encoding (grey stays grey: readers using `cv2.imread(path, IMREAD_GRAYSCALE)` would otherwise get
palette luminances). Several encodings lose information on reading (labelIds maps 16 ids to 255;
an unknown colour reads as 255), so writing over an existing file keeps the file's own value at every
pixel whose class did not change: untouched pixels stay byte-identical (`write_label_file`). It also
keeps the file's palette, bit depth and alpha, or an array's form (segmodels/formats/arrays.py), and
refuses a value the encoding would store as another (docs/formats.md, "Encodings in a project").
"""
from __future__ import annotations

import enum
import io
import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image

from segmodels.atomic import atomic_write_bytes
from segmodels.constants import IGNORE_INDEX
from segmodels.errors import SegError, describe
from segmodels.formats.arrays import read_array_label, write_array_label
from segmodels.formats.lut import (
    apply_lut,
    label_ids_to_train_ids,
    present_values,
    train_id_to_label_id,  # noqa: F401  (re-exported: callers import it from here)
    train_ids_to_label_ids,
)
from segmodels.labels.classes import ClassTable
from segmodels.labels.colorlabels import (
    code_color,
    codes_to_label_map,
    colors_to_label_map,
    label_file_colors,
    label_file_lookup,
)
from segmodels.labels.imageio import open_pil
from segmodels.labels.labelio import PNG_COMPRESS_LEVEL
from segmodels.labels.pixels import index_values, rgb_codes


class LabelEncoding(str, enum.Enum):
    PALETTE = "palette"
    GREY = "grey"
    COLOR = "color"
    ONEHOT = "onehot"
    LABEL_IDS = "labelIds"
    BINARY = "binary"

    @property
    def suffix(self) -> str:
        return ".npy" if self is LabelEncoding.ONEHOT else ".png"


ONEHOT_SUFFIXES = (".npy", ".npz")
#: Cityscapes names its label files by encoding (cityscapesScripts' json2labelImg / createTrainIdLabelImgs).
CITYSCAPES_SUFFIXES = {"_labelIds": LabelEncoding.LABEL_IDS, "_labelTrainIds": LabelEncoding.GREY,
                       "_color": LabelEncoding.COLOR}


def parse_encoding(text: str) -> LabelEncoding:
    """The encoding a user named (`--encoding`), case-insensitively; SegError listing the choices."""
    for encoding in LabelEncoding:
        if text.lower() in (encoding.value.lower(), encoding.name.lower()):
            return encoding
    if text.lower() in ("trainids", "index", "gray"):
        return LabelEncoding.GREY
    choices = ", ".join(e.value for e in LabelEncoding)
    raise SegError(f"Unknown label encoding '{text}'; choose one of {choices} (trainIds = grey).")


def encoding_from_name(path: Path) -> LabelEncoding | None:
    """What the file name alone says (Cityscapes suffixes, .npy/.npz), or None."""
    if path.suffix.lower() in ONEHOT_SUFFIXES:
        return LabelEncoding.ONEHOT
    stem = path.stem
    for suffix, encoding in CITYSCAPES_SUFFIXES.items():
        if stem.endswith(suffix):
            return encoding
    return None


def detect_encoding(path: str | os.PathLike[str], default: LabelEncoding | None = None) -> LabelEncoding:
    """The encoding of an existing label file: by its name, else by its PNG mode (header only).
    A grey file is `default` when that is a grey-stored encoding (binary, labelIds), else grey."""
    path = Path(path)
    named = encoding_from_name(path)
    if named is not None:
        return named
    with open_pil(path, what="label", decode=False) as image:
        return _encoding_of_mode(image.mode, default)


def _encoding_of_mode(mode: str, default: LabelEncoding | None) -> LabelEncoding:
    if mode in ("P", "PA"):
        return LabelEncoding.PALETTE
    if mode in ("RGB", "RGBA"):
        return LabelEncoding.COLOR
    if default in (LabelEncoding.BINARY, LabelEncoding.LABEL_IDS):
        return default
    return LabelEncoding.GREY


# -- reading -------------------------------------------------------------------------------------------
def read_label_file(path: str | os.PathLike[str], classes: ClassTable, encoding: LabelEncoding | None = None,
                    *, default: LabelEncoding | None = None) -> np.ndarray:
    """The H x W uint8 index map stored in `path` (any encoding above); SegError naming the file.
    Without `encoding`, the file's own is detected as `detect_encoding(path, default)` does."""
    path = Path(path)
    encoding = encoding or encoding_from_name(path)
    if encoding is LabelEncoding.ONEHOT:
        return read_array_label(path, classes)
    image = open_pil(path, what="label")  # opened once: its mode says the encoding when the name does not
    encoding = encoding or _encoding_of_mode(image.mode, default)
    if encoding is LabelEncoding.COLOR:
        return _read_color(path, classes, image)
    if encoding is LabelEncoding.LABEL_IDS and image.mode in ("P", "L"):
        return index_values(image, lambda ids, out: label_ids_to_train_ids(ids, out=out))  # one new array
    raw = _read_indices(path, image)  # a new array, read once from Pillow's memory (labels/pixels.py)
    if encoding is LabelEncoding.LABEL_IDS:
        return label_ids_to_train_ids(raw, out=raw)  # raw is this read's own copy
    if encoding is LabelEncoding.BINARY:
        return _read_binary(path, raw)
    return raw


def _read_indices(path: Path, image: Image.Image | None = None) -> np.ndarray:
    image = image if image is not None else open_pil(path, what="label")
    if image.mode in ("P", "L", "1"):  # a 1-bit mask: its two values are the indices 0 and 1
        return index_values(image)
    if image.mode in ("PA", "LA"):
        return np.array(image, dtype=np.uint8)[..., 0]
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        values = np.array(image)
        if values.max(initial=0) > 255 or values.min(initial=0) < 0:
            raise SegError(f"Label {describe(path)} is a 16-bit image with values outside 0..255; labels "
                           "must be 8-bit class indices.", path=path)
        return values.astype(np.uint8)
    raise SegError(f"Label {describe(path)} is a {image.mode} colour image, not an index or palette PNG; "
                   "read it as a colour-coded label (encoding color) with the dataset's class table.", path=path)


#: What a binary mask may hold: 0 = background, 255 = foreground (1: a 1-bit PNG's foreground).
BINARY_VALUES = (0, 1, 255)


def binary_indices(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index map, mask of pixels holding no binary value) of a binary mask's stored values: 0 -> 0,
    1 and 255 -> 1, anything else -> 255 (the validator reports those pixels; reading refuses them)."""
    invalid = (raw != 0) & (raw != 1) & (raw != 255)
    label_map = np.where(raw > 0, np.uint8(1), np.uint8(0))
    label_map[invalid] = IGNORE_INDEX
    return label_map, invalid


def _read_binary(path: Path, raw: np.ndarray) -> np.ndarray:
    label_map, invalid = binary_indices(raw)
    if invalid.any():
        shown = ", ".join(str(v) for v in np.unique(raw[invalid])[:6])
        raise SegError(f"Label {describe(path)} is read as a binary mask (0 = background, 255 = foreground) "
                       f"but holds other values ({shown}).", path=path)
    return label_map


def _color_values(path: Path, image: Image.Image | None = None) -> np.ndarray:
    """H x W x 3 (or x 4 for RGBA) colours as stored; other modes are expanded to RGB."""
    image = image if image is not None else open_pil(path, what="label")
    return np.asarray(image if image.mode in ("RGB", "RGBA") else image.convert("RGB"), dtype=np.uint8)


def _read_color(path: Path, classes: ClassTable, image: Image.Image | None = None) -> np.ndarray:
    image = image if image is not None else open_pil(path, what="label")
    codes = rgb_codes(image)  # read in place from Pillow's memory; palette or grey expanded to colours
    label_map, unknown = codes_to_label_map(codes, label_file_lookup(classes))
    if unknown.any():  # never guessed: the colour, where, and which table it was looked up in
        count = int(unknown.sum())
        y, x = divmod(int(np.argmax(unknown.reshape(-1))), unknown.shape[1])
        r, g, b = code_color(int(codes[y, x]))
        raise SegError(f"Colour label {describe(path)} has {count} pixel(s) of colours that are no class of the "
                       f"{len(classes)}-class table, first ({r}, {g}, {b}) at [y, x] = [{y}, {x}].", path=path)
    return label_map


# -- writing -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Replaced:
    """What writing over an existing file of the same encoding keeps from it."""

    mode: str
    raw: np.ndarray | None = None          # stored values, where the encoding loses information on reading
    label_map: np.ndarray | None = None    # what `raw` reads as (unknown colours as 255)
    palette: list[int] | None = None       # a palette PNG's own palette, entry count included
    transparency: object = None            # and its tRNS entry


def write_label_file(path: str | os.PathLike[str], label_map: np.ndarray, classes: ClassTable,
                     encoding: LabelEncoding, *, like: str | os.PathLike[str] | None = None,
                     exact: bool = True) -> None:
    """Write `label_map` to `path` in `encoding`, atomically. Over an existing file of the same encoding
    every pixel whose class did not change keeps the file's stored value exactly, and the file keeps
    its palette and bit depth (an array its form: segmodels/formats/arrays.py). A new one-hot file takes
    the form of `like`. SegError, writing nothing, when the encoding cannot hold a value of the map; with
    `exact=False`, classes the table gives one colour may share it (Cityscapes' colour files do)."""
    path = Path(path)
    if label_map.ndim != 2 or label_map.dtype != np.uint8:
        raise ValueError(f"label map must be H x W uint8, got {label_map.shape} {label_map.dtype}")
    if encoding is LabelEncoding.ONEHOT:
        write_array_label(path, label_map, classes, None if like is None else Path(like))
        return
    _refuse_unstorable(path, label_map, classes, encoding, exact)
    old = _replaced(path, classes, encoding)
    if old is not None and old.raw is not None and old.raw.shape[:2] != label_map.shape:
        old = replace(old, raw=None, label_map=None)  # another size: nothing to keep pixel by pixel
    if encoding is LabelEncoding.PALETTE:
        palette = classes.palette().reshape(-1).tolist()
        if old is not None and old.palette:  # the file's own palette, extended only by entries it lacks
            needed = 3 * (int(label_map.max(initial=0)) + 1)
            palette = old.palette if len(old.palette) >= needed else old.palette + palette[len(old.palette):needed]
        atomic_write_bytes(path, _encode_png(label_map, "P", palette, None if old is None else old.transparency))
        return
    if encoding is LabelEncoding.COLOR:
        stored = apply_lut(label_file_colors(classes), label_map)
        if old is not None and (old.mode == "RGBA") != (stored.shape[-1] == 4):  # the file's RGB or RGBA is kept
            opaque = np.full(label_map.shape, 255, np.uint8)
            stored = stored[..., :3] if old.mode == "RGB" else np.dstack([stored, opaque])
    elif encoding is LabelEncoding.LABEL_IDS:
        stored = train_ids_to_label_ids(label_map)
    elif encoding is LabelEncoding.BINARY:
        stored = np.where(label_map == 1, np.uint8(255), np.uint8(0))
    else:
        stored = label_map
    if old is not None and old.raw is not None:
        same = old.label_map == label_map
        stored = stored.copy()
        stored[same] = old.raw[same]
    atomic_write_bytes(path, _encode_png(stored, _png_mode(encoding, stored, old)))


def _refuse_unstorable(path: Path, label_map: np.ndarray, classes: ClassTable, encoding: LabelEncoding,
                       exact: bool) -> None:
    """SegError for a value the encoding would store as another one (never written silently). Binary
    masks have no 'unlabelled': 255 is stored as background, as such datasets mean it (docs/formats.md)."""
    if encoding not in (LabelEncoding.COLOR, LabelEncoding.LABEL_IDS, LabelEncoding.BINARY):
        return
    values = present_values(label_map)
    if encoding is LabelEncoding.COLOR:
        colors = label_file_colors(classes)[values][np.newaxis, :, :3]
        back = colors_to_label_map(colors, label_file_lookup(classes))[0][0]
        bad = values[(back != values) if exact else ((back == IGNORE_INDEX) != (values == IGNORE_INDEX))]
        why = "has no colour of its own in the class table"
    elif encoding is LabelEncoding.LABEL_IDS:
        bad = values[label_ids_to_train_ids(train_ids_to_label_ids(values)) != values]
        why = "is no Cityscapes train id"
    else:
        bad = values[(values > 1) & (values != IGNORE_INDEX)]
        why = "is neither background (0) nor foreground (1)"
    if bad.size:
        raise SegError(f"Label {describe(path)} is stored as {encoding.value}, where class index {int(bad[0])} "
                       f"{why}; nothing was written.", path=path)


def _replaced(path: Path, classes: ClassTable, encoding: LabelEncoding) -> _Replaced | None:
    """What to keep of the file `path` replaces, when it is a readable file of `encoding`."""
    if not path.is_file():
        return None
    try:
        if detect_encoding(path, encoding) is not encoding:
            return None
        if encoding is LabelEncoding.COLOR:
            raw = _color_values(path)
            label_map = colors_to_label_map(raw[..., :3], label_file_lookup(classes))[0]  # unknown colours: as stored
            return _Replaced("RGBA" if raw.shape[2] == 4 else "RGB", raw, label_map)
        with open_pil(path, what="label") as image:
            mode = image.mode
            palette, transparency = image.getpalette(), image.info.get("transparency")
        if encoding is LabelEncoding.PALETTE:
            return _Replaced(mode, palette=palette, transparency=transparency)
        if encoding is LabelEncoding.GREY:
            return _Replaced(mode)
        raw = _read_indices(path)
        return _Replaced(mode, raw, read_label_file(path, classes, encoding))
    except SegError:
        return None  # unreadable: written fresh (the window keeps a copy of such a file first)


def _png_mode(encoding: LabelEncoding, stored: np.ndarray, old: _Replaced | None) -> str:
    """The replaced file's bit depth where it can hold the values (1-bit, 16-bit grey), else 8-bit."""
    if stored.ndim == 3:
        return "RGBA" if stored.shape[2] == 4 else "RGB"
    if old is not None and encoding is LabelEncoding.GREY:
        if old.mode == "1" and int(stored.max(initial=0)) <= 1:
            return "1"
        if old.mode.startswith("I;16") or old.mode == "I":  # a PNG has no 32-bit grey: "I" is 16-bit
            return "I;16"
    return "L"


def _encode_png(stored: np.ndarray, mode: str, palette: list[int] | None = None, transparency: object = None) -> bytes:
    if mode == "1":
        image = Image.fromarray(stored.astype(bool))
    elif mode == "I;16":
        image = Image.fromarray(stored.astype(np.uint16))
    else:
        image = Image.frombytes(mode, (stored.shape[1], stored.shape[0]), np.ascontiguousarray(stored).tobytes())
    if palette is not None:
        image.putpalette(palette)
    extra = {} if transparency is None else {"transparency": transparency}
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL, **extra)
    return buffer.getvalue()
