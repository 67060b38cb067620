"""Class tables: ordered (id, name, colour) lists, the VOC palette, and the VOC/Cityscapes presets.

A class table maps label indices to names and colours. Ids are the label values written in label maps,
so they are always 0..C-1 in order (a model predicts channel k for class k); IGNORE_INDEX (255) is
never a class. Presets are JSON files in resources/classes/; the VOC colours come from `voc_palette()`,
generated exactly as the VOC devkit's `labelcolormap` does.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from segmodels.atomic import read_regular_bytes
from segmodels.constants import IGNORE_INDEX, MAX_CLASSES
from segmodels.errors import SegError, describe
from segmodels.resources import resource_path

Color = tuple[int, int, int]

PRESETS: tuple[str, ...] = ("voc", "cityscapes", "ade20k")


@cache
def _voc_palette_cached() -> bytes:
    palette = np.zeros((256, 3), dtype=np.uint8)
    for index in range(256):
        value, r, g, b = index, 0, 0, 0
        for shift in range(7, -1, -1):  # fill each channel from its most significant bit down
            r |= (value & 1) << shift
            g |= ((value >> 1) & 1) << shift
            b |= ((value >> 2) & 1) << shift
            value >>= 3
        palette[index] = (r, g, b)
    return palette.tobytes()


def voc_palette() -> np.ndarray:
    """The 256 x 3 uint8 PASCAL VOC colour map (0=(0,0,0), 1=(128,0,0), ..., 255=(224,224,192))."""
    return np.frombuffer(_voc_palette_cached(), dtype=np.uint8).reshape(256, 3).copy()


@dataclass(frozen=True)
class ClassInfo:
    id: int
    name: str
    color: Color

    def to_json(self) -> dict:
        return {"id": self.id, "name": self.name, "color": list(self.color)}


@dataclass(frozen=True)
class ClassTable:
    """An ordered, immutable list of classes with ids 0..C-1. Edits return a new table."""

    classes: tuple[ClassInfo, ...]
    ignore_index: int = IGNORE_INDEX
    _by_name: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.classes:
            raise SegError("A class table needs at least one class.")
        if len(self.classes) > MAX_CLASSES:
            raise SegError(f"A class table holds at most {MAX_CLASSES} classes, got {len(self.classes)}.")
        for position, info in enumerate(self.classes):
            if info.id != position:
                raise SegError(f"Class ids must be 0..{len(self.classes) - 1} in order; "
                               f"class '{info.name}' has id {info.id} at position {position}.")
            if len(info.color) != 3 or not all(0 <= int(c) <= 255 for c in info.color):
                raise SegError(f"Class '{info.name}' has colour {list(info.color)}, not three values 0..255.")
        object.__setattr__(self, "_by_name", {c.name: c.id for c in self.classes})

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_names(cls, names: Sequence[str], colors: Sequence[Color] | None = None) -> ClassTable:
        """A table with the given names; colours default to the VOC palette."""
        palette = voc_palette()
        return cls(tuple(
            ClassInfo(i, str(name), tuple(int(v) for v in (colors[i] if colors is not None else palette[i])))
            for i, name in enumerate(names)
        ))

    @classmethod
    def from_json(cls, entries: Iterable[dict], *, source: str = "class list") -> ClassTable:
        """Parse `[{"id": 0, "name": ..., "color": [r, g, b]}, ...]` (colour optional: VOC palette)."""
        palette = voc_palette()
        classes = []
        try:
            for position, entry in enumerate(entries):
                class_id = int(entry.get("id", position))
                color = entry.get("color")
                chosen = color if color is not None else palette[class_id % 256]
                rgb = tuple(int(v) for v in chosen)
                classes.append(ClassInfo(class_id, str(entry["name"]), rgb))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SegError(f"The {source} is malformed: each class needs a name and optional id and "
                           f"[r, g, b] colour ({type(exc).__name__}: {exc}).") from exc
        classes.sort(key=lambda c: c.id)
        try:
            return cls(tuple(classes))
        except SegError as exc:  # ids out of order, bad colours: still name where the list came from
            raise SegError(f"The {source} is malformed: {exc}") from None

    def to_json(self) -> list[dict]:
        return [c.to_json() for c in self.classes]

    # -- queries ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.classes)

    def __iter__(self) -> Iterator[ClassInfo]:
        return iter(self.classes)

    def __getitem__(self, class_id: int) -> ClassInfo:
        return self.classes[class_id]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.classes]

    def id_of(self, name: str) -> int:
        try:
            return self._by_name[name]
        except KeyError:
            raise SegError(f"Unknown class '{name}'; known: {', '.join(self.names)}.") from None

    def colors(self) -> np.ndarray:
        """C x 3 uint8 class colours."""
        return np.array([c.color for c in self.classes], dtype=np.uint8).reshape(-1, 3)

    def palette(self) -> np.ndarray:
        """256 x 3 uint8 palette for label PNGs: class colours at their ids, VOC colours elsewhere.

        Entry 255 keeps the VOC void colour (224, 224, 192), so unlabelled pixels look as in VOC.
        """
        palette = voc_palette()
        palette[: len(self.classes)] = self.colors()
        return palette

    # -- edits (return new tables) ----------------------------------------------------------------
    def with_class(self, name: str, color: Color | None = None) -> ClassTable:
        """A new last class; without `color`, one far from every colour in use (distinct_colors.py)."""
        from segmodels.labels.distinct_colors import distinct_color

        new_id = len(self.classes)
        rgb = tuple(int(v) for v in (color if color is not None else distinct_color(self.colors())))
        return ClassTable(self.classes + (ClassInfo(new_id, name, rgb),), self.ignore_index)

    def renamed(self, class_id: int, name: str) -> ClassTable:
        return self._replace(class_id, ClassInfo(class_id, name, self.classes[class_id].color))

    def recolored(self, class_id: int, color: Color) -> ClassTable:
        return self._replace(class_id, ClassInfo(class_id, self.classes[class_id].name, tuple(int(v) for v in color)))

    def _replace(self, class_id: int, info: ClassInfo) -> ClassTable:
        classes = list(self.classes)
        classes[class_id] = info
        return ClassTable(tuple(classes), self.ignore_index)


# -- presets ------------------------------------------------------------------------------------
def _read_preset_json(path: Path) -> dict:
    try:
        return json.loads(read_regular_bytes(path, "class table").decode("utf-8"))
    except OSError as exc:
        raise SegError(f"Cannot read class table {describe(path)}: {exc.strerror or exc}.", path=path) from exc
    except json.JSONDecodeError as exc:
        raise SegError(f"Class table {describe(path)} is not valid JSON (line {exc.lineno}).", path=path) from exc


@cache
def voc_classes() -> ClassTable:
    """The 21 PASCAL VOC classes (background + 20 objects) with the VOC palette colours."""
    data = _read_preset_json(resource_path("classes", "voc.json"))
    return ClassTable.from_names(data["names"])


@cache
def ade20k_preset() -> ClassTable:
    """ADE20K SceneParsing: class 0 'other', then the 150 challenge classes at their annotation values
    (as segmodels/formats/ade20k.py reads a dataset with objectInfo150), in ADE20K's own colours."""
    names = _read_preset_json(resource_path("classes", "ade20k.json"))["names"]
    return ClassTable.from_names(names, colors=ade20k_colors(len(names)))


