"""The formats File > Export… offers: every format `segstudio export` writes, each as one job.

A choice names its output (a folder, or one .zip / .json file), its default place, and a job
`run(project, out, options, cancel)`: a generator of `FileStep`s, one per reviewed label, that
returns the export's closing sentences (VOC's split, CVAT's unlabelled pixels). The jobs only call
the format code the CLI calls (segmodels/labels/export.py, segmodels/formats/voc_export.py,
cvat_export.py, coco_export.py), so the dialog and `segstudio export` write the same files. No Qt here:
the dialog runs a job in its worker.
"""
from __future__ import annotations

import enum
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path

from app.jobs.steps import FileStep
from segmodels.cancel import CancelFlag
from segmodels.labels.classes import is_cityscapes_table
from segmodels.labels.project import Project

ExportJob = Generator[FileStep, None, list[str]]


class Output(enum.Enum):
    FOLDER = "folder"
    ZIP = "zip"
    JSON = "json"


@dataclass(frozen=True)
class ExportOptions:
    alpha: float = 0.5        # overlay only
    overwrite: bool = False   # the user agreed to replace an existing .zip / .json


@dataclass(frozen=True)
class ExportChoice:
    key: str                  # `segstudio export --format` (with `--layout voc`: "voc", "voc-index")
    text: str
    output: Output
    run: Callable[[Project, Path, ExportOptions, CancelFlag], ExportJob]
    cityscapes_only: bool = False
    uses_alpha: bool = False

    def default_output(self, project: Project) -> Path:
        folder = project.root / "export"
        suffix = {Output.ZIP: "-cvat.zip", Output.JSON: "-coco.json"}.get(self.output)
        return folder if suffix is None else folder / f"{project.name}{suffix}"

    def available(self, project: Project | None) -> bool:
        return not self.cityscapes_only or (project is not None and is_cityscapes_table(project.classes))


def _step(step) -> FileStep:
    """An ExportStep or ConvertStep as the dialog shows it."""
    path = getattr(step, "image", None) or step.source
    return FileStep(step.index, step.total, path.name, step.error, tuple(getattr(step, "notes", ())))


def _files(fmt: str) -> Callable[[Project, Path, ExportOptions, CancelFlag], ExportJob]:
    def run(project: Project, out: Path, options: ExportOptions, cancel: CancelFlag) -> ExportJob:
        from segmodels.labels.export import iter_export

        # iter_export does not watch the flag: the worker closes it between files.
        for step in iter_export(project, out, fmt, options.alpha):
            yield _step(step)
        return []

    return run


def _voc(index_png: bool) -> Callable[[Project, Path, ExportOptions, CancelFlag], ExportJob]:
    def run(project: Project, out: Path, options: ExportOptions, cancel: CancelFlag) -> ExportJob:
        from segmodels.formats.voc_export import VocExport

        export = VocExport(project, out, index_png=index_png)
        for step in export.steps():
            yield _step(step)
        return export.notes

    return run


def _cvat(project: Project, out: Path, options: ExportOptions, cancel: CancelFlag) -> ExportJob:
    from segmodels.formats.cvat_export import CvatExport

    export = CvatExport(project, out)  # the zip replaces `out` only when complete (closed early: untouched)
    for step in export.steps():
        yield _step(step)
    return export.notes


def _coco(project: Project, out: Path, options: ExportOptions, cancel: CancelFlag) -> ExportJob:
    from segmodels.formats.coco_export import iter_export_coco

    for step in iter_export_coco(project, out, cancel, overwrite=options.overwrite):
        yield _step(step)
    return []


#: In the order the dialog lists them; the first is the default.
CHOICES: tuple[ExportChoice, ...] = (
    ExportChoice("palette", "Palette PNG (class indices)", Output.FOLDER, _files("palette")),
    ExportChoice("color", "Colour PNG (class colours)", Output.FOLDER, _files("color")),
    ExportChoice("overlay", "Overlay (colours over the image)", Output.FOLDER, _files("overlay"), uses_alpha=True),
    ExportChoice("index", "Index PNG (grey, class indices)", Output.FOLDER, _files("index")),
    ExportChoice("voc", "PASCAL VOC tree (VOCdevkit/VOC2012, palette PNGs)", Output.FOLDER, _voc(False)),
    ExportChoice("voc-index", "PASCAL VOC tree (VOCdevkit/VOC2012, grey index PNGs)", Output.FOLDER, _voc(True)),
    ExportChoice("cityscapes-trainids", "Cityscapes labelTrainIds (gtFine/…)", Output.FOLDER,
                 _files("cityscapes-trainids"), cityscapes_only=True),
    ExportChoice("cityscapes-labelids", "Cityscapes labelIds (gtFine/…)", Output.FOLDER,
                 _files("cityscapes-labelids"), cityscapes_only=True),
    ExportChoice("cityscapes-color", "Cityscapes colour (gtFine/…)", Output.FOLDER,
                 _files("cityscapes-color"), cityscapes_only=True),
    ExportChoice("cvat", "CVAT zip (Segmentation mask 1.1)", Output.ZIP, _cvat),
    ExportChoice("coco", "COCO JSON (RLE per image and class)", Output.JSON, _coco),
)
BY_KEY = {choice.key: choice for choice in CHOICES}


def choices_for(project: Project | None) -> list[ExportChoice]:
    """The choices that can export `project` (Cityscapes files only from the 19 train classes)."""
    return [choice for choice in CHOICES if choice.available(project)]


def adapt_output(text: str, old: ExportChoice, new: ExportChoice, project: Project) -> str:
    """The output field after switching from `old` to `new`: the same folder, with the new choice's
    file name when it writes one file (a .zip where a folder was would be refused)."""
    if not text.strip():
        return str(new.default_output(project))
    folder = Path(text.strip()) if old.output is Output.FOLDER else Path(text.strip()).parent
    if new.output is Output.FOLDER:
        return str(folder)
    return str(folder / new.default_output(project).name)
