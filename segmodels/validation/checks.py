"""The label validator: every pixel of every label file is checked, and the result is a report.

Checks per label file:
- the file: empty (0 bytes), truncated, unreadable (not an image / corrupt), unsupported format;
- palette or grey PNG: every index < number of classes or == 255 (IGNORE_INDEX);
- colour-coded PNG (RGB/RGBA): every colour is in the class table;
- one-hot stack (.npy/.npz): rows with no 1, several 1s, NaN, values other than 0/1, wrong rank or
  channel count (an all-zero row is fine only with `implicit_background`);
- its image (project and VOC layouts): present, readable header, same size as the label. The image
  size comes from the header only, so images are never decoded unless previews are asked for.

`iter_validate` yields one `FileResult` per file, so the GUI can run it in a worker with progress and
cancel between files; `validate_path` is the one-call form returning a `ValidationReport`. Which files
a path stands for (file, folder, project, VOC root) is decided by `segmodels.validation.targets`.
"""
from __future__ import annotations

import enum
import io
import os
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from segmodels.constants import IGNORE_INDEX
from segmodels.errors import SegError
from segmodels.labels.classes import ClassTable, Color
from segmodels.labels.colorlabels import color_lookup, colors_to_label_map, pack_rgb
from segmodels.labels.imageio import image_size, oversize_reason
from segmodels.labels.onehot import decode_onehot, first_true, load_array

ONEHOT_SUFFIXES = (".npy", ".npz")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_END = b"IEND\xaeB`\x82"  # the IEND chunk type and its fixed CRC


class ProblemKind(str, enum.Enum):
    """What can be wrong with a label file (the value is what --json prints)."""

    EMPTY_FILE = "empty_file"
    TRUNCATED = "truncated"
    UNREADABLE = "unreadable"
    UNSUPPORTED_FORMAT = "unsupported_format"
    INDEX_OUT_OF_RANGE = "index_out_of_range"
    UNKNOWN_COLOR = "unknown_color"
    ONEHOT_EMPTY = "onehot_empty"
    ONEHOT_MULTIPLE = "onehot_multiple"
    ONEHOT_NAN = "onehot_nan"
    ONEHOT_NOT_BINARY = "onehot_not_binary"
    ONEHOT_SHAPE = "onehot_shape"
    SIZE_MISMATCH = "size_mismatch"
    MISSING_IMAGE = "missing_image"
    IMAGE_UNREADABLE = "image_unreadable"

    def __str__(self) -> str:
        return self.value


#: Kinds that mark pixels (and so have a count of pixels and a first [y, x]).
PIXEL_KINDS = frozenset({ProblemKind.INDEX_OUT_OF_RANGE, ProblemKind.UNKNOWN_COLOR, ProblemKind.ONEHOT_EMPTY,
                         ProblemKind.ONEHOT_MULTIPLE, ProblemKind.ONEHOT_NAN, ProblemKind.ONEHOT_NOT_BINARY})


@dataclass(frozen=True)
class Problem:
    file: str
    kind: ProblemKind
    count: int                      # defective pixels, or 1 for a whole-file problem
    first: tuple[int, int] | None   # (y, x) of the first defective pixel, row-major
    message: str

    def to_json(self) -> dict:
        return {"file": self.file, "kind": self.kind.value, "count": self.count,
                "first": None if self.first is None else [int(self.first[0]), int(self.first[1])],
                "message": self.message}


@dataclass(frozen=True)
class FileResult:
    """The outcome for one label file (`index` of `total` in the run, for progress)."""

    label: Path
    image: Path | None
    problems: tuple[Problem, ...] = ()
    index: int = 0
    total: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class ValidationReport:
    files_checked: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def bad_files(self) -> list[str]:
        """Files with at least one problem, in the order checked, each once."""
        return list(dict.fromkeys(p.file for p in self.problems))

    def add(self, result: FileResult) -> None:
        self.files_checked += 1
        self.problems.extend(result.problems)

    def to_json(self) -> dict:
        return {"files_checked": self.files_checked, "problems": [p.to_json() for p in self.problems]}


@dataclass(frozen=True)
class LabelJob:
    """One label to check; `expect_image` is set where labels pair with images (project, VOC)."""

    label: Path
    image: Path | None = None
    expect_image: bool = False


@dataclass(frozen=True)
class ValidationOptions:
    class_table: ClassTable
    implicit_background: bool = False   # one-hot stacks without a background channel (M2NIST)
    ignore_colors: tuple[Color, ...] = ()  # colour-coded labels: extra colours meaning "unlabelled"


@dataclass(frozen=True)
class DecodedLabel:
    """A label file read for checking: its label map and the mask of invalid pixels."""

    label_map: np.ndarray | None
    invalid: np.ndarray | None
    problems: tuple[Problem, ...]


