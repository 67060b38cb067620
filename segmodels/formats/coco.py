"""COCO annotations in: `segstudio import coco ANNOTATIONS.json --images DIR --out PROJECT`
(docs/formats.md, "COCO").

Each image's annotations are rasterised with pycocotools, the reference implementation (polygons
through `frPyObjects`, uncompressed RLE through `frPyObjects`, compressed RLE as is), into one semantic
label map:

- classes: background 0, then the categories in id order (a category named background or
  `_background_` is class 0 itself); the category id of every class is recorded in the project
  (`segstudio-coco.json`, `SIDE_FILE`) so an export writes the same ids back (coco_export.py);
- pixels under no annotation are background (0): in COCO an unannotated pixel holds no object;
- where annotations overlap, the later one in the file wins (cocostuffapi's
  `cocoSegmentationToSegmentationMap` does the same); crowd regions (`iscrowd`) are their category;
- an annotation of a category that is not in `categories` marks its pixels unlabelled (255) and is
  named; a polygon of fewer than 3 points has no area and is left out and named; a malformed
  segmentation (odd or non-numeric coordinates, an RLE of another size) skips its image, named.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from segmodels.atomic import atomic_write_text
from segmodels.constants import IGNORE_INDEX
from segmodels.errors import SegError, describe
from segmodels.formats.importing import (
    ImportItem,
    ImportPlan,
    LoadedItem,
    check_import_output,
    check_size,
    read_json,
    upright_size,
)
from segmodels.labels.classes import ClassInfo, ClassTable, voc_palette
from segmodels.labels.project import Project

#: Where a project imported from COCO keeps its category ids and original image entries.
SIDE_FILE = "segstudio-coco.json"
BACKGROUND_NAMES = ("background", "_background_")


def read_coco(path: Path) -> dict:
    """The COCO object in `path`; SegError when it is not one."""
    data = read_json(path, "COCO file")
    if not isinstance(data, dict) or not all(isinstance(data.get(k), list) for k in ("images", "categories")):
        raise SegError(f"{describe(path)} is not a COCO annotation file: it needs 'images' and 'categories' lists.",
                       path=path)
    if not isinstance(data.get("annotations", []), list):
        raise SegError(f"{describe(path)} has an 'annotations' entry that is not a list.", path=path)
    return data


def category_table(categories: list, source: Path) -> tuple[ClassTable, dict[int, int], list[dict]]:
    """(class table, category id -> class index, one record per class with its COCO category)."""
    seen: dict[int, str] = {}
    for category in categories:
        if not (isinstance(category, dict) and isinstance(category.get("id"), int)
                and isinstance(category.get("name"), str) and category["name"]):
            raise SegError(f"{describe(source)} has a category without an integer 'id' and a 'name': "
                           f"{json.dumps(category)[:80]}.", path=source)
        if category["id"] in seen:
            raise SegError(f"{describe(source)} has two categories with id {category['id']} "
                           f"('{seen[category['id']]}' and '{category['name']}').", path=source)
        seen[category["id"]] = category["name"]
    ordered = sorted(categories, key=lambda c: c["id"])
    background = next((c for c in ordered if c["name"].lower() in BACKGROUND_NAMES), None)
    records = [{"index": 0, "id": None, "name": "background"}]
    if background is not None:
        records[0] = {"index": 0, "id": background["id"], "name": background["name"],
                      "supercategory": background.get("supercategory", "")}
    for category in ordered:
        if category is not background:
            records.append({"index": len(records), "id": category["id"], "name": category["name"],
                            "supercategory": category.get("supercategory", "")})
    names = [r["name"] for r in records]
    duplicate = next((n for i, n in enumerate(names) if n in names[:i]), None)
    if duplicate is not None:
        raise SegError(f"{describe(source)} has two categories named '{duplicate}'; class names must differ.",
                       path=source)
    palette = voc_palette()
    try:
        table = ClassTable(tuple(ClassInfo(i, n, tuple(int(v) for v in palette[i])) for i, n in enumerate(names)))
    except SegError as exc:
        raise SegError(f"{describe(source)}: {exc}", path=source) from None
    return table, {r["id"]: r["index"] for r in records if r["id"] is not None}, records


def annotation_mask(annotation: dict, height: int, width: int, where: str) -> np.ndarray | None:
    """The H x W bool mask of one annotation through pycocotools; None for a polygon without area.
    SegError for a malformed segmentation (its image cannot be imported right)."""
    from pycocotools import mask as coco_mask

    segmentation = annotation.get("segmentation")
    if isinstance(segmentation, list):
        polygons = []
        for polygon in segmentation:
            if not (isinstance(polygon, list) and all(isinstance(v, (int, float)) for v in polygon)
                    and len(polygon) % 2 == 0):
                raise SegError(f"{where} has a polygon that is not an even list of numbers; image not imported.")
            if len(polygon) >= 6:  # pycocotools would read 4 numbers as a box: never passed on
                polygons.append([float(v) for v in polygon])
        if not polygons:
            return None
        rle = coco_mask.merge(coco_mask.frPyObjects(polygons, height, width))
    elif isinstance(segmentation, dict) and "counts" in segmentation and "size" in segmentation:
        if list(segmentation["size"]) != [height, width]:
            raise SegError(f"{where} has an RLE of size {segmentation['size']} on an image of height x width "
                           f"{height} x {width}; image not imported.")
        counts = segmentation["counts"]
        if isinstance(counts, list):  # uncompressed (crowd regions)
            if not all(isinstance(c, int) and c >= 0 for c in counts) or sum(counts) != height * width:
                raise SegError(f"{where} has uncompressed RLE counts that do not add up to the image's "
                               f"{height * width} pixels; image not imported.")
            rle = coco_mask.frPyObjects(segmentation, height, width)
        elif isinstance(counts, (str, bytes)):
            rle = {"size": [height, width], "counts": counts}
        else:
            raise SegError(f"{where} has RLE counts that are neither a list nor a string; image not imported.")
    else:
        raise SegError(f"{where} has no polygon or RLE 'segmentation'; image not imported.")
    try:
        return coco_mask.decode(rle).astype(bool)
    except (ValueError, TypeError):
        raise SegError(f"{where} has RLE counts pycocotools cannot decode; image not imported.") from None


def rasterise(annotations: list[dict], height: int, width: int, id_to_index: dict[int, int],
              names: list[str], where: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """The label map of one image's annotations (in file order, the later wins) and the notes on
    annotations left out or marked unlabelled."""
    label = np.zeros((height, width), dtype=np.uint8)
    notes = []
    for annotation in annotations:
        name = f"{where}, annotation {annotation.get('id', '?')}"
        category = annotation.get("category_id")
        index = id_to_index.get(category) if isinstance(category, int) else None
        mask = annotation_mask(annotation, height, width, name)
        if mask is None:
            notes.append(f"{name} ('{names[index] if index is not None else category}') has a polygon of fewer "
                         "than 3 points, which has no area; left out.")
            continue
        if index is None:
            notes.append(f"{name} has category_id {json.dumps(category)}, which is not in 'categories'; its "
                         f"{int(mask.sum())} pixels are marked unlabelled ({IGNORE_INDEX}).")
            index = IGNORE_INDEX
        label[mask] = index
    return label, tuple(notes)


def _image_file(images_dir: Path, file_name: str) -> Path:
    """The image a COCO `file_name` names: under `images_dir` as written, else by its base name."""
    as_written = images_dir / file_name
    if as_written.is_file():
        return as_written
    return images_dir / Path(file_name.replace("\\", "/")).name


def plan_coco_import(annotations: str | os.PathLike[str], images_dir: str | os.PathLike[str],
                     out: str | os.PathLike[str]) -> ImportPlan:
    """Read a COCO file and check the output; SegError (nothing written) when neither can be used."""
    source, images_dir, out = Path(annotations), Path(images_dir), Path(out)
    data = read_coco(source)
    if not images_dir.is_dir():
        raise SegError(f"--images {describe(images_dir)} is not a folder.", path=images_dir)
    classes, id_to_index, records = category_table(data["categories"], source)
    existing = check_import_output(out, classes)
    if existing is not None:
        _check_same_categories(existing, records, source)
    by_image: dict[Any, list[dict]] = {}
    for annotation in data.get("annotations", []):
        if isinstance(annotation, dict):
            by_image.setdefault(annotation.get("image_id"), []).append(annotation)
    items, kept, notes = [], {}, []
    entries: dict[str, dict] = {}
    for entry in data["images"]:
        ok = (isinstance(entry, dict) and isinstance(entry.get("file_name"), str) and entry.get("file_name")
              and all(isinstance(entry.get(k), int) and entry[k] > 0 for k in ("height", "width")))
        if not ok or entry.get("id") in kept:
            why = "repeats an image id" if ok else "needs 'id', 'file_name', 'height' and 'width'"
            notes.append(f"{describe(source)} has an image entry that {why}: {json.dumps(entry)[:80]}; left out.")
            continue
        kept[entry["id"]] = entry
        name = Path(entry["file_name"].replace("\\", "/")).name
        entries[name] = entry
        items.append(ImportItem(_image_file(images_dir, entry["file_name"]), name,
                                _loader(source, images_dir, entry, by_image.get(entry["id"], []), id_to_index,
                                        classes.names)))
    orphans = [a.get("id", "?") for key, group in by_image.items() if key not in kept for a in group]
    if orphans:
        notes.append(f"{describe(source)} has {len(orphans)} annotation(s) of image ids not in 'images' (first: "
                     f"annotation {orphans[0]}); left out.")
    record = {"version": 1, "source": str(source), "info": data.get("info"), "licenses": data.get("licenses"),
              "categories": records, "images": entries}
    return ImportPlan("COCO", out, classes, tuple(items), tuple(notes), lambda project: _record(project, record))


def _loader(source: Path, images_dir: Path, entry: dict, annotations: list[dict], id_to_index: dict[int, int],
            names: list[str]) -> Callable[[], LoadedItem]:
    def load() -> LoadedItem:
        image = _image_file(images_dir, entry["file_name"])
        where = f"{describe(source)}, image {describe(entry['file_name'])} (id {entry['id']})"
        if not image.is_file():
            raise SegError(f"{where} is not in {describe(images_dir)}; not imported.", path=source)
        label, notes = rasterise(annotations, entry["height"], entry["width"], id_to_index, names, where)
        check_size(label, upright_size(image, source), source, image)
        return LoadedItem(image, label, notes)
    return load


def load_record(project: Project) -> dict | None:
    """What an import recorded about the COCO file (category ids, image entries), or None."""
    path = project.root / SIDE_FILE
    if not path.is_file():
        return None
    data = read_json(path, "COCO record")
    if not isinstance(data, dict) or not isinstance(data.get("categories"), list):
        raise SegError(f"COCO record {describe(path)} has no 'categories' list; delete it to export with new ids.",
                       path=path)
    return data


def _check_same_categories(project: Project, records: list[dict], source: Path) -> None:
    old = load_record(project)
    if old is None:
        return
    pairs = {(r.get("index"), r.get("id")) for r in old["categories"]}
    if pairs != {(r["index"], r["id"]) for r in records}:
        raise SegError(f"--out {describe(project.root)} was imported from COCO with other category ids than "
                       f"{describe(source)}'s; import into a new folder (nothing was written).", path=source)


def _record(project: Project, record: dict) -> None:
    old = load_record(project)
    if old is not None:
        record = {**record, "images": {**old.get("images", {}), **record["images"]}}
    atomic_write_text(project.root / SIDE_FILE, json.dumps(record, indent=1) + "\n")
