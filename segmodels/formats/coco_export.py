"""COCO out: `segstudio export PROJECT --format coco --out OUT.json` (docs/formats.md, "COCO").

One annotation per (image, class present), its mask as compressed RLE from pycocotools (counts as a
string), `iscrowd` 0: the layout of COCO-Stuff's semantic annotations. Background (class 0) is not
exported: to a COCO reader a pixel under no annotation is background. Unlabelled pixels (255) cannot
be said in COCO either; they are left out too, and each image holding some is named in a note.

Category ids, image ids, file names and the `info`/`licenses` of an imported COCO file come back as
recorded at import (coco.SIDE_FILE): a class keeps the id recorded under its name (or, renamed since,
the one recorded at its index); classes and images added since get new ids above the recorded ones.
Only reviewed labels are exported (an image without a label is not known to be background).
The file is written once, atomically, after the last image: an export stopped early writes nothing.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from segmodels.atomic import atomic_write_text, sweep_stale_temporaries
from segmodels.cancel import CancelFlag, never
from segmodels.constants import IGNORE_INDEX
from segmodels.errors import SegError, describe
from segmodels.formats.coco import load_record
from segmodels.formats.importing import ConvertStep
from segmodels.labels.imageio import read_header, upright_note
from segmodels.labels.outputs import ProtectedData, real
from segmodels.labels.project import Project


def check_export_file(project: Project, out: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """`out` after refusing a file that is a folder, exists (unless `overwrite`) or lands on the project's data."""
    out = Path(out)
    if out.is_dir():
        raise SegError(f"--out {describe(out)} is a folder; name the COCO file to write (e.g. annotations.json).",
                       path=out)
    clash = ProtectedData.of_project(project).clash(real(out))
    if clash is not None:
        raise SegError(f"--out {describe(out)} is {clash}; nothing was written. Choose another file.", path=out)
    if out.exists() and not overwrite:
        raise SegError(f"--out {describe(out)} already exists; choose another name or remove it first "
                       "(nothing was written).", path=out)
    return out


def coco_categories(project: Project, record: dict | None) -> tuple[list[dict], dict[int, int]]:
    """(COCO categories, class index -> category id) for every class but background."""
    recorded = [r for r in (record or {}).get("categories", []) if isinstance(r, dict) and isinstance(r.get("id"), int)]
    by_name = {r.get("name"): r for r in recorded}
    by_index = {r.get("index"): r for r in recorded}
    names = set(project.classes.names)
    next_id = max((r["id"] for r in recorded), default=0) + 1
    categories, ids, taken = [], {}, set()
    for info in project.classes.classes[1:]:
        # Its category: the one recorded under its name; else, renamed since, the one at its index
        # whose name no class has now; else a new id (a class added since the import).
        old = by_name.get(info.name)
        if old is None and by_index.get(info.id, {}).get("name") not in names:
            old = by_index.get(info.id)
        if old is not None and old["id"] not in taken:
            category_id = old["id"]
        else:
            old, category_id, next_id = None, next_id, next_id + 1
        taken.add(category_id)
        ids[info.id] = category_id
        categories.append({"id": category_id, "name": info.name,
                           "supercategory": (old or {}).get("supercategory", "") or ""})
    return sorted(categories, key=lambda c: c["id"]), ids


def image_annotations(label: np.ndarray, image_id: int, ids: dict[int, int], first_id: int) -> list[dict]:
    """One compressed-RLE annotation per class present in `label` (background and 255 left out)."""
    from pycocotools import mask as coco_mask

    annotations = []
    for index in np.flatnonzero(np.bincount(label.reshape(-1), minlength=256)).tolist():
        if index == 0 or index == IGNORE_INDEX or index not in ids:
            continue
        rle = coco_mask.encode(np.asfortranarray(label == index, dtype=np.uint8))
        annotations.append({"id": first_id + len(annotations), "image_id": image_id, "category_id": ids[index],
                            "segmentation": {"size": [int(v) for v in rle["size"]],
                                             "counts": rle["counts"].decode("ascii")},
                            "area": float(coco_mask.area(rle)),
                            "bbox": [float(v) for v in coco_mask.toBbox(rle)], "iscrowd": 0})
    return annotations


def iter_export_coco(project: Project, out: str | os.PathLike[str], cancel: CancelFlag = never, *,
                     overwrite: bool = False) -> Iterator[ConvertStep]:
    """Export every reviewed label of `project` into one COCO file, one step per image; the file is
    written after the last step (not at all when stopped early)."""
    out = check_export_file(project, out, overwrite=overwrite)
    sweep_stale_temporaries([out.parent])  # what an export killed while writing this folder left
    record = load_record(project)
    categories, ids = coco_categories(project, record)
    recorded_images = (record or {}).get("images", {}) if isinstance((record or {}).get("images"), dict) else {}
    next_image = max((e.get("id") for e in recorded_images.values() if isinstance(e, dict)
                      and isinstance(e.get("id"), int)), default=0) + 1
    images, annotations, used = [], [], set()
    labelled = project.labelled_images()
    total = len(labelled)
    for index, image in enumerate(labelled, start=1):
        if cancel():
            return
        try:
            label = project.read_label(image)
            if label is None:
                raise SegError(f"{describe(image)} has no label.", path=image)
            header = read_header(image)
            if (header.height, header.width) != label.shape:
                raise SegError(f"Label {describe(project.label_path(image))} is {label.shape[1]}x{label.shape[0]} "
                               f"but its image is {header.width}x{header.height}"
                               f"{upright_note(header.orientation)}; not exported.", path=image)
        except SegError as exc:
            yield ConvertStep(index, total, image, None, str(exc))
            continue
        name = image.relative_to(project.images_dir).as_posix()
        entry = dict(recorded_images.get(name) or {})
        if not isinstance(entry.get("id"), int) or entry["id"] in used:
            entry["id"], next_image = next_image, next_image + 1
        used.add(entry["id"])
        entry.setdefault("file_name", name)
        entry.update(height=int(label.shape[0]), width=int(label.shape[1]))
        images.append(entry)
        annotations += image_annotations(label, entry["id"], ids, len(annotations) + 1)
        unlabelled = int(np.count_nonzero(label == IGNORE_INDEX))
        notes = (f"{describe(project.label_path(image))} has {unlabelled} unlabelled ({IGNORE_INDEX}) pixel(s); "
                 "COCO cannot say 'unlabelled', so they are left out (background to COCO readers).",
                 ) if unlabelled else ()
        yield ConvertStep(index, total, image, out, notes=notes)
    if cancel():
        return
    info = (record or {}).get("info") or {"description": f"Exported by segstudio from project '{project.name}'"}
    document = {"info": info, "licenses": (record or {}).get("licenses") or [], "images": images,
                "annotations": annotations, "categories": categories}
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, json.dumps(document) + "\n")
