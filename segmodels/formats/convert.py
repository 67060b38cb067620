"""Converting label files between encodings, index-exact (`segstudio convert`; docs/formats.md,
"Encodings in a project").

A source is a label file, a folder of label files, a project or dataset root, or a project's label
folder. Each file is read into its index map (in its own encoding, with the class table of its project
or the one given) and written in the target encoding; reading the result gives the same indices.

Nothing is ever converted over its source unless asked (`in_place`); then every source file is first
copied byte for byte into a backup folder beside the label folder (`<labels>-before-convert-<time>/`),
and a file whose suffix changes (`.png` -> `.npy`) is removed only after its replacement is written.
A project converted in place records its new encoding in segstudio.json, so new labels follow it.
A file that cannot be converted is reported in one sentence and left as it was; the others go on.
"""
from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from segmodels.atomic import DurableBatch, atomic_write_bytes, read_regular_bytes
from segmodels.errors import ChangedOnDisk, SegError, describe
from segmodels.formats.detection import detect_dataset
from segmodels.formats.encodings import (
    LabelEncoding,
    detect_encoding,
    encoding_from_name,
    read_label_file,
    write_label_file,
)
from segmodels.formats.labelfiles import is_label_name, iter_label_files, label_file
from segmodels.labels.classes import ClassTable, voc_classes
from segmodels.labels.outputs import ProtectedData, check_output_folder, real
from segmodels.labels.project import PROJECT_FILE, Project, ProjectKind

BACKUP_WORDS = "before-convert"


@dataclass(frozen=True)
class ConvertPlan:
    files: list[Path]           # the source label files, in name order
    folder: Path                # the folder they are relative to (mirrored under the output)
    classes: ClassTable
    classes_from: str           # where the class table came from, in words
    project: Project | None     # the project whose labels these are
    whole: bool                 # all of the project's labels (then its encoding is recorded in place)
    source: LabelEncoding | None = None  # --from: how grey files are read (binary, labelIds)


@dataclass(frozen=True)
class ConvertStep:
    index: int                  # 1-based
    total: int
    source: Path
    written: Path | None        # None when the file was skipped
    error: str | None = None


def _project_at(folder: Path) -> Project | None:
    """The project or dataset whose root is `folder`, when it is one (never a plain folder of files)."""
    if not ((folder / PROJECT_FILE).is_file() or (folder / "labels").is_dir() or detect_dataset(folder)):
        return None
    return Project.open(folder)


def _owner_of_labels(folder: Path) -> Project | None:
    """The project whose label folder is `folder`, if any."""
    try:
        project = _project_at(folder.parent)
    except SegError:
        return None
    return project if project is not None and real(project.labels_dir) == real(folder) else None


def plan_conversion(path: str | os.PathLike[str], classes: ClassTable | None = None,
                    source: LabelEncoding | None = None) -> ConvertPlan:
    """What converting `path` means: its label files and the class table; SegError when there are none."""
    target = Path(path)
    if not target.exists():
        raise SegError(f"{describe(target)} does not exist.", path=target)
    if target.is_dir():
        project = _project_at(target) or _owner_of_labels(target)
        folder = project.labels_dir if project is not None else target
        recursive = project is not None and project.layout.recursive
        files = list(iter_label_files(folder, recursive=recursive))
    else:
        if not is_label_name(target.name):
            raise SegError(f"{describe(target)} is not a label file (.png, .npy or .npz).", path=target)
        project = _owner_of_labels(target.parent)
        folder, files = target.parent, [target]
    if not files:
        raise SegError(f"{describe(folder)} holds no label files (.png, .npy, .npz) to convert.", path=folder)
    if classes is not None:
        table, words = classes, f"the {len(classes)} classes given"
    elif project is not None and project.kind is not ProjectKind.FOLDER:
        table, words = project.classes, f"the project's {len(project.classes)} classes"
    else:  # as `segstudio validate` does for a folder of labels
        table, words = voc_classes(), "the 21 VOC classes (pass --classes for others)"
    return ConvertPlan(files, folder, table, words, project, target.is_dir(), source)


def _encoding_of(plan: ConvertPlan, path: Path) -> LabelEncoding:
    if plan.source is not None:
        return detect_encoding(path, default=plan.source)
    return plan.project.label_encoding_of(path) if plan.project is not None else detect_encoding(path)


def _target(plan: ConvertPlan, source: Path, folder: Path, to: LabelEncoding) -> Path:
    relative = source.relative_to(plan.folder)
    base = folder / relative.parent / relative.name[: -len(relative.suffix)]
    return label_file(base, to, lambda: None)


def _refuse_lying_name(source: Path, to: LabelEncoding) -> None:
    named = encoding_from_name(source)
    if named is not None and named is not LabelEncoding.ONEHOT and named is not to:
        raise SegError(f"Label {describe(source)} names its encoding ({named.value}) in its file name; converting "
                       f"it to {to.value} under that name would mislead every reader, so it was skipped.",
                       path=source)


