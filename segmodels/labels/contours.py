"""Class outlines for the canvas's contour view: which pixels of a block of a class map lie on the
edge of their class region. numpy only, no Qt.

A pixel is on an outline when one of its four neighbours holds another value, so where two classes
meet both sides are drawn, each in its own colour (as napari's contour setting and CVAT's outline
mode show them). The canvas calls this for the rectangle it repaints, at the zoom level it draws
(never the whole image per paint), with the block widened by one pixel on every side so that edges
at the rectangle's border come out as in a full repaint. Zoomed in, the block is first enlarged
`factor` times (nearest), so the outline stays one screen pixel wide at any zoom.
"""
from __future__ import annotations

import numpy as np


def with_margin(classes: np.ndarray, top: int, left: int, bottom: int, right: int) -> np.ndarray:
    """classes[top:bottom, left:right] widened by one pixel on each side; at the map's border the
    edge pixels are repeated, so the image border itself is no outline."""
    h, w = classes.shape[:2]
    block = classes[max(top - 1, 0):min(bottom + 1, h), max(left - 1, 0):min(right + 1, w)]
    pads = ((int(top == 0), int(bottom >= h)), (int(left == 0), int(right >= w)))
    return np.pad(block, pads, mode="edge") if any(any(p) for p in pads) else block


def outline_mask(block: np.ndarray, factor: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(values, on_outline) for the inside of `block` (a one-pixel margin all round, see
    `with_margin`), each (h - 2) * factor x (w - 2) * factor: the class values enlarged `factor`
    times and True where a pixel's 4-neighbour differs."""
    if factor > 1:
        block = np.repeat(np.repeat(block, factor, axis=0), factor, axis=1)
    m = max(1, factor)  # the margin, enlarged with the block
    h, w = block.shape[0] - 2 * m, block.shape[1] - 2 * m
    centre = block[m:m + h, m:m + w]
    edge = centre != block[m - 1:m - 1 + h, m:m + w]
    edge |= centre != block[m + 1:m + 1 + h, m:m + w]
    edge |= centre != block[m:m + h, m - 1:m - 1 + w]
    edge |= centre != block[m:m + h, m + 1:m + 1 + w]
    return centre, edge
