"""Naming files of other annotation formats where a label image (or an image) was expected
(docs/formats.md, "Files of other kinds").

A labelme `.json`, a COCO annotation file, a CVAT export `.zip` or a VOC box `.xml` in a label folder,
or given as a label, is an annotation in another format: the user is told what it is and the command
that imports it, never that it is "not a readable image file". `identify` looks at the file's suffix
and then its content (a JSON's top-level keys, a zip's member names, an XML's root element, a text
file's lines), reading only a bounded prefix of large files. This module imports nothing of segstudio
but `segmodels.errors`: the image readers ask it from their failure paths.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import zipfile
from dataclasses import dataclass
from pathlib import Path

from segmodels.errors import describe

#: Suffixes of annotation files of other formats (what a label folder listing reports, besides labels).
FOREIGN_SUFFIXES = (".json", ".zip", ".xml")
#: Also named when given as a label, but not reported when found in a folder (notes, READMEs).
TEXT_SUFFIXES = (".txt",)
#: A JSON up to this size is parsed whole; a larger one is recognised by the keys in its first bytes.
PARSE_LIMIT = 32 * 1024 * 1024
PREFIX = 1024 * 1024

#: The import command of each kind (segmodels/cli/imports.py); `{path}` is the file or its folder.
IMPORT_USAGE = {
    "labelme": "segstudio import labelme {folder} --out PROJECT",
    "coco": "segstudio import coco {path} --images DIR --out PROJECT",
}


@dataclass(frozen=True)
class Foreign:
    what: str        # "a labelme annotation"
    hint: str        # "import it with: segstudio import labelme DIR --out PROJECT"
    recognised: bool = True  # False: only its suffix is known ("a JSON file", "a zip archive")

    def predicate(self, noun: str = "a label image") -> str:
        """The words after the file's name: "is a labelme annotation, not a label image; import it ..." """
        return f"is {self.what}, not {noun}; {self.hint}"


def _usage(kind: str, path: Path) -> str:
    folder = shlex.quote(str(path.parent) if str(path.parent) else ".")
    return "import it with: " + IMPORT_USAGE[kind].format(path=shlex.quote(str(path)), folder=folder)


def is_foreign_name(path: Path, *, text_too: bool = False) -> bool:
    """Named like an annotation file of another format (segstudio's own files, segstudio.json and
    segstudio-coco.json, are not)."""
    suffixes = FOREIGN_SUFFIXES + (TEXT_SUFFIXES if text_too else ())
    name = path.name.lower()
    return not name.startswith((".", "segstudio")) and path.suffix.lower() in suffixes


def identify(path: str | os.PathLike[str]) -> Foreign | None:
    """What a file of another annotation format is, by its suffix and content; None for other files."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            return _identify_json(path)
        if suffix == ".zip":
            return _identify_zip(path)
        if suffix == ".xml":
            return _identify_xml(path)
        if suffix in TEXT_SUFFIXES:
            return _identify_text(path)
    except (OSError, ValueError, zipfile.BadZipFile):
        return _unreadable(suffix)
    return None


def foreign_predicate(path: str | os.PathLike[str], noun: str = "a label image") -> str | None:
    found = identify(path)
    return None if found is None else found.predicate(noun)


def _unreadable(suffix: str) -> Foreign:
    kind = {".json": "a JSON file", ".zip": "a zip archive", ".xml": "an XML file"}.get(suffix, "a text file")
    return Foreign(f"{kind} that cannot be read", "label images are PNG files", False)


def _json_keys(path: Path) -> set[str]:
    """The top-level keys of a JSON object (from a prefix when the file is large)."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        if size <= PARSE_LIMIT:
            data = json.loads(handle.read().decode("utf-8"))
            return set(data) if isinstance(data, dict) else set()
        head = handle.read(PREFIX).decode("utf-8", errors="replace")
    return set(re.findall(r'"([A-Za-z_]+)"\s*:', head))