def iter_convert(plan: ConvertPlan, to: LabelEncoding, out: str | os.PathLike[str]) -> Iterator[ConvertStep]:
    """Convert every file of `plan` into `out` (the same relative paths, the new suffix), one step per file."""
    protected = (ProtectedData.of_project(plan.project) if plan.project is not None
                 else ProtectedData(((real(plan.folder), "source folder"),)))
    folder = check_output_folder(out, protected, "Output")
    with DurableBatch() as batch:  # synced once per batch of files, each renamed into place once synced
        yield from _convert_into(plan, to, folder, batch)


def _convert_into(plan: ConvertPlan, to: LabelEncoding, folder: Path, batch: DurableBatch) -> Iterator[ConvertStep]:
    total = len(plan.files)
    for index, source in enumerate(plan.files, start=1):
        target = _target(plan, source, folder, to)
        if batch.holds(target):
            batch.commit()  # two sources, one target: the second is written over the first as it is on disk
        batch.commit_if_due()
        try:
            _refuse_lying_name(source, to)
            label_map = read_label_file(source, plan.classes, _encoding_of(plan, source))
            target.parent.mkdir(parents=True, exist_ok=True)
            with batch.active():
                write_label_file(target, label_map, plan.classes, to)
        except (SegError, OSError) as exc:
            yield ConvertStep(index, total, source, None, _sentence(exc, target))
            continue
        yield ConvertStep(index, total, source, target)


def backup_folder(plan: ConvertPlan) -> Path:
    """A new folder beside the label folder for the originals (never inside it: it would be listed)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = plan.folder.parent / f"{plan.folder.name}-{BACKUP_WORDS}-{stamp}"
    candidate, counter = base, 1
    while os.path.lexists(candidate):
        candidate, counter = base.with_name(f"{base.name}-{counter}"), counter + 1
    return candidate


def keep_originals(plan: ConvertPlan, backup: Path) -> None:
    """Copy every source file into `backup`, byte for byte; SegError (nothing converted yet) on failure."""
    for source in plan.files:
        copy = backup / source.relative_to(plan.folder)
        try:
            copy.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(copy, read_regular_bytes(source, "label"))
        except (SegError, OSError) as exc:
            raise SegError(f"Could not keep a copy of {describe(source)} in {describe(backup)} "
                           f"({_reason(exc)}); nothing was converted.", path=source) from exc


def iter_convert_in_place(plan: ConvertPlan, to: LabelEncoding) -> Iterator[ConvertStep]:
    """Convert every file of `plan` over itself (call `keep_originals` first). A file already in `to` is
    left as it is; a file whose suffix changes is removed once its replacement is written."""
    total = len(plan.files)
    for index, source in enumerate(plan.files, start=1):
        target = _target(plan, source, plan.folder, to)
        try:
            _refuse_lying_name(source, to)
            if target != source and os.path.lexists(target):
                raise SegError(f"Converting {describe(source)} would replace {describe(target)}, another label "
                               "of the same image; it was skipped.", path=source)
            encoding = _encoding_of(plan, source)
            if encoding is to:
                yield ConvertStep(index, total, source, source)
                continue
            label_map = read_label_file(source, plan.classes, encoding)
            write_label_file(target, label_map, plan.classes, to)
            if target != source:
                source.unlink()
        except (SegError, OSError) as exc:
            yield ConvertStep(index, total, source, None, _sentence(exc, target))
            continue
        yield ConvertStep(index, total, source, target)


def record_encoding(plan: ConvertPlan, to: LabelEncoding) -> Path | None:
    """Write the project's new label encoding (and, for a plain folder, the classes used) to its
    segstudio.json; the file written, or None when they are no project's (or only some of them)."""
    if plan.project is None or not plan.whole:
        return None
    project = replace(plan.project, label_encoding=to)
    if project.kind is ProjectKind.FOLDER:
        project = project.with_classes(plan.classes)
    try:
        project.save()
    except ChangedOnDisk as exc:
        raise SegError(f"{exc} The labels are converted, but its label_encoding still names the old encoding; "
                       f"set it to \"{to.value}\" by hand.", path=project.config_path) from None
    except OSError as exc:
        raise SegError(f"Could not write {describe(project.config_path)} ({_reason(exc)}); the labels are "
                       f"converted, but it does not record label_encoding \"{to.value}\".",
                       path=project.config_path) from exc
    return project.config_path


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc).rstrip(".")


def _sentence(exc: BaseException, target: Path) -> str:
    if isinstance(exc, SegError):
        return str(exc)
    return f"Could not write {describe(target)} ({_reason(exc)})."
