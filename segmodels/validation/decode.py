"""Reading a label file of any supported kind and checking its pixels (not its image).

Checks per label file:
- the file: empty (0 bytes), truncated, unreadable (not an image / corrupt, not a regular file),
  unsupported format, or an annotation file of another format (a labelme or COCO .json, a CVAT .zip:
  named as what it is, with the command that imports it);
- a 1-bit PNG is read as the indices 0 and 1;
- palette or grey PNG: every index < number of classes or == 255 (IGNORE_INDEX);
- Cityscapes labelIds PNG (by --encoding, the `_labelIds` file name or the project): every id in
  0..33, read as its train id;
- colour-coded PNG (RGB/RGBA): every colour is in the class table;
- one-hot stack (.npy/.npz): rows with no 1, several 1s, NaN, values other than 0/1, wrong rank or
  channel count (an all-zero row is fine only with `implicit_background`).

`decode_label` never raises for a damaged file: every failure becomes a `Problem` in the returned
`DecodedLabel`. Imports only `segmodels.validation.report` among the validation modules.
"""
from __future__ import annotations

import io
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from segmodels.atomic import read_regular_bytes, require_regular_file
from segmodels.constants import IGNORE_INDEX
from segmodels.errors import SegError, TruncatedFile
from segmodels.formats.cityscapes import MAX_LABEL_ID
from segmodels.formats.encodings import LabelEncoding, encoding_from_name
from segmodels.formats.foreign import foreign_predicate, is_foreign_name
from segmodels.labels.classes import cityscapes_id_to_train_id
from segmodels.labels.colorlabels import colors_to_label_map, label_file_lookup, pack_rgb
from segmodels.labels.imageio import decoder_says_truncated, oversize_reason
from segmodels.labels.onehot import decode_onehot, load_array
from segmodels.validation.report import DecodedLabel, Problem, ProblemKind, ValidationOptions, make_problem

ONEHOT_SUFFIXES = (".npy", ".npz")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_END = b"IEND\xaeB`\x82"  # the IEND chunk type and its fixed CRC


