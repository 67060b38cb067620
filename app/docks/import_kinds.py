"""The kinds File > Import… offers, each as one job: the same three `segstudio import` has.

- COCO: an annotation .json and the folder its image file names are relative to;
- labelme: a folder of labelme .json files, and optionally its class list (labels.txt / class_names.txt);
- CVAT: a "Segmentation mask 1.1" zip, unpacked into a folder that opens in place.

A job `run(request, cancel)` is a generator of `FileStep`s that returns an `ImportDone`. COCO and
labelme read their source into a plan (segmodels/formats/importing.py) and write one image per step
(`iter_import` stops between images when `cancel` says so, leaving a valid project of the images done);
CVAT is one call, `import_cvat`, which checks `cancel` between zip members and leaves nothing behind
when stopped. Reading the source happens in the job too: a large COCO file parses off the GUI thread.
No Qt here.
"""
from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.jobs.steps import FileStep
from segmodels.cancel import CancelFlag

if TYPE_CHECKING:  # the format code loads when an import starts
    from segmodels.formats.importing import ImportPlan

#: Classes named in a summary before "..."
SHOWN_CLASSES = 8


@dataclass(frozen=True)
class ImportRequest:
    source: Path                  # COCO .json, labelme folder, CVAT .zip
    out: Path                     # the project folder to write
    images: Path | None = None    # COCO: the folder its file names are relative to
    classes: Path | None = None   # labelme: its class list (None: the labels found, sorted)


@dataclass(frozen=True)
class ImportDone:
    about: str                    # one sentence: what the project holds
    notes: tuple[str, ...] = ()   # what the user must know (CVAT: no labelmap.txt, no images)


ImportJob = Generator[FileStep, None, ImportDone]


@dataclass(frozen=True)
class ImportKind:
    key: str                      # `segstudio import KEY`
    text: str
    source_label: str
    source_filter: str | None     # a file dialog filter; None: the source is a folder
    run: Callable[[ImportRequest, CancelFlag], ImportJob]
    needs_images: bool = False
    takes_classes: bool = False


def _classes_sentence(names: list[str]) -> str:
    shown = ", ".join(names[:SHOWN_CLASSES]) + (", ..." if len(names) > SHOWN_CLASSES else "")
    return f"{len(names)} classes: {shown}."


def _planned(make_plan: Callable[[ImportRequest], ImportPlan]) -> Callable[[ImportRequest, CancelFlag], ImportJob]:
    def run(request: ImportRequest, cancel: CancelFlag) -> ImportJob:
        from segmodels.formats.importing import iter_import

        plan = make_plan(request)
        total = len(plan.items)
        yield FileStep(0, total, request.source.name, notes=plan.notes)  # the bar learns the total
        for step in iter_import(plan, cancel):
            yield FileStep(step.index, step.total, step.source.name, step.error, step.notes, step.already)
        return ImportDone(_classes_sentence(plan.classes.names))

    return run


def _coco_plan(request: ImportRequest) -> ImportPlan:
    from segmodels.formats.coco import plan_coco_import

    return plan_coco_import(request.source, request.images or request.source.parent, request.out)


def _labelme_plan(request: ImportRequest) -> ImportPlan:
    from segmodels.formats.labelme import plan_labelme_import

    return plan_labelme_import(request.source, request.out, request.classes)


def _cvat(request: ImportRequest, cancel: CancelFlag) -> ImportJob:
    from segmodels.formats.cvat_import import import_cvat

    project, notes = import_cvat(request.source, request.out, cancel)
    yield FileStep(1, 1, request.source.name)
    about = (f"{project.origin} {len(project.image_paths())} images, {len(project.labelled_images())} labelled."
             ).strip()
    return ImportDone(about, tuple(notes))


KINDS: tuple[ImportKind, ...] = (
    ImportKind("coco", "COCO annotations (.json + images folder)", "Annotations", "COCO JSON (*.json)",
               _planned(_coco_plan), needs_images=True),
    ImportKind("labelme", "labelme folder (.json per image)", "labelme folder", None,
               _planned(_labelme_plan), takes_classes=True),
    ImportKind("cvat", "CVAT zip (Segmentation mask 1.1)", "CVAT zip", "Zip files (*.zip)", _cvat),
)
BY_KEY = {kind.key: kind for kind in KINDS}
