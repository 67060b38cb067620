"""Keeping what the model got right: the proposal (prediction) taken into the label, whole or in parts.

- `accept_into(document, stroke)`: a stroke that starts on the shown proposal edits the proposal. The
  proposal is painted into every unlabelled (255) pixel of the label as the stroke's first atoms, so
  accepting and the stroke are one undo step. Pixels the person already labelled stay as they are: on
  an unreviewed image (an all-255 label) this is the whole proposal, and no reviewed work is ever
  replaced by a stroke.
- `accept_region(document, y, x)`: the "Accept region" tool. The proposal's 4-connected region of one
  class under the click is copied into the label as one undo step (the fastest way to keep the digits,
  or the background, the model got right).
- `edit_shown(document, text)`: one undo step made on what is shown (polygon, smart tools): with the
  proposal shown, it is taken in first as `accept_into` does, and the label view is shown after.
- `unknown_in_proposal(document)`: the sentence that warns, when a proposal is accepted, that it holds
  class indices the project lacks (saving refuses them: segmodels.labels.review).

Functions over a `LabelDocument`, kept out of it so that the document stays about showing and editing.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np

from app.document.undo import Stroke
from app.document.view_state import ViewMode
from segmodels.constants import IGNORE_INDEX
from segmodels.labels.edits import flood_fill_mask
from segmodels.labels.review import unknown_classes_sentence, unknown_values

if TYPE_CHECKING:
    from app.document.label_document import LabelDocument


def accept_into(document: LabelDocument, stroke: Stroke) -> bool:
    """Paint the proposal into the label's unlabelled pixels as part of `stroke` (renamed to say so);
    False when there is no proposal or nothing to take."""
    prediction, label_map = document.prediction, document.label_map
    if prediction is None or label_map is None or not stroke.open:
        return False
    unlabelled = label_map == IGNORE_INDEX
    if stroke.paint(0, 0, unlabelled, prediction) is None:
        return False
    stroke.text = f"Accept prediction + {stroke.text.lower()}"
    sentence = unknown_in_proposal(document)
    if sentence is not None:  # the status bar, not a box: a modal box in the middle of a drag would end it
        document.status_message.emit(sentence)
    return True


@contextmanager
def edit_shown(document: LabelDocument, text: str) -> Iterator[Stroke]:
    """`with edit_shown(document, "Polygon") as stroke:` like `document.edit`, on the shown proposal
    when it is shown."""
    on_proposal = document.view.view_mode is ViewMode.PREDICTION and document.prediction is not None
    with document.edit(text) as stroke:
        if on_proposal:
            accept_into(document, stroke)
        yield stroke
    if document.view.view_mode is ViewMode.PREDICTION:
        document.view.set_view_mode(ViewMode.LABEL)  # the edit went into the label: show it


def accept_region(document: LabelDocument, y: int, x: int) -> int:
    """Copy the proposal's one-class region under (y, x) into the label (one undo step); the number of
    pixels that changed. Says in the status bar what was taken, or why nothing was."""
    prediction = document.prediction
    if document.label_map is None or document.is_loading:
        return 0
    if prediction is None:
        document.status_message.emit("This image has no proposal yet: run the model on it, then accept regions.")
        return 0
    region = flood_fill_mask(prediction, y, x)
    if region is None:
        return 0
    y0, x0, mask = region
    value = int(prediction[y, x])
    before = document.label_map[y0:y0 + mask.shape[0], x0:x0 + mask.shape[1]][mask]
    changed = int(np.count_nonzero(before != value))
    if not document.apply_mask(y0, x0, mask, value, "Accept region"):
        document.status_message.emit(f"The label already holds this region of {_name(document, value)}.")
        return 0
    document.status_message.emit(f"Accepted {changed} pixel(s) of {_name(document, value)} from the proposal.")
    table = document.class_table
    if table is not None and value >= len(table):
        document.warning.emit(f"The region accepted into {document.image_path.name} is "
                              f"{unknown_classes_sentence([value], table)}; saving refuses it until it is "
                              "painted over.")
    return changed


def unknown_in_proposal(document: LabelDocument) -> str | None:
    """One sentence when the proposal holds values that are no class of the project (a model made for
    other classes), else None."""
    table, prediction = document.class_table, document.prediction
    if table is None or prediction is None:
        return None
    values = unknown_values(prediction, len(table))
    if not values:
        return None
    name = document.image_path.name if document.image_path is not None else "this image"
    return (f"The proposal for {name} holds {unknown_classes_sentence(values, table)}: accepted, they show in "
            "magenta, and saving refuses them until they are painted over. Was the model made for other classes?")


def warn_unknown(document: LabelDocument) -> None:
    sentence = unknown_in_proposal(document)
    if sentence is not None:
        document.warning.emit(sentence)


def _name(document: LabelDocument, value: int) -> str:
    table = document.class_table
    return f"class {value} {table[value].name}" if table is not None and value < len(table) else f"class {value}"
