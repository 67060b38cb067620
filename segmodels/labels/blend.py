"""Blend a colour-coded label map over its image.

    out = round((1 - alpha) * image + alpha * colour)   for labelled pixels of visible classes
    out = image                                          for unlabelled (255) and hidden classes

Vectorised through 256-entry tables: a per-label "visible" flag and colour, so the cost is a few
array passes whatever the number of classes. Used by previews, exports and the validator.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from segmodels.constants import IGNORE_INDEX
from segmodels.labels.classes import ClassTable

#: The highlight colour for invalid pixels in previews (magenta: in no standard palette's first entries).
HIGHLIGHT_COLOR: tuple[int, int, int] = (255, 0, 255)


def blend_luts(classes: ClassTable | np.ndarray, hidden: Iterable[int] = (),
               num_classes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(256 x 3 float64 colours, 256 bool visible) for a table or a 256 x 3 palette.

    With a ClassTable only its class ids are visible; with a bare palette every index but 255 is
    (or the first `num_classes` when given).
    """
    if isinstance(classes, ClassTable):
        palette = classes.palette()
        count = len(classes)
    else:
        palette = np.asarray(classes, dtype=np.uint8).reshape(-1, 3)
        if palette.shape[0] < 256:
            palette = np.vstack([palette, np.zeros((256 - palette.shape[0], 3), np.uint8)])
        count = IGNORE_INDEX if num_classes is None else num_classes
    visible = np.zeros(256, dtype=bool)
    visible[:count] = True
    visible[IGNORE_INDEX] = False
    for class_id in hidden:
        if 0 <= int(class_id) < 256:
            visible[int(class_id)] = False
    return palette[:256].astype(np.float64), visible


def blend(image_rgb: np.ndarray, label_map: np.ndarray, classes: ClassTable | np.ndarray,
          alpha: float = 0.5, hidden: Iterable[int] = frozenset()) -> np.ndarray:
    """The label map's colours over the image (H x W x 3 uint8 out; see the module formula)."""
    if image_rgb.ndim != 3 or image_rgb.shape[2] != 3 or image_rgb.dtype != np.uint8:
        raise ValueError(f"image must be H x W x 3 uint8, got {image_rgb.shape} {image_rgb.dtype}")
    if label_map.shape != image_rgb.shape[:2]:
        raise ValueError(f"label map {label_map.shape} does not match image {image_rgb.shape[:2]}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    colors, visible = blend_luts(classes, hidden)
    out = image_rgb.copy()
    mask = visible[label_map]
    if mask.any():
        mixed = (1.0 - alpha) * image_rgb[mask].astype(np.float64) + alpha * colors[label_map[mask]]
        # floor(x + 0.5): round half up, the same everywhere (np.rint would round half to even).
        out[mask] = np.floor(mixed + 0.5).astype(np.uint8)
    return out


def highlight(image_rgb: np.ndarray, mask: np.ndarray,
              color: tuple[int, int, int] = HIGHLIGHT_COLOR) -> np.ndarray:
    """A copy of `image_rgb` with the pixels in `mask` painted in `color` (opaque, to stand out)."""
    out = image_rgb.copy()
    out[mask] = color
    return out