class _ReadFailure(Exception):
    def __init__(self, kind: ProblemKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


# -- reading ---------------------------------------------------------------------------------------
def _read_image_array(path: Path) -> tuple[np.ndarray, str]:
    """Decode a label image with Pillow: (array, mode). Failures become _ReadFailure by kind."""
    try:
        data = path.read_bytes()  # one read; Pillow then decodes from memory
    except OSError as exc:
        raise _ReadFailure(ProblemKind.UNREADABLE, f"cannot be read ({exc.strerror or exc})") from None
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
            if mode not in ("P", "L", "RGB", "RGBA", "PA", "LA", "I;16", "I;16B", "I;16L", "I"):
                raise _ReadFailure(ProblemKind.UNSUPPORTED_FORMAT,
                                   f"is a {mode} image, not a palette, grey or RGB label")
            values = np.asarray(image)
    except _ReadFailure:
        raise
    except Image.UnidentifiedImageError:
        raise _ReadFailure(ProblemKind.UNREADABLE, "is not a readable image file") from None
    except (EOFError, zlib.error) as exc:
        raise _ReadFailure(ProblemKind.TRUNCATED, f"is truncated or corrupt ({exc})") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        text = str(exc)
        kind = ProblemKind.TRUNCATED if ("truncated" in text.lower() or "broken" in text) else ProblemKind.UNREADABLE
        reason = "truncated" if kind is ProblemKind.TRUNCATED else "unreadable"
        raise _ReadFailure(kind, f"is {reason} ({text})") from None
    # Alpha says nothing about the class: drop it (palette/grey keep their indices, RGB its colours).
    if mode in ("PA", "LA"):
        values = values[..., 0]
    elif mode == "RGBA":
        values = values[..., :3]
    return values, mode


def _problem(path: Path, kind: ProblemKind, message: str, mask: np.ndarray | None = None,
             count: int | None = None) -> Problem:
    first = None if mask is None else first_true(mask)
    if count is None:
        count = 1 if mask is None else int(np.count_nonzero(mask))
    where = f", first at [y, x] = [{first[0]}, {first[1]}]" if first is not None else ""
    return Problem(str(path), kind, count, first, f"{message}{where}.")


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
    return (_problem(path, ProblemKind.INDEX_OUT_OF_RANGE,
                     f"{_pixels(bad_count)} class indices outside 0..{num_classes - 1} (values {shown}; "
                     f"{IGNORE_INDEX} = unlabelled is allowed)", mask, bad_count),)


def decode_label(path: Path, options: ValidationOptions) -> DecodedLabel:
    """Read one label file of any supported kind and check its pixels (not its image)."""
    try:
        if path.stat().st_size == 0:
            return DecodedLabel(None, None, (_problem(path, ProblemKind.EMPTY_FILE, "Label is empty (0 bytes)"),))
    except OSError as exc:
        return DecodedLabel(None, None, (_problem(path, ProblemKind.UNREADABLE,
                                                  f"Label cannot be read ({exc.strerror or exc})"),))
    try:
        if path.suffix.lower() in ONEHOT_SUFFIXES:
            return _decode_onehot_file(path, options)
        return _decode_image_file(path, options)
    except _ReadFailure as failure:
        return DecodedLabel(None, None, (_problem(path, failure.kind, f"Label {failure}"),))
    except (MemoryError, RecursionError):
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged file must become a finding, never stop the run
        return DecodedLabel(None, None, (_problem(path, ProblemKind.UNREADABLE,
                                                  f"Label is unreadable or corrupt ({type(exc).__name__})"),))


def _decode_image_file(path: Path, options: ValidationOptions) -> DecodedLabel:
    values, mode = _read_image_array(path)
    num_classes = len(options.class_table)
    if values.ndim == 3:  # colour-coded (RGB, or RGBA/PA/LA converted)
        label_map, unknown = colors_to_label_map(values, color_lookup(options.class_table, options.ignore_colors))
        if not unknown.any():
            return DecodedLabel(label_map, unknown, ())
        distinct = _distinct_colors(values, unknown)
        shown = ", ".join(f"({r}, {g}, {b})" for r, g, b in distinct[:4].tolist()) + (", ..." if len(distinct) > 4 else "")
        return DecodedLabel(label_map, unknown, (_problem(
            path, ProblemKind.UNKNOWN_COLOR,
            f"{_pixels(int(unknown.sum()))} a colour not in the class table ({len(distinct)} such colours: "
            f"{shown}; {mode} label read as colour-coded)", unknown),))
    if values.dtype != np.uint8:  # 16-bit or 32-bit grey
        if values.max(initial=0) > IGNORE_INDEX or values.min(initial=0) < 0:
            raise _ReadFailure(ProblemKind.UNSUPPORTED_FORMAT,
                               f"is a {mode} image with values outside 0..255; labels are 8-bit class indices")
        values = values.astype(np.uint8)
    problems = _check_indices(path, values, num_classes)
    invalid = index_invalid_mask(values, num_classes) if problems else None
    return DecodedLabel(values, invalid, problems)


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
    except SegError as exc:
        kind = ProblemKind.TRUNCATED if "truncated" in str(exc) else ProblemKind.UNREADABLE
        return DecodedLabel(None, None, (Problem(str(path), kind, 1, None, str(exc)),))
    num_classes = len(options.class_table)
    try:
        result = decode_onehot(stack, num_classes=num_classes, implicit_background=options.implicit_background)
    except ValueError as exc:
        return DecodedLabel(None, None, (_problem(path, ProblemKind.ONEHOT_SHAPE, f"Label: {exc}"),))
    problems = [Problem(str(path), kind, d.count, d.first,
                        f"{d.count} {text}" + (f", first at [y, x] = [{d.first[0]}, {d.first[1]}]." if d.first else "."))
                for name, d in result.defects.items() for kind, text in [_ONEHOT_KINDS[name]]]
    expected = num_classes - (1 if options.implicit_background else 0)
    if result.layout != "index" and result.channels != expected:
        problems.append(_problem(path, ProblemKind.ONEHOT_SHAPE,
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


# -- one file, many files ---------------------------------------------------------------------------
def _check_image(job: LabelJob, label_shape: tuple[int, ...] | None) -> tuple[Problem, ...]:
    if job.image is None:
        if not job.expect_image:
            return ()
        return (_problem(job.label, ProblemKind.MISSING_IMAGE, "Label has no image with the same name"),)
    try:
        height, width = image_size(job.image)
    except SegError as exc:
        return (_problem(job.label, ProblemKind.IMAGE_UNREADABLE, f"Label's image: {str(exc).rstrip('.')}"),)
    except Exception as exc:  # noqa: BLE001 - a damaged image header is a finding too
        return (_problem(job.label, ProblemKind.IMAGE_UNREADABLE,
                         f"Label's image '{job.image.name}' has a corrupt header ({type(exc).__name__})"),)
    if label_shape is not None and tuple(label_shape[:2]) != (height, width):
        return (_problem(job.label, ProblemKind.SIZE_MISMATCH,
                         f"Label is {label_shape[1]}x{label_shape[0]} but its image '{job.image.name}' is "
                         f"{width}x{height} (width x height)"),)
    return ()


def check_label(job: LabelJob, options: ValidationOptions) -> tuple[FileResult, DecodedLabel]:
    """Check one label file and its image; also returns the decoded label (for previews)."""
    decoded = decode_label(job.label, options)
    shape = None if decoded.label_map is None else decoded.label_map.shape
    problems = decoded.problems + _check_image(job, shape)
    return FileResult(job.label, job.image, problems), decoded


def iter_validate(jobs: Sequence[LabelJob], options: ValidationOptions,
                  previews_dir: str | os.PathLike[str] | None = None) -> Iterator[FileResult]:
    """Check each job in turn, yielding one FileResult per label file (stop iterating to cancel)."""
    total = len(jobs)
    for index, job in enumerate(jobs):
        result, decoded = check_label(job, options)
        if previews_dir is not None:
            from segmodels.validation.targets import write_preview  # only when previews are asked for

            write_preview(Path(previews_dir), job, decoded, options.class_table)
        yield FileResult(result.label, result.image, result.problems, index + 1, total)


def validate_path(path: str | os.PathLike[str], class_table: ClassTable | None = None, *,
                  implicit_background: bool = False, ignore_colors: Sequence[Color] = (),
                  previews_dir: str | os.PathLike[str] | None = None) -> ValidationReport:
    """Validate a label file, a folder of labels, a project or a VOC root (SegError if it cannot run)."""
    from segmodels.validation.targets import plan_validation

    table, jobs = plan_validation(path, class_table)
    options = ValidationOptions(table, implicit_background, tuple(ignore_colors))
    report = ValidationReport()
    for result in iter_validate(jobs, options, previews_dir):
        report.add(result)
    return report


def invalid_pixels(path: str | os.PathLike[str], class_table: ClassTable, *,
                   implicit_background: bool = False) -> np.ndarray | None:
    """The H x W bool mask of invalid pixels in one label file (None when it cannot be read)."""
    decoded = decode_label(Path(path), ValidationOptions(class_table, implicit_background))
    if decoded.label_map is None:
        return None
    if decoded.invalid is None:
        return np.zeros(decoded.label_map.shape[:2], dtype=bool)
    return decoded.invalid
