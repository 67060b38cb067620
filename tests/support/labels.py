"""Builders for the foundation tests: small images, labels and a VOC-style folder with planted defects."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from segmodels.labels.classes import voc_classes
from segmodels.labels.labelio import encode_label_png, write_label_png


def save_rgb(path: Path, height: int = 12, width: int = 16, seed: int = 0) -> np.ndarray:
    rgb = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(path)
    return rgb


def clean_label(height: int = 12, width: int = 16, num_classes: int = 21, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    label_map = rng.integers(0, num_classes, (height, width), dtype=np.uint8)
    label_map[0, :3] = 255  # unlabelled pixels are valid
    return label_map


def make_voc_mix(root: Path) -> dict[str, str]:
    """A VOC root with good labels and one label per planted defect.

    Returns {label file name: the problem kind planted in it}; good labels are not in the dict.
    """
    images, labels = root / "JPEGImages", root / "SegmentationClass"
    images.mkdir(parents=True)
    labels.mkdir()
    table = voc_classes()
    for index in range(9):
        save_rgb(images / f"2007_{index:06d}.jpg", seed=index)
    for index in range(3):  # good ones
        write_label_png(labels / f"2007_{index:06d}.png", clean_label(seed=index), table)
    planted = {}
    bad = clean_label(seed=3)
    bad[4, 5] = 21
    bad[7, 1] = 200
    write_label_png(labels / "2007_000003.png", bad, table)
    planted["2007_000003.png"] = "index_out_of_range"
    write_label_png(labels / "2007_000004.png", clean_label(height=13, seed=4), table)
    planted["2007_000004.png"] = "size_mismatch"
    write_label_png(labels / "no_image_here.png", clean_label(), table)
    planted["no_image_here.png"] = "missing_image"
    (labels / "2007_000005.png").write_bytes(b"")
    planted["2007_000005.png"] = "empty_file"
    data = encode_label_png(clean_label(seed=6), table)
    (labels / "2007_000006.png").write_bytes(data[: len(data) // 2])
    planted["2007_000006.png"] = "truncated"
    (labels / "2007_000007.png").write_text("this is not a png\n")
    planted["2007_000007.png"] = "unreadable"
    colors = table.palette()[clean_label(seed=8)]
    colors[2, 3] = (1, 2, 3)
    Image.fromarray(colors).save(labels / "2007_000008.png")
    planted["2007_000008.png"] = "unknown_color"
    return planted


def disc_scene(height: int = 300, width: int = 400,
               discs=(((150, 200), 60),)) -> tuple[np.ndarray, np.ndarray]:
    """A dark noisy RGB image with bright discs ((y, x), radius), and the discs' mask: what GrabCut and
    the box tools should find."""
    rng = np.random.default_rng(0)
    image = (rng.random((height, width, 3)) * 50).astype(np.uint8)
    truth = np.zeros((height, width), np.uint8)
    for (y, x), radius in discs:
        cv2.circle(image, (x, y), radius, (230, 220, 200), -1)
        cv2.circle(truth, (x, y), radius, 1, -1)
    return image, truth.astype(bool)
