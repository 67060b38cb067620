"""A colour for a new class that is far from every colour already in use. numpy only, no Qt.

The VOC palette gives class n a colour by bit interleaving, so classes a few ids apart can look
alike on screen (docs/models-and-labels.md, "Drawing labels"). A class the user adds instead gets the
candidate colour whose smallest distance to the existing class colours (and to the colours the canvas
reserves: unlabelled pixels' tint, invalid-pixel magenta) is largest, measured in CIELAB (CIE76 delta
E), where equal distances look about equally different. Candidates are a 6-level RGB grid (216
colours), so the choice is deterministic and the same table always gets the same colour. Palette files and existing
tables keep their colours: only `ClassTable.with_class` without a colour comes here.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from segmodels.constants import INVALID_RGB, UNLABELLED_RGB

#: Colours never to come near: invalid label values and the unlabelled tint.
RESERVED: tuple[tuple[int, int, int], ...] = (INVALID_RGB, UNLABELLED_RGB)
_LEVELS = np.array([0, 51, 102, 153, 204, 255])


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """N x 3 uint8 sRGB (D65) -> N x 3 float CIELAB."""
    c = np.asarray(rgb, dtype=np.float64).reshape(-1, 3) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = linear @ np.array([[0.4124, 0.3576, 0.1805],
                             [0.2126, 0.7152, 0.0722],
                             [0.0193, 0.1192, 0.9505]]).T
    xyz /= np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1)


def _candidates() -> np.ndarray:
    r, g, b = np.meshgrid(_LEVELS, _LEVELS, _LEVELS, indexing="ij")
    return np.stack([r.ravel(), g.ravel(), b.ravel()], axis=1).astype(np.uint8)


def distinct_color(existing: Iterable[tuple[int, int, int]]) -> tuple[int, int, int]:
    """The candidate colour farthest (max-min CIELAB distance) from `existing` and `RESERVED`."""
    used = np.array([*existing, *RESERVED], dtype=np.uint8).reshape(-1, 3)
    candidates = _candidates()
    distance = np.linalg.norm(rgb_to_lab(candidates)[:, None, :] - rgb_to_lab(used)[None, :, :], axis=2)
    best = int(np.argmax(distance.min(axis=1)))  # first of equals: the grid order keeps it deterministic
    return tuple(int(v) for v in candidates[best])


def min_distance(colors: Iterable[tuple[int, int, int]]) -> float:
    """The smallest CIELAB distance between any two of `colors` (inf for fewer than two)."""
    lab = rgb_to_lab(np.array(list(colors), dtype=np.uint8))
    if len(lab) < 2:
        return float("inf")
    distance = np.linalg.norm(lab[:, None, :] - lab[None, :, :], axis=2)
    distance[np.diag_indices(len(lab))] = np.inf
    return float(distance.min())