@cache
def _ade20k_table_colors() -> tuple[Color, ...]:
    colors = _read_preset_json(resource_path("classes", "ade20k.json"))["colors"]
    return tuple((int(r), int(g), int(b)) for r, g, b in colors)


def ade20k_colors(count: int) -> list[Color]:
    """Colours of ADE20K's annotation values 0..count-1: 'other' black, then the color150 table of the
    CSAIL toolkit (as MMSegmentation shows ADE20K; docs/formats.md, "ADE20K SceneParsing"), then the VOC
    colour map beyond 150. The table gives road (7) and skyscraper (49) one grey; the later class gets
    the colour farthest from all others instead, so every class keeps a colour of its own (a colour-coded
    export needs that)."""
    from segmodels.labels.distinct_colors import distinct_color  # only when an ADE table is made

    wanted = [(0, 0, 0), *_ade20k_table_colors()][:count]
    wanted += [(int(r), int(g), int(b)) for r, g, b in voc_palette()[len(wanted):count]]
    colors: list[Color] = []
    for color in wanted:
        colors.append(color if color not in colors else distinct_color([*colors, *wanted]))
    return colors


@dataclass(frozen=True)
class CityscapesLabel:
    id: int
    name: str
    train_id: int  # IGNORE_INDEX for labels not used in training
    color: Color


