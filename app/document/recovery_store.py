"""Recovery files of one project, Qt-free: where they live, writing, reading back and removing them.

The folder is `<project>/.segstudio-recovery/` (the user's data folder for a project that cannot be
written). Each unsaved image has `<stem>.png` (palette PNG, like a label) and `<stem>.json` (the image,
when, and the size, mtime and SHA-256 of the label file the edit started from). Autosave
(app/document/recovery.py) drives it.

Being named by stem like labels, a recovery file is never written for an image that shares its stem
with another (segmodels.labels.stems: the two edits would overwrite each other), and one is restored
only to the image its `.json` names: a stem that now belongs to another image (one of a clashing pair
renamed) keeps its file and says so.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.document.recovery_lock import claim_folders, release
from segmodels.atomic import atomic_write_bytes, atomic_write_text, read_regular_bytes
from segmodels.errors import SegError, describe
from segmodels.labels.labelio import encode_label_png, read_label_png
from segmodels.labels.project import RECOVERY_DIR, Project

RECOVERY_VERSION = 1


@dataclass(frozen=True)
class RecoveredEdit:
    image: Path
    label_map: np.ndarray
    base_changed: bool      # the label file differs from the one the edit started from
    png: Path


def file_facts(path: Path) -> dict | None:
    """Size, mtime and SHA-256 of a label file (None when it does not exist)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    except OSError:
        return {"unreadable": True}
    try:
        data = read_regular_bytes(path, "label")  # a FIFO or a link to /dev/zero is never hashed
    except SegError:
        return {"unreadable": True}
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": hashlib.sha256(data).hexdigest()}


