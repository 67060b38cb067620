"""Polygon and lasso fill: the pixels inside a closed polygon, with no anti-aliasing.

Vertices are pixel positions (row y, column x), the pixel centres the user clicked. The mask is
`cv2.fillPoly` with `LINE_8` (no anti-aliasing, so no stray class indices) drawn into an array the
size of the polygon's bounding box only, so closing a small polygon on a huge image costs what the
polygon costs. The outline pixels are inside, as cv2.fillPoly draws them (a polygon of one or two
distinct vertices fills the pixel or the line between them).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from segmodels.labels.edits import _cv2

Point = tuple[int, int]  # (y, x)


def polygon_mask(points: Sequence[Point], shape: tuple[int, ...] | None = None) -> tuple[int, int, np.ndarray] | None:
    """(y0, x0, mask) of the filled polygon through `points`; with `shape` (the image's), only the
    part inside the image (a vertex clicked far outside at a low zoom would otherwise make a huge
    mask). None without points or when nothing of it is inside."""
    if not points:
        return None
    array = np.asarray(points, dtype=np.int64).reshape(-1, 2)
    y0, x0 = (int(v) for v in array.min(axis=0))
    y1, x1 = (int(v) + 1 for v in array.max(axis=0))
    if shape is not None:
        y0, x0, y1, x1 = max(y0, 0), max(x0, 0), min(y1, shape[0]), min(x1, shape[1])
        if y0 >= y1 or x0 >= x1:
            return None
    canvas = np.zeros((y1 - y0, x1 - x0), dtype=np.uint8)
    # OpenCV wants (x, y); it clips the vertices outside the array itself.
    shifted = np.ascontiguousarray((array - (y0, x0))[:, ::-1], dtype=np.int32)
    cv2 = _cv2()
    cv2.fillPoly(canvas, [shifted], 1, cv2.LINE_8)
    return y0, x0, canvas.view(bool)
