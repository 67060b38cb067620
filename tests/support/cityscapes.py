"""A small Cityscapes tree made as cityscapesScripts makes it (docs/formats.md, "Cityscapes").

    leftImg8bit/<split>/<city>/<city>_000000_0000NN_leftImg8bit.png   RGB images
    gtFine/<split>/<city>/<city>_000000_0000NN_gtFine_labelIds.png     mode L, label ids (json2labelImg)
                                                     _labelTrainIds.png mode L, train ids (createTrainIdLabelImgs)
                                                     _color.png         RGBA, label colours, alpha 255
                                                     _instanceIds.png   16-bit (never read as a label)
                                                     _polygons.json     the annotation

Every file kind comes from one array of label ids, as json2labelImg draws all kinds from one set of
polygons. The label table is cityscapesScripts' own (`cityscapesscripts.helpers.labels`) when it is
installed, else `OFFICIAL_LABELS`, copied from its labels.py.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

HEIGHT, WIDTH = 24, 32
SPLITS = {"train": ("aachen", "bochum"), "val": ("frankfurt", "lindau")}
#: (id, name, trainId, color) of every label with an id >= 0, from cityscapesScripts' helpers/labels.py
OFFICIAL_LABELS = (
    (0, "unlabeled", 255, (0, 0, 0)), (1, "ego vehicle", 255, (0, 0, 0)),
    (2, "rectification border", 255, (0, 0, 0)), (3, "out of roi", 255, (0, 0, 0)),
    (4, "static", 255, (0, 0, 0)), (5, "dynamic", 255, (111, 74, 0)), (6, "ground", 255, (81, 0, 81)),
    (7, "road", 0, (128, 64, 128)), (8, "sidewalk", 1, (244, 35, 232)), (9, "parking", 255, (250, 170, 160)),
    (10, "rail track", 255, (230, 150, 140)), (11, "building", 2, (70, 70, 70)), (12, "wall", 3, (102, 102, 156)),
    (13, "fence", 4, (190, 153, 153)), (14, "guard rail", 255, (180, 165, 180)),
    (15, "bridge", 255, (150, 100, 100)), (16, "tunnel", 255, (150, 120, 90)), (17, "pole", 5, (153, 153, 153)),
    (18, "polegroup", 255, (153, 153, 153)), (19, "traffic light", 6, (250, 170, 30)),
    (20, "traffic sign", 7, (220, 220, 0)), (21, "vegetation", 8, (107, 142, 35)),
    (22, "terrain", 9, (152, 251, 152)), (23, "sky", 10, (70, 130, 180)), (24, "person", 11, (220, 20, 60)),
    (25, "rider", 12, (255, 0, 0)), (26, "car", 13, (0, 0, 142)), (27, "truck", 14, (0, 0, 70)),
    (28, "bus", 15, (0, 60, 100)), (29, "caravan", 255, (0, 0, 90)), (30, "trailer", 255, (0, 0, 110)),
    (31, "train", 16, (0, 80, 100)), (32, "motorcycle", 17, (0, 0, 230)), (33, "bicycle", 18, (119, 11, 32)),
)
#: Ids each fixture label holds: every train class's id, and ids whose train id is 255.
IDS_USED = (0, 1, 4, 5, 6, 7, 8, 9, 11, 17, 18, 20, 23, 24, 26, 33)


def official_labels() -> tuple[tuple[int, str, int, tuple[int, int, int]], ...]:
    try:
        from cityscapesscripts.helpers.labels import labels
    except ImportError:
        return OFFICIAL_LABELS
    return tuple((lb.id, lb.name, lb.trainId, tuple(lb.color)) for lb in labels if lb.id >= 0)


def tables() -> tuple[np.ndarray, np.ndarray]:
    """(id -> trainId, id -> RGBA) lookup tables of 256 entries."""
    train = np.full(256, 255, np.uint8)
    rgba = np.zeros((256, 4), np.uint8)
    for label_id, _name, train_id, color in official_labels():
        train[label_id] = train_id
        rgba[label_id] = (*color, 255)
    return train, rgba


def label_ids(seed: int) -> np.ndarray:
    """Bands of the ids in IDS_USED (shifted per image), the bottom rows 'ego vehicle' as in the dataset."""
    rows = np.arange(HEIGHT * WIDTH).reshape(HEIGHT, WIDTH) // 7 + seed
    ids = np.array(IDS_USED, np.uint8)[rows % len(IDS_USED)]
    ids[-3:] = 1
    return ids


def stem(city: str, frame: int) -> str:
    return f"{city}_000000_{frame:06d}"


def write_labels(folder: Path, base: str, ids: np.ndarray, kinds: tuple[str, ...]) -> None:
    train, rgba = tables()
    folder.mkdir(parents=True, exist_ok=True)
    if "labelIds" in kinds:
        Image.fromarray(ids, mode="L").save(folder / f"{base}_gtFine_labelIds.png")
    if "labelTrainIds" in kinds:
        Image.fromarray(train[ids], mode="L").save(folder / f"{base}_gtFine_labelTrainIds.png")
    if "color" in kinds:
        Image.fromarray(rgba[ids], mode="RGBA").save(folder / f"{base}_gtFine_color.png")
    instances = ids.astype(np.uint16) * 1000  # id * 1000 + instance, as json2instanceImg writes
    Image.fromarray(instances).save(folder / f"{base}_gtFine_instanceIds.png")
    (folder / f"{base}_gtFine_polygons.json").write_text(json.dumps({"imgHeight": HEIGHT, "imgWidth": WIDTH,
                                                                      "objects": []}))


def make_cityscapes(root: Path, kinds: tuple[str, ...] = ("labelIds", "labelTrainIds", "color")
                    ) -> dict[Path, np.ndarray]:
    """The tree under `root` (2 splits x 2 cities x 1 image); {image path: its label ids}."""
    made = {}
    rng = np.random.default_rng(0)
    for split, cities in SPLITS.items():
        for number, city in enumerate(cities):
            base = stem(city, 19 + number)
            folder = root / "leftImg8bit" / split / city
            folder.mkdir(parents=True, exist_ok=True)
            image = folder / f"{base}_leftImg8bit.png"
            Image.fromarray(rng.integers(0, 255, (HEIGHT, WIDTH, 3), dtype=np.uint8)).save(image)
            ids = label_ids(len(made))
            write_labels(root / "gtFine" / split / city, base, ids, kinds)
            made[image] = ids
    return made


def label_file(root: Path, image: Path, kind: str) -> Path:
    """root/gtFine/<split>/<city>/X_gtFine_<kind>.png of a leftImg8bit/<split>/<city>/ image."""
    base = image.stem.removesuffix("_leftImg8bit")
    return root / "gtFine" / image.parent.parent.name / image.parent.name / f"{base}_gtFine_{kind}.png"


def stored(path: Path) -> np.ndarray:
    """A file's stored values exactly as written (no conversion)."""
    with Image.open(path) as image:
        return np.array(image)
