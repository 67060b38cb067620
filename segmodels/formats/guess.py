"""What a detector says about a dataset root (`DatasetGuess`), in a module of its own so the format
modules that build one and `segmodels.formats.detection`, which imports them all, form no cycle."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from segmodels.formats.encodings import LabelEncoding
from segmodels.formats.layouts import Layout
from segmodels.labels.classes import ClassTable


@dataclass(frozen=True)
class DatasetGuess:
    layout: Layout
    images_dir: Path
    labels_dir: Path
    classes: ClassTable
    encoding: LabelEncoding
    origin: str          # one sentence: the layout recognised and where the class table came from
