"""What `validate PATH` checks: the class table and the list of `LabelJob`s a path stands for.

PATH may be:
- a label file (`.png`, `.npy`, `.npz`), or the label folder of a project or VOC root: checked alone,
  or paired with its image when it sits in a project's or VOC root's label folder;
- a project (`segstudio.json`), a dataset root (VOC, Cityscapes: segmodels/formats/detection.py) or a
  folder with a `labels/` subfolder: every label file in the label folder (and its sub-folders, for
  Cityscapes), each paired with its image (a label without one is reported);
- any other folder: every label file in it, checked alone.
Annotation files of other formats in a label folder (`.json`, `.zip`, `.xml`: segmodels/formats/foreign.py)
are listed too, so each is named as what it is, with the command that imports it.
The class table is the one given, else the project's, else Cityscapes' for labelIds or
Cityscapes-named files, else VOC's.
"""
from __future__ import annotations

import os
from pathlib import Path

from segmodels.errors import SegError, StemClash, describe
from segmodels.formats.cityscapes import is_cityscapes_label_name
from segmodels.formats.detection import detect_dataset
from segmodels.formats.encodings import LabelEncoding
from segmodels.formats.foreign import is_foreign_name
from segmodels.labels.classes import ClassTable, cityscapes_classes, voc_classes
from segmodels.labels.project import PROJECT_FILE, Project, ProjectKind
from segmodels.validation.report import LabelJob

LABEL_SUFFIXES = (".png", ".npy", ".npz", ".bmp", ".tif", ".tiff")


def is_label_file(path: Path) -> bool:
    # Not is_file(): a FIFO or a link to a device is listed, so the validator names it (never reads it).
    return path.exists() and not path.is_dir() and _is_label_name(path.name)


def _is_label_name(name: str) -> bool:
    lower = name.lower()
    return (lower[lower.rfind("."):] in LABEL_SUFFIXES and "." in lower and not name.startswith(".")
            and not lower.endswith(".conf.png"))


def _is_listed(path: Path) -> bool:
    """A label file, or an annotation file of another format (a labelme .json, a CVAT .zip), which
    the validator names as what it is rather than leave the user thinking it was checked."""
    return is_label_file(path) or (is_foreign_name(path) and path.is_file())


def _label_files(folder: Path) -> list[Path]:
    try:
        return sorted((p for p in folder.iterdir() if _is_listed(p)), key=lambda p: p.name.lower())
    except OSError as exc:
        raise SegError(f"Cannot list {describe(folder)}: {exc.strerror or exc}.", path=folder) from exc


def _is_project_like(folder: Path) -> bool:
    """A project, a folder with labels/, or a dataset root a detector recognises (VOC, Cityscapes...)."""
    return (folder / PROJECT_FILE).is_file() or (folder / "labels").is_dir() or detect_dataset(folder) is not None


def project_jobs(project: Project, only: Path | None = None) -> list[LabelJob]:
    """One job per label file in the project's label folder (or just `only`), paired by stem."""
    encoding = project.label_encoding
    if project.layout.recursive:
        return _recursive_jobs(project, only)
    images = {}
    for image in project.image_paths():
        images.setdefault(image.stem, image)  # one with a twin added since Project.open refused: the first pairs
    labels = [only] if only is not None else (_label_files(project.labels_dir) if project.labels_dir.is_dir() else [])
    return [LabelJob(label) if is_foreign_name(label) else
            LabelJob(label, images.get(label.stem), expect_image=True, encoding=encoding) for label in labels]


def _recursive_jobs(project: Project, only: Path | None) -> list[LabelJob]:
    """Labels in sub-folders mirroring the images' (Cityscapes gtFine/<split>/<city>/): only the files
    the layout names as labels of the project's encoding, each paired with the image it belongs to."""
    images = {project.label_path(image): image for image in project.image_paths()}
    encoding, layout = project.label_encoding, project.layout
    if only is not None:
        key = Path(os.path.realpath(only.parent)) / only.name  # _owning_project opened the real root
        return [LabelJob(only, images.get(key) or images.get(only), expect_image=True, encoding=encoding)]
    found = []  # names first, paths only for labels: gtFine holds four other files per label
    for folder, dirs, files in os.walk(project.labels_dir):  # files: anything but folders (FIFOs are named)
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        relative = os.path.relpath(folder, project.labels_dir).lower()
        found += [(f"{relative}/{name.lower()}", folder, name) for name in files
                  if _is_label_name(name) and layout.image_stem(name[:name.rfind(".")], encoding) is not None]
    labels = [Path(folder, name) for _key, folder, name in sorted(found)]
    return [LabelJob(label, images.get(label), expect_image=True, encoding=encoding) for label in labels]


def _owning_project(folder: Path) -> Project | None:
    """The project or dataset root whose label folder is `folder`, or holds it in a layout with
    sub-folders (Cityscapes: gtFine/<split>/<city>/), if any."""
    folder = folder.resolve()
    for root in list(folder.parents)[:3]:
        if not _is_project_like(root):
            continue
        try:
            project = Project.open(root)
        except StemClash:
            raise  # the project's label folder, but two of its images share one label: refused as the project is
        except SegError:
            return None
        labels = project.labels_dir.resolve()
        if labels == folder or (project.layout.recursive and labels in folder.parents):
            return project
    return None


def _default_table(labels: list[Path], encoding: LabelEncoding | None) -> ClassTable:
    """Without --classes: Cityscapes' 19 classes for labelIds or Cityscapes-named files, else VOC's."""
    cityscapes = encoding is LabelEncoding.LABEL_IDS or any(is_cityscapes_label_name(label) for label in labels)
    return cityscapes_classes() if cityscapes else voc_classes()


def plan_validation(path: str | os.PathLike[str], class_table: ClassTable | None = None,
                    encoding: LabelEncoding | None = None) -> tuple[ClassTable, list[LabelJob]]:
    """(class table, list of LabelJob) for whatever PATH names; SegError when it cannot run.
    `encoding`: the user's --encoding (it picks the default class table for files outside a project)."""
    target = Path(path)
    if not target.exists():
        raise SegError(f"{describe(target)} does not exist.", path=target)
    if not target.is_dir():  # a file, or a FIFO / device the validator refuses by name
        if target.name == PROJECT_FILE:
            return plan_validation(target.parent, class_table, encoding)
        project = _owning_project(target.parent)
        if project is not None:
            return class_table or project.classes, project_jobs(project, only=target)
        return class_table or _default_table([target], encoding), [LabelJob(target)]
    if _is_project_like(target):
        project = Project.open(target)
        if project.kind is ProjectKind.FOLDER and not project.labels_dir.is_dir():
            raise SegError(f"{describe(target)} has no label folder to validate.", path=target)
        return class_table or project.classes, project_jobs(project)
    project = _owning_project(target)  # e.g. PATH is a VOC root's SegmentationClass folder, or gtFine/val
    if project is not None:
        inside = target.resolve()
        jobs = [job for job in project_jobs(project) if inside == job.label.parent or inside in job.label.parents]
        return class_table or project.classes, jobs
    labels = _label_files(target)
    if not labels:
        raise SegError(f"{describe(target)} holds no label files (.png, .npy, .npz).", path=target)
    return class_table or _default_table(labels, encoding), [LabelJob(label) for label in labels]
