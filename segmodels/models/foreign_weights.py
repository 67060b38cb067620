"""Weights from outside segstudio, loaded into a chosen architecture: every tensor that fits, and a sentence.

A source is a file or `torchvision[:NAME]`:
- a file: a plain PyTorch state_dict, a training script's dict holding one (under "state_dict", "model",
  ...), a torchvision weights file, or a segstudio checkpoint. It is always read with
  `torch.load(weights_only=True)` (`checkpoint.read_safely`), so a pickle that carries code is refused
  with one sentence naming the file before anything in it runs.
- `torchvision` (the architecture's DEFAULT weights) or `torchvision:NAME` (e.g. COCO_WITH_VOC_LABELS_V1):
  torchvision's full segmentation weights through its weights API and the torch hub cache
  (`segmodels.models.pretrained`: offline and not cached is one sentence; never a hang).

Matching (docs/training.md#weights-from-outside): wrapper prefixes ("module." from DistributedDataParallel,
"_orig_mod." from torch.compile) are stripped; then, of the renamings "drop one leading name of the file's
keys, put one of the model's module paths in front", the one that fits the most tensors by name and shape
is used: torchvision's `backbone.conv1.weight` is segstudio's `net.backbone.conv1.weight`, an ImageNet
ResNet-50's `conv1.weight` is deeplabv3plus's `backbone.body.conv1.weight`. What fits is loaded; the rest
keeps its fresh initialisation and the sentence says what, e.g. "loaded 312 of 318 tensors; 6 new: the
classifier for 3 classes" (class-dependent tensors found as in `segmodels.training.heads`). torchvision's
weights name their classes (`meta["categories"]`): the classifier's rows of a project class with the same
name (case aside; "__background__" is "background") are taken from it. A source of which nothing fits is
a SegError (most likely the wrong --arch).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from segmodels.errors import SegError, describe
from segmodels.labels.project import Project

TORCHVISION = "torchvision"
#: Prefixes that wrappers put before every key; never part of the network's own names.
WRAPPER_PREFIXES = ("module.", "_orig_mod.")
#: Where training scripts commonly keep the state_dict inside a bigger dict (first match wins).
CONTAINER_KEYS = ("state_dict", "model_state_dict", "model", "net", "network", "weights")
#: How deep a model's module paths are tried as the prefix put in front of the file's names.
PREFIX_DEPTH = 3
#: How many matched class names a sentence lists.
NAMES_SHOWN = 8


@dataclass(frozen=True)
class ForeignWeights:
    tensors: dict[str, torch.Tensor]
    origin: str  # how sentences name the source: "'resnet.pth'" or "torchvision COCO_WITH_VOC_LABELS_V1"
    categories: tuple[str, ...] = ()  # the class of each head row, when the source says (torchvision's do)


@dataclass(frozen=True)
class LoadReport:
    """What one load did: `loaded` of the model's `total` tensors came from the source."""

    origin: str
    loaded: int
    total: int
    num_classes: int
    new_class: tuple[str, ...]   # class-dependent tensors left fresh (the classifier for these classes)
    new_other: tuple[str, ...]   # other tensors left fresh
    unused: int                  # tensors of the source that fit nothing
    matched: tuple[str, ...] = ()  # project classes whose head rows came from the source's categories

    def sentence(self) -> str:
        text = f"{self.origin}: loaded {self.loaded} of {self.total} tensors"
        new = len(self.new_class) + len(self.new_other)
        if new:
            parts = [f"the classifier for {self.num_classes} classes"] if self.new_class else []
            if self.new_other:
                parts.append(f"{len(self.new_other)} other{'s' if len(self.new_other) > 1 else ''} "
                             f"(first: {self.new_other[0]})")
            text += f"; {new} new: " + " and ".join(parts)
        if self.matched:
            text += (f"; the classifier's rows for {len(self.matched)} of {self.num_classes} classes came from the "
                     f"source's categories by name ({', '.join(self.matched[:NAMES_SHOWN])}"
                     f"{', ...' if len(self.matched) > NAMES_SHOWN else ''})")
            if len(self.matched) < self.num_classes:
                text += f", the other {self.num_classes - len(self.matched)} class(es)' rows start fresh"
        if self.unused:
            text += f"; {self.unused} of the source's tensors fit nothing here"
        return text


