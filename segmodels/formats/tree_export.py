"""`segstudio export PROJECT --layout same --out OUT`: the dataset again, in its own layout and label
encoding (docs/formats.md, "Exporting a dataset in its own layout").

Every save keeps a label file's own encoding, and keeps the stored value of every pixel whose class did
not change (segmodels/formats/encodings.py). So the label files on disk already are the dataset in its
own format, edits included; this export copies each labelled image and its label file byte for byte to
the same relative place under OUT, with the class list files the dataset's tools read
(`objectInfo150.csv`, `classes.txt`, `class_names.txt`, `labelmap.txt`, `segstudio.json`). An
ADE20K, mmseg, Cityscapes, VOC or segstudio project then reopens from OUT exactly as it is, and every
untouched pixel is identical to the original. A label that cannot be read is named and skipped: only
labels segstudio can read go out, so an export never spreads a damaged file.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from segmodels.atomic import DurableBatch, atomic_write_bytes, read_regular_bytes
from segmodels.errors import SegError, describe
from segmodels.labels.export import ExportStep
from segmodels.labels.outputs import ProtectedData, check_output_folder, real
from segmodels.labels.project import PROJECT_FILE, Project

#: Files beside the data that name the classes, copied when the dataset root has them.
CLASS_FILES = ("objectInfo150.csv", "objectInfo150.txt", "classes.txt", "class_names.txt", "labelmap.txt",
               PROJECT_FILE)


class TreeExport:
    """One export: iterate `steps()` (one ExportStep per labelled image), then read `notes`."""

    def __init__(self, project: Project, out: str | os.PathLike[str]) -> None:
        self.project = project
        self.out = check_output_folder(out, ProtectedData.of_project(project), "--out")
        if real(self.out) == real(project.root):
            raise SegError(f"--out {describe(out)} is the dataset itself; choose another folder.", path=out)
        self.images = project.labelled_images()
        self.notes: list[str] = []

    def __len__(self) -> int:
        return len(self.images)

    def _target(self, path: Path) -> Path:
        """`path` (inside the dataset) at the same relative place under OUT."""
        try:
            return self.out / Path(path).relative_to(self.project.root)
        except ValueError:
            raise SegError(f"{describe(path)} is outside the dataset folder {describe(self.project.root)}; "
                           "it cannot keep its place in the export.", path=path) from None

    def steps(self) -> Iterator[ExportStep]:
        with DurableBatch() as batch:  # synced once per batch of files, each renamed into place once synced
            yield from self._steps(batch)

    def _steps(self, batch: DurableBatch) -> Iterator[ExportStep]:
        total = len(self.images)
        for index, image in enumerate(self.images, start=1):
            label = self.project.label_path(image)
            batch.commit_if_due()
            try:
                self.project.read_label_file(label)  # readable, in its own encoding, or named and skipped
                for source in (image, label):
                    target = self._target(source)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with batch.active():
                        atomic_write_bytes(target, read_regular_bytes(source, "file"))
            except (SegError, OSError) as exc:
                reason = exc if isinstance(exc, SegError) else f"{describe(label)}: {exc.strerror or exc}"
                yield ExportStep(index, total, image, None, str(reason))
                continue
            yield ExportStep(index, total, image, self._target(label))
        copied = []
        for name in CLASS_FILES:
            source = self.project.root / name
            if source.is_file():
                with batch.active():
                    atomic_write_bytes(self.out / name, read_regular_bytes(source, "class list"))
                copied.append(name)
        layout = self.project.layout.description
        self.notes.append(f"Layout: {layout}; labels stay {self.project.label_encoding.value}"
                          + (f"; class lists copied: {', '.join(copied)}." if copied else "."))
