"""Class list files that datasets carry beside their labels (docs/formats.md, "VOC, labelme and CVAT").

    class_names.txt   labelme2voc: one name a line, the line number is the class index;
                      `_background_` first (index 0). labelme's own input list starts with
                      `__ignore__` (index -1, stored as 255); when a file starts with it, it is skipped.
    labelmap.txt      CVAT / datumaro: `# label:color_rgb:parts:actions`, then `name:r,g,b:parts:actions`
                      a line, in index order; a line without a colour gets none.
    any other .txt    one class name a line; `#` starts a comment line, blank lines are skipped.

Reading gives names and (where the file has them) colours, never a ClassTable: the class-table module
builds one (`segmodels.labels.classes.load_class_table`), so this module stays below it. Writing a
labelmap is here too, so the one place that knows the syntax reads and writes it.
"""
from __future__ import annotations

import enum
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from segmodels.atomic import read_regular_bytes
from segmodels.errors import SegError, describe

Color = tuple[int, int, int]

LABELME_FILE = "class_names.txt"
LABELMAP_FILE = "labelmap.txt"
LABELMAP_HEADER = "# label:color_rgb:parts:actions"
LABELME_IGNORE = "__ignore__"
#: datumaro refuses a labelmap line that does not have exactly these four fields.
_LABELMAP_LINE = re.compile(r"^([^:]*):([^:]*):([^:]*):([^:]*)$")
_COLOR = re.compile(r"^\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*$")


class ListKind(str, enum.Enum):
    LABELME = "labelme class_names.txt"
    LABELMAP = "CVAT/datumaro labelmap.txt"
    NAMES = "list of class names"


@dataclass(frozen=True)
class ClassList:
    names: tuple[str, ...]
    colors: tuple[Color | None, ...]   # None where the file gives no colour
    kind: ListKind
    path: Path

    @property
    def has_colors(self) -> bool:
        return any(color is not None for color in self.colors)

    def describe(self) -> str:
        """How the user is told where the classes came from: '7 classes from class_names.txt (labelme)'."""
        origin = {ListKind.LABELME: "labelme", ListKind.LABELMAP: "CVAT/datumaro", ListKind.NAMES: "name list"}
        return f"{len(self.names)} classes from {self.path.name} ({origin[self.kind]})"


def _lines(path: Path) -> list[str]:
    try:
        text = read_regular_bytes(path, "class list").decode("utf-8-sig")
    except OSError as exc:
        raise SegError(f"Cannot read class list {describe(path)}: {exc.strerror or exc}.", path=path) from exc
    except UnicodeDecodeError:
        raise SegError(f"Class list {describe(path)} is not UTF-8 text.", path=path) from None
    return text.splitlines()


def kind_of(path: Path, lines: Sequence[str]) -> ListKind:
    """By name first (what the tools write), else by content: labelmap lines, labelme's markers."""
    name = path.name.lower()
    if name == LABELMAP_FILE:
        return ListKind.LABELMAP
    if name == LABELME_FILE:
        return ListKind.LABELME
    content = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    if content and all(_LABELMAP_LINE.match(line) for line in content):
        return ListKind.LABELMAP
    if content and content[0] in (LABELME_IGNORE, "_background_"):
        return ListKind.LABELME
    return ListKind.NAMES


def read_class_list(path: str | os.PathLike[str]) -> ClassList:
    """The class names (and colours) a text class list holds, whichever of the three kinds it is."""
    path = Path(path)
    lines = _lines(path)
    kind = kind_of(path, lines)
    if kind is ListKind.LABELMAP:
        names, colors = _parse_labelmap(path, lines)
    elif kind is ListKind.LABELME:
        names = _parse_labelme(path, lines)
        colors = (None,) * len(names)
    else:
        names = tuple(line.strip() for line in lines if line.strip() and not line.strip().startswith("#"))
        colors = (None,) * len(names)
    if not names:
        raise SegError(f"Class list {describe(path)} names no classes.", path=path)
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in seen:
            raise SegError(f"Class list {describe(path)} names '{name}' twice (classes {seen[name]} and {index}).",
                           path=path)
        seen[name] = index
    return ClassList(names, colors, kind, path)


def _parse_labelme(path: Path, lines: list[str]) -> tuple[str, ...]:
    # labelme2voc writes "\n".join(names): the line number is the index, so a blank line in the middle
    # would be a nameless class; refusing it beats shifting every later class by one.
    names = [line.strip() for line in lines]
    while names and not names[-1]:
        names.pop()
    if names and names[0] == LABELME_IGNORE:
        names = names[1:]
    for number, name in enumerate(names, start=1):
        if not name:
            raise SegError(f"Class list {describe(path)} has an empty line {number}; in a labelme class list "
                           "each line is one class, its index the line number.", path=path)
    return tuple(names)


def _parse_labelmap(path: Path, lines: list[str]) -> tuple[tuple[str, ...], tuple[Color | None, ...]]:
    names: list[str] = []
    colors: list[Color | None] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split(":")
        if len(fields) > 4:
            raise SegError(f"Labelmap {describe(path)} line {number} has {len(fields)} ':'-separated fields; "
                           "expected name:r,g,b:parts:actions.", path=path)
        name = fields[0].strip()
        if not name:
            raise SegError(f"Labelmap {describe(path)} line {number} has no label name.", path=path)
        color_text = fields[1].strip() if len(fields) > 1 else ""
        color = None
        if color_text:
            match = _COLOR.match(color_text)
            if match is None or any(int(v) > 255 for v in match.groups()):
                raise SegError(f"Labelmap {describe(path)} line {number} gives '{name}' the colour "
                               f"'{color_text}'; expected r,g,b with values 0..255.", path=path)
            color = tuple(int(v) for v in match.groups())
        names.append(name)
        colors.append(color)
    return tuple(names), tuple(colors)


# -- writing ---------------------------------------------------------------------------------------
def labelmap_problem(name: str) -> str | None:
    """Why `name` cannot be a labelmap label (a reader would split or skip it), or None."""
    if not name.strip():
        return "is empty"
    if ":" in name:
        return "contains ':', the labelmap's field separator"
    if "\n" in name or "\r" in name:
        return "contains a line break"
    if name.strip().startswith("#"):
        return "starts with '#', which makes the line a comment"
    if name != name.strip():
        return "starts or ends with spaces, which readers strip"
    return None


def format_labelmap(entries: Sequence[tuple[str, Color]]) -> str:
    """labelmap.txt text for (name, colour) entries in index order, as CVAT writes it."""
    lines = [LABELMAP_HEADER]
    for name, (r, g, b) in entries:
        problem = labelmap_problem(name)
        if problem is not None:
            raise SegError(f"Class '{name}' cannot be written to {LABELMAP_FILE}: its name {problem}.")
        lines.append(f"{name}:{int(r)},{int(g)},{int(b)}::")
    return "\n".join(lines) + "\n"


def find_class_list(root: Path) -> Path | None:
    """The dataset's own class list in a VOC-style root: labelmap.txt (CVAT/datumaro, with colours)
    before class_names.txt (labelme2voc)."""
    for name in (LABELMAP_FILE, LABELME_FILE):
        candidate = root / name
        if candidate.is_file():
            return candidate
    return None
