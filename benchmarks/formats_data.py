"""The dataset benchmarks/formats.py reads and writes: N labels of S x S in every format, made as the
tools that own each format make it (docs/formats.md), from one set of label maps.

Each label is background with six random polygons of VOC classes drawn over it in order, the later
on top: exactly what labelme draws from the same shapes (`ImageDraw.polygon` with fill and outline),
so the labelme JSON, the COCO RLE and every label image hold the same pixels. Its image is a smooth
JPEG (a gradient tinted by the label), small enough that copying images does not swamp the labels.

    images/img_NNNN.jpg                   the images
    palette/, grey/, color/ *.png         8-bit palette, grey index and RGB colour labels
    onehot/*.npy                          C x H x W uint8 one-hot stacks (21 channels), the first few
    cityscapes/*_gtFine_labelIds.png      Cityscapes label ids (train id = polygon class mod 19)
    coco.json                             compressed RLE per (image, class present), as COCO-Stuff
    labelme/img_NNNN.json                 labelme 5 files, imagePath ../images/img_NNNN.jpg
    cvat.zip                              CVAT "Segmentation mask 1.1" with images
    project/                              a segstudio project (images + palette labels), the exports' source
    voc/                                  a VOC root (JPEGImages/ + SegmentationClass/)
"""
from __future__ import annotations

import io
import json
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from segmodels.formats.encodings import train_id_to_label_id
from segmodels.labels.classes import ClassTable, voc_classes
from segmodels.labels.labelio import PNG_COMPRESS_LEVEL
from segmodels.labels.project import Project

SHAPES = 6
CITYSCAPES_TRAIN_CLASSES = 19


@dataclass
class Dataset:
    root: Path
    classes: ClassTable
    maps: np.ndarray               # N x S x S uint8 class indices
    shapes: list[list[tuple[int, list[tuple[float, float]]]]]
    names: list[str]               # img_NNNN

    def folder(self, name: str) -> Path:
        return self.root / name

    def files(self, folder: str, suffix: str = ".png", pattern: str = "{}") -> list[Path]:
        return [self.root / folder / (pattern.format(name) + suffix) for name in self.names]


def png(array: np.ndarray, mode: str, palette: np.ndarray | None = None) -> bytes:
    """PNG bytes at segstudio's compression level, so both sides of a comparison write the same files."""
    image = Image.fromarray(np.ascontiguousarray(array), mode=mode)
    if palette is not None:
        image.putpalette(palette.reshape(-1).tolist())
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


def random_shapes(rng: np.random.Generator, size: int, classes: int) -> list[tuple[int, list[tuple[float, float]]]]:
    shapes = []
    for _ in range(SHAPES):
        centre = rng.uniform(0.15 * size, 0.85 * size, 2)
        radius = rng.uniform(0.05 * size, 0.3 * size)
        angles = np.sort(rng.uniform(0, 2 * np.pi, int(rng.integers(5, 12))))
        radii = radius * rng.uniform(0.5, 1.0, len(angles))
        points = [(float(np.clip(centre[0] + r * np.cos(a), 0, size - 1)),
                   float(np.clip(centre[1] + r * np.sin(a), 0, size - 1))) for a, r in zip(angles, radii, strict=True)]
        shapes.append((int(rng.integers(1, classes)), points))
    return shapes


def draw(shapes: list[tuple[int, list[tuple[float, float]]]], size: int) -> np.ndarray:
    """labelme's rendering: each polygon filled with its outline, in order (labelme.utils.shape_to_mask)."""
    image = Image.new("L", (size, size), 0)
    canvas = ImageDraw.Draw(image)
    for value, points in shapes:
        canvas.polygon(points, outline=value, fill=value)
    return np.array(image)


def cityscapes_train_ids(maps: np.ndarray) -> np.ndarray:
    """The Cityscapes labels' train ids: background unlabelled, polygon class k train id (k - 1) mod 19."""
    return np.where(maps == 0, 255, (maps.astype(np.int16) - 1) % CITYSCAPES_TRAIN_CLASSES).astype(np.uint8)


