"""VOC-style dataset roots made as their tools make them (docs/formats.md, "VOC, labelme and CVAT").

- `make_labelme_tree`: what labelme's examples/semantic_segmentation/labelme2voc.py writes:
  class_names.txt ("\\n".join(names), `_background_` first, no `__ignore__`), JPEGImages/<base>.jpg,
  SegmentationClass/<base>.png (labelme.utils.lblsave: mode P, int32 label cast to uint8 so -1 -> 255,
  palette = imgviz.label_colormap(), the VOC colour map), SegmentationClassNpy/<base>.npy (int32,
  -1 = ignore) and SegmentationClassVisualization/<base>.jpg.
- `make_cvat_tree` / `make_cvat_zip`: CVAT's "Segmentation mask 1.1" export (datumaro voc_segmentation
  with apply_colormap): labelmap.txt, RGB SegmentationClass/<id>.png, SegmentationObject/<id>.png,
  ImageSets/Segmentation/default.txt and, with images, JPEGImages/<id>.jpg.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from segmodels.labels.classes import voc_palette

LABELME_NAMES = ["_background_", "person", "car", "tree", "road", "sky", "dog"]  # 7 classes
CVAT_LABELMAP = [("background", (0, 0, 0)), ("cat", (250, 50, 83)), ("dog", (51, 221, 255)),
                 ("grass", (61, 245, 61))]


def _image(height: int, width: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (height, width, 3), dtype=np.uint8)


def lblsave(path: Path, lbl: np.ndarray) -> None:
    """labelme.utils.lblsave: palette PNG of the label cast to uint8, VOC colour map."""
    image = Image.fromarray(lbl.astype(np.uint8), mode="P")
    image.putpalette(voc_palette().flatten().tolist())
    image.save(path)


def labelme_label(height: int = 24, width: int = 32, seed: int = 0, classes: int = 7) -> np.ndarray:
    """An int32 label as labelme's shapes_to_label returns it: class ids, -1 where `__ignore__` was drawn."""
    rng = np.random.default_rng(seed)
    lbl = rng.integers(0, classes, (height, width)).astype(np.int32)
    lbl[:3, :3] = -1
    return lbl


def make_labelme_tree(root: Path, labels: dict[str, np.ndarray], names: list[str] = LABELME_NAMES) -> Path:
    for folder in ("JPEGImages", "SegmentationClass", "SegmentationClassNpy", "SegmentationClassVisualization"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "class_names.txt").write_text("\n".join(names))
    for seed, (base, lbl) in enumerate(labels.items()):
        rgb = _image(*lbl.shape, seed)
        Image.fromarray(rgb).save(root / "JPEGImages" / f"{base}.jpg")
        lblsave(root / "SegmentationClass" / f"{base}.png", lbl)
        np.save(root / "SegmentationClassNpy" / f"{base}.npy", lbl)
        Image.fromarray(rgb).save(root / "SegmentationClassVisualization" / f"{base}.jpg")
    return root


def cvat_labelmap_text(entries: list[tuple[str, tuple[int, int, int]]] = CVAT_LABELMAP) -> str:
    return "# label:color_rgb:parts:actions\n" + "".join(f"{n}:{r},{g},{b}::\n" for n, (r, g, b) in entries)


def cvat_files(labels: dict[str, np.ndarray], entries=CVAT_LABELMAP, images: bool = True) -> dict[str, bytes]:
    """Relative path -> bytes of a CVAT segmentation-mask export of index `labels`."""
    import io

    def png(array: np.ndarray) -> bytes:
        buffer = io.BytesIO()
        Image.fromarray(array).save(buffer, format="PNG")
        return buffer.getvalue()

    colors = np.array([c for _n, c in entries], dtype=np.uint8)
    files = {"labelmap.txt": cvat_labelmap_text(entries).encode(),
             "ImageSets/Segmentation/default.txt": "".join(f"{i}\n" for i in labels).encode()}
    for seed, (item, index_map) in enumerate(labels.items()):
        files[f"SegmentationClass/{item}.png"] = png(colors[index_map])
        instances = voc_palette()[(index_map > 0).astype(np.uint8)]  # one instance per image: VOC colour 1
        files[f"SegmentationObject/{item}.png"] = png(instances)
        if images:
            buffer = io.BytesIO()
            Image.fromarray(_image(*index_map.shape, seed)).save(buffer, format="JPEG")
            files[f"JPEGImages/{item}.jpg"] = buffer.getvalue()
    return files


def make_cvat_tree(root: Path, labels: dict[str, np.ndarray], entries=CVAT_LABELMAP, images: bool = True) -> Path:
    for relative, data in cvat_files(labels, entries, images).items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(data)
    return root


def make_cvat_zip(path: Path, labels: dict[str, np.ndarray], entries=CVAT_LABELMAP, images: bool = True) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for relative, data in cvat_files(labels, entries, images).items():
            archive.writestr(relative, data)
    return path


def cvat_label(height: int = 20, width: int = 30, seed: int = 0, classes: int = 4) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, classes, (height, width)).astype(np.uint8)
