"""Polygon fill: exactly cv2.fillPoly's pixels, computed on the bounding box only."""
from __future__ import annotations

import cv2
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from segmodels.labels.polygon import polygon_mask


def reference(shape, points):
    full = np.zeros(shape, np.uint8)
    cv2.fillPoly(full, [np.array([(x, y) for y, x in points], np.int32)], 1, cv2.LINE_8)
    return full.astype(bool)


def placed(shape, result):
    out = np.zeros(shape, bool)
    y0, x0, mask = result
    out[y0:y0 + mask.shape[0], x0:x0 + mask.shape[1]] = mask
    return out


def test_mask_is_only_the_bounding_box():
    y0, x0, mask = polygon_mask([(10, 20), (10, 40), (30, 30)])
    assert (y0, x0, mask.shape) == (10, 20, (21, 21))
    assert mask.dtype == bool and mask[0].all() and mask[-1].sum() == 1  # top edge, apex pixel


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 49), st.integers(0, 59)), min_size=1, max_size=9))
def test_same_pixels_as_fillpoly_on_the_whole_image(points):
    assert np.array_equal(placed((50, 60), polygon_mask(points)), reference((50, 60), points))


def test_no_points_no_mask():
    assert polygon_mask([]) is None


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(-200, 250), st.integers(-200, 260)), min_size=1, max_size=7))
def test_clipped_to_the_image_the_same_pixels_inside(points):
    result = polygon_mask(points, (50, 60))
    expected = reference((50, 60), points)
    if result is None:
        assert not expected.any()
    else:
        assert result[2].shape[0] <= 50 and result[2].shape[1] <= 60
        assert np.array_equal(placed((50, 60), result), expected)


def test_a_vertex_far_outside_does_not_make_a_huge_mask():
    y0, x0, mask = polygon_mask([(0, 0), (0, 10), (10_000_000, 5)], (40, 60))
    assert mask.shape == (40, 11) and mask[:, 5].all()
