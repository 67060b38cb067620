"""labelme JSON in: `segstudio import labelme DIR --out PROJECT [--classes class_names.txt]`
(docs/formats.md, "labelme").

The `*.json` files directly in DIR (as labelme2voc globs them) are drawn into label maps by labelme's
own rules (labelme.utils.shape_to_mask with its defaults, as labelme2voc calls it): polygons and
oriented rectangles filled with their outline, rectangles between their two corners, circles from
centre and rim point, lines and line strips 10 px wide, points as discs of radius 5, `mask` shapes
pasted at their box; shapes are drawn in file order, the later wins. Unshaped pixels are
background (0), `__ignore__` shapes unlabelled (255), as labelme2voc writes them.

Classes: `--classes` names a labelme labels file (`__ignore__`, `_background_`, then one name a
line, as labelme2voc reads it, or the class_names.txt it writes), or a preset or JSON class table;
without it, `_background_` = 0 and the labels found, sorted. A shape whose label is not a class
marks its pixels unlabelled (255), named. The image is the file `imagePath` names (relative to the
JSON), copied unchanged; the embedded `imageData` is written out when that file is missing. The
image keeps the JSON's stem, as labelme2voc names its outputs.
"""
from __future__ import annotations

import base64
import binascii
import io
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from segmodels.constants import IGNORE_INDEX
from segmodels.errors import SegError, describe
from segmodels.formats.importing import (
    ImportItem,
    ImportPlan,
    LoadedItem,
    check_import_output,
    check_size,
    image_suffix,
    read_json,
    upright_size,
)
from segmodels.labels.classes import ClassTable, load_class_table

BACKGROUND = "_background_"
IGNORE = "__ignore__"
#: labelme.utils.shape_to_mask's defaults, which labelme2voc uses.
LINE_WIDTH = 10
POINT_SIZE = 5


@dataclass(frozen=True)
class LabelmeFile:
    path: Path
    shapes: list
    image_path: str | None
    has_data: bool
    size: tuple[int, int] | None     # (imageHeight, imageWidth) when the file says


def read_class_names(path: Path) -> ClassTable:
    """A labelme labels file or class_names.txt: one name a line, `__ignore__` (if any) first, then
    `_background_` (class 0); anything else (a preset name, a JSON table) via load_class_table."""
    if path.suffix.lower() != ".txt":
        return load_class_table(path)
    if not path.is_file():
        raise SegError(f"Class list {describe(path)} does not exist.", path=path)
    try:
        names = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError) as exc:
        raise SegError(f"Class list {describe(path)} cannot be read as UTF-8 text ({exc}).", path=path) from None
    names = [name for name in names if name != IGNORE]
    if not names or names[0].lower() not in (BACKGROUND, "background"):
        raise SegError(f"Class list {describe(path)} must start with {BACKGROUND} (class 0, every unshaped pixel), "
                       "as labelme2voc's labels file does.", path=path)
    duplicate = next((n for i, n in enumerate(names) if n in names[:i]), None)
    if duplicate is not None:
        raise SegError(f"Class list {describe(path)} names '{duplicate}' twice.", path=path)
    return ClassTable.from_names(names)


def read_labelme(path: Path) -> LabelmeFile:
    data = read_json(path, "labelme file")
    if not isinstance(data, dict) or not isinstance(data.get("shapes"), list):
        from segmodels.formats.foreign import foreign_predicate

        what = foreign_predicate(path, "a labelme annotation") or "has no 'shapes' list"
        raise SegError(f"{describe(path)} {what}; not imported.", path=path)
    size = None
    if isinstance(data.get("imageHeight"), int) and isinstance(data.get("imageWidth"), int):
        size = (data["imageHeight"], data["imageWidth"])
    image_path = data.get("imagePath") if isinstance(data.get("imagePath"), str) and data.get("imagePath") else None
    return LabelmeFile(path, data["shapes"], image_path, bool(data.get("imageData")), size)


def _points(shape: dict, where: str) -> list[tuple[float, float]]:
    points = shape.get("points")
    xy = []
    if isinstance(points, list):
        for point in points:  # one pass: checked and converted together (this runs for every shape)
            if not (isinstance(point, (list, tuple)) and len(point) == 2):
                break
            x, y = point
            if not (isinstance(x, (int, float)) and isinstance(y, (int, float))):
                break
            xy.append((float(x), float(y)))
        else:
            return xy
    raise SegError(f"{where} has 'points' that are not a list of [x, y] numbers; image not imported.")