def is_torchvision(source: str) -> bool:
    """Whether `source` names torchvision's weights rather than a file (a file of that name wins)."""
    return (source == TORCHVISION or source.startswith(f"{TORCHVISION}:")) and not Path(source).exists()


def read_foreign(source: str, arch: str) -> ForeignWeights:
    """The named tensors of `source` (a file, or torchvision's weights for `arch`)."""
    if is_torchvision(source):
        return _torchvision_weights(source.partition(":")[2], arch)
    from segmodels.models.checkpoint import read_safely

    path = Path(source)
    return ForeignWeights(_tensors_in(read_safely(path, kind="Weights file"), path), describe(path))


def _tensors_in(data: Any, path: Path) -> dict[str, torch.Tensor]:
    """The state_dict inside what a file held, wrapper prefixes stripped."""
    if isinstance(data, Mapping) and not any(isinstance(v, torch.Tensor) for v in data.values()):
        data = next((data[key] for key in CONTAINER_KEYS if isinstance(data.get(key), Mapping)), data)
    tensors = {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, torch.Tensor)} \
        if isinstance(data, Mapping) else {}
    if not tensors:
        raise SegError(f"Weights file {describe(path)} holds no named tensors (no state_dict, nor one under "
                       f"{', '.join(repr(k) for k in CONTAINER_KEYS)}).", path=path)
    stripped: dict[str, torch.Tensor] = {}
    for key, tensor in tensors.items():
        while key.startswith(WRAPPER_PREFIXES):
            key = key.split(".", 1)[1]
        stripped[key] = tensor
    return stripped


def _torchvision_weights(name: str, arch: str) -> ForeignWeights:
    from torchvision.models import get_model_weights

    from segmodels.models.pretrained import fetch_state_dict

    try:
        choices = get_model_weights(arch)
    except (ValueError, KeyError):
        raise SegError(f"torchvision has no weights for architecture '{arch}'; give a weights file instead, or "
                       "one of its own architectures (see `segstudio models`).") from None
    try:
        weights = choices[name] if name else choices.DEFAULT
    except KeyError:
        raise SegError(f"torchvision has no weights '{name}' for {arch}; it has "
                       f"{', '.join(w.name for w in choices)}.") from None
    state = fetch_state_dict(weights, what=arch, require=True, kind=f"torchvision {weights.name}")
    return ForeignWeights({k: v for k, v in (state or {}).items() if isinstance(v, torch.Tensor)},
                          f"torchvision {weights.name}", tuple(weights.meta.get("categories", ())))


def _module_prefixes(keys: list[str]) -> list[str]:
    prefixes = {".".join(key.split(".")[:depth]) + "." for key in keys
                for depth in range(1, min(PREFIX_DEPTH, key.count(".")) + 1)}
    return ["", *sorted(prefixes)]


def best_renaming(tensors: dict[str, torch.Tensor], own: dict[str, torch.Tensor]
                  ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """(the source's tensors under the model's names by the renaming that fits the most, ties going to no
    renaming; of those, the ones that fit by shape)."""
    dropped = ["", *sorted({key.split(".", 1)[0] + "." for key in tensors if "." in key})]
    best: tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]] = ({}, {})
    for drop in dropped:
        for add in _module_prefixes(list(own)):
            renamed = {add + key[len(drop):]: tensor for key, tensor in tensors.items() if key.startswith(drop)}
            fitted = {key: tensor for key, tensor in renamed.items()
                      if key in own and tuple(own[key].shape) == tuple(tensor.shape)}
            if len(fitted) > len(best[1]):
                best = (renamed, fitted)
    return best


