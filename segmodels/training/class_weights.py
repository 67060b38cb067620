"""Per-class weights for the weighted cross-entropy, from how often each class occurs in the training labels.

`class_pixel_counts` counts each class's labelled pixels over the training split once, before the
first step (ignore pixels, 255, never count). `frequency_weights` turns the counts into weights by
inverse square-root frequency, scaled so that the class of median frequency weighs 1, and clipped to
[MIN_WEIGHT, MAX_WEIGHT] (docs/training.md#class-imbalance). A class absent from the training labels
gets weight 1: no target pixel carries it, so its weight changes nothing.

The weights are stored in the run's config (`TrainConfig.class_weights`), so a checkpoint records
them and a resumed run trains with the same loss; a fine-tune counts its own labels again.

Contract: numpy only (the pairs come from a `LabelledImages`, read through its `raw`).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from segmodels.constants import IGNORE_INDEX
from segmodels.errors import SegError

#: The clip keeps one very rare class (a few pixels) from dominating the loss, and a dominant
#: background from vanishing from it.
MIN_WEIGHT = 0.1
MAX_WEIGHT = 10.0


def label_histogram(label_maps: Iterable[np.ndarray], num_classes: int) -> np.ndarray:
    """Pixels of each class 0..num_classes-1 over all label maps; 255 and out-of-range values not counted."""
    counts = np.zeros(num_classes, dtype=np.int64)
    for label_map in label_maps:
        values = np.bincount(np.asarray(label_map, dtype=np.uint8).ravel(), minlength=256)
        values[IGNORE_INDEX] = 0
        counts += values[:num_classes]
    return counts


def frequency_weights(counts: np.ndarray | list[int]) -> tuple[float, ...]:
    """Inverse square-root frequency weights (median-frequency class = 1), clipped; absent classes 1."""
    counts = np.asarray(counts, dtype=np.float64)
    present = counts > 0
    if not present.any():
        return tuple(1.0 for _ in counts)
    frequency = counts / counts.sum()
    median = float(np.median(frequency[present]))
    weights = np.ones_like(frequency)
    weights[present] = np.sqrt(median / frequency[present])
    return tuple(float(w) for w in np.clip(weights, MIN_WEIGHT, MAX_WEIGHT))


def class_pixel_counts(dataset: Any, num_classes: int) -> np.ndarray:
    """`label_histogram` over a LabelledImages' label maps: the cached ones, else each label file read
    once without its image (a label that cannot be read is left out; training names it when it skips it)."""
    if dataset.cached:
        pairs = (dataset.raw(index) for index in range(len(dataset)))
        return label_histogram((pair[1].numpy() for pair in pairs if pair is not None), num_classes)
    labels = (_read_label(dataset.project, image) for image in dataset.images)
    return label_histogram((label for label in labels if label is not None), num_classes)


def _read_label(project: Any, image: Any) -> np.ndarray | None:
    try:
        return project.read_label(image)
    except SegError:
        return None


def checked_weights(weights: Iterable[float], num_classes: int) -> tuple[float, ...]:
    """Given or recorded weights as floats, or a SegError when they do not fit the classes."""
    values = tuple(float(w) for w in weights)
    if len(values) != num_classes or not all(w > 0 and np.isfinite(w) for w in values):
        raise SegError(f"The class weights {list(values)} do not fit the project's {num_classes} classes "
                       "(one positive weight per class); start a new run instead of resuming.")
    return values
