"""What a label map must hold to count as "reviewed" (docs/models-and-labels.md#reviewed-labels).

A reviewed label is one a person looked at and that has at least one labelled pixel (any value but
255), and whose every value is a class of the project or 255. `save_refusal` gives the one sentence
why a label map may not be saved as reviewed, or None; the window's save and the training data use
these checks, so a label the window refused never reaches training, and one written by another
program is named there instead of turning the loss into NaN. `class_mismatch` is the rule for the
other way in: a model proposes labels for a project only when its classes are the project's, by name
and order. numpy only: no torch, no Qt.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from segmodels.constants import IGNORE_INDEX
from segmodels.errors import describe
from segmodels.labels.classes import ClassTable

#: How many of the project's classes a sentence names before it says "…".
NAMED_CLASSES = 12


def has_labelled_pixel(label_map: np.ndarray) -> bool:
    """Whether any pixel is a class (not 255). An all-255 map teaches a model nothing."""
    return label_map.size > 0 and int(label_map.min()) != IGNORE_INDEX


def unknown_values(label_map: np.ndarray, num_classes: int) -> list[int]:
    """The distinct values that are no class of a `num_classes` table and not 255, ascending."""
    if label_map.size == 0 or num_classes >= IGNORE_INDEX:
        return []
    # Fast exact pre-check without boolean temporaries (the label of an 8192 x 8192 image is 64 MiB):
    # shifted by -num_classes with uint8 wrap-around, classes land at 256 - num_classes and above, 255 on
    # 255 - num_classes, and every unknown value below that.
    shifted = label_map - np.uint8(num_classes)
    if int(shifted.min()) >= IGNORE_INDEX - num_classes:
        return []
    counts = np.bincount(label_map.ravel(), minlength=256)
    return [int(v) for v in np.flatnonzero(counts) if num_classes <= v < IGNORE_INDEX]


def class_list(classes: ClassTable) -> str:
    """'0 background, 1 digit' (the first NAMED_CLASSES, then '…')."""
    named = [f"{info.id} {info.name}" for info in list(classes)[:NAMED_CLASSES]]
    return ", ".join(named) + (", …" if len(classes) > NAMED_CLASSES else "")


def unknown_classes_sentence(values: list[int], classes: ClassTable) -> str:
    """'class indices 2 and 5, which are not among the project's 2 classes (0 background, 1 digit)'."""
    shown = [str(v) for v in values[:8]] + (["…"] if len(values) > 8 else [])
    listed = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
    noun, verb = ("class index", "is") if len(values) == 1 else ("class indices", "are")
    return f"{noun} {listed}, which {verb} not among the project's {len(classes)} classes ({class_list(classes)})"


def save_refusal(label_map: np.ndarray, classes: ClassTable, image: Path) -> str | None:
    """Why `label_map` may not be saved as the reviewed label of `image` (one sentence), or None."""
    values = unknown_values(label_map, len(classes))
    if values:
        return (f"Did not save the label of {describe(image)}: it holds {unknown_classes_sentence(values, classes)}; "
                "paint or erase those pixels first (Alt+click picks a class). The edit is kept in memory.")
    if not has_labelled_pixel(label_map):
        return (f"Did not save the label of {describe(image)}: it has no labelled pixel, and a reviewed label needs "
                "at least one. Paint, or accept the proposal (Ctrl+Return), first; the image stays unreviewed.")
    return None


def blank_labels_sentence(blank: list[Path]) -> str:
    """Why label files on disk are not reviewed labels: '2 label files have no labelled pixel ...'."""
    named = ", ".join(describe(path) for path in blank[:3]) + (", …" if len(blank) > 3 else "")
    files = "label file has" if len(blank) == 1 else "label files have"
    return (f"{len(blank)} {files} no labelled pixel (every pixel 255), so their images are not reviewed and "
            f"are left out of training: {named}. Label those images in the window, or delete those files.")


def class_mismatch(checkpoint: Path, model_classes: ClassTable, project_classes: ClassTable) -> str | None:
    """Why a model may not propose labels for this project, or None: its classes must be the project's,
    by name and in order (channel k is written as index k, so a reordered table mislabels every pixel).
    Colours may differ. The window checks the same (app/jobs/predict.classes_match)."""
    model, project = list(model_classes.names), list(project_classes.names)
    if model == project:
        return None
    how = " (the same names in another order)" if sorted(model) == sorted(project) else ""
    return (f"Checkpoint {describe(checkpoint)} predicts the classes {', '.join(model)}{how}, not this project's "
            f"{', '.join(project)}; fine-tune it on this project (segstudio train PROJECT --from CHECKPOINT).")
