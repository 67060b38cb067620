"""Blending against the reference formula, computed pixel by pixel in plain Python."""
from __future__ import annotations

import math

import numpy as np
import pytest

from segmodels.labels.blend import blend, highlight
from segmodels.labels.classes import ClassTable, voc_classes, voc_palette


def _reference(image, label_map, colors, alpha, visible) -> np.ndarray:
    out = image.copy()
    for y in range(image.shape[0]):
        for x in range(image.shape[1]):
            label = int(label_map[y, x])
            if label in visible:
                for c in range(3):
                    value = (1 - alpha) * float(image[y, x, c]) + alpha * float(colors[label][c])
                    out[y, x, c] = math.floor(value + 0.5)
    return out


@pytest.mark.parametrize("alpha", [0.0, 0.25, 0.4, 0.5, 0.6, 1.0])
def test_blend_matches_the_reference_formula(alpha):
    rng = np.random.default_rng(3)
    table = voc_classes()
    image = rng.integers(0, 256, (17, 23, 3), dtype=np.uint8)
    label_map = rng.integers(0, 21, (17, 23), dtype=np.uint8)
    label_map[rng.random((17, 23)) < 0.2] = 255
    hidden = {4, 15}
    visible = set(range(21)) - hidden
    colors = [tuple(c) for c in table.colors()]
    expected = _reference(image, label_map, colors, alpha, visible)
    assert np.array_equal(blend(image, label_map, table, alpha, hidden), expected)


def test_unlabelled_and_hidden_pixels_keep_the_image():
    image = np.full((2, 3, 3), 77, np.uint8)
    label_map = np.array([[255, 1, 2], [2, 1, 255]], np.uint8)
    out = blend(image, label_map, voc_classes(), 1.0, hidden={2})
    assert out[0, 0].tolist() == [77, 77, 77] and out[0, 2].tolist() == [77, 77, 77]
    assert out[0, 1].tolist() == [128, 0, 0]


def test_a_bare_palette_works_like_a_table():
    image = np.random.default_rng(0).integers(0, 256, (5, 5, 3), dtype=np.uint8)
    label_map = np.random.default_rng(1).integers(0, 21, (5, 5), dtype=np.uint8)
    assert np.array_equal(blend(image, label_map, voc_palette(), 0.5), blend(image, label_map, voc_classes(), 0.5))


def test_indices_beyond_the_table_are_not_painted():
    table = ClassTable.from_names(["bg", "fg"])
    image = np.zeros((1, 2, 3), np.uint8)
    out = blend(image, np.array([[1, 9]], np.uint8), table, 1.0)
    assert out[0, 0].tolist() == [128, 0, 0] and out[0, 1].tolist() == [0, 0, 0]


def test_bad_arguments():
    image = np.zeros((2, 2, 3), np.uint8)
    with pytest.raises(ValueError):
        blend(image, np.zeros((3, 2), np.uint8), voc_classes())
    with pytest.raises(ValueError):
        blend(image, np.zeros((2, 2), np.uint8), voc_classes(), alpha=1.5)


def test_highlight_paints_the_mask():
    image = np.zeros((2, 2, 3), np.uint8)
    mask = np.array([[True, False], [False, False]])
    assert highlight(image, mask)[0, 0].tolist() == [255, 0, 255] and not image.any()