def _identify_json(path: Path) -> Foreign:
    try:
        keys = _json_keys(path)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return Foreign("a .json file that is not valid JSON", "label images are PNG files", False)
    if "shapes" in keys and ("imagePath" in keys or "version" in keys):
        return Foreign("a labelme annotation", _usage("labelme", path))
    if "annotations" in keys and ("images" in keys or "categories" in keys):
        return Foreign("a COCO annotation file", _usage("coco", path))
    if "images" in keys and "categories" in keys:
        return Foreign("a COCO annotation file", _usage("coco", path))
    if "items" in keys and "categories" in keys:
        return Foreign("a Datumaro annotation file", "export it from Datumaro or CVAT as COCO and "
                       + _usage("coco", path.with_name("annotations.json")))
    if "classes" in keys and "version" in keys:
        return Foreign("a segstudio project file", "open its folder instead")
    return Foreign("a JSON file", "label images are PNG files (segstudio imports labelme and COCO JSON with "
                   "segstudio import)", False)


def _identify_zip(path: Path) -> Foreign:
    with zipfile.ZipFile(path) as archive:
        names = [name.lower() for name in archive.namelist()]
    jsons = [name for name in names if name.endswith(".json")]
    if any(name.startswith("annotations/") for name in jsons) or any("instances" in name for name in jsons):
        return Foreign("a zip archive of a COCO export", "unpack it, then "
                       + _usage("coco", Path("annotations", "instances_default.json")))
    if any(name.endswith("annotations.xml") for name in names):
        return Foreign("a zip archive of a CVAT for images export", "segstudio reads CVAT's 'Segmentation mask' "
                       "or 'COCO' exports: export the task as one of those, unpack it and open or import it")
    if any("segmentationclass/" in name for name in names):
        return Foreign("a zip archive of a PASCAL VOC dataset", "unpack it and open the folder that holds "
                       "JPEGImages/ and SegmentationClass/")
    if any(name.endswith(".json") for name in names):
        return Foreign("a zip archive of JSON annotations", "unpack it, then import them with segstudio import "
                       "labelme or segstudio import coco")
    return Foreign("a zip archive", "unpack it first", False)


def _identify_xml(path: Path) -> Foreign:
    with open(path, "rb") as handle:
        head = handle.read(64 * 1024).decode("utf-8", errors="replace")
    root = re.search(r"<([A-Za-z_][\w.-]*)[\s>]", re.sub(r"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", "", head,
                                                           flags=re.S))
    tag = root.group(1) if root else ""
    if tag == "annotations" and ("<meta" in head or "<version" in head):
        return Foreign("a CVAT for images annotation file", "segstudio reads CVAT's 'Segmentation mask' or "
                       "'COCO' exports: export the task as one of those and open or import it")
    if tag == "annotation" and ("<object" in head or "<bndbox" in head or "<folder" in head):
        return Foreign("a PASCAL VOC box annotation (bounding boxes, no pixel labels)",
                       "VOC's segmentation labels are the PNG files in SegmentationClass/")
    return Foreign("an XML file", "label images are PNG files", False)


def _identify_text(path: Path) -> Foreign:
    with open(path, "rb") as handle:
        lines = [line.strip() for line in handle.read(64 * 1024).decode("utf-8", errors="replace").splitlines()]
    lines = [line for line in lines if line]
    number = r"-?\d+(\.\d+)?(e-?\d+)?"
    if lines and all(re.fullmatch(rf"\d+(\s+{number}){{4,}}", line) for line in lines[:20]):
        return Foreign("a YOLO annotation (boxes or polygons, no pixel labels)", "segstudio does not import YOLO")
    if lines and all(len(line) < 80 and not re.search(r"\s{2,}|[.!?]$", line) for line in lines[:50]):
        return Foreign("a class list", f"give it to an import with --classes {shlex.quote(str(path))}")
    return Foreign("a text file", "label images are PNG files", False)


def folder_note(folder: Path, limit: int = 3) -> str | None:
    """One sentence on the annotation files of other formats directly in `folder`, or None."""
    try:
        with os.scandir(folder) as entries:
            found = sorted((Path(e.path) for e in entries if is_foreign_name(Path(e.name)) and e.is_file()),
                           key=lambda p: p.name.lower())
    except OSError:
        return None
    if not found:
        return None
    first = identify(found[0])  # one file says what they are: a folder of 10 000 is not parsed at open
    if first is None or not first.recognised:
        return None  # some other JSON or zip beside the images: not worth a word at every open
    shown = ", ".join(describe(p.name) for p in found[:limit]) + (", ..." if len(found) > limit else "")
    hint = first.hint.replace("import it with", "import them with") if len(found) > 1 else first.hint
    return (f"{describe(folder)} also holds {len(found)} file(s) of another format ({shown}; the first is "
            f"{first.what}), which segstudio does not read in place; {hint}.")
