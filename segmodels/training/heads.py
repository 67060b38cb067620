"""Fine-tuning onto another class table: the head's rows follow the class names, not the positions.

A model's class-dependent weights (the head's rows; for `m2nist_fcn` also both axes of its C x C
upsampling kernels) are found by building the architecture on PyTorch's "meta" device (shapes only,
no memory) for one more class: the axes that grow are class axes. Each class of the project then takes
the slice of the source checkpoint's class with the same name, wherever it sat; a name the source does
not have keeps the fresh initialisation; a source class the project lacks is left out. Everything
without a class axis is copied when its shape matches (docs/training.md#fine-tuning-onto-other-classes).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from segmodels.labels.classes import ClassTable
from segmodels.models.checkpoint import Checkpoint

#: How many names a note lists before it says "and N more".
NAMES_SHOWN = 12


@dataclass(frozen=True)
class HeadMapping:
    """Where each project class's head rows come from."""

    sources: tuple[int | None, ...]      # per project class: the source class index, or None (new)
    kept: tuple[str, ...]                # same name, same index
    moved: tuple[tuple[str, int, int], ...]  # (name, source index, project index)
    new: tuple[str, ...]                 # not in the source: freshly initialised rows
    dropped: tuple[str, ...]             # in the source, not in the project

    @classmethod
    def between(cls, source: ClassTable, target: ClassTable) -> HeadMapping:
        by_name: dict[str, int] = {}
        for index, name in enumerate(source.names):
            by_name.setdefault(name, index)  # a repeated name maps to its first row
        sources = tuple(by_name.get(name) for name in target.names)
        kept = tuple(name for i, (name, s) in enumerate(zip(target.names, sources, strict=True)) if s == i)
        moved = tuple((name, s, i) for i, (name, s) in enumerate(zip(target.names, sources, strict=True))
                      if s is not None and s != i)
        new = tuple(name for name, s in zip(target.names, sources, strict=True) if s is None)
        wanted = set(target.names)
        dropped = tuple(name for name in source.names if name not in wanted)
        return cls(sources, kept, moved, new, dropped)

    def sentence(self) -> str:
        """What happened to the head, e.g. "head rows matched by class name: 9 kept; 2 moved ('cat' 1->2,
        'dog' 2->1); 1 re-initialised ('bird', new); 1 dropped ('fish')"."""
        parts = [f"{len(self.kept)} kept in place"]
        if self.moved:
            parts.append(f"{len(self.moved)} moved ({_listed([f'{n!r} {a}->{b}' for n, a, b in self.moved])})")
        if self.new:
            parts.append(f"{len(self.new)} re-initialised ({_listed([repr(n) for n in self.new])}, new)")
        if self.dropped:
            parts.append(f"{len(self.dropped)} dropped ({_listed([repr(n) for n in self.dropped])}, "
                         "not in the project)")
        return "head rows matched by class name: " + "; ".join(parts)


def _listed(items: list[str]) -> str:
    shown = ", ".join(items[:NAMES_SHOWN])
    return shown if len(items) <= NAMES_SHOWN else f"{shown} and {len(items) - NAMES_SHOWN} more"


def class_axes(source: Checkpoint, own: dict[str, torch.Tensor], count: int) -> dict[str, tuple[int, ...] | None]:
    """Per weight of `own` (built for `count` classes): its class axes, () for none, or None when its shape
    depends on the class count in another way (it cannot be mapped row by row and stays fresh)."""
    return class_axes_of(source.arch, source.arch_kwargs, own, count)


def class_axes_of(arch: str, arch_kwargs: dict[str, Any], own: dict[str, torch.Tensor],
                  count: int) -> dict[str, tuple[int, ...] | None]:
    """`class_axes` for architecture `arch` built with `arch_kwargs`."""
    from segmodels.models import get_model

    kwargs = {k: v for k, v in arch_kwargs.items() if k not in ("pretrained_backbone", "require_pretrained")}
    with torch.device("meta"):  # shapes only: costs nothing even for a large model
        grown = get_model(arch, num_classes=count + 1, **kwargs).state_dict()
    axes: dict[str, tuple[int, ...] | None] = {}
    for key, tensor in own.items():
        other = grown.get(key)
        if other is None or other.ndim != tensor.ndim:
            axes[key] = None
            continue
        changed = [i for i, (a, b) in enumerate(zip(tensor.shape, other.shape, strict=True)) if a != b]
        axes[key] = tuple(changed) if all(tensor.shape[i] == count and other.shape[i] == count + 1
                                          for i in changed) else None
    return axes


def mapped_rows(stored: torch.Tensor, fresh: torch.Tensor, class_dims: tuple[int, ...],
            pairs: list[tuple[int, int]]) -> torch.Tensor:
    """`fresh` with every entry whose class indices all have a source class taken from `stored`.

    The index tensors are shaped so they broadcast to the grid of kept classes over all class axes
    (both axes of a C x C kernel); the same pattern on both sides lines the entries up.
    """
    result = fresh.detach().clone()
    if not pairs:
        return result
    target_rows = torch.tensor([t for t, _ in pairs], dtype=torch.long)
    source_rows = torch.tensor([s for _, s in pairs], dtype=torch.long)
    into: list[slice | torch.Tensor] = [slice(None)] * fresh.ndim
    from_: list[slice | torch.Tensor] = [slice(None)] * fresh.ndim
    for position, axis in enumerate(class_dims):
        shape = [1] * len(class_dims)
        shape[position] = -1
        into[axis] = target_rows.view(shape)
        from_[axis] = source_rows.view(shape)
    result[tuple(into)] = stored[tuple(from_)].to(result.dtype)
    return result


def transfer(source: Checkpoint, own: dict[str, torch.Tensor], target: ClassTable
             ) -> tuple[dict[str, torch.Tensor], HeadMapping, list[str]]:
    """(weights to load into the model built for `target`, the mapping, names of weights left fresh)."""
    mapping = HeadMapping.between(source.classes, target)
    axes = class_axes(source, own, len(target))
    pairs = [(i, s) for i, s in enumerate(mapping.sources) if s is not None]
    to_load: dict[str, torch.Tensor] = {}
    fresh: list[str] = []
    for key, tensor in own.items():
        stored = source.state_dict.get(key)
        class_dims = axes.get(key)
        if stored is None or class_dims is None or stored.ndim != tensor.ndim:
            fresh.append(key)
            continue
        expected = tuple(len(source.classes) if i in class_dims else n for i, n in enumerate(tensor.shape))
        if tuple(stored.shape) != expected:
            fresh.append(key)
            continue
        if not class_dims:
            to_load[key] = stored
            continue
        to_load[key] = mapped_rows(stored, tensor, class_dims, pairs)
    return to_load, mapping, fresh