class _ReadFailure(Exception):
    """Why a label file could not be decoded, by kind; becomes one Problem in `decode_label`."""

    def __init__(self, kind: ProblemKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


# -- reading ---------------------------------------------------------------------------------------
def _read_image_array(path: Path) -> tuple[np.ndarray, str]:
    """Decode a label image with Pillow: (array, mode). Failures become _ReadFailure by kind."""
    data = read_regular_bytes(path, "label")  # one read (regular files only); Pillow then decodes from memory
    if data.startswith(PNG_SIGNATURE) and PNG_END not in data[-256:]:
        # Pillow decodes a PNG cut inside its last chunks without complaint; the spec's end marker says.
        raise _ReadFailure(ProblemKind.TRUNCATED, "is truncated (the PNG ends before its IEND chunk)")
    try:
        with Image.open(io.BytesIO(data)) as image:
            # Refuse a header claiming more pixels than the file can hold before decoding it (a
            # 797-byte JPEG claiming 12616 x 12616 ran for minutes; found by fuzzing).
            oversize = oversize_reason(image.format, image.size[0], image.size[1], len(data))
            if oversize:
                raise _ReadFailure(ProblemKind.UNREADABLE, oversize)
            image.load()
            mode = image.mode
            if mode not in ("1", "P", "L", "RGB", "RGBA", "PA", "LA", "I;16", "I;16B", "I;16L", "I"):
                raise _ReadFailure(ProblemKind.UNSUPPORTED_FORMAT,
                                   f"is a {mode} image, not a palette, grey or RGB label")
            values = np.asarray(image)
            if mode == "1":  # a 1-bit mask: its two values are the indices 0 and 1 (as encodings.py reads it)
                values = values.astype(np.uint8)
    except _ReadFailure:
        raise
    except Image.UnidentifiedImageError:
        raise _ReadFailure(ProblemKind.UNREADABLE, "is not a readable image file") from None
    except (EOFError, zlib.error) as exc:
        raise _ReadFailure(ProblemKind.TRUNCATED, f"is truncated or corrupt ({exc})") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        if decoder_says_truncated(exc):
            raise _ReadFailure(ProblemKind.TRUNCATED, f"is truncated ({exc})") from None
        raise _ReadFailure(ProblemKind.UNREADABLE, f"is unreadable ({exc})") from None
    # Alpha says nothing about the class: drop it (palette/grey keep their indices, RGB its colours).
    if mode in ("PA", "LA"):
        values = values[..., 0]
    elif mode == "RGBA":
        values = values[..., :3]
    return values, mode


def _pixels(count: int) -> str:
    return "1 pixel has" if count == 1 else f"{count} pixels have"


def index_invalid_mask(label_map: np.ndarray, num_classes: int) -> np.ndarray:
    """Pixels whose value is neither a class index (< num_classes) nor IGNORE_INDEX."""
    return (label_map >= num_classes) & (label_map != IGNORE_INDEX)


def count_invalid_indices(label_map: np.ndarray, num_classes: int) -> int:
    """How many pixels of a uint8 label map are neither < num_classes nor IGNORE_INDEX."""
    # The validator's hot path, kept to two cheap passes: max() settles most files; otherwise
    # subtracting C with uint8 wrap-around sends valid indices (0..C-1) to 256-C..255 and 255 to 255-C,
    # so exactly the invalid values land below 255-C.
    if label_map.size == 0 or int(label_map.max()) < num_classes:
        return 0
    shifted = np.subtract(label_map, np.uint8(num_classes), dtype=np.uint8)
    return int(np.count_nonzero(shifted < IGNORE_INDEX - num_classes))


def _check_indices(path: Path, label_map: np.ndarray, num_classes: int) -> tuple[Problem, ...]:
    bad_count = count_invalid_indices(label_map, num_classes)
    if bad_count == 0:
        return ()
    counts = np.bincount(label_map.reshape(-1), minlength=256)
    values = np.flatnonzero(counts[num_classes:IGNORE_INDEX]) + num_classes
    shown = ", ".join(str(v) for v in values[:8]) + (", ..." if len(values) > 8 else "")
    mask = index_invalid_mask(label_map, num_classes)
    return (make_problem(path, ProblemKind.INDEX_OUT_OF_RANGE,
                     f"{_pixels(bad_count)} class indices outside 0..{num_classes - 1} (values {shown}; "
                     f"{IGNORE_INDEX} = unlabelled is allowed)", mask, bad_count),)


def decode_label(path: Path, options: ValidationOptions, encoding: LabelEncoding | None = None) -> DecodedLabel:
    """Read one label file of any supported kind and check its pixels (not its image). `encoding`:
    how the project stores its labels; the user's --encoding, then the file's name, say first."""
    try:  # a FIFO or a link to a device is refused here, never opened
        if require_regular_file(path, "label").st_size == 0:
            return DecodedLabel(None, None, (make_problem(path, ProblemKind.EMPTY_FILE, "Label is empty (0 bytes)"),))
    except SegError as exc:
        return DecodedLabel(None, None, (Problem(str(path), ProblemKind.UNREADABLE, 1, None, str(exc)),))
    foreign = foreign_predicate(path) if is_foreign_name(path, text_too=True) else None
    if foreign is not None:  # a labelme/COCO .json, a CVAT .zip...: named as what it is, never decoded
        return DecodedLabel(None, None, (make_problem(path, ProblemKind.UNSUPPORTED_FORMAT, f"Label {foreign}"),))
    try:
        if path.suffix.lower() in ONEHOT_SUFFIXES:
            return _decode_onehot_file(path, options)
        return _decode_image_file(path, options, options.encoding or encoding_from_name(path) or encoding)
    except _ReadFailure as failure:
        return DecodedLabel(None, None, (make_problem(path, failure.kind, f"Label {failure}"),))
    except SegError as exc:  # cannot be read, or not a regular file: the sentence names the file
        return DecodedLabel(None, None, (Problem(str(path), ProblemKind.UNREADABLE, 1, None, str(exc)),))
    except (MemoryError, RecursionError):
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged file must become a finding, never stop the run
        return DecodedLabel(None, None, (make_problem(path, ProblemKind.UNREADABLE,
                                                  f"Label is unreadable or corrupt ({type(exc).__name__})"),))


def _decode_image_file(path: Path, options: ValidationOptions, stored_as: LabelEncoding | None) -> DecodedLabel:
    values, mode = _read_image_array(path)
    num_classes = len(options.class_table)
    if values.ndim == 3:  # colour-coded (RGB, or RGBA/PA/LA converted)
        label_map, unknown = colors_to_label_map(values, label_file_lookup(options.class_table, options.ignore_colors))
        if not unknown.any():
            return DecodedLabel(label_map, unknown, ())
        distinct = _distinct_colors(values, unknown)
        shown = (", ".join(f"({r}, {g}, {b})" for r, g, b in distinct[:4].tolist())
                 + (", ..." if len(distinct) > 4 else ""))
        return DecodedLabel(label_map, unknown, (make_problem(
            path, ProblemKind.UNKNOWN_COLOR,
            f"{_pixels(int(unknown.sum()))} a colour not in the class table ({len(distinct)} such colours: "
            f"{shown}; {mode} label read as colour-coded)", unknown),))
    if values.dtype != np.uint8:  # 16-bit or 32-bit grey
        if values.max(initial=0) > IGNORE_INDEX or values.min(initial=0) < 0:
            raise _ReadFailure(ProblemKind.UNSUPPORTED_FORMAT,
                               f"is a {mode} image with values outside 0..255; labels are 8-bit class indices")
        values = values.astype(np.uint8)
    if stored_as is LabelEncoding.LABEL_IDS:
        return _decode_label_ids(path, values, num_classes)
    problems = _check_indices(path, values, num_classes)
    invalid = index_invalid_mask(values, num_classes) if problems else None
    return DecodedLabel(values, invalid, problems)


def _decode_label_ids(path: Path, ids: np.ndarray, num_classes: int) -> DecodedLabel:
    """A Cityscapes labelIds file: ids 0..33 read as train ids, where an id of no train class (ego
    vehicle, static...) is unlabelled, which is fine; an id above 33 is no Cityscapes label at all
    (docs/formats.md, "Cityscapes")."""
    unknown = ids > MAX_LABEL_ID
    train = cityscapes_id_to_train_id()[ids]
    problems = []
    if unknown.any():
        values = np.unique(ids[unknown])
        shown = ", ".join(str(v) for v in values[:8]) + (", ..." if len(values) > 8 else "")
        problems.append(make_problem(path, ProblemKind.INDEX_OUT_OF_RANGE,
                                     f"{_pixels(int(unknown.sum()))} label ids outside 0..{MAX_LABEL_ID} (values "
                                     f"{shown}; read as Cityscapes labelIds)", unknown))
    problems += _check_indices(path, train, num_classes)
    invalid = unknown | index_invalid_mask(train, num_classes) if problems else None
    return DecodedLabel(train, invalid, tuple(problems))


def _distinct_colors(values: np.ndarray, unknown: np.ndarray, rows: int = 512) -> np.ndarray:
    """The distinct colours under `unknown`, as N x 3 uint8 in packed-RGB order, in linear time
    and 16 MB of flags: np.unique(axis=0) sorted rows and took minutes on a large colour image
    (a 63 M-pixel JPEG found by fuzzing took 337 s)."""
    seen = np.zeros(1 << 24, dtype=bool)
    for start in range(0, values.shape[0], rows):
        seen[pack_rgb(values[start:start + rows])[unknown[start:start + rows]]] = True
    codes = np.flatnonzero(seen)
    return np.stack([(codes >> 16) & 255, (codes >> 8) & 255, codes & 255], axis=1).astype(np.uint8)


_ONEHOT_KINDS = {"empty": (ProblemKind.ONEHOT_EMPTY, "one-hot rows all zero (no class; use implicit "
                                                      "background if the stack has no background channel)"),
                 "multiple": (ProblemKind.ONEHOT_MULTIPLE, "one-hot rows with more than one 1"),
                 "nan": (ProblemKind.ONEHOT_NAN, "one-hot rows containing NaN"),
                 "not_binary": (ProblemKind.ONEHOT_NOT_BINARY, "one-hot rows holding values other than 0 and 1"),
                 "out_of_byte": (ProblemKind.INDEX_OUT_OF_RANGE, "pixels with values outside 0..255")}


def _decode_onehot_file(path: Path, options: ValidationOptions) -> DecodedLabel:
    try:
        stack = load_array(path)
    except TruncatedFile as exc:
        return DecodedLabel(None, None, (Problem(str(path), ProblemKind.TRUNCATED, 1, None, str(exc)),))
    except SegError as exc:
        return DecodedLabel(None, None, (Problem(str(path), ProblemKind.UNREADABLE, 1, None, str(exc)),))
    num_classes = len(options.class_table)
    try:
        result = decode_onehot(stack, num_classes=num_classes, implicit_background=options.implicit_background)
    except ValueError as exc:
        return DecodedLabel(None, None, (make_problem(path, ProblemKind.ONEHOT_SHAPE, f"Label: {exc}"),))
    problems = [Problem(str(path), kind, d.count, d.first,
                        f"{d.count} {text}"
                        + (f", first at [y, x] = [{d.first[0]}, {d.first[1]}]." if d.first else "."))
                for name, d in result.defects.items() for kind, text in [_ONEHOT_KINDS[name]]]
    expected = num_classes - (1 if options.implicit_background else 0)
    if result.layout != "index" and result.channels != expected:
        problems.append(make_problem(path, ProblemKind.ONEHOT_SHAPE,
                                 f"One-hot stack has {result.channels} channels ({result.layout}), but the class "
                                 f"table has {num_classes} classes"
                                 + (" (implicit background)" if options.implicit_background else "")))
    invalid = result.label_map == IGNORE_INDEX if result.defects else None
    if result.layout == "index":
        index_problems = _check_indices(path, result.label_map, num_classes)
        problems.extend(index_problems)
        if index_problems:
            invalid = index_invalid_mask(result.label_map, num_classes)
    return DecodedLabel(result.label_map, invalid, tuple(problems))
