"""Where segstudio's bundled files live: class presets, the demo model, icons.

Installed with pip, `resources/` is the package `segstudio_resources`; in a source checkout it is the
`resources/` folder beside `segmodels/`. Callers ask for a path and never care which.
"""
from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path


@cache
def resources_dir() -> Path:
    # A source checkout uses its own resources/ first: an editable install of another checkout (a git
    # worktree beside it) would otherwise hand it that checkout's files.
    beside = Path(__file__).resolve().parent.parent / "resources"
    if (beside / "classes" / "voc.json").is_file():
        return beside
    spec = importlib.util.find_spec("segstudio_resources")
    if spec is not None and spec.submodule_search_locations:
        found = Path(next(iter(spec.submodule_search_locations)))
        if (found / "classes").is_dir():
            return found
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    """Path of a bundled file, e.g. resource_path("classes", "voc.json")."""
    return resources_dir().joinpath(*parts)
