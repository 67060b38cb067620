"""Zoom pyramids without Qt: level shapes, area-averaged image levels, class levels that keep every
class (unlabelled loses to any class) and match the shapes the canvas layer expects."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmodels.constants import IGNORE_INDEX
from segmodels.labels.pyramid import (
    MIN_LEVEL_SIDE,
    class_half_size,
    class_level_shapes,
    class_pyramid,
    half_size,
    image_level_shapes,
    image_pyramid,
)


def test_image_level_shapes_halve_while_both_sides_stay_large():
    assert image_level_shapes((MIN_LEVEL_SIDE * 2 - 1, 4000, 3)) == []
    assert image_level_shapes((1030, 2100, 3)) == [(515, 1050), (257, 525)]


def test_half_size_is_an_area_average():
    rgb = np.zeros((4, 6, 3), np.uint8)
    rgb[0, 0] = 200  # one of four pixels of the first block
    out = half_size(rgb)
    assert out.shape == (2, 3, 3) and out[0, 0, 0] == 50 and not out[1:, 1:].any()


def test_image_pyramid_levels_have_the_planned_shapes():
    rgb = np.random.default_rng(0).integers(0, 256, (1030, 1100, 3), dtype=np.uint8)
    levels = image_pyramid(rgb)
    assert [level.shape[:2] for level in levels] == image_level_shapes(rgb.shape)
    np.testing.assert_array_equal(levels[1], half_size(half_size(rgb)))


def test_class_half_size_keeps_the_highest_class_and_unlabelled_loses():
    classes = np.full((5, 5), IGNORE_INDEX, np.uint8)
    classes[0, 1] = 3     # a one-pixel stroke survives the reduction
    classes[2, 2] = 0     # class 0 beats unlabelled
    classes[3, 3] = 1
    out = class_half_size(classes)
    assert out.shape == (3, 3)  # odd sides round up: no edge pixel is dropped
    assert out[0, 0] == 3 and out[1, 1] == 1 and out[2, 2] == IGNORE_INDEX
    assert set(np.unique(out)) <= set(np.unique(classes))  # no new class value appears


@pytest.mark.parametrize("shape", [(511, 2000), (512, 512), (1025, 700), (2049, 1300)])
def test_class_pyramid_matches_class_level_shapes(shape):
    classes = np.random.default_rng(1).integers(0, 4, shape, dtype=np.uint8)
    assert [level.shape for level in class_pyramid(classes)] == class_level_shapes(shape)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(0, 2 ** 32 - 1))
def test_class_half_size_is_each_blocks_highest_class_on_any_shape_and_view(height, width, seed):
    values = np.random.default_rng(seed).choice(np.array([0, 1, 7, 254, 255], np.uint8), size=(height + 2, width + 3))
    classes = values[1:height + 1, 2:width + 2]  # a view into a larger array, as a level refresh passes
    order = np.where(classes == 255, -1, classes.astype(np.int64))  # unlabelled loses to every class
    expected = np.empty((-(-height // 2), -(-width // 2)), np.int64)
    for y in range(expected.shape[0]):
        for x in range(expected.shape[1]):
            expected[y, x] = order[2 * y:2 * y + 2, 2 * x:2 * x + 2].max()
    np.testing.assert_array_equal(class_half_size(classes), np.where(expected == -1, 255, expected).astype(np.uint8))
