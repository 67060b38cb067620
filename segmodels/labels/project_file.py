"""What `segstudio.json` may name: its folder and layout entries, checked so that a stranger's project
file can never make segstudio write outside the project (docs/reliability.md, issue 13 item 8)."""
from __future__ import annotations

import json
import os
from pathlib import Path

from segmodels.errors import SegError, describe
from segmodels.formats.encodings import LabelEncoding
from segmodels.formats.layouts import LAYOUTS, PROJECT, Layout


def refuse_symlinked_folder(folder: Path) -> None:
    """A project folder segstudio writes into (labels, predictions, models, recovery) must be a real
    folder: through a symlink, writes and deletions would land wherever it points."""
    if folder.is_symlink():
        raise SegError(f"{describe(folder)} is a symbolic link; segstudio writes only into real folders "
                       "inside the project. Replace the link with a folder.", path=folder)


def folder_entry(root: Path, config_path: Path, data: dict, key: str) -> Path:
    """The folder a segstudio.json entry names; it must be a relative path that stays inside the project."""
    entry = data.get(key, key)
    if not isinstance(entry, str) or not entry.strip() or "\0" in entry:
        raise SegError(f"Project file {describe(config_path)} has '{key}': {json.dumps(entry)[:80]}; "
                       "it must name a folder inside the project.", path=config_path)
    relative = Path(entry)
    inside = not relative.is_absolute() and not relative.drive
    real_root = os.path.realpath(root)
    folder = root / relative
    if key != "images":
        refuse_symlinked_folder(folder)
    if inside:
        # Images are only read, so an images folder may be a link to a dataset elsewhere; the folders
        # segstudio writes into must really be inside.
        where = os.path.normpath(os.path.join(real_root, entry)) if key == "images" else os.path.realpath(folder)
        inside = where == real_root or where.startswith(real_root.rstrip(os.sep) + os.sep)
    if not inside:
        raise SegError(f"Project file {describe(config_path)} sets '{key}' to {json.dumps(entry)}, which is outside "
                       "the project folder; folders must be inside it.", path=config_path)
    if folder.exists() and not folder.is_dir():
        raise SegError(f"Project file {describe(config_path)} sets '{key}' to {json.dumps(entry)}, which is not "
                       "a folder.", path=config_path)
    return folder


def layout_entries(config_path: Path, data: dict) -> tuple[Layout, LabelEncoding | None]:
    """The layout (the segstudio one when absent) and label encoding (None when absent) a segstudio.json names."""
    name = data.get("layout", PROJECT.name)
    layout = LAYOUTS.get(name) if isinstance(name, str) else None
    if layout is None:
        raise SegError(f"Project file {describe(config_path)} names layout {json.dumps(name)[:40]}; known: "
                       f"{', '.join(sorted(LAYOUTS))}.", path=config_path)
    encoding = data.get("label_encoding")
    try:
        return layout, None if encoding is None else LabelEncoding(encoding)
    except ValueError:
        raise SegError(f"Project file {describe(config_path)} names label encoding {json.dumps(encoding)[:40]}; "
                       f"known: {', '.join(e.value for e in LabelEncoding)}.", path=config_path) from None
