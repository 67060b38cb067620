"""What `validate PATH` checks: the class table and the list of `LabelJob`s a path stands for.

PATH may be:
- a label file (`.png`, `.npy`, `.npz`), or the label folder of a project or VOC root: checked alone,
  or paired with its image when it sits in a project's or VOC root's label folder;
- a project (`segstudio.json`), a VOC root (`JPEGImages/` + `SegmentationClass/`) or a folder with a
  `labels/` subfolder: every label file in the label folder, each paired with the image of the same
  stem (a label without one is reported);
- any other folder: every label file in it, checked alone.
The class table is the one given, else the project's, else VOC's.
"""
from __future__ import annotations

import os
from pathlib import Path

from segmodels.errors import SegError, StemClash, describe
from segmodels.formats.detection import detect_dataset
from segmodels.labels.classes import ClassTable, voc_classes
from segmodels.labels.project import PROJECT_FILE, Project, ProjectKind
from segmodels.validation.report import LabelJob

LABEL_SUFFIXES = (".png", ".npy", ".npz", ".bmp", ".tif", ".tiff")


def is_label_file(path: Path) -> bool:
    # Not is_file(): a FIFO or a link to a device is listed, so the validator names it (never reads it).
    return (path.exists() and not path.is_dir() and path.suffix.lower() in LABEL_SUFFIXES
            and not path.name.startswith(".") and not path.name.lower().endswith(".conf.png"))


def _label_files(folder: Path) -> list[Path]:
    try:
        return sorted((p for p in folder.iterdir() if is_label_file(p)), key=lambda p: p.name.lower())
    except OSError as exc:
        raise SegError(f"Cannot list {describe(folder)}: {exc.strerror or exc}.", path=folder) from exc


def _is_project_like(folder: Path) -> bool:
    return ((folder / PROJECT_FILE).is_file() or (folder / "labels").is_dir()
            or detect_dataset(folder) is not None)  # a dataset in its own layout (segmodels/formats/detection.py)


def project_jobs(project: Project, only: Path | None = None) -> list[LabelJob]:
    """One job per label file in the project's label folder (or just `only`), paired by stem."""
    images = {}
    for image in project.image_paths():
        images.setdefault(image.stem, image)  # one with a twin added since Project.open refused: the first pairs
    labels = [only] if only is not None else (_label_files(project.labels_dir) if project.labels_dir.is_dir() else [])
    return [LabelJob(label, images.get(label.stem), expect_image=True) for label in labels]


def _owning_project(folder: Path) -> Project | None:
    """The project or VOC root whose label folder is `folder`, if any."""
    folder = folder.resolve()
    if not _is_project_like(folder.parent):
        return None
    try:
        project = Project.open(folder.parent)
    except StemClash:
        raise  # the project's label folder, but two of its images share one label: refused as the project is
    except SegError:
        return None
    return project if project.labels_dir.resolve() == folder else None


def plan_validation(path: str | os.PathLike[str], class_table: ClassTable | None = None
                    ) -> tuple[ClassTable, list[LabelJob]]:
    """(class table, list of LabelJob) for whatever PATH names; SegError when it cannot run."""
    target = Path(path)
    if not target.exists():
        raise SegError(f"{describe(target)} does not exist.", path=target)
    if not target.is_dir():  # a file, or a FIFO / device the validator refuses by name
        if target.name == PROJECT_FILE:
            return plan_validation(target.parent, class_table)
        project = _owning_project(target.parent)
        if project is not None:
            return class_table or project.classes, project_jobs(project, only=target)
        return class_table or voc_classes(), [LabelJob(target)]
    if _is_project_like(target):
        project = Project.open(target)
        if project.kind is ProjectKind.FOLDER and not project.labels_dir.is_dir():
            raise SegError(f"{describe(target)} has no label folder to validate.", path=target)
        return class_table or project.classes, project_jobs(project)
    project = _owning_project(target)  # e.g. PATH is a VOC root's SegmentationClass folder
    if project is not None:
        return class_table or project.classes, project_jobs(project)
    labels = _label_files(target)
    if not labels:
        raise SegError(f"{describe(target)} holds no label files (.png, .npy, .npz).", path=target)
    return class_table or voc_classes(), [LabelJob(label) for label in labels]
