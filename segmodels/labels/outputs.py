"""Where a command may write: output options never land on the project's own data (DESIGN.md, "Rules
that protect the user's data").

Every output option (`predict --out`, `validate --previews`, `export --out`, `train --out`) is checked
here before anything is written. Paths are compared as resolved real paths, so `..` and symlinks
cannot lead around the check. Refused, in one sentence naming the option and the path:
- a folder output that is, or lies inside, the project's images, labels, predictions (unless that is
  the command's own default), models or recovery folder, or that is an existing file. A folder that is
  the project root itself (a plain folder of images) or a folder of the labels being validated guards
  only itself: `<stem>.png` files written in a sub-folder of it replace nothing there;
- a file output that is `segstudio.json` or lies inside the images, labels or predictions folder
  (`train --out`, checked in segmodels/cli/train.py; the run itself refuses to replace any existing file).
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from segmodels.errors import SegError, describe
from segmodels.labels.project import PROJECT_FILE, RECOVERY_DIR, Project


def real(path: str | os.PathLike[str]) -> Path:
    """The path with `..` and every symlink resolved (the parts that exist), for comparisons only."""
    return Path(os.path.realpath(os.path.abspath(os.fspath(path))))


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


@dataclass(frozen=True)
class ProtectedData:
    """Resolved folders and files an output must never land on, each with the words that name it."""

    folders: tuple[tuple[Path, str], ...]
    files: tuple[tuple[Path, str], ...] = ()
    #: folders whose sub-folders are protected too (the project's own images/, labels/, ...)
    whole: frozenset[Path] = frozenset()

    @classmethod
    def of_project(cls, project: Project, *, own: Path | None = None, folders: bool = True) -> ProtectedData:
        """The project's images, labels and predictions (less `own`, the command's default output);
        with `folders`, also its models and recovery folders (folder outputs write `<stem>.png` there)."""
        named = [(project.images_dir, "image folder"), (project.labels_dir, "label folder"),
                 (project.predictions_dir, "predictions folder")]
        if folders:
            named += [(project.models_dir, "models folder"), (project.root / RECOVERY_DIR, "recovery folder")]
        own_real = real(own) if own is not None else None
        root = real(project.root)
        kept = tuple((real(path), words) for path, words in named if real(path) != own_real)
        whole = frozenset(path for path, _words in kept if not _inside(root, path))
        return cls(kept, ((real(project.config_path), "project file"),), whole)

    def plus(self, folders: Iterable[tuple[Path, str]] = (), files: Iterable[tuple[Path, str]] = ()
             ) -> ProtectedData:
        """These folders (guarding only themselves) and files protected as well."""
        return ProtectedData(self.folders + tuple((real(p), w) for p, w in folders),
                             self.files + tuple((real(p), w) for p, w in files), self.whole)

    def clash(self, path: Path) -> str | None:
        """What `path` (resolved) would land on, or None."""
        for file, words in self.files:
            if path == file:
                return f"the {words} {describe(file)}"
        for folder, words in self.folders:
            if path == folder or (folder in self.whole and _inside(path, folder)):
                return f"the {words} {describe(folder)}" if path == folder else f"inside the {words} {describe(folder)}"
        return None


def check_output_folder(out: str | os.PathLike[str], protected: ProtectedData, option: str) -> Path:
    """`out` as given, after refusing a folder output that lands on protected data or on a file."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise SegError(f"{option} {describe(out)} exists and is not a folder; choose a folder.", path=out)
    target = real(out)
    clash = protected.clash(target)
    if clash is not None:
        raise SegError(f"{option} {describe(out)} is {clash}; nothing was written. Choose another folder.",
                       path=out)
    return out


__all__ = ["PROJECT_FILE", "ProtectedData", "check_output_folder", "real"]
