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
pixel whose class did not change: untouched pixels stay byte-identical (`write_label_file`).
"""
from __future__ import annotations

import enum
import io
import os
from pathlib import Path

import numpy as np
from PIL import Image

from segmodels.atomic import atomic_write_bytes
from segmodels.constants import IGNORE_INDEX
from segmodels.errors import SegError, describe
from segmodels.labels.classes import ClassTable, cityscapes_id_to_train_id, cityscapes_labels
from segmodels.labels.colorlabels import colors_to_label_map, label_file_colors, label_file_lookup
from segmodels.labels.imageio import open_pil
from segmodels.labels.labelio import PNG_COMPRESS_LEVEL, encode_label_png


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
        mode = image.mode
    if mode in ("P", "PA"):
        return LabelEncoding.PALETTE
    if mode in ("RGB", "RGBA"):
        return LabelEncoding.COLOR
    if default in (LabelEncoding.BINARY, LabelEncoding.LABEL_IDS):
        return default
    return LabelEncoding.GREY


# -- reading -------------------------------------------------------------------------------------------
def read_label_file(path: str | os.PathLike[str], classes: ClassTable,
                    encoding: LabelEncoding | None = None) -> np.ndarray:
    """The H x W uint8 index map stored in `path` (any encoding above); SegError naming the file."""
    path = Path(path)
    encoding = encoding or detect_encoding(path)
    if encoding is LabelEncoding.ONEHOT:
        return _read_onehot(path, classes)
    if encoding is LabelEncoding.COLOR:
        return _read_color(path, classes)
    raw = _read_indices(path)
    if encoding is LabelEncoding.LABEL_IDS:
        return cityscapes_id_to_train_id()[raw]
    if encoding is LabelEncoding.BINARY:
        return _read_binary(path, raw)
    return raw


def _read_indices(path: Path) -> np.ndarray:
    image = open_pil(path, what="label")
    if image.mode in ("P", "L"):
        return np.array(image, dtype=np.uint8)
    if image.mode == "1":  # a 1-bit mask: its two values are the indices 0 and 1
        return np.array(image, dtype=np.uint8)
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


def _read_binary(path: Path, raw: np.ndarray) -> np.ndarray:
    values = np.unique(raw)
    if not set(values.tolist()) <= {0, 1, 255}:
        shown = ", ".join(str(v) for v in values[:6])
        raise SegError(f"Label {describe(path)} is read as a binary mask (0 = background, 255 = foreground) "
                       f"but holds other values ({shown}).", path=path)
    return np.where(raw > 0, np.uint8(1), np.uint8(0))


def _read_color(path: Path, classes: ClassTable) -> np.ndarray:
    image = open_pil(path, what="label")
    rgb = np.asarray(image.convert("RGB") if image.mode != "RGB" else image, dtype=np.uint8)
    label_map, unknown = colors_to_label_map(rgb, label_file_lookup(classes))
    if unknown.any():  # never guessed: the colour, where, and which table it was looked up in
        count = int(unknown.sum())
        y, x = divmod(int(np.argmax(unknown.reshape(-1))), unknown.shape[1])
        r, g, b = (int(v) for v in rgb[y, x])
        raise SegError(f"Colour label {describe(path)} has {count} pixel(s) of colours that are no class of the "
                       f"{len(classes)}-class table, first ({r}, {g}, {b}) at [y, x] = [{y}, {x}].", path=path)
    return label_map


def _read_onehot(path: Path, classes: ClassTable) -> np.ndarray:
    from segmodels.labels.onehot import decode_onehot, load_array

    array = load_array(path)
    if array.ndim == 2:
        if not np.issubdtype(array.dtype, np.integer):
            raise SegError(f"Label {describe(path)} is a 2-D {array.dtype} array; an index array must hold "
                           "integers.", path=path)
        values = array.astype(np.int64)
        values[values < 0] = IGNORE_INDEX  # labelme's SegmentationClassNpy: -1 = unlabelled
        if values.max(initial=0) > IGNORE_INDEX:
            raise SegError(f"Label {describe(path)} holds index values above 255.", path=path)
        return values.astype(np.uint8)
    try:
        return decode_onehot(array, num_classes=len(classes)).label_map
    except ValueError as exc:
        raise SegError(f"Label {describe(path)}: {exc}.", path=path) from None


# -- writing -------------------------------------------------------------------------------------------
def write_label_file(path: str | os.PathLike[str], label_map: np.ndarray, classes: ClassTable,
                     encoding: LabelEncoding) -> None:
    """Write `label_map` to `path` in `encoding`, atomically. Over an existing file of the same
    encoding, every pixel whose class did not change keeps the file's stored value exactly."""
    path = Path(path)
    previous = _previous(path, classes, encoding)
    if encoding is LabelEncoding.ONEHOT:
        atomic_write_bytes(path, _encode_onehot(path, label_map, classes))
        return
    if encoding is LabelEncoding.PALETTE:
        atomic_write_bytes(path, encode_label_png(label_map, classes))
        return
    if encoding is LabelEncoding.COLOR:
        stored = label_file_colors(classes)[label_map]
        channels = previous[0].shape[-1] if previous is not None else stored.shape[-1]
        if channels != stored.shape[-1]:  # the replaced file's RGB or RGBA is kept
            stored = stored[..., :3] if channels == 3 else np.dstack([stored, np.full(label_map.shape, 255, np.uint8)])
    elif encoding is LabelEncoding.LABEL_IDS:
        stored = train_id_to_label_id()[label_map]
    elif encoding is LabelEncoding.BINARY:
        stored = np.where(label_map == 1, np.uint8(255), np.uint8(0))
    else:
        stored = label_map
    if previous is not None:
        old_raw, old_map = previous
        same = old_map == label_map
        stored = stored.copy()
        stored[same] = old_raw[same]
    atomic_write_bytes(path, _encode_png(stored))


