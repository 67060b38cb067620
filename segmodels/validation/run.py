"""Running the validator: one label file and its image (`check_label`), a list of them
(`iter_validate`), or whatever a path names (`validate_path`).

Besides the label's own pixels (`segmodels.validation.decode`), each label is checked against its
image (project and VOC layouts): present, readable header, same size as the label. The image size
comes from the header only, so images are never decoded unless previews are asked for.

`iter_validate` yields one `FileResult` per file, so the GUI can run it in a worker with progress and
cancel between files; `validate_path` is the one-call form returning a `ValidationReport`. Which files
a path stands for (file, folder, project, VOC root) is decided by `segmodels.validation.targets`.

Layering (each imports only those before it): report -> decode, targets, previews -> run.
"""
from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from segmodels.errors import SegError
from segmodels.labels.classes import ClassTable, Color
from segmodels.labels.imageio import read_header, upright_note
from segmodels.validation.decode import decode_label
from segmodels.validation.previews import write_preview
from segmodels.validation.report import (
    DecodedLabel,
    FileResult,
    LabelJob,
    Problem,
    ProblemKind,
    ValidationOptions,
    ValidationReport,
    make_problem,
)
from segmodels.validation.targets import plan_validation


def _check_image(job: LabelJob, label_shape: tuple[int, ...] | None) -> tuple[Problem, ...]:
    if job.image is None:
        if not job.expect_image:
            return ()
        return (make_problem(job.label, ProblemKind.MISSING_IMAGE, "Label has no image with the same name"),)
    try:
        header = read_header(job.image)
    except SegError as exc:
        return (make_problem(job.label, ProblemKind.IMAGE_UNREADABLE, f"Label's image: {str(exc).rstrip('.')}"),)
    except Exception as exc:  # noqa: BLE001 - a damaged image header is a finding too
        return (make_problem(job.label, ProblemKind.IMAGE_UNREADABLE,
                         f"Label's image '{job.image.name}' has a corrupt header ({type(exc).__name__})"),)
    if label_shape is not None and tuple(label_shape[:2]) != (header.height, header.width):
        return (make_problem(job.label, ProblemKind.SIZE_MISMATCH,
                         f"Label is {label_shape[1]}x{label_shape[0]} but its image '{job.image.name}' is "
                         f"{header.width}x{header.height} (width x height){upright_note(header.orientation)}"),)
    return ()


def check_label(job: LabelJob, options: ValidationOptions) -> tuple[FileResult, DecodedLabel]:
    """Check one label file and its image; also returns the decoded label (for previews)."""
    decoded = decode_label(job.label, options, job.encoding)
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
            write_preview(Path(previews_dir), job, decoded, options.class_table)
        yield FileResult(result.label, result.image, result.problems, index + 1, total)


def validate_path(path: str | os.PathLike[str], class_table: ClassTable | None = None, *,
                  implicit_background: bool = False, ignore_colors: Sequence[Color] = (),
                  previews_dir: str | os.PathLike[str] | None = None) -> ValidationReport:
    """Validate a label file, a folder of labels, a project or a VOC root (SegError if it cannot run)."""
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
