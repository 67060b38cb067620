"""Confusion-matrix metrics against a hand-computed example, ignore pixels excluded."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from segmodels.constants import IGNORE_INDEX
from segmodels.training.metrics import SegMetrics, confusion_matrix

TARGET = np.array([[0, 0, 1, 1],
                   [0, 2, 2, IGNORE_INDEX]], dtype=np.uint8)
PREDICTION = np.array([[0, 1, 1, 1],
                       [0, 2, 0, 2]], dtype=np.uint8)  # the last pixel is ignored whatever it says


@pytest.mark.parametrize("kind", ["numpy", "torch"])
def test_confusion_matrix_counts_pairs_and_skips_ignore(kind: str) -> None:
    if kind == "numpy":
        target, prediction = TARGET, PREDICTION
    else:
        target, prediction = torch.from_numpy(TARGET), torch.from_numpy(PREDICTION)
    matrix = np.asarray(confusion_matrix(target, prediction, 4))
    expected = np.zeros((4, 4), dtype=np.int64)
    expected[0, 0], expected[0, 1] = 2, 1
    expected[1, 1] = 2
    expected[2, 2], expected[2, 0] = 1, 1
    np.testing.assert_array_equal(matrix, expected)


def test_metrics_equal_hand_computed_values() -> None:
    metrics = SegMetrics.from_confusion(confusion_matrix(TARGET, PREDICTION, 4))
    # class 0: TP 2, FP 1 (a 2 predicted as 0), FN 1 -> IoU 2/4; class 1: TP 2, FP 1 -> 2/3;
    # class 2: TP 1, FN 1 -> 1/2; class 3 never occurs -> NaN and left out of the means.
    assert metrics.per_class_iou[:3] == pytest.approx((0.5, 2 / 3, 0.5))
    assert math.isnan(metrics.per_class_iou[3])
    assert metrics.miou == pytest.approx((0.5 + 2 / 3 + 0.5) / 3)
    assert metrics.per_class_dice[:3] == pytest.approx((4 / 6, 4 / 5, 2 / 3))
    assert metrics.dice == pytest.approx((4 / 6 + 4 / 5 + 2 / 3) / 3)
    assert metrics.pixel_accuracy == pytest.approx(5 / 7)
    assert metrics.pixels == 7


def test_matrices_add_up_over_batches() -> None:
    whole = confusion_matrix(TARGET, PREDICTION, 4)
    parts = confusion_matrix(TARGET[:1], PREDICTION[:1], 4) + confusion_matrix(TARGET[1:], PREDICTION[1:], 4)
    np.testing.assert_array_equal(whole, parts)


def test_json_has_null_for_absent_classes() -> None:
    data = SegMetrics.from_confusion(confusion_matrix(TARGET, PREDICTION, 4)).to_json(["a", "b", "c", "d"])
    assert data["per_class_iou"]["d"] is None
    assert data["per_class_iou"]["b"] == pytest.approx(2 / 3)
