"""Class outlines for the contour view (segmodels/labels/contours.py)."""
from __future__ import annotations

import numpy as np

from segmodels.labels.contours import outline_mask, with_margin


def square() -> np.ndarray:
    labels = np.full((8, 9), 255, np.uint8)
    labels[2:6, 3:7] = 1
    return labels


def test_outline_is_the_border_pixels_of_each_region():
    labels = square()
    values, edge = outline_mask(with_margin(labels, 0, 0, 8, 9))
    assert np.array_equal(values, labels)
    inside = np.zeros_like(edge)
    inside[3:5, 4:6] = True
    assert edge[2, 3:7].all() and edge[5, 3:7].all() and edge[2:6, 3].all() and edge[2:6, 6].all()
    assert not edge[inside].any()
    assert not edge[0, 0] and not edge[7, 8]  # the image border is no outline


def test_a_part_gives_the_same_outline_as_the_whole():
    labels = np.random.default_rng(1).integers(0, 3, (20, 30)).astype(np.uint8)
    _, whole = outline_mask(with_margin(labels, 0, 0, 20, 30))
    _, part = outline_mask(with_margin(labels, 4, 7, 15, 30))
    assert np.array_equal(part, whole[4:15, 7:30])


def test_enlarged_outline_stays_one_pixel_wide():
    _, edge = outline_mask(with_margin(square(), 0, 0, 8, 9), factor=4)
    assert edge.shape == (32, 36)
    assert edge[8, 14] and not edge[9, 14]            # the square's top edge: one enlarged row, not four
    assert edge[7, 14] and not edge[6, 14]            # the unlabelled side of it: also one row