def _head_rows(categories: tuple[str, ...], class_names: tuple[str, ...], renamed: dict[str, torch.Tensor],
               own: dict[str, torch.Tensor], axes: dict[str, tuple[int, ...] | None]
               ) -> tuple[dict[str, torch.Tensor], tuple[str, ...]]:
    """Class-dependent tensors with the rows of each project class named among `categories` taken from
    the source (the others fresh), and the names matched."""
    from segmodels.training.heads import mapped_rows

    by_name: dict[str, int] = {}
    for index, name in enumerate(categories):
        by_name.setdefault(name.strip("_").lower(), index)
    pairs = [(target, by_name[name.lower()]) for target, name in enumerate(class_names) if name.lower() in by_name]
    rows: dict[str, torch.Tensor] = {}
    for key, dims in axes.items():
        stored = renamed.get(key)
        if not dims or stored is None or not pairs:
            continue
        if tuple(stored.shape) == tuple(len(categories) if i in dims else n for i, n in enumerate(own[key].shape)):
            rows[key] = mapped_rows(stored, own[key], dims, pairs)
    return rows, tuple(class_names[target] for target, _ in pairs) if rows else ()


def load_foreign(model: torch.nn.Module, source: str, *, arch: str, num_classes: int,
                 class_names: tuple[str, ...] = ()) -> LoadReport:
    """Load every tensor of `source` that fits `model` (built by get_model as `arch` for `num_classes`, named
    `class_names` when known: then a source that names its categories gives the head rows of the same names)."""
    weights = read_foreign(source, arch)
    own = model.state_dict()
    renamed, fitted = best_renaming(weights.tensors, own)
    if not fitted:
        first, tensor = next(iter(weights.tensors.items()))
        raise SegError(f"{weights.origin} has no tensor that fits architecture '{arch}' by name and shape "
                       f"(its first is {first} {tuple(tensor.shape)}); is it weights for another architecture?",
                       path=None if is_torchvision(source) else source)
    from segmodels.training.heads import class_axes_of

    axes = class_axes_of(arch, dict(getattr(model, "arch_kwargs", {})), own, num_classes)
    rows, matched = _head_rows(weights.categories, class_names, renamed, own, axes) if class_names else ({}, ())
    fitted.update(rows)
    model.load_state_dict(fitted, strict=False)
    new = [key for key in own if key not in fitted]
    return LoadReport(weights.origin, len(fitted), len(own), num_classes,
                      tuple(key for key in new if axes.get(key) != ()),
                      tuple(key for key in new if axes.get(key) == ()), len(weights.tensors) - len(fitted), matched)


@dataclass(frozen=True)
class ImportedWeights:
    checkpoint: Path
    sentence: str


def import_weights(source: str, arch: str, project: Project) -> ImportedWeights:
    """A new segstudio checkpoint in the project's models/ folder: `arch` (its default options) for the
    project's classes, holding every tensor of `source` that fits (the Model dock's Open… with a file that
    is not a segstudio checkpoint). Its head is mostly fresh, so the sentence says to fine-tune it."""
    from segmodels.models import get_model
    from segmodels.models.catalog import training_defaults
    from segmodels.models.checkpoint import save_checkpoint
    from segmodels.training.config import new_checkpoint_path

    classes = project.classes
    model = get_model(arch, num_classes=len(classes), **training_defaults(arch)["model_kwargs"])
    report = load_foreign(model, source, arch=arch, num_classes=len(classes), class_names=tuple(classes.names))
    path = save_checkpoint(new_checkpoint_path(project.models_dir, f"{arch}-imported"), model, classes=classes)
    advice = "; fine-tune it on your labels before predicting" if report.new_class else ""
    return ImportedWeights(path, f"{report.sentence()}; saved as {path.name}{advice}.")
