"""The demo project: real handwritten digits composed M2NIST-style into a segstudio project.

`write_demo_project(root, seed=0, count=1000)` writes `count` 64 x 84 grey images (8-bit grey PNG),
each holding one to three non-overlapping digits cut from scikit-learn's `load_digits` (1797 real
handwritten 8 x 8 digits shipped with the package, so nothing is downloaded), upscaled with bicubic
interpolation to 20-28 px. The label of a digit is its thresholded stroke; classes are "background"
and "digit 0".."digit 9" with VOC colours; ground truth goes to labels/ (the project starts fully reviewed).

Determinism: the same seed writes the same files byte for byte. Source digits are split by index
parity (even seeds use even-indexed digits, odd seeds odd-indexed ones), so a model trained on seed 0
is evaluated on seed 1 with handwriting it has never seen.

Imports numpy/OpenCV/Pillow/scikit-learn only; never torch.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from segmodels.atomic import atomic_write_bytes
from segmodels.errors import SegError, describe
from segmodels.labels.classes import ClassTable
from segmodels.labels.project import Project

IMAGE_HEIGHT = 64
IMAGE_WIDTH = 84
MAX_DIGITS = 3
DIGIT_SIZE_RANGE = (20, 28)  # upscaled digit side in pixels, inclusive
#: A pixel belongs to the digit where its 8-bit grey value exceeds this (35% of full scale).
MASK_LEVEL = 89
DEFAULT_COUNT = 1000
CLASS_NAMES: tuple[str, ...] = ("background", *(f"digit {d}" for d in range(10)))


@dataclass(frozen=True)
class DemoSample:
    image: np.ndarray      # H x W uint8 grey
    label_map: np.ndarray  # H x W uint8, 0 = background, d + 1 = digit d


def demo_classes() -> ClassTable:
    """background + digits 0..9, VOC palette colours."""
    return ClassTable.from_names(CLASS_NAMES)


@cache
def _all_digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits  # ships its data; a second of import, so only here

    digits = load_digits()
    images = digits.images.astype(np.float32) / 16.0
    images.flags.writeable = False  # shared by every call through the cache
    return images, digits.target.astype(np.int64)


def _source_digits(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The sklearn digits (as float 0..1 images) of this seed's parity half, and their targets."""
    images, targets = _all_digits()
    start = seed % 2  # disjoint halves: a seed of the other parity sees unseen handwriting
    return images[start::2], targets[start::2]


def _render_digit(digit: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Upscale an 8 x 8 digit to size x size; returns (grey uint8, stroke mask).

    The mask is thresholded on the stored 8-bit value, so stroke pixels are exactly the bright ones."""
    import cv2

    # Pad by one pixel of background first so bicubic ringing at the border fades to zero.
    padded = np.pad(digit, 1)
    big = cv2.resize(padded, (size, size), interpolation=cv2.INTER_CUBIC)
    grey = np.rint(np.clip(big, 0.0, 1.0) * 255.0).astype(np.uint8)
    return grey, grey > MASK_LEVEL


def _place_boxes(rng: np.random.Generator, sizes: list[int]) -> list[tuple[int, int, int]]:
    """(top, left, size) of square boxes that do not overlap; a box that finds no room is dropped."""
    placed: list[tuple[int, int, int]] = []
    for size in sizes:
        for _ in range(50):
            y = int(rng.integers(0, IMAGE_HEIGHT - size + 1))
            x = int(rng.integers(0, IMAGE_WIDTH - size + 1))
            if all(y + size <= py or py + ps <= y or x + size <= px or px + ps <= x for py, px, ps in placed):
                placed.append((y, x, size))
                break
    return placed


def make_sample(rng: np.random.Generator, images: np.ndarray, targets: np.ndarray) -> DemoSample:
    """One composed image and its label map."""
    image = np.zeros((IMAGE_HEIGHT, IMAGE_WIDTH), dtype=np.uint8)
    label_map = np.zeros((IMAGE_HEIGHT, IMAGE_WIDTH), dtype=np.uint8)
    n_digits = int(rng.integers(1, MAX_DIGITS + 1))
    sizes = [int(rng.integers(DIGIT_SIZE_RANGE[0], DIGIT_SIZE_RANGE[1] + 1)) for _ in range(n_digits)]
    for y, x, size in _place_boxes(rng, sizes):
        index = int(rng.integers(0, len(images)))
        grey, mask = _render_digit(images[index], size)
        region = (slice(y, y + size), slice(x, x + size))
        image[region] = grey  # boxes never overlap
        label_map[region][mask] = targets[index] + 1
    return DemoSample(image, label_map)


def _grey_png(image: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image, mode="L").save(buffer, format="PNG", optimize=False, compress_level=6)
    return buffer.getvalue()


def write_demo_project(root: str | os.PathLike[str], *, seed: int = 0, count: int = DEFAULT_COUNT) -> Project:
    """Write the demo project at `root` (which must be empty or absent) and return it."""
    root = Path(root)
    if count < 1:
        raise SegError(f"The demo project needs at least one image, got --count {count}.")
    if seed < 0:  # numpy's generators take only seeds >= 0
        raise SegError(f"The demo seed must be 0 or more, got --seed {seed}; {describe(root)} was not written.",
                       path=root)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise SegError(f"{describe(root)} already exists and is not an empty folder; pick a new folder.", path=root)
    project = Project.create(root, demo_classes())
    images, targets = _source_digits(seed)
    rng = np.random.default_rng(seed)
    width = len(str(count - 1))
    for number in range(count):
        sample = make_sample(rng, images, targets)
        stem = f"demo_{number:0{width}d}"
        atomic_write_bytes(project.images_dir / f"{stem}.png", _grey_png(sample.image))
        project.write_label(project.images_dir / f"{stem}.png", sample.label_map)
    return project
