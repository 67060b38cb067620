"""Annotation files as labelme, labelme2coco and COCO itself write them, for the import tests.

labelme 5.x saves `<stem>.json` beside the image (imagePath relative to the JSON, imageData null or
the base64 image), one shape per object; labelme's labels file starts with `__ignore__` and
`_background_`. labelme2coco writes `_background_` as category 0 and the images under JPEGImages/;
COCO's own files give crowd regions as uncompressed RLE and stuff/results as compressed RLE.
"""
from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
from PIL import Image


def image_bytes(height: int, width: int, seed: int = 0, fmt: str = "PNG") -> bytes:
    rgb = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format=fmt)
    return buffer.getvalue()


def write_image(path: Path, height: int, width: int, seed: int = 0) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = image_bytes(height, width, seed, "JPEG" if path.suffix.lower() in (".jpg", ".jpeg") else "PNG")
    path.write_bytes(data)
    return data


# -- labelme -------------------------------------------------------------------------------------------
def shape(label: str, points: list, shape_type: str = "polygon", **extra) -> dict:
    return {"label": label, "points": [[float(x), float(y)] for x, y in points], "group_id": None,
            "description": "", "shape_type": shape_type, "flags": {}, "mask": None, **extra}


def write_labelme(path: Path, shapes: list, image_path: str | None, height: int, width: int,
                  image_data: bytes | None = None) -> Path:
    document = {"version": "5.4.1", "flags": {}, "shapes": shapes, "imagePath": image_path,
                "imageData": base64.b64encode(image_data).decode("ascii") if image_data else None,
                "imageHeight": height, "imageWidth": width}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2))
    return path


def write_labels_txt(path: Path, names: list[str]) -> Path:
    path.write_text("\n".join(["__ignore__", "_background_", *names]) + "\n")
    return path


# -- COCO ----------------------------------------------------------------------------------------------
def uncompressed_rle(mask: np.ndarray) -> dict:
    """COCO's uncompressed RLE, counted by hand: column-major runs, starting with a run of zeros."""
    flat = mask.astype(np.uint8).reshape(-1, order="F")
    counts, value, run = [], 0, 0
    for pixel in flat.tolist():
        if pixel != value:
            counts.append(run)
            value, run = pixel, 0
        run += 1
    counts.append(run)
    return {"size": [int(mask.shape[0]), int(mask.shape[1])], "counts": counts}


def compressed_rle(mask: np.ndarray) -> dict:
    from pycocotools import mask as coco_mask

    rle = coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode("ascii")}


def box(height: int, width: int, rows: slice, cols: slice) -> np.ndarray:
    mask = np.zeros((height, width), dtype=bool)
    mask[rows, cols] = True
    return mask


def coco_annotation(ann_id: int, image_id: int, category_id: int, segmentation, iscrowd: int = 0) -> dict:
    return {"id": ann_id, "image_id": image_id, "category_id": category_id, "segmentation": segmentation,
            "area": 0.0, "bbox": [0, 0, 0, 0], "iscrowd": iscrowd}


def write_coco(path: Path, images: list[dict], annotations: list[dict], categories: list[dict]) -> Path:
    document = {"info": {"description": "test set", "version": "1.0"}, "licenses": [{"id": 1, "name": "CC"}],
                "images": images, "annotations": annotations, "categories": categories}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))
    return path


#: COCO's own ids for these three (person 1, cat 17, dog 18): not 1..C, and not in name order.
COCO_CATEGORIES = [{"id": 18, "name": "dog", "supercategory": "animal"},
                   {"id": 1, "name": "person", "supercategory": "person"},
                   {"id": 17, "name": "cat", "supercategory": "animal"}]
#: classes: background 0, then the categories by id
COCO_CLASSES = ["background", "person", "cat", "dog"]


def make_coco_dataset(root: Path) -> tuple[Path, Path, dict[str, np.ndarray]]:
    """(annotation file, images folder, the label map each image must get) for a small COCO set:
    a polygon, a compressed RLE drawn over it (the later wins), a crowd region as uncompressed RLE,
    and an image with no annotation (all background)."""
    images_dir = root / "images"
    write_image(images_dir / "a.jpg", 30, 40, 1)
    write_image(images_dir / "b.png", 20, 24, 2)
    cat, person, dog = 2, 1, 3  # class indices
    expected_a = np.zeros((30, 40), np.uint8)
    expected_a[5:15, 5:20] = cat                     # polygon corners (5, 5)-(20, 15): x 5..19, y 5..14
    expected_a[10:20, 15:30] = person                # the RLE after it covers the overlap
    expected_a[25:30, 0:10] = dog                    # crowd
    annotations = [
        coco_annotation(1, 100, 17, [[5, 5, 20, 5, 20, 15, 5, 15]]),
        coco_annotation(2, 100, 1, compressed_rle(box(30, 40, slice(10, 20), slice(15, 30)))),
        coco_annotation(3, 100, 18, uncompressed_rle(box(30, 40, slice(25, 30), slice(0, 10))), iscrowd=1),
    ]
    images = [{"id": 100, "file_name": "a.jpg", "height": 30, "width": 40, "license": 1},
              {"id": 7, "file_name": "b.png", "height": 20, "width": 24, "license": 1}]
    path = write_coco(root / "annotations" / "instances_val.json", images, annotations, COCO_CATEGORIES)
    return path, images_dir, {"a.jpg": expected_a, "b.png": np.zeros((20, 24), np.uint8)}