def _previous(path: Path, classes: ClassTable, encoding: LabelEncoding) -> tuple[np.ndarray, np.ndarray] | None:
    """(stored values, decoded map) of the file being replaced, when its encoding loses information."""
    if encoding not in (LabelEncoding.COLOR, LabelEncoding.LABEL_IDS, LabelEncoding.BINARY) or not path.is_file():
        return None
    try:
        if detect_encoding(path, encoding) is not encoding:
            return None
        if encoding is LabelEncoding.COLOR:
            image = open_pil(path, what="label")
            raw = np.asarray(image if image.mode in ("RGB", "RGBA") else image.convert("RGB"), dtype=np.uint8)
        else:
            raw = _read_indices(path)
        return raw, read_label_file(path, classes, encoding)
    except SegError:
        return None  # unreadable: written fresh (the window keeps a copy of such a file first)


def train_id_to_label_id() -> np.ndarray:
    """Cityscapes train id -> the label id cityscapesScripts gives it; 255 (unlabelled) -> 0 ('unlabeled')."""
    lut = np.zeros(256, dtype=np.uint8)
    for label in sorted(cityscapes_labels(), key=lambda label: -label.id):  # the lowest id wins a shared train id
        if label.train_id != IGNORE_INDEX:
            lut[label.train_id] = label.id
    return lut


def _encode_png(stored: np.ndarray) -> bytes:
    mode = "L" if stored.ndim == 2 else ("RGBA" if stored.shape[2] == 4 else "RGB")
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(stored), mode=mode).save(buffer, format="PNG",
                                                                  compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


def _encode_onehot(path: Path, label_map: np.ndarray, classes: ClassTable) -> bytes:
    """The array file for `label_map` in the shape and type of the file it replaces: an index array
    stays an index array (255 back to -1 for a signed one), a one-hot stack keeps its axis order."""
    from segmodels.labels.onehot import load_array

    template = load_array(path) if path.is_file() else None
    if template is not None and template.ndim == 2:
        array = label_map.astype(template.dtype)
        if np.issubdtype(template.dtype, np.signedinteger):
            array[label_map == IGNORE_INDEX] = -1
    else:
        count = len(classes)
        hot = np.zeros((count,) + label_map.shape, dtype=template.dtype if template is not None else np.uint8)
        for class_id in range(count):
            hot[class_id] = label_map == class_id
        channels_last = template is not None and template.shape[-1] == count and template.shape[0] != count
        array = np.moveaxis(hot, 0, -1) if channels_last else hot
    buffer = io.BytesIO()
    if path.suffix.lower() == ".npz":
        key = "label"
        if template is not None:
            with np.load(path, allow_pickle=False) as archive:
                key = archive.files[0] if len(archive.files) == 1 else key  # a reader looks it up by name
        np.savez_compressed(buffer, **{key: array})
    else:
        np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()
