"""Dataset layouts: where a dataset keeps its images and labels, and how an image's label is named.

A `Layout` is pure naming: `Project` asks it for the image list and for the label file of an image.
Each layout follows its own tool's rules (docs/formats.md):

    project      images/ + labels/<stem>.png                     (segstudio; also a plain folder)
    voc          JPEGImages/ + SegmentationClass/<stem>.png      (PASCAL VOC, labelme2voc, CVAT)
    recursive layouts (Cityscapes, ADE20K, mmseg) walk sub-folders (splits, cities); the label sits at
    the same relative place under the label folder, its stem changed by the layout's rule.

Layouts are registered in `LAYOUTS` by name; `segstudio.json` records the name of the one in use.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from segmodels.constants import IMAGE_SUFFIXES
from segmodels.formats.encodings import LabelEncoding


def _same_stem(stem: str, encoding: LabelEncoding) -> str:
    return stem


def _same_image_stem(stem: str, encoding: LabelEncoding) -> str | None:
    return stem


@dataclass(frozen=True)
class Layout:
    name: str
    description: str                    # how the user is told what was recognised
    recursive: bool = False             # images in sub-folders (splits, cities), labels mirrored
    #: The label file's stem for an image stem (Cityscapes: X_leftImg8bit -> X_gtFine_labelTrainIds)
    label_stem: Callable[[str, LabelEncoding], str] = field(default=_same_stem, compare=False)
    #: The inverse: the image stem a label file's stem belongs to, None for a file that is no label of
    #: this encoding (Cityscapes keeps *_color.png, *_instanceIds.png beside *_labelIds.png)
    image_stem: Callable[[str, LabelEncoding], str | None] = field(default=_same_image_stem, compare=False)

    def image_paths(self, images_dir: Path) -> list[Path]:
        """The layout's images, sorted by relative path (case-insensitively), hidden files skipped."""
        if not images_dir.is_dir():
            return []
        if not self.recursive:
            return [images_dir / name for name in image_names(images_dir)]
        found: list[tuple[str, str]] = []
        _walk_images(os.fspath(images_dir), "", found)
        found.sort()
        return [Path(path) for _key, path in found]

    def images_by_folder(self, images_dir: Path) -> dict[Path, list[str]]:
        """Image names per folder, for the stem-clash check: a recursive layout mirrors each folder in
        its labels, so two stems clash only within one folder (Cityscapes: one city)."""
        if not self.recursive:
            return {images_dir: image_names(images_dir)} if images_dir.is_dir() else {}
        folders: dict[Path, list[str]] = {}
        for image in self.image_paths(images_dir):
            folders.setdefault(image.parent, []).append(image.name)
        return folders

    def label_base(self, images_dir: Path, labels_dir: Path, image: Path, encoding: LabelEncoding) -> Path:
        """The label file of `image` without its suffix."""
        image = Path(image)
        folder = labels_dir
        if self.recursive:
            try:
                folder = labels_dir / image.parent.relative_to(images_dir)
            except ValueError:
                folder = labels_dir  # an image from outside the dataset: its label sits at the top
        return folder / self.label_stem(image.stem, encoding)

    def relative_stem(self, images_dir: Path, image: Path) -> Path:
        """Where an image's side files (predictions) go, relative to their folder: sub-folders kept."""
        image = Path(image)
        if self.recursive:
            try:
                return image.parent.relative_to(images_dir) / image.stem
            except ValueError:
                pass
        return Path(image.stem)


def _walk_images(folder: str, relative: str, found: list[tuple[str, str]]) -> None:
    """(relative path in lower case, path) of every image under `folder`, hidden entries skipped and
    linked folders not followed (as os.walk). Strings, not Paths, and no stat per file where the file
    system says the entry's type: opening Cityscapes lists 5000 images several times."""
    with os.scandir(folder) as entries:
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                _walk_images(entry.path, f"{relative}{name.lower()}/", found)
            elif _is_image_name(name) and entry.is_file():
                found.append((relative + name.lower(), entry.path))


def _is_image_name(name: str) -> bool:
    return not name.startswith(".") and name[name.rfind("."):].lower() in IMAGE_SUFFIXES


def image_names(folder: Path) -> list[str]:
    """Names of the image files directly in `folder`, sorted case-insensitively."""
    with os.scandir(folder) as entries:
        names = [entry.name for entry in entries if _is_image_name(entry.name) and entry.is_file()]
    return sorted(names, key=str.lower)


PROJECT = Layout("project", "segstudio project (images/ + labels/)")
FOLDER = Layout("folder", "plain image folder (labels go to labels/)")
VOC = Layout("voc", "PASCAL VOC (JPEGImages/ + SegmentationClass/)")

#: Every layout by name; format modules add theirs (segmodels/formats/*.py).
LAYOUTS: dict[str, Layout] = {layout.name: layout for layout in (PROJECT, FOLDER, VOC)}


def register(layout: Layout) -> Layout:
    LAYOUTS[layout.name] = layout
    return layout