@cache
def cityscapes_labels() -> tuple[CityscapesLabel, ...]:
    """The 34 Cityscapes label ids with train ids and colours (from the official labels.py)."""
    data = _read_preset_json(resource_path("classes", "cityscapes.json"))
    return tuple(CityscapesLabel(e["id"], e["name"], e["train_id"], tuple(e["color"])) for e in data["labels"])


@cache
def cityscapes_classes() -> ClassTable:
    """The 19 Cityscapes training classes (train ids 0..18) with their official colours."""
    train = sorted((label for label in cityscapes_labels() if label.train_id != IGNORE_INDEX),
                   key=lambda label: label.train_id)
    return ClassTable(tuple(ClassInfo(label.train_id, label.name, label.color) for label in train))


@cache
def cityscapes_id_table() -> ClassTable:
    """All 34 label ids (0..33) with their names and colours: what a Cityscapes labelIds or colour file
    holds before ids are mapped to train ids ('license plate', id -1, is never in a label image)."""
    labels = sorted((label for label in cityscapes_labels() if label.id >= 0), key=lambda label: label.id)
    return ClassTable(tuple(ClassInfo(label.id, label.name, label.color) for label in labels))


def is_cityscapes_table(classes: ClassTable) -> bool:
    """The 19 Cityscapes train classes, by name (the user may have changed colours)."""
    return classes.names == cityscapes_classes().names


def cityscapes_id_to_train_id() -> np.ndarray:
    """A 256-entry lookup table: Cityscapes label id -> train id (255 for ignored ids)."""
    lut = np.full(256, IGNORE_INDEX, dtype=np.uint8)
    for label in cityscapes_labels():
        lut[label.id] = label.train_id
    return lut


def load_class_table(spec: str | Path) -> ClassTable:
    """A preset name ('voc', 'cityscapes', 'ade20k'), a segstudio.json, a JSON class list file, or a text class
    list: labelme's class_names.txt, CVAT's labelmap.txt or one name a line (segmodels/formats/classlists.py)."""
    if str(spec).lower() == "voc":
        return voc_classes()
    if str(spec).lower() == "cityscapes":
        return cityscapes_classes()
    if str(spec).lower() == "ade20k":
        return ade20k_preset()
    path = Path(spec)
    if not path.is_file():
        raise SegError(f"Class table {describe(path)} is neither a preset ({', '.join(PRESETS)}) nor a file.",
                       path=path)
    if not _looks_like_json(path):
        return class_table_from_list(path)
    data = _read_preset_json(path)
    entries = data.get("classes") if isinstance(data, dict) else data
    if entries is None and isinstance(data, dict) and "names" in data:
        return ClassTable.from_names(data["names"])
    if not isinstance(entries, list):
        raise SegError(f"Class table {describe(path)} has no 'classes' list.", path=path)
    return ClassTable.from_json(entries, source=f"class table {describe(path)}")


def _looks_like_json(path: Path) -> bool:
    if path.suffix.lower() == ".json":
        return True
    with open(path, "rb") as handle:  # a JSON list or object starts with [ or {; a text list with a name
        head = handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] in (b"[", b"{")


def class_table_from_list(path: Path) -> ClassTable:
    """The table a text class list names; a class the file gives no colour gets the VOC colour of its
    index (labelme's label PNGs use exactly that palette)."""
    from segmodels.formats.classlists import read_class_list

    found = read_class_list(path)
    palette = voc_palette()
    colors = [color if color is not None else tuple(int(v) for v in palette[index])
              for index, color in enumerate(found.colors)]
    try:
        return ClassTable.from_names(found.names, colors)
    except SegError as exc:  # too many classes: still name the file
        raise SegError(f"Class list {describe(path)}: {exc}", path=path) from None