def fallback_folder(project: Project) -> Path:
    """The recovery folder in the user's data folder, for a project folder that cannot be written."""
    home = os.environ.get("SEGSTUDIO_HOME")
    if home:
        base = Path(home)
    else:
        import platformdirs

        base = Path(platformdirs.user_data_dir("segstudio", appauthor=False))
    digest = hashlib.sha1(str(project.root.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return base / "recovery" / f"{project.root.resolve().name}-{digest}"


class RecoveryStore:
    """The recovery files of one project (Qt-free: plain file operations, all writes atomic).

    `folder` is where writes go, `folders` every folder read and cleaned. Autosave calls `claim()`
    first: from then on both are the folders this process owns (app/document/recovery_lock.py), so a
    second window on the project neither restores nor deletes the first one's files; `release()`
    gives them up when the project is closed."""

    def __init__(self, project: Project) -> None:
        self.project = project
        beside = project.root / RECOVERY_DIR
        self.folders = [beside, fallback_folder(project)]
        writable = project.is_writable() and os.access(project.root, os.W_OK | os.X_OK)
        #: Where recovery folders may be, the one to write under first: the project's own folder, or
        #: the user's data folder for a project that cannot be written (recovery_fallback.py switches).
        self.bases = self.folders if writable else self.folders[::-1]
        self.folder = self.bases[0]
        self._write_base = self.folder
        self._claimed: list[Path] = []
        self._writing: dict[Path, Path] | None = None  # base -> its folder this process writes to; None: unclaimed

    @property
    def write_base(self) -> Path:
        return self._write_base

    @write_base.setter
    def write_base(self, base: Path) -> None:
        self._write_base = base
        self.folder = base if self._writing is None else self._writing.get(base, base)

    def claim(self) -> None:
        """Own this process's recovery folders that exist (free ones, and those of dead windows).
        The folder written to is claimed, and made, at the first write: opening a project to look
        at it leaves no trace in it."""
        owned: list[Path] = []
        for base in self.bases:
            owned += claim_folders(base, writes=False)[1]
        self._claimed, self.folders = owned, list(owned)
        self._writing = {base: base for base in self.bases if base in owned}

    def _claim_for_writing(self) -> None:
        if self._writing is None or self._write_base in self._writing:
            return
        folder, owned = claim_folders(self._write_base)
        self.folder = folder
        if folder in owned:  # else (the disk refused even the lock) the next write tries again
            self._writing[self._write_base] = folder
        for folder in owned:
            if folder not in self._claimed:
                self._claimed.append(folder)
                self.folders.append(folder)

    def release(self) -> None:
        for folder in self._claimed:
            release(folder)
        self._claimed = []

    def png_path(self, image: Path) -> Path:
        return self.folder / f"{Path(image).stem}.png"

    def write(self, image: Path, label_map: np.ndarray, edited_at: float) -> Path:
        """Write one image's unsaved label map into `folder`; SegError when the disk refuses. (An older
        copy in another folder is removed by the caller: recovery_fallback.remove_elsewhere.)"""
        self._claim_for_writing()
        png = self.png_path(image)
        label_file = self.project.label_path(image)
        if png.resolve() == label_file.resolve():  # never over the label itself
            raise SegError(f"Recovery file {describe(png)} would overwrite the label; not written.", path=png)
        self.project.refuse_stem_clash(image, png, "recovery file")
        atomic_write_bytes(png, encode_label_png(label_map, self.project.classes))
        meta = {"version": RECOVERY_VERSION, "image": _relative(image, self.project.root),
                "label": _relative(label_file, self.project.root), "shape": list(label_map.shape),
                "base": file_facts(label_file), "edited_at": edited_at, "written_at": time.time()}
        atomic_write_text(png.with_suffix(".json"), json.dumps(meta, indent=1) + "\n")
        return png

    def remove(self, image: Path) -> None:
        for folder in self.folders:
            _remove_pair(folder, image)

    def remove_all(self) -> None:
        for folder in self.folders:
            for file in _recovery_files(folder):
                file.unlink(missing_ok=True)

    def entries(self) -> tuple[list[RecoveredEdit], list[str]]:
        """Readable recovered edits, and one sentence per recovery file that could not be used."""
        by_stem = {p.stem: p for p in self.project.image_paths()}
        edits, problems = [], []
        for folder in self.folders:
            for png in sorted(folder.glob("*.png")) if folder.is_dir() else []:
                image = by_stem.get(png.stem)
                if image is None:
                    problems.append(f"Recovery file {describe(png)} has no image in this project; kept.")
                    continue
                written_for = _meta(png).get("image")  # compared by name: the project may have moved
                if isinstance(written_for, str) and Path(written_for).name != image.name:
                    problems.append(f"Recovery file {describe(png)} holds edits of {describe(written_for)}, "
                                    f"not of {describe(image.name)}; kept.")
                    continue
                try:
                    label_map = read_label_png(png)
                except SegError as exc:
                    problems.append(f"{exc} It was not restored.")
                    continue
                edits.append(RecoveredEdit(image, label_map, self._base_changed(png, image), png))
        return edits, problems

    def _base_changed(self, png: Path, image: Path) -> bool:
        meta = _meta(png)
        if not meta:
            return False  # no metadata (crash between the two writes): the PNG alone is the edit
        base = meta.get("base")
        now = file_facts(self.project.label_path(image))
        same = (base is None and now is None) or (
            isinstance(base, dict) and isinstance(now, dict) and base.get("sha256") == now.get("sha256"))
        return not same


def _remove_pair(folder: Path, image: Path) -> None:
    if folder.is_symlink():  # never delete through a link (Project.open refuses one beside the project)
        return
    for suffix in (".png", ".json"):
        (folder / f"{Path(image).stem}{suffix}").unlink(missing_ok=True)


def _meta(png: Path) -> dict:
    """The `.json` beside a recovery PNG; empty when missing or unreadable (the PNG alone is the edit)."""
    try:
        meta = json.loads(read_regular_bytes(png.with_suffix(".json"), "recovery file").decode("utf-8"))
    except (OSError, ValueError, SegError):
        return {}
    return meta if isinstance(meta, dict) else {}


def _recovery_files(folder: Path) -> list[Path]:
    """The recovery files in `folder`: regular `.png`/`.json` files, never through a symlinked folder."""
    if folder.is_symlink() or not folder.is_dir():
        return []
    return [p for p in folder.iterdir() if p.suffix in (".png", ".json") and p.is_file() and not p.is_symlink()]


def _relative(path: Path, root: Path) -> str:
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return str(path)
