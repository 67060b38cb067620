"""labelme2voc's `SegmentationClassVisualization/<base>.jpg`, redrawn when its label is saved.

labelme2voc writes, beside each label, a JPEG for people to look at: the image in grey with the class
colours blended over it and a legend of the classes present in the bottom-right corner (imgviz's
`label2rgb(..., loc="rb")`). After an edit that picture would show the old label, so saving a label
redraws it the same way: grey image, half class colour where labelled (unlabelled pixels stay grey),
and a legend of the classes present, in Pillow's default font. It is not imgviz's exact drawing
(fonts and legend box differ; docs/formats.md, "VOC, labelme and CVAT"); it is never read back.
Only a visualization that already exists is redrawn: none is invented.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from segmodels.atomic import atomic_write_bytes
from segmodels.constants import IGNORE_INDEX
from segmodels.errors import SegError
from segmodels.labels.classes import ClassTable
from segmodels.labels.imageio import read_image

FOLDER = "SegmentationClassVisualization"
#: labelme2voc's JPEG (Pillow's default quality is 75; imgviz.io.imsave keeps it).
QUALITY = 75


def visualization_twin(labels_dir: Path, label: Path) -> Path | None:
    """The visualization labelme2voc drew of `label` (`<root>/SegmentationClassVisualization/<base>.jpg`),
    when there is one."""
    twin = labels_dir.parent / FOLDER / label.relative_to(labels_dir).with_suffix(".jpg")
    return twin if twin.is_file() else None


def draw_visualization(image_rgb: np.ndarray, label_map: np.ndarray, classes: ClassTable) -> Image.Image:
    """The grey image with half of each labelled pixel's class colour, and a legend of the classes present."""
    grey = np.asarray(Image.fromarray(image_rgb).convert("L"), dtype=np.uint16)[..., None]
    colors = classes.palette().astype(np.uint16)
    blended = (grey + colors[label_map]) // 2
    out = np.where((label_map == IGNORE_INDEX)[..., None], grey, blended).astype(np.uint8)
    picture = Image.fromarray(out)
    present = [int(v) for v in np.flatnonzero(np.bincount(label_map.reshape(-1), minlength=256)) if v < len(classes)]
    _legend(picture, [(classes.classes[v].name, classes.classes[v].color) for v in present])
    return picture


def _legend(picture: Image.Image, entries: list[tuple[str, tuple[int, int, int]]]) -> None:
    """Colour squares and names in the bottom-right corner on a light box (imgviz's loc="rb")."""
    if not entries:
        return
    font = ImageFont.load_default()
    draw = ImageDraw.Draw(picture)
    height = max(draw.textbbox((0, 0), name, font=font)[3] for name, _ in entries) + 4
    width = max(draw.textlength(name, font=font) for name, _ in entries) + height + 8
    left = picture.width - int(width) - 4
    top = picture.height - height * len(entries) - 4
    if left < picture.width // 2 or top < picture.height // 2:
        return  # a legend may cover at most the bottom-right quarter: the label matters more
    draw.rectangle((left, top, picture.width - 1, picture.height - 1), fill=(255, 255, 255))
    for row, (name, color) in enumerate(entries):
        y = top + 2 + row * height
        draw.rectangle((left + 2, y, left + height - 2, y + height - 4), fill=tuple(color))
        draw.text((left + height + 2, y), name, fill=(0, 0, 0), font=font)


def write_visualization(path: Path, image_rgb: np.ndarray, label_map: np.ndarray, classes: ClassTable) -> None:
    """Redraw the visualization at `path` for `label_map`, atomically."""
    buffer = io.BytesIO()
    draw_visualization(image_rgb, label_map, classes).save(buffer, format="JPEG", quality=QUALITY)
    atomic_write_bytes(path, buffer.getvalue())


def redraw_visualization(labels_dir: Path, image: Path, label: Path, label_map: np.ndarray,
                         classes: ClassTable) -> None:
    """Redraw `label`'s visualization, when labelme2voc drew one. The label is saved already: an image
    that cannot be read now (or no longer matches) leaves the old picture; it never fails the save."""
    twin = visualization_twin(labels_dir, label)
    if twin is None:
        return
    try:
        rgb = read_image(image).rgb
        if rgb.shape[:2] == label_map.shape:
            write_visualization(twin, rgb, label_map, classes)
    except SegError:
        pass