def make_dataset(root: Path, count: int, size: int, onehot_count: int, seed: int = 0) -> Dataset:
    from pycocotools import mask as coco_mask

    rng = np.random.default_rng(seed)
    classes = voc_classes()
    palette = classes.palette()
    names = [f"img_{index:04d}" for index in range(count)]
    dataset = Dataset(root, classes, np.zeros((count, size, size), np.uint8), [], names)
    for folder in ("images", "palette", "grey", "color", "onehot", "cityscapes", "labelme"):
        (root / folder).mkdir(parents=True)
    ramp = np.linspace(40, 200, size, dtype=np.float32)
    ids = train_id_to_label_id()
    images, annotations = [], []
    for index, name in enumerate(names):
        shapes = random_shapes(rng, size, len(classes))
        label = draw(shapes, size)
        dataset.shapes.append(shapes)
        dataset.maps[index] = label
        rgb = (0.6 * np.dstack([ramp[None, :].repeat(size, 0), ramp[:, None].repeat(size, 1),
                                np.full((size, size), 120, np.float32)]) + 0.4 * palette[label]).astype(np.uint8)
        Image.fromarray(rgb).save(root / "images" / f"{name}.jpg", quality=90)
        (root / "palette" / f"{name}.png").write_bytes(png(label, "P", palette))
        (root / "grey" / f"{name}.png").write_bytes(png(label, "L"))
        (root / "color" / f"{name}.png").write_bytes(png(palette[label], "RGB"))
        if index < onehot_count:
            np.save(root / "onehot" / f"{name}.npy", (np.arange(len(classes))[:, None, None] == label).astype(np.uint8))
        (root / "cityscapes" / f"{name}_gtFine_labelIds.png").write_bytes(png(ids[cityscapes_train_ids(label)], "L"))
        images.append({"id": index + 1, "file_name": f"{name}.jpg", "height": size, "width": size})
        for value in np.flatnonzero(np.bincount(label.reshape(-1), minlength=256))[1:].tolist():
            rle = coco_mask.encode(np.asfortranarray(label == value, dtype=np.uint8))
            annotations.append({"id": len(annotations) + 1, "image_id": index + 1, "category_id": value,
                                "segmentation": {"size": [size, size], "counts": rle["counts"].decode("ascii")},
                                "area": float(coco_mask.area(rle)), "bbox": coco_mask.toBbox(rle).tolist(),
                                "iscrowd": 0})
        labelme = {"version": "5.4.1", "flags": {}, "imagePath": f"../images/{name}.jpg", "imageData": None,
                   "imageHeight": size, "imageWidth": size,
                   "shapes": [{"label": classes.names[value], "points": [list(p) for p in points],
                               "group_id": None, "description": "", "shape_type": "polygon", "flags": {}}
                              for value, points in shapes]}
        (root / "labelme" / f"{name}.json").write_text(json.dumps(labelme))
    categories = [{"id": i, "name": n, "supercategory": ""} for i, n in enumerate(classes.names) if i]
    (root / "coco.json").write_text(json.dumps({"images": images, "annotations": annotations,
                                                "categories": categories}))
    _make_trees(dataset)
    return dataset


def _make_trees(dataset: Dataset) -> None:
    """The segstudio project, the VOC root and the CVAT zip, from the files already written."""
    root, names = dataset.root, dataset.names
    project = Project.create(root / "project", dataset.classes)
    voc = root / "voc"
    for folder in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        (voc / folder).mkdir(parents=True)
    (voc / "ImageSets/Segmentation/train.txt").write_text("".join(f"{n}\n" for n in names))
    for name in names:
        for target in (project.images_dir / f"{name}.jpg", voc / "JPEGImages" / f"{name}.jpg"):
            shutil.copyfile(root / "images" / f"{name}.jpg", target)
        for target in (project.labels_dir / f"{name}.png", voc / "SegmentationClass" / f"{name}.png"):
            shutil.copyfile(root / "palette" / f"{name}.png", target)
    labelmap = "# label:color_rgb:parts:actions\n" + "".join(
        f"{c.name}:{c.color[0]},{c.color[1]},{c.color[2]}::\n" for c in dataset.classes)
    with zipfile.ZipFile(root / "cvat.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("labelmap.txt", labelmap)
        archive.writestr("ImageSets/Segmentation/default.txt", "".join(f"{n}\n" for n in names))
        for name in names:
            archive.write(root / "color" / f"{name}.png", f"SegmentationClass/{name}.png")
            archive.write(root / "images" / f"{name}.jpg", f"JPEGImages/{name}.jpg")
