"""Cityscapes as cityscapesScripts lays it out and names it (docs/formats.md, "Cityscapes").

    <root>/leftImg8bit/<split>/<city>/<city>_<seq>_<frame>_leftImg8bit.png    images
    <root>/gtFine/<split>/<city>/<city>_<seq>_<frame>_gtFine_<kind>.png        labels

<kind> names the label encoding: `labelIds` (label ids 0..33, json2labelImg's default), `labelTrainIds`
(train ids 0..18, 255 = ignored; createTrainIdLabelImgs) or `color` (the label colours). `instanceIds`
files and `polygons.json` sit beside them and are not labels segstudio reads or writes.

In memory a Cityscapes label holds train ids, with the 19 train classes (`cityscapes_classes`): the
classes a model learns and the evaluation scores. Label ids whose train id is 255 (ego vehicle,
static, ...) read as unlabelled, and a file saved in place keeps them where the user did not paint
(segmodels/formats/encodings.py). This module is the layout, its detector and the id tables; export
is in segmodels/formats/cityscapes_export.py.
"""
from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

from segmodels.formats.encodings import LabelEncoding
from segmodels.formats.layouts import Layout, _is_image_name, register

IMAGES_FOLDER = "leftImg8bit"
LABELS_FOLDER = "gtFine"
IMAGE_SUFFIX = "_leftImg8bit"
#: The file-name kind of each encoding a Cityscapes label is stored in, in the order a detector prefers
#: them when several are present (train ids are what training reads).
LABEL_KINDS: dict[LabelEncoding, str] = {LabelEncoding.GREY: "labelTrainIds", LabelEncoding.LABEL_IDS: "labelIds",
                                         LabelEncoding.COLOR: "color"}
#: The highest Cityscapes label id; 'license plate' (-1) is never written into a label image.
MAX_LABEL_ID = 33
_LABEL_NAME = re.compile(r"_gt(Fine|Coarse)_(labelIds|labelTrainIds|color)$")


def label_kind(encoding: LabelEncoding) -> str:
    """The file-name kind for `encoding`; any other encoding is stored under the train-id name."""
    return LABEL_KINDS.get(encoding, LABEL_KINDS[LabelEncoding.GREY])


def cityscapes_label_stem(stem: str, encoding: LabelEncoding) -> str:
    """X_leftImg8bit -> X_gtFine_<kind> (an image named otherwise keeps its whole stem as X)."""
    base = stem[: -len(IMAGE_SUFFIX)] if stem.endswith(IMAGE_SUFFIX) else stem
    return f"{base}_{LABELS_FOLDER}_{label_kind(encoding)}"


def cityscapes_image_stem(label_stem: str, encoding: LabelEncoding) -> str | None:
    """X_gtFine_<kind> -> X_leftImg8bit; None for a file of another kind (color, instanceIds...)."""
    ending = f"_{LABELS_FOLDER}_{label_kind(encoding)}"
    if not label_stem.endswith(ending):
        return None
    return label_stem[: -len(ending)] + IMAGE_SUFFIX


CITYSCAPES = register(Layout("cityscapes", f"Cityscapes ({IMAGES_FOLDER}/ + {LABELS_FOLDER}/)", recursive=True,
                             label_stem=cityscapes_label_stem, image_stem=cityscapes_image_stem))


def is_cityscapes_label_name(path: Path) -> bool:
    """Whether the file name is a Cityscapes label's (`*_gtFine_labelIds.png`, `*_gtCoarse_color.png`...)."""
    return _LABEL_NAME.search(Path(path).stem) is not None


def cityscapes_root_of(path: Path) -> Path | None:
    """The root of the Cityscapes tree an image file lies in (leftImg8bit/<split>/<city>/X.png), or None."""
    parents = Path(path).parents
    if len(parents) > 3 and parents[2].name == IMAGES_FOLDER and (parents[3] / LABELS_FOLDER).is_dir():
        return parents[3]
    return None


# -- detection ----------------------------------------------------------------------------------------
def inspect_cityscapes(root: Path) -> tuple[LabelEncoding, str] | None:
    """For a root with leftImg8bit/ and gtFine/: (the label encoding, the origin sentence), else None.
    The encoding is the label kind most files have (ties: labelTrainIds, then labelIds, then color);
    with no label files yet, labelIds (what json2labelImg writes and the evaluation scripts read)."""
    images_dir, labels_dir = root / IMAGES_FOLDER, root / LABELS_FOLDER
    if not (images_dir.is_dir() and labels_dir.is_dir()):
        return None
    kinds = _label_kinds(labels_dir)
    found = [encoding for encoding in LABEL_KINDS if kinds[encoding]]
    encoding = max(found, key=lambda e: kinds[e]) if found else LabelEncoding.LABEL_IDS  # max keeps the first
    return encoding, _origin(encoding, found, _split_counts(images_dir))


def _label_kinds(labels_dir: Path) -> Counter[LabelEncoding]:
    """How many label files of each kind gtFine/ holds (one walk: names only, no file opened)."""
    endings = {f"_{LABELS_FOLDER}_{kind}.png": encoding for encoding, kind in LABEL_KINDS.items()}
    counts: Counter[LabelEncoding] = Counter()
    for _folder, dirs, files in os.walk(labels_dir):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            underscore = name.rfind("_", 0, name.rfind("_"))  # X_gtFine_<kind>.png: the last two parts
            encoding = endings.get(name[underscore:])
            if encoding is not None:
                counts[encoding] += 1
    return counts


def _split_counts(images_dir: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for split in sorted(p for p in images_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        counts[split.name] = sum(1 for _folder, _dirs, files in os.walk(split) for name in files
                                 if _is_image_name(name))
    return counts


def _origin(encoding: LabelEncoding, found: list[LabelEncoding], splits: dict[str, int]) -> str:
    kind = label_kind(encoding)
    others = [label_kind(e) for e in found if e is not encoding]
    if not found:
        labels = f"no label files yet (new labels are written as *_{LABELS_FOLDER}_{kind}.png)"
    elif encoding is LabelEncoding.GREY:
        labels = f"{kind} files hold the 19 train ids"
    elif encoding is LabelEncoding.LABEL_IDS:
        labels = f"{kind} files read as the 19 train ids"
    else:
        labels = f"{kind} files read by the official colours as the 19 train ids"
    if others:
        labels += f" (edits leave the {' and '.join(others)} files beside them as they are)"
    counted = [(split, count) for split, count in splits.items() if count]
    images = ", ".join(f"{count}{' image' + 's' * (count != 1) if not position else ''} in {split}"
                       for position, (split, count) in enumerate(counted))  # "2975 images in train, 500 in val"
    return f"Cityscapes layout ({IMAGES_FOLDER}/ + {LABELS_FOLDER}/), {labels}; {images or 'no images found'}."
