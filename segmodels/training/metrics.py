"""Segmentation metrics from a confusion matrix accumulated over a whole split.

`confusion_matrix(target, prediction, num_classes)` counts (true, predicted) pairs with one bincount;
pixels whose target is IGNORE_INDEX (or any value >= num_classes) are excluded. Matrices from several
batches or ranks are simply summed. `SegMetrics.from_confusion` derives per-class IoU
(TP / (TP + FP + FN)), Dice (2TP / (2TP + FP + FN)) and pixel accuracy; mIoU and mean Dice are means
over the classes that occur (in the target or the prediction), as per-image averaging would
over-weight small images and empty classes would count as 0 or NaN.

Works on numpy arrays and torch tensors (torch stays on its device; results are plain floats).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from segmodels.constants import IGNORE_INDEX


def confusion_matrix(target: Any, prediction: Any, num_classes: int) -> Any:
    """C x C int64 counts, rows = true class, columns = predicted class; ignore pixels excluded.

    Accepts matching numpy arrays or torch tensors of any shape.
    """
    if type(target).__module__.startswith("torch"):
        import torch

        target = target.reshape(-1).long()
        prediction = prediction.reshape(-1).long()
        keep = (target >= 0) & (target < num_classes)
        index = target[keep] * num_classes + prediction[keep]
        counts = torch.bincount(index, minlength=num_classes * num_classes)
        return counts.reshape(num_classes, num_classes)
    target = np.asarray(target).reshape(-1).astype(np.int64)
    prediction = np.asarray(prediction).reshape(-1).astype(np.int64)
    keep = (target >= 0) & (target < num_classes) & (target != IGNORE_INDEX)
    index = target[keep] * num_classes + prediction[keep]
    return np.bincount(index, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def _nan_to_none(value: float) -> float | None:
    return None if math.isnan(value) else value


@dataclass(frozen=True)
class SegMetrics:
    """Metrics of one split. Per-class values are NaN for classes absent from target and prediction."""

    per_class_iou: tuple[float, ...]
    per_class_dice: tuple[float, ...]
    miou: float
    dice: float
    pixel_accuracy: float
    pixels: int
    #: Labelled pixels of each class in the split (the confusion matrix's rows): what each IoU rests on.
    per_class_pixels: tuple[int, ...] = ()

    @classmethod
    def from_confusion(cls, confusion: Any) -> SegMetrics:
        matrix = np.asarray(confusion.cpu() if hasattr(confusion, "cpu") else confusion, dtype=np.float64)
        true_positive = np.diag(matrix)
        false_positive = matrix.sum(axis=0) - true_positive
        false_negative = matrix.sum(axis=1) - true_positive
        union = true_positive + false_positive + false_negative
        occurs = union > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            iou = np.where(occurs, true_positive / union, np.nan)
            dice = np.where(occurs, 2 * true_positive / (union + true_positive), np.nan)
        total = matrix.sum()
        return cls(
            per_class_iou=tuple(float(v) for v in iou),
            per_class_dice=tuple(float(v) for v in dice),
            miou=float(iou[occurs].mean()) if occurs.any() else float("nan"),
            dice=float(dice[occurs].mean()) if occurs.any() else float("nan"),
            pixel_accuracy=float(true_positive.sum() / total) if total else float("nan"),
            pixels=int(total),
            per_class_pixels=tuple(int(v) for v in matrix.sum(axis=1)),
        )

    def to_json(self, class_names: list[str] | None = None) -> dict:
        """A JSON-ready dict; NaN (class absent) becomes null. With names, per-class maps are keyed by name."""
        def per_class(values: tuple[float, ...]) -> list | dict:
            cleaned = [_nan_to_none(v) for v in values]
            return dict(zip(class_names, cleaned, strict=False)) if class_names else cleaned

        return {"miou": _nan_to_none(self.miou), "dice": _nan_to_none(self.dice),
                "pixel_accuracy": _nan_to_none(self.pixel_accuracy), "pixels": self.pixels,
                "per_class_iou": per_class(self.per_class_iou), "per_class_dice": per_class(self.per_class_dice),
                "per_class_pixels": (dict(zip(class_names, self.per_class_pixels, strict=False)) if class_names
                                     else list(self.per_class_pixels))}