def shape_mask(shape: dict, size: tuple[int, int], where: str) -> np.ndarray | None:
    """The H x W bool mask labelme's shape_to_mask draws for `shape`; None for a polygon of fewer
    than 3 points (no area); SegError for a malformed shape."""
    kind, xy = _kind_and_points(shape, where)
    if kind == "mask":
        return _pasted_mask(shape, xy, size, where)
    canvas = Image.new("L", (size[1], size[0]), 0)
    if not _draw_shape(ImageDraw.Draw(canvas), kind, xy, 1, where):
        return None
    return np.asarray(canvas, dtype=bool)


def _kind_and_points(shape: dict, where: str) -> tuple[str, list[tuple[float, float]]]:
    kind = shape.get("shape_type") or "polygon"
    xy = _points(shape, where)
    needed = {"circle": 2, "rectangle": 2, "line": 2, "point": 1, "oriented_rectangle": 4}.get(kind)
    if needed is not None and len(xy) != needed:
        raise SegError(f"{where} is a {kind} of {len(xy)} points; labelme's {kind} has {needed}; image not imported.")
    if kind not in ("mask", "circle", "rectangle", "line", "linestrip", "point", "oriented_rectangle", "polygon"):
        # labelme refuses other types too (older versions drew them as polygons: a guess, not made here)
        raise SegError(f"{where} has shape_type {json.dumps(kind)[:40]}, which labelme does not draw; "
                       "image not imported.")
    return kind, xy


def _draw_shape(draw: ImageDraw.ImageDraw, kind: str, xy: list[tuple[float, float]], value: int, where: str) -> bool:
    """Draw a checked shape (not a mask) in `value` as shape_to_mask does; False for a polygon of
    fewer than 3 points, which has no area and is not drawn. The pixels drawn do not depend on
    `value`, so drawing each shape straight into the label map in file order (the later wins) is
    exactly labelme2voc's `label[mask] = class` over one mask per shape, without a canvas per shape."""
    if kind == "circle":
        (cx, cy), (px, py) = xy
        d = math.sqrt((cx - px) ** 2 + (cy - py) ** 2)
        draw.ellipse([cx - d, cy - d, cx + d, cy + d], outline=value, fill=value)
    elif kind == "rectangle":
        (x0, y0), (x1, y1) = xy  # drawn from either corner in labelme; Pillow wants them ordered
        draw.rectangle([min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)], outline=value, fill=value)
    elif kind in ("line", "linestrip"):
        draw.line(xy=xy, fill=value, width=LINE_WIDTH)
    elif kind == "point":
        (cx, cy), r = xy[0], POINT_SIZE
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=value, fill=value)
    else:  # polygon or oriented_rectangle
        if len(xy) < 3:
            return False
        draw.polygon(xy=xy, outline=value, fill=value)
    return True


def _pasted_mask(shape: dict, xy: list[tuple[float, float]], size: tuple[int, int], where: str) -> np.ndarray:
    if len(xy) != 2 or not isinstance(shape.get("mask"), str):
        raise SegError(f"{where} is a mask shape without its box (2 points) and base64 'mask'; image not imported.")
    try:
        with Image.open(io.BytesIO(base64.b64decode(shape["mask"], validate=False))) as image:
            small = np.asarray(image)  # labelme reads the mask PNG's values as is: nonzero = inside
        small = small.any(axis=2) if small.ndim == 3 else small.astype(bool)
    except (binascii.Error, OSError, ValueError, SyntaxError):
        raise SegError(f"{where} has a 'mask' that is not a base64 image; image not imported.") from None
    (x1, y1), (x2, y2) = ((int(x), int(y)) for x, y in xy)
    mask = np.zeros(size, dtype=bool)
    region = mask[y1:y2 + 1, x1:x2 + 1]
    if min(x1, y1) < 0 or region.shape != small.shape:
        raise SegError(f"{where} has a {small.shape[1]}x{small.shape[0]} mask for the box ({x1}, {y1})-({x2}, {y2}) "
                       "in the image; image not imported.")
    region[...] = small
    return mask


