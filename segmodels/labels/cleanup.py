"""Cleanup of a label map: fill small holes and remove small islands (specks), in one pass.

- An *island* of class c is an 8-connected component of pixels of c smaller than `max_area` pixels.
  It takes the class most common around it (counted over the 8-neighbour contacts of its pixels with
  pixels outside it; unlabelled only when everything around it is unlabelled), as if the speck had
  never been painted.
- A *hole* is a 4-connected component smaller than `max_area`, not touching the image border,
  enclosed by one class: for the active-class scope, pixels that are not c enclosed by c (they
  become c); for the whole-image scope, unlabelled pixels (255), which take the class most common
  around them. (4-connectivity for holes and 8 for islands, so a diagonal gap in an outline neither
  opens a hole to the outside nor splits an island.)

`clean_labels` works on a copy and returns it with what it did; the caller commits the copy as one
undo step (only the changed pixels are recorded, app/document/undo.py). Components come from
`cv2.connectedComponentsWithStats`, one scan per class present; the classes around every small
component are counted at once with one `np.bincount` over (component, neighbour class) pairs, so
thousands of specks cost about what one does.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from segmodels.constants import IGNORE_INDEX
from segmodels.labels.edits import _cv2, bounding_box

DEFAULT_MAX_AREA = 64
_NEIGHBOURS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


@dataclass(frozen=True)
class CleanupResult:
    label_map: np.ndarray   # the cleaned copy
    holes: int              # holes filled
    islands: int            # islands removed

    def sentence(self, name: str) -> str:
        if not self.holes and not self.islands:
            return f"{name}: nothing to clean up at this size."
        return f"{name}: filled {self.holes} hole(s) and removed {self.islands} island(s)."


def _small_components(mask: np.ndarray, max_area: int, connectivity: int,
                      inner_only: bool) -> tuple[np.ndarray, np.ndarray]:
    """(component id per pixel, True for the ids of components under `max_area` pixels)."""
    cv2 = _cv2()
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask.view(np.uint8), connectivity=connectivity)
    small = stats[:, cv2.CC_STAT_AREA] < max_area
    small[0] = False  # the background of the mask
    if inner_only:  # a component touching the border is not enclosed
        height, width = mask.shape
        x0, y0 = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
        small &= (x0 > 0) & (y0 > 0) & (x0 + stats[:, cv2.CC_STAT_WIDTH] < width) \
            & (y0 + stats[:, cv2.CC_STAT_HEIGHT] < height)
    return labels, small


def _surrounding_class(label_map: np.ndarray, labels: np.ndarray, small: np.ndarray,
                       ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """For each small component (in id order), the class most common around it; 255 when only
    unlabelled pixels touch it, 256 when nothing does (the component is the whole image)."""
    compact = np.full(small.size, -1, dtype=np.int64)
    compact[small] = np.arange(int(small.sum()))
    ids = labels[ys, xs]
    height, width = label_map.shape
    pairs = []
    for dy, dx in _NEIGHBOURS:
        ny, nx = ys + dy, xs + dx
        inside = (ny >= 0) & (ny < height) & (nx >= 0) & (nx < width)
        ny, nx, own = ny[inside], nx[inside], ids[inside]
        outside = labels[ny, nx] != own
        pairs.append(compact[own[outside]] * 256 + label_map[ny[outside], nx[outside]])
    counts = np.bincount(np.concatenate(pairs), minlength=int(small.sum()) * 256).reshape(-1, 256)
    labelled = counts[:, :IGNORE_INDEX]
    return np.where(labelled.any(axis=1), labelled.argmax(axis=1),
                    np.where(counts[:, IGNORE_INDEX] > 0, IGNORE_INDEX, 256))


def _replace(out: np.ndarray, labels: np.ndarray, small: np.ndarray, value: int | None, *,
             to_unlabelled: bool) -> int:
    """Give each small component `value`, or (None) the class around it, which may be unlabelled
    only when `to_unlabelled`; returns how many components changed."""
    if not small.any():
        return 0
    ys, xs = np.nonzero(small[labels])
    per_id = np.full(small.size, 256, dtype=np.int64)  # 256: leave as it is
    per_id[small] = _surrounding_class(out, labels, small, ys, xs) if value is None else value
    new = per_id[labels[ys, xs]]
    keep = (new < 256) & (new != out[ys, xs])
    if not to_unlabelled:
        keep &= new != IGNORE_INDEX
    ys, xs = ys[keep], xs[keep]
    changed = np.unique(labels[ys, xs]).size
    out[ys, xs] = new[keep]
    return int(changed)


def clean_labels(label_map: np.ndarray, max_area: int, *, class_id: int | None = None,
                 fill_holes: bool = True, remove_islands: bool = True) -> CleanupResult:
    """Islands first, then holes; `class_id` None cleans every class (holes: unlabelled ones)."""
    out = label_map.copy()
    holes = islands = 0
    if remove_islands:
        classes = [class_id] if class_id is not None else [int(v) for v in np.unique(out) if v != IGNORE_INDEX]
        for value in classes:
            box = bounding_box(out == value)
            if box is None:
                continue
            # Within the class's bounding box grown by one pixel (its ring): a small class costs its box.
            y0, x0 = max(box[0] - 1, 0), max(box[1] - 1, 0)
            window = out[y0:box[2] + 1, x0:box[3] + 1]
            labels, small = _small_components(window == value, max_area, 8, inner_only=False)
            islands += _replace(window, labels, small, None, to_unlabelled=True)
    if fill_holes:
        gaps = out != class_id if class_id is not None else out == IGNORE_INDEX
        labels, small = _small_components(gaps, max_area, 4, inner_only=True)
        holes = _replace(out, labels, small, class_id, to_unlabelled=False)
    return CleanupResult(out, holes, islands)
