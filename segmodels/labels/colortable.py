"""Colour tables for Indexed8 overlays: 256 ARGB entries (0xAARRGGBB ints, as Qt's
QImage.setColorTable takes them) that map a uint8 label or confidence map to colours. Changing
opacity, visibility or class colours rebuilds only the table, never touches the pixels.
numpy only, no Qt.
"""
from __future__ import annotations

import numpy as np

from segmodels.constants import IGNORE_INDEX, INVALID_RGB, UNLABELLED_RGB
from segmodels.labels.classes import ClassTable

#: Unlabelled (255) pixels, when shown, are tinted UNLABELLED_RGB at this share of the label opacity's
#: alpha: a white haze differs from a black background class on a dark image and from any class colour.
#: Label values that are not a class of the table show in INVALID_RGB (invalid pixels stand out).
UNLABELLED_ALPHA_SHARE = 0.6


def _argb(rgb: np.ndarray, alpha: np.ndarray) -> list[int]:
    rgb = rgb.astype(np.uint32)
    values = (alpha.astype(np.uint32) << 24) | (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]
    return [int(v) for v in values]


def label_color_table(class_table: ClassTable, opacity: float,
                      hidden: frozenset[int] | set[int] = frozenset(), unlabelled: bool = False) -> list[int]:
    """Colour table for an Indexed8 label layer: class colours at `opacity`, hidden classes
    transparent, values outside the table in INVALID_RGB so they stand out, IGNORE_INDEX transparent
    or, with `unlabelled`, tinted UNLABELLED_RGB."""
    alpha_value = int(round(min(max(opacity, 0.0), 1.0) * 255))
    rgb = np.tile(np.array(INVALID_RGB, dtype=np.uint8), (256, 1))
    rgb[: len(class_table)] = class_table.colors()
    alpha = np.full(256, alpha_value, dtype=np.uint32)
    for class_id in hidden:
        if 0 <= class_id < 256:
            alpha[class_id] = 0
    alpha[IGNORE_INDEX] = round(UNLABELLED_ALPHA_SHARE * alpha_value) if unlabelled else 0
    rgb[IGNORE_INDEX] = UNLABELLED_RGB
    return _argb(rgb, alpha)


def confidence_color_table(opacity: float, heat: bool = True) -> list[int]:
    """Colour table for an 8-bit confidence map (255 = 1.0): a heat ramp where unsure pixels are
    red and sure ones transparent green (heat), or plain grey."""
    levels = np.arange(256, dtype=np.float64) / 255.0
    alpha_value = min(max(opacity, 0.0), 1.0) * 255
    if heat:
        rgb = np.stack([(1 - levels) * 255, levels * 255, np.zeros(256)], axis=1)
        alpha = alpha_value * (1.0 - 0.7 * levels)  # keep sure pixels faint so the image shows through
    else:
        rgb = np.stack([levels * 255] * 3, axis=1)
        alpha = np.full(256, alpha_value)
    return _argb(np.rint(rgb).astype(np.uint8), np.rint(alpha).astype(np.uint32))
