"""What the validator reports, and what it is asked to check: plain data, imported by every other
validation module and importing none of them.

- `ProblemKind`, `Problem`: one finding (a file, a kind, how many pixels and the first one, a sentence);
  `make_problem` writes the sentence with the first pixel's coordinates;
- `FileResult`, `ValidationReport`: per file and for a whole run;
- `LabelJob`, `ValidationOptions`: what to check and how;
- `DecodedLabel`: a label file as read for checking (label map and invalid-pixel mask).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from segmodels.formats.encodings import LabelEncoding
from segmodels.labels.classes import ClassTable, Color
from segmodels.labels.onehot import first_true


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
    #: How the project stores its labels; the file's name (Cityscapes' *_labelIds.png) says first
    encoding: LabelEncoding | None = None


@dataclass(frozen=True)
class ValidationOptions:
    class_table: ClassTable
    implicit_background: bool = False   # one-hot stacks without a background channel (M2NIST)
    ignore_colors: tuple[Color, ...] = ()  # colour-coded labels: extra colours meaning "unlabelled"
    encoding: LabelEncoding | None = None  # the user's --encoding: how every file is read, whatever its name


@dataclass(frozen=True)
class DecodedLabel:
    """A label file read for checking: its label map and the mask of invalid pixels."""

    label_map: np.ndarray | None
    invalid: np.ndarray | None
    problems: tuple[Problem, ...]


def make_problem(path: Path, kind: ProblemKind, message: str, mask: np.ndarray | None = None,
                 count: int | None = None) -> Problem:
    """A Problem whose sentence ends with the first defective pixel in `mask`, if any; `count`
    defaults to the pixels in `mask` (1 for a whole-file problem)."""
    first = None if mask is None else first_true(mask)
    if count is None:
        count = 1 if mask is None else int(np.count_nonzero(mask))
    where = f", first at [y, x] = [{first[0]}, {first[1]}]" if first is not None else ""
    return Problem(str(path), kind, count, first, f"{message}{where}.")
