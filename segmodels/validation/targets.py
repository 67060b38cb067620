"""What `validate PATH` checks: the class table and the list of `LabelJob`s a path stands for.

PATH may be:
- a label file (`.png`, `.npy`, `.npz`), or the label folder of a project or dataset root: checked
  alone, or paired with its image when it sits in a project's or dataset's label folder;
- a project (`segstudio.json`), a dataset root in a layout `Project.open` recognises (VOC, ADE20K,
  mmseg...: segmodels/formats/detection.py) or a folder with a `labels/` subfolder: every label file
  in the label folder, each paired with its image (a label without one is reported). Layouts with
  split folders (ADE20K's training/validation, mmseg's train/val) are walked, and PATH may be one
  split's label folder;
- any other folder: every label file in it, checked alone.
The class table, and why it was chosen, comes from `segmodels.validation.tables`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from segmodels.errors import SegError, StemClash, describe
from segmodels.formats.detection import detect_dataset
from segmodels.formats.encodings import LabelEncoding
from segmodels.labels.classes import ClassTable
from segmodels.labels.project import PROJECT_FILE, Project, ProjectKind
from segmodels.validation import tables
from segmodels.validation.report import LabelJob, NamedTable

LABEL_SUFFIXES = (".png", ".npy", ".npz", ".bmp", ".tif", ".tiff")
#: How far above a label file its dataset's root may be (ADE20K: annotations/training/x.png).
OWNER_DEPTH = 3


@dataclass(frozen=True)
class Plan:
    """What a run checks: the named class table, the label jobs, the project PATH belongs to, and whether
    grey labels are binary masks (asked for, or the project's label encoding)."""

    table: NamedTable
    jobs: list[LabelJob]
    project: Project | None
    binary: bool = False


def is_label_file(path: Path) -> bool:
    # Not is_file(): a FIFO or a link to a device is listed, so the validator names it (never reads it).
    return (path.exists() and not path.is_dir() and path.suffix.lower() in LABEL_SUFFIXES
            and not path.name.startswith(".") and not path.name.lower().endswith(".conf.png"))


def _label_files(folder: Path, recursive: bool = False) -> list[Path]:
    try:
        if not recursive:
            return sorted((p for p in folder.iterdir() if is_label_file(p)), key=lambda p: p.name.lower())
        found = []
        for where, dirs, files in os.walk(folder, onerror=_raise):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            found += [p for p in (Path(where) / name for name in files) if is_label_file(p)]
        return sorted(found, key=lambda p: p.relative_to(folder).as_posix().lower())
    except OSError as exc:
        raise SegError(f"Cannot list {describe(folder)}: {exc.strerror or exc}.", path=folder) from exc


def _raise(error: OSError) -> None:
    raise error


def _is_project_like(folder: Path) -> bool:
    return ((folder / PROJECT_FILE).is_file() or (folder / "labels").is_dir()
            or detect_dataset(folder) is not None)


def project_jobs(project: Project, only: Path | None = None, under: Path | None = None) -> list[LabelJob]:
    """One job per label file in the project's label folder (or just `only`, or those below `under`),
    each paired with its image: by stem, or by the layout's label path where labels sit in split folders."""
    recursive = project.layout.recursive
    if only is not None:
        labels = [_in_labels(project, only) if recursive else only]
    elif project.labels_dir.is_dir():
        labels = _label_files(project.labels_dir if under is None else _in_labels(project, under), recursive)
    else:
        labels = []
    if recursive:  # the same stem may be in two splits: pair by the label path the layout gives each image
        by_label = {os.path.normcase(project.label_path(image)): image for image in project.image_paths()}
        return [LabelJob(label, by_label.get(os.path.normcase(label)), expect_image=True) for label in labels]
    images = {}
    for image in project.image_paths():
        images.setdefault(image.stem, image)  # one with a twin added since Project.open refused: the first pairs
    return [LabelJob(label, images.get(label.stem), expect_image=True) for label in labels]


def _in_labels(project: Project, path: Path) -> Path:
    """`path` spelled from the project's label folder (as the layout spells a label path), when it is in it."""
    try:
        return project.labels_dir / Path(path).resolve().relative_to(project.labels_dir.resolve())
    except ValueError:
        return Path(path)


def _owning_project(folder: Path) -> Project | None:
    """The project or dataset whose label folder is `folder`, or holds it as a split folder, if any."""
    folder = folder.resolve()
    for candidate in list(folder.parents)[:OWNER_DEPTH]:
        if not _is_project_like(candidate):
            continue
        try:
            project = Project.open(candidate)
        except StemClash:
            raise  # the project's label folder, but two of its images share one label: refused as the project is
        except SegError:
            return None
        labels = project.labels_dir.resolve()
        inside = labels == folder or (project.layout.recursive and labels in folder.parents)
        return project if inside else None
    return None


def plan(path: str | os.PathLike[str], chosen: NamedTable | None = None, *, binary: bool = False,
         implicit_background: bool = False) -> Plan:
    """The named class table, label jobs and project for whatever PATH names; SegError when it cannot run."""
    project, jobs = _targets(Path(path))
    binary = binary or (project is not None and project.label_encoding is LabelEncoding.BINARY)
    named = tables.choose(project, jobs, chosen, binary=binary, implicit_background=implicit_background)
    return Plan(named, jobs, project, binary)


def plan_validation(path: str | os.PathLike[str], class_table: ClassTable | None = None
                    ) -> tuple[ClassTable, list[LabelJob]]:
    """(class table, list of LabelJob) for whatever PATH names; SegError when it cannot run."""
    planned = plan(path, None if class_table is None else tables.given(class_table))
    return planned.table.table, planned.jobs


def _targets(target: Path) -> tuple[Project | None, list[LabelJob]]:
    """The project PATH belongs to (None: loose label files) and the label jobs it stands for."""
    if not target.exists():
        raise SegError(f"{describe(target)} does not exist.", path=target)
    if not target.is_dir():  # a file, or a FIFO / device the validator refuses by name
        if target.name == PROJECT_FILE:
            return _targets(target.parent)
        project = _owning_project(target.parent)
        if project is not None:
            return project, project_jobs(project, only=target)
        return None, [LabelJob(target)]
    if _is_project_like(target):
        project = Project.open(target)
        if project.kind is ProjectKind.FOLDER and not project.labels_dir.is_dir():
            raise SegError(f"{describe(target)} has no label folder to validate.", path=target)
        return project, project_jobs(project)
    project = _owning_project(target)  # e.g. PATH is a VOC root's SegmentationClass folder, or an ADE split's
    if project is not None:
        return project, project_jobs(project, under=target)
    labels = _label_files(target)
    if not labels:
        raise SegError(f"{describe(target)} holds no label files (.png, .npy, .npz).", path=target)
    return None, [LabelJob(label) for label in labels]
