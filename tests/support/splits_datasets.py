"""ADE20K SceneParsing and mmseg custom-dataset trees, made as their own tools make them (docs/formats.md).

- `make_ade20k`: ADEChallengeData2016/ with images/{training,validation}/ADE_*.jpg, grey
  annotations/{training,validation}/ADE_*.png (0 = "other", 1..150), objectInfo150.csv (Idx, Ratio,
  Train, Val, Name; tab-separated like the devkit's objectInfo150.txt, or comma-separated with quoted
  names) and sceneCategories.txt;
- `make_mmseg`: img_dir/{train,val}/*.jpg + ann_dir/{train,val}/*.png grey index maps, with an
  optional classes.txt (one name per line).
Each returns the label maps written, by label path, so a test can compare every pixel.
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from PIL import Image

HEIGHT, WIDTH = 24, 32
#: The first names of the real objectInfo150 (synonyms included); the rest are filled in.
ADE_FIRST_NAMES = ["wall", "building, edifice", "sky", "floor, flooring", "tree"]
ADE_SPLITS = {"training": "train", "validation": "val"}


def ade_names(count: int = 150) -> list[str]:
    return ADE_FIRST_NAMES + [f"object{k}, thing{k}" for k in range(len(ADE_FIRST_NAMES) + 1, count + 1)]


def write_object_info(path: Path, names: list[str], delimiter: str = "\t") -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\n")
        writer.writerow(["Idx", "Ratio", "Train", "Val", "Name"])
        for idx, name in enumerate(names, start=1):
            writer.writerow([idx, f"{0.1 / idx:.4f}", 100, 10, name])


def _image(path: Path, seed: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rgb = np.random.default_rng(seed).integers(0, 255, (HEIGHT, WIDTH, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(path, quality=95)


def _grey(path: Path, values: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(values, mode="L").save(path)


def ade_label(seed: int, top: int = 150) -> np.ndarray:
    """A label as the challenge stores it: values 0 ("other") .. `top`, with 0 and `top` present."""
    values = np.random.default_rng(seed).integers(0, top + 1, (HEIGHT, WIDTH)).astype(np.uint8)
    values[0, 0], values[-1, -1] = 0, top
    return values


def make_ade20k(parent: Path, *, per_split: int = 2, object_info: str | None = "tab") -> dict[Path, np.ndarray]:
    """An ADEChallengeData2016 tree under `parent`; `object_info`: "tab", "comma" or None (no file)."""
    root = parent / "ADEChallengeData2016"
    labels = {}
    seed = 0
    scenes = []
    for split, prefix in ADE_SPLITS.items():
        for number in range(1, per_split + 1):
            stem = f"ADE_{prefix}_{number:08d}"
            _image(root / "images" / split / f"{stem}.jpg", seed)
            label = root / "annotations" / split / f"{stem}.png"
            labels[label] = ade_label(seed)
            _grey(label, labels[label])
            scenes.append(f"{stem} airport_terminal")
            seed += 1
    if object_info is not None:
        write_object_info(root / "objectInfo150.csv", ade_names(), "\t" if object_info == "tab" else ",")
    (root / "sceneCategories.txt").write_text("\n".join(scenes) + "\n")
    return labels


def make_mmseg(root: Path, *, classes: list[str] | None = None, top: int = 4,
               stems: dict[str, list[str]] | None = None) -> dict[Path, np.ndarray]:
    """An mmseg custom dataset at `root` (img_dir/ + ann_dir/, splits as sub-folders); label values 0..`top`."""
    stems = stems or {"train": ["a", "b"], "val": ["a"]}
    labels = {}
    seed = 10
    for split, names in stems.items():
        for stem in names:
            _image(root / "img_dir" / split / f"{stem}.jpg", seed)
            label = root / "ann_dir" / split / f"{stem}.png"
            values = np.random.default_rng(seed).integers(0, top + 1, (HEIGHT, WIDTH)).astype(np.uint8)
            values[0, 0], values[-1, -1] = 0, top
            labels[label] = values
            _grey(label, values)
            seed += 1
    if classes is not None:
        (root / "classes.txt").write_text("\n".join(classes) + "\n")
    return labels
