"""Brush footprints as row runs (segmodels/labels/sweep.py): the same pixels as stamping the disk
along the line, and a dab of a drag writes exactly what the previous disk did not cover."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmodels.labels.edits import disk_mask, stroke_segment
from segmodels.labels.sweep import dab_pieces, disk_runs, run_mask, runs_to_mask, segment_runs

SHAPE = (50, 45)


def place(shape, y0, x0, mask) -> np.ndarray:
    out = np.zeros(shape, bool)
    for dy, dx in zip(*np.nonzero(mask), strict=False):
        if 0 <= y0 + dy < shape[0] and 0 <= x0 + dx < shape[1]:
            out[y0 + dy, x0 + dx] = True
    return out


def disk_runs_as_mask(size: int) -> np.ndarray:
    starts, ends = disk_runs(size)
    columns = np.arange(size)
    return (columns >= starts[:, None]) & (columns < ends[:, None])


@pytest.mark.parametrize("size", [*range(1, 40), 99, 100, 511, 2000])
def test_disk_runs_are_the_disk_rows(size):
    assert np.array_equal(disk_runs_as_mask(size), disk_mask(size))


def dilated_reference(p0, p1, size):
    """The previous definition: the OpenCV LINE_8 line dilated by the disk."""
    import cv2

    (ya, xa), (yb, xb) = p0, p1
    half = size // 2
    y0, x0 = min(ya, yb) - half, min(xa, xb) - half
    line = np.zeros((abs(ya - yb) + size, abs(xa - xb) + size), np.uint8)
    cv2.line(line, (xa - x0, ya - y0), (xb - x0, yb - y0), 1, 1, cv2.LINE_8)
    anchor = ((size - 1) // 2, (size - 1) // 2)
    return y0, x0, cv2.dilate(line, disk_mask(size).astype(np.uint8), anchor=anchor).astype(bool)


point = st.tuples(st.integers(-20, 60), st.integers(-20, 60))


@settings(max_examples=150, deadline=None)
@given(point, point, st.integers(1, 40))
def test_segment_runs_equal_the_dilated_line(p0, p1, size):
    y0, x0, mask = runs_to_mask(segment_runs(p0, p1, size))
    ry0, rx0, reference = dilated_reference(p0, p1, size)
    assert (y0, x0) == (ry0, rx0) and np.array_equal(mask, reference)
    assert np.array_equal(stroke_segment(p0, p1, size)[2], reference)


@settings(max_examples=150, deadline=None)
@given(point, point, st.integers(1, 40), st.booleans())
def test_dab_pieces_are_the_segment_less_the_painted_disk(p0, p1, size, skip):
    whole = place(SHAPE, *stroke_segment(p0, p1, size))
    disk = place(SHAPE, p0[0] - size // 2, p0[1] - size // 2, disk_mask(size))
    got = np.zeros(SHAPE, bool)
    for y0, x0, mask in dab_pieces(p0, p1, size, SHAPE, skip_start_disk=skip):
        assert 0 <= y0 and 0 <= x0 and y0 + mask.shape[0] <= SHAPE[0] and x0 + mask.shape[1] <= SHAPE[1]
        assert not (got[y0:y0 + mask.shape[0], x0:x0 + mask.shape[1]] & mask).any()  # pieces never overlap
        got[y0:y0 + mask.shape[0], x0:x0 + mask.shape[1]] |= mask
    assert np.array_equal(got, whole & ~disk if skip else whole)


def test_a_big_brush_moved_a_little_writes_a_thin_crescent():
    pieces = list(dab_pieces((5000, 5000), (5002, 5009), 2000, (16384, 16384), skip_start_disk=True))
    written = sum(int(mask.sum()) for _, _, mask in pieces)
    boxes = sum(mask.size for _, _, mask in pieces)
    assert written < 2000 * 12  # about 2000 rows x 9 columns, not the 3.1 million pixels of the disk
    assert boxes < 2000 * 2000 // 6 and len(pieces) <= 32  # the pieces' boxes: a fraction of the disk's box


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(-20, 60), st.integers(-20, 60)), min_size=1, max_size=30),
       st.integers(-5, 30), st.integers(1, 40))
def test_run_mask_is_every_column_between_the_run_ends(runs, x0, width):
    # Runs may start left of the box, end right of it, or be empty (start >= end).
    starts = np.array([start for start, _ in runs], dtype=np.int64)
    ends = np.array([end for _, end in runs], dtype=np.int64)
    columns = np.arange(x0, x0 + width)
    expected = (columns >= starts[:, None]) & (columns < ends[:, None])
    mask = run_mask(starts, ends, x0, width)
    assert mask.shape == expected.shape and mask.dtype == bool
    np.testing.assert_array_equal(mask, expected)
    mask[:] = True  # a plain array of its own, not a view into the ramps
    np.testing.assert_array_equal(run_mask(starts, ends, x0, width), expected)
