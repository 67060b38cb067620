"""Lazy re-exports for package `__init__` modules (PEP 562 module `__getattr__`).

`segmodels`, `segmodels.models` and `segmodels.training` import without torch, so the GUI's first
frame and `segstudio --help` stay light, yet `from segmodels.training import fit` still works: the
name's module is imported the first time the name is asked for. The value is then stored in the
package, so later lookups (and monkeypatch's restore) no longer come here.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, names: Mapping[str, str], namespace: dict[str, Any], *,
                 before: Callable[[], None] | None = None) -> Callable[[str], Any]:
    """A module `__getattr__` serving `names` (name -> module that defines it) for `package`.

    `before` runs ahead of the first import (the model registry imports its architecture modules
    there, since a registry without its builders would list nothing)."""

    def __getattr__(name: str) -> Any:  # noqa: N807 - the module hook's required name
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        if before is not None:
            before()
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    return __getattr__