def shapes_to_label(shapes: list, size: tuple[int, int], classes: ClassTable,
                    where: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """labelme2voc's label map (shapes in order, the later wins) and notes on shapes left out or
    marked unlabelled."""
    canvas = Image.new("L", (size[1], size[0]), 0)
    draw = ImageDraw.Draw(canvas)
    notes = []
    names = {info.name: info.id for info in classes}
    if classes[0].name.lower() in (BACKGROUND, "background"):
        names.setdefault(BACKGROUND, 0)  # labelme's background label, whatever the class list calls class 0
    for number, shape in enumerate(shapes, start=1):
        if not isinstance(shape, dict) or not isinstance(shape.get("label"), str):
            raise SegError(f"{where}, shape {number}, is not an object with a 'label'; image not imported.")
        name = f"{where}, shape {number} ('{shape['label']}')"
        index = IGNORE_INDEX if shape["label"] == IGNORE else names.get(shape["label"])
        kind, xy = _kind_and_points(shape, name)
        if index is not None and kind != "mask":
            if not _draw_shape(draw, kind, xy, index, name):
                notes.append(f"{name} is a polygon of fewer than 3 points, which has no area; left out.")
            continue
        # Rare: a pasted mask, or an unknown label whose note counts its pixels, needs the shape's own mask.
        mask = shape_mask(shape, size, name)
        if mask is None:
            notes.append(f"{name} is a polygon of fewer than 3 points, which has no area; left out.")
            continue
        if index is None:
            notes.append(f"{name} has a label that is not one of the {len(classes)} classes; its "
                         f"{int(mask.sum())} pixels are marked unlabelled ({IGNORE_INDEX}).")
            index = IGNORE_INDEX
        label = np.array(canvas)
        label[mask] = index
        canvas = Image.fromarray(label)
        draw = ImageDraw.Draw(canvas)
    return np.array(canvas), tuple(notes)


def found_classes(files: list[LabelmeFile]) -> ClassTable:
    """`_background_` and the labels found, sorted (labelme's own names kept)."""
    labels = {s["label"] for f in files for s in f.shapes if isinstance(s, dict) and isinstance(s.get("label"), str)}
    return ClassTable.from_names([BACKGROUND, *sorted(labels - {BACKGROUND, IGNORE})])


def plan_labelme_import(source: str | os.PathLike[str], out: str | os.PathLike[str],
                        classes: str | os.PathLike[str] | None = None) -> ImportPlan:
    """Read the labelme files of a folder (or one file) and check the output; SegError, writing
    nothing, when neither can be used. A file that cannot be read becomes a step naming it."""
    source, out = Path(source), Path(out)
    if source.is_dir():
        paths = sorted((p for p in source.glob("*.json") if not p.name.startswith(".")), key=lambda p: p.name.lower())
    elif source.is_file():
        paths = [source]
    else:
        raise SegError(f"{describe(source)} does not exist.", path=source)
    if not paths:
        raise SegError(f"{describe(source)} holds no labelme .json files.", path=source)
    files: dict[Path, LabelmeFile | SegError] = {}
    for path in paths:
        try:
            files[path] = read_labelme(path)
        except SegError as exc:
            files[path] = exc
    good = [f for f in files.values() if isinstance(f, LabelmeFile)]
    table = read_class_names(Path(classes)) if classes is not None else found_classes(good)
    check_import_output(out, table)
    items = tuple(ImportItem(path, _image_name(found), _loader(found, table)) for path, found in files.items())
    return ImportPlan("labelme", out, table, items)


def _image_file(found: LabelmeFile) -> Path | None:
    if found.image_path is None:
        return None
    return found.path.parent / found.image_path.replace("\\", "/")  # labelme on Windows writes backslashes


def _image_name(found: LabelmeFile | SegError) -> str:
    if isinstance(found, SegError):
        return ".unread"  # never written: its load raises first
    image = _image_file(found)
    suffix = image.suffix if image is not None and image.suffix else ".png"
    return found.path.stem + suffix


def _loader(found: LabelmeFile | SegError, classes: ClassTable) -> Callable[[], LoadedItem]:
    def load() -> LoadedItem:
        if isinstance(found, SegError):
            raise found
        image: Path | bytes | None = _image_file(found)
        name = None
        if image is None or not image.is_file():
            image = _embedded(found, image)
            name = found.path.stem + (image_suffix(image) or ".png")
        size = upright_size(image, found.path)
        if found.size is not None and found.size != size:
            raise SegError(f"{describe(found.path)} says its image is {found.size[1]}x{found.size[0]} (imageWidth x "
                           f"imageHeight) but the image is {size[1]}x{size[0]}; not imported.", path=found.path)
        label, notes = shapes_to_label(found.shapes, size, classes, describe(found.path))
        check_size(label, size, found.path, found.image_path or found.path.name)
        return LoadedItem(image, label, notes, name)
    return load


def _embedded(found: LabelmeFile, missing: Path | None) -> bytes:
    """The image bytes a labelme file embeds (imageData), read again: they were not kept in memory."""
    if not found.has_data:
        named = f"names image {describe(missing)}, which does not exist," if missing is not None else "names no image"
        raise SegError(f"{describe(found.path)} {named} and embeds no imageData; not imported.", path=found.path)
    try:
        data = base64.b64decode(read_json(found.path, "labelme file")["imageData"], validate=False)
    except (binascii.Error, ValueError, TypeError):
        raise SegError(f"{describe(found.path)} has imageData that is not base64; not imported.",
                       path=found.path) from None
    if image_suffix(data) is None:
        raise SegError(f"{describe(found.path)} embeds image data (imageData) that is not a readable image; "
                       "not imported.", path=found.path)
    return data
