"""Zoom pyramids: half-size levels of an RGB image and of class maps. numpy/OpenCV only, no Qt, so
the document's loading worker builds them off the GUI thread and the canvas layers
(app.canvas.layers) draw from them.

Image levels are area-averaged, halved (floored) while both sides stay at least MIN_LEVEL_SIDE.
Class maps (labels, predictions, the invalid-pixel highlight) are reduced by `class_half_size`, to
(ceil(h/2), ceil(w/2)): each 2 x 2 block becomes its highest class with unlabelled (255) lowest, so no
new class value appears and a one-pixel stroke stays visible zoomed out (a plain subsample dropped it
between samples).
"""
from __future__ import annotations

import numpy as np

#: Levels stop once the image is this small; below it one level is cheap to draw entirely.
MIN_LEVEL_SIDE = 256


def image_level_shapes(shape: tuple[int, ...]) -> list[tuple[int, int]]:
    """(h, w) of each image pyramid level below full size: halved (floored) while both sides stay
    at least MIN_LEVEL_SIDE."""
    shapes, (h, w) = [], shape[:2]
    while min(h, w) // 2 >= MIN_LEVEL_SIDE:
        h, w = h // 2, w // 2
        shapes.append((h, w))
    return shapes


def half_size(rgb: np.ndarray) -> np.ndarray:
    """One image pyramid step: area-averaged to half size (floored)."""
    import cv2  # only zooming out of a large image needs OpenCV: not imported at start-up

    h, w = rgb.shape[:2]
    return cv2.resize(rgb, (w // 2, h // 2), interpolation=cv2.INTER_AREA)


def class_half_size(classes: np.ndarray) -> np.ndarray:
    """One class-map pyramid step, (h, w) -> (ceil(h/2), ceil(w/2)): each 2 x 2 block becomes its
    highest class, unlabelled (255) losing to every class. Adding 1 (uint8 wraps 255 to 0) makes
    that order a plain maximum; subtracting 1 afterwards restores the values.

    Rows are paired first, whole rows at a time (contiguous, vectorised), then columns on the half-height
    result: about twice as fast as taking the four strided quarters, and a brush stroke seen zoomed
    out refreshes its changed boxes of every built level this way on each repaint."""
    h, w = classes.shape[:2]
    if h % 2 or w % 2:
        # An odd side is padded with 0, unlabelled after the shift: the lowest, so it changes no block.
        shifted = np.zeros((h + h % 2, w + w % 2), dtype=np.uint8)
        np.add(classes, np.uint8(1), out=shifted[:h, :w])
    else:
        shifted = classes + np.uint8(1)
    rows = np.maximum(shifted[0::2], shifted[1::2])
    out = np.maximum(rows[:, 0::2], rows[:, 1::2])
    out -= np.uint8(1)
    return out


def class_level_shapes(shape: tuple[int, ...]) -> list[tuple[int, int]]:
    """(h, w) of each class-map pyramid level below full size, as `class_half_size` makes them:
    halved (rounded up) while the smaller side of the level above is at least 2 * MIN_LEVEL_SIDE."""
    shapes, (h, w) = [], shape[:2]
    while min(h, w) // 2 >= MIN_LEVEL_SIDE:
        h, w = -(-h // 2), -(-w // 2)
        shapes.append((h, w))
    return shapes


def class_pyramid(classes: np.ndarray) -> list[np.ndarray]:
    """All smaller levels of a class map, as the canvas's `IndexedLayer` makes them; no Qt, safe in a worker
    (an 8192 x 8192 map takes ~60 ms, too long for the GUI thread while a large image opens)."""
    levels, current = [], classes
    while min(current.shape[:2]) // 2 >= MIN_LEVEL_SIDE:
        current = class_half_size(current)
        levels.append(current)
    return levels


def image_pyramid(rgb: np.ndarray) -> list[np.ndarray]:
    """All half-size levels of an RGB image (not the full-size one); no Qt, safe in a worker."""
    levels, current = [], rgb
    for _ in image_level_shapes(rgb.shape):
        current = half_size(current)
        levels.append(current)
    return levels
