"""Box -> mask with OpenCV's GrabCut: a smart tool that needs no downloaded weights.

`grabcut_mask(image, prompt)` runs `cv2.grabCut` with `GC_INIT_WITH_RECT` on a crop around the box
(plus `MARGIN` pixels each side, so the background model sees real background), then, when the prompt
has clicks, once more with `GC_INIT_WITH_MASK` after stamping definite-foreground (positive) and
definite-background (negative) discs of `CLICK_RADIUS` into its result; a foreground region that
holds a negative click and no positive one is then dropped whole. Clicks outside the box
widen the crop so they count. The crop is downscaled so its longer side is at most `WORK_SIDE`
pixels (GrabCut's cost grows with the pixel count) and the mask is scaled back with nearest-neighbour,
so a box on a huge image costs what a small one costs. The box pass of the last prompt is kept, so a
click costs one mask pass. The result is (y0, x0, mask) in image coordinates, the mask covering the crop.

A `Prompt` is what the user gave (a box and clicks); any mask backend (this one, Segment Anything)
takes an RGB image and a prompt and returns such a mask.
"""
from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field

import numpy as np

from segmodels.labels.edits import _cv2

Point = tuple[int, int]              # (y, x)
Box = tuple[int, int, int, int]      # (y0, x0, y1, x1), end exclusive

MARGIN = 16
WORK_SIDE = 256
CLICK_RADIUS = 3      # in working pixels
ITERATIONS = 4

_cache_lock = threading.Lock()  # masks are asked for in a worker thread
_last_rect_pass: tuple | None = None


@dataclass(frozen=True)
class Prompt:
    """A box (y0, x0, y1, x1, end exclusive) and positive / negative clicks, in image coordinates."""

    box: Box
    positives: tuple[Point, ...] = field(default_factory=tuple)
    negatives: tuple[Point, ...] = field(default_factory=tuple)

    def with_click(self, point: Point, positive: bool) -> Prompt:
        if positive:
            return Prompt(self.box, (*self.positives, point), self.negatives)
        return Prompt(self.box, self.positives, (*self.negatives, point))


def normalised_box(a: Point, b: Point) -> Box:
    """The box spanned by two corner pixels, both inside (end exclusive)."""
    return min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]) + 1, max(a[1], b[1]) + 1


def _crop(shape: tuple[int, ...], prompt: Prompt) -> Box:
    ys = [prompt.box[0], prompt.box[2] - 1] + [p[0] for p in (*prompt.positives, *prompt.negatives)]
    xs = [prompt.box[1], prompt.box[3] - 1] + [p[1] for p in (*prompt.positives, *prompt.negatives)]
    height, width = shape[:2]
    return (max(min(ys) - MARGIN, 0), max(min(xs) - MARGIN, 0),
            min(max(ys) + 1 + MARGIN, height), min(max(xs) + 1 + MARGIN, width))


def grabcut_mask(image: np.ndarray, prompt: Prompt, *, work_side: int = WORK_SIDE,
                 iterations: int = ITERATIONS) -> tuple[int, int, np.ndarray] | None:
    """The foreground GrabCut finds in `prompt.box` of the RGB `image`, as (y0, x0, mask); None
    when the box is empty or lies outside the image."""
    cv2 = _cv2()
    height, width = image.shape[:2]
    by0, bx0 = max(prompt.box[0], 0), max(prompt.box[1], 0)
    by1, bx1 = min(prompt.box[2], height), min(prompt.box[3], width)
    if by1 - by0 < 2 or bx1 - bx0 < 2:
        return None
    cy0, cx0, cy1, cx1 = _crop(image.shape, Prompt((by0, bx0, by1, bx1), prompt.positives, prompt.negatives))
    crop = image[cy0:cy1, cx0:cx1]
    scale = min(1.0, work_side / max(crop.shape[:2]))
    work = crop if scale == 1.0 else cv2.resize(crop, (max(2, round(crop.shape[1] * scale)),
                                                       max(2, round(crop.shape[0] * scale))),
                                                interpolation=cv2.INTER_AREA)
    work = np.ascontiguousarray(work[..., ::-1])  # GrabCut's colour model does not care, but BGR is its order

    def to_work(y: int, x: int) -> tuple[int, int]:
        return (min(int((y - cy0) * scale), work.shape[0] - 1), min(int((x - cx0) * scale), work.shape[1] - 1))

    top, left = to_work(by0, bx0)
    bottom, right = to_work(by1 - 1, bx1 - 1)
    rect = (left, top, max(right - left + 1, 2), max(bottom - top + 1, 2))
    mask, bgd, fgd = _rect_pass(work, rect, iterations)
    if prompt.positives or prompt.negatives:
        for points, value in ((prompt.positives, cv2.GC_FGD), (prompt.negatives, cv2.GC_BGD)):
            for y, x in points:
                wy, wx = to_work(y, x)
                cv2.circle(mask, (wx, wy), CLICK_RADIUS, int(value), -1)
        cv2.grabCut(work, mask, None, bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
    foreground = ((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)).astype(np.uint8)
    if prompt.negatives:
        _drop_negative_components(foreground, [to_work(*p) for p in prompt.negatives],
                                  [to_work(*p) for p in prompt.positives])
    if scale != 1.0:
        foreground = cv2.resize(foreground, (crop.shape[1], crop.shape[0]), interpolation=cv2.INTER_NEAREST)
    return cy0, cx0, foreground.view(bool)


def _rect_pass(work: np.ndarray, rect: tuple[int, int, int, int],
               iterations: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """GrabCut from the box alone: (mask, background model, foreground model), copies each time.
    The last result is kept, keyed by the working pixels' digest, so each click of a prompt costs
    one mask pass instead of a box pass and a mask pass."""
    global _last_rect_pass
    key = (hashlib.blake2b(work.tobytes(), digest_size=16).digest(), work.shape, rect, iterations)
    with _cache_lock:
        cached = _last_rect_pass
    if cached is None or cached[0] != key:
        cv2 = _cv2()
        mask = np.zeros(work.shape[:2], dtype=np.uint8)
        bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
        cv2.grabCut(work, mask, rect, bgd, fgd, iterations, cv2.GC_INIT_WITH_RECT)
        cached = (key, mask, bgd, fgd)
        with _cache_lock:
            _last_rect_pass = cached
    return cached[1].copy(), cached[2].copy(), cached[3].copy()


def _drop_negative_components(foreground: np.ndarray, negatives: list[Point], positives: list[Point]) -> None:
    """Remove, in place, each 8-connected foreground region holding a negative click and no positive
    one. GrabCut alone keeps a region with the same colours as the object (its colour model cannot
    tell them apart) and clears only the small disc around the click."""
    cv2 = _cv2()
    probe = foreground.copy()
    for y, x in negatives:  # the click's own disc was forced to background: bridge it to its region
        cv2.circle(probe, (x, y), CLICK_RADIUS + 1, 1, -1)
    _, components = cv2.connectedComponents(probe, connectivity=8)
    kept = {int(components[p]) for p in positives}
    for point in negatives:
        index = int(components[point])
        if index and index not in kept:
            foreground[components == index] = 0
