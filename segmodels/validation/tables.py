"""Which class table a validation run checks against, and why (`NamedTable`).

One label file is valid against one table and invalid against another (a 0..20 index map is fine for
VOC's 21 classes, not for a 2-class project), so the table is always named. In order of precedence:

1. the table the user gave (`--classes`);
2. the project's: its segstudio.json, the table a recognised dataset layout brings (VOC, ADE20K,
   mmseg: `Project.origin` says from where), or segstudio's default for a plain folder;
3. with `--binary`: background and foreground;
4. for one-hot stacks: one class per channel of the first stack (plus background with
   `implicit_background`);
5. VOC's 21 classes.
Imports only `segmodels.validation.report` among the validation modules.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from segmodels.constants import MAX_CLASSES
from segmodels.errors import SegError
from segmodels.formats.cityscapes import is_cityscapes_label_name
from segmodels.formats.encodings import ONEHOT_SUFFIXES, LabelEncoding
from segmodels.labels.classes import ClassTable, cityscapes_classes, voc_classes
from segmodels.labels.onehot import channel_axis, load_array
from segmodels.labels.project import PROJECT_FILE, Project, ProjectKind
from segmodels.validation.report import LabelJob, NamedTable

BINARY_NAMES = ("background", "foreground")


def given(table: ClassTable, spec: str | None = None) -> NamedTable:
    """The table the user named (`--classes SPEC`), or one a caller passed in."""
    if spec is None:
        return NamedTable(table, "the table given", "the caller gave it")
    return NamedTable(table, f"--classes {spec}", "it was given with --classes")


def of_project(project: Project, table: ClassTable | None = None) -> NamedTable:
    """The project's table (`table`: the one in use, when edited since opening), named by its origin."""
    table = table if table is not None else project.classes
    if project.kind is ProjectKind.PROJECT:
        return NamedTable(table, f"project file {PROJECT_FILE}", "it is the project's own table")
    if project.kind is ProjectKind.FOLDER:
        return NamedTable(table, "segstudio's default classes", f"the folder has no {PROJECT_FILE} yet")
    origin = project.origin.rstrip(".") or project.layout.description
    return NamedTable(table, f"the {project.layout.name} dataset layout",
                      f"the folder was recognised at open: {origin}")


def binary_default() -> NamedTable:
    return NamedTable(ClassTable.from_names(list(BINARY_NAMES)), "--binary",
                      "no table was given and --binary reads 0 as background, 255 as foreground")


def wants_cityscapes(labels: Sequence[Path], encoding: LabelEncoding | None) -> bool:
    """Loose label files that are Cityscapes' own: read as labelIds, or named like cityscapesScripts names them."""
    return encoding is LabelEncoding.LABEL_IDS or any(is_cityscapes_label_name(label) for label in labels)


def cityscapes_default(encoding: LabelEncoding | None) -> NamedTable:
    why = ("--encoding labelIds reads Cityscapes label ids" if encoding is LabelEncoding.LABEL_IDS
           else "the files are named as cityscapesScripts names them")
    return NamedTable(cityscapes_classes(), "Cityscapes preset (19 train classes)", f"no table was given and {why}")


def voc_default() -> NamedTable:
    return NamedTable(voc_classes(), "VOC preset", "no table was given and no class list was found")


def onehot_default(jobs: Sequence[LabelJob], implicit_background: bool = False) -> NamedTable | None:
    """One class per channel of the first one-hot stack, when every label is a .npy/.npz stack; None
    otherwise (index arrays have no channels; an unreadable stack is reported by the run itself)."""
    labels = [job.label for job in jobs]
    if not labels or any(label.suffix.lower() not in ONEHOT_SUFFIXES for label in labels):
        return None
    try:
        array = load_array(labels[0])
    except SegError:
        return None
    if array.ndim != 3:
        return None
    channels = int(array.shape[0] if channel_axis(array.shape, None) == "CHW" else array.shape[2])
    count = channels + (1 if implicit_background else 0)
    if not 1 <= count <= MAX_CLASSES:
        return None
    names = [f"class {k}" for k in range(count)]
    if implicit_background:
        names[0] = "background"
    how = f"{channels} channels -> {count} classes" + (" with implicit background" if implicit_background else "")
    return NamedTable(ClassTable.from_names(names), f"one-hot channel count ({how})",
                      f"no table was given and {labels[0].name} is a one-hot stack of {channels} channels")


def choose(project: Project | None, jobs: Sequence[LabelJob], chosen: NamedTable | None = None, *,
           binary: bool = False, implicit_background: bool = False) -> NamedTable:
    """The table for a run over `jobs` (see the module docstring for the order); SegError when
    `binary` meets a table without a class 1."""
    named = (chosen or (of_project(project) if project is not None else None)
             or (binary_default() if binary else None)
             or onehot_default(jobs, implicit_background) or voc_default())
    if binary and len(named.table) < 2:
        raise SegError(f"--binary reads 255 as class 1, but the class table ({named.source}) has only "
                       f"{len(named.table)} class.")
    return named
