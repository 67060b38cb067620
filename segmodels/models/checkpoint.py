"""segstudio checkpoints: one `.pt` file that a safe loader can open (DESIGN.md, "Checkpoints").

The file is a dict of plain values and tensors only, so `torch.load(weights_only=True)` reads it and
a checkpoint from a stranger cannot run code: a file that carries pickled objects is refused before
anything in it executes. The dict holds a format tag and version, the architecture name and builder
kwargs, the class table, the input normalisation, the state_dict, and optionally the training
configuration, metrics, optimiser/scheduler state, epoch, data split and free-form extras.

Every refusal (pickled code, foreign file, wrong version, wrong class count, truncated, corrupt,
empty) is a SegError with one sentence naming the file. Writes are atomic.
"""
from __future__ import annotations

import enum
import io
import os
import pickle
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

import numpy as np
import torch

from segmodels import __version__
from segmodels.atomic import atomic_write_bytes
from segmodels.errors import SegError, describe
from segmodels.inference.preprocess import Normalization
from segmodels.labels.classes import ClassTable

FORMAT_TAG = "segstudio-checkpoint"
FORMAT_VERSION = 1
_REQUIRED = ("arch", "arch_kwargs", "classes", "normalization", "state_dict")


@dataclass
class Checkpoint:
    """What a checkpoint holds, already validated."""

    arch: str
    arch_kwargs: dict[str, Any]
    classes: ClassTable
    normalization: Normalization
    state_dict: dict[str, torch.Tensor]
    train_config: dict[str, Any] | None = None
    metrics: dict[str, Any] | None = None
    optimizer_state: dict[str, Any] | None = None
    scheduler_state: dict[str, Any] | None = None
    epoch: int | None = None
    split: dict[str, Any] | None = None
    extra: dict[str, Any] | None = None
    path: Path | None = None
    segstudio_version: str = field(default="")

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def build_model(self) -> Any:
        """Rebuild the architecture (no pretrained download) and load the weights."""
        from segmodels.models import get_model

        where = describe(self.path) if self.path else "The checkpoint"
        try:
            model = get_model(self.arch, num_classes=self.num_classes, **self.arch_kwargs)
        except SegError as exc:
            raise SegError(f"Checkpoint {where} cannot be rebuilt: {exc}", path=self.path) from None
        except TypeError as exc:
            raise SegError(f"Checkpoint {where} has arguments that architecture '{self.arch}' "
                           f"does not take ({exc}).", path=self.path) from None
        result = model.load_state_dict(self.state_dict, strict=False)
        if result.missing_keys or result.unexpected_keys:
            missing = ", ".join(result.missing_keys[:3]) or "none"
            unexpected = ", ".join(result.unexpected_keys[:3]) or "none"
            raise SegError(f"Checkpoint {where} does not fit architecture '{self.arch}' "
                           f"(missing weights: {missing}; unexpected weights: {unexpected}).", path=self.path)
        model.normalization = self.normalization
        model.eval()
        return model


# -- saving ------------------------------------------------------------------------------------
def _plain(value: Any, where: str) -> Any:
    """Convert to what a weights-only load accepts: dicts, lists, str, numbers, None, tensors."""
    if value is None or isinstance(value, (str, bool, int, float, torch.Tensor)):
        return value.detach().cpu() if isinstance(value, torch.Tensor) else value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(value))
    if isinstance(value, (PurePath, torch.device, torch.dtype)):
        return str(value)
    if isinstance(value, enum.Enum):
        return _plain(value.value, where)
    if isinstance(value, dict):
        return {(k if isinstance(k, (str, int)) else str(k)): _plain(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v, f"{where}[]") for v in value]
    raise SegError(f"Cannot save '{where}' in a checkpoint: a {type(value).__name__} is not a plain value "
                   "(only numbers, text, lists, dicts and tensors are stored, so loading can never run code).")


def save_checkpoint(path: str | os.PathLike[str], model: Any, *, classes: ClassTable,
                    normalization: Normalization | dict | None = None, train_config: dict | None = None,
                    metrics: dict | None = None, optimizer_state: dict | None = None,
                    scheduler_state: dict | None = None, epoch: int | None = None, split: dict | None = None,
                    extra: dict | None = None) -> Path:
    """Write `model` and its metadata to `path` atomically; returns the path."""
    path = Path(path)
    arch = getattr(model, "arch", None)
    if not arch:
        raise SegError("Only models built with get_model() can be saved: the model does not record its architecture.")
    num_classes = getattr(model, "num_classes", len(classes))
    if num_classes != len(classes):
        raise SegError(f"Cannot save {describe(path)}: the model predicts {num_classes} classes "
                       f"but the class table has {len(classes)}.", path=path)
    norm = Normalization.from_dict(normalization) if normalization is not None else model.normalization
    # Unwrap DistributedDataParallel / compiled modules so the keys carry no "module." prefix.
    inner = getattr(model, "module", None) or getattr(model, "_orig_mod", None) or model
    payload = {
        "format": FORMAT_TAG, "version": FORMAT_VERSION, "segstudio_version": __version__,
        "arch": str(arch), "arch_kwargs": _plain(dict(getattr(model, "arch_kwargs", {})), "arch_kwargs"),
        "num_classes": len(classes), "classes": classes.to_json(), "normalization": norm.to_dict(),
        "state_dict": {k: v.detach().cpu() for k, v in inner.state_dict().items()},
        "train_config": _plain(train_config, "train_config"), "metrics": _plain(metrics, "metrics"),
        "optimizer_state": _plain(optimizer_state, "optimizer_state"),
        "scheduler_state": _plain(scheduler_state, "scheduler_state"),
        "epoch": None if epoch is None else int(epoch), "split": _plain(split, "split"),
        "extra": _plain(extra, "extra"),
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    atomic_write_bytes(path, buffer.getvalue())
    return path


# -- loading -----------------------------------------------------------------------------------
def _read_safely(path: Path) -> Any:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise SegError(f"Checkpoint {describe(path)} does not exist.", path=path) from None
    except OSError as exc:
        raise SegError(f"Checkpoint {describe(path)} cannot be read ({exc.strerror or exc}).", path=path) from None
    if path.is_dir():
        raise SegError(f"Checkpoint {describe(path)} is a folder, not a .pt file.", path=path)
    if size == 0:
        raise SegError(f"Checkpoint {describe(path)} is empty (0 bytes).", path=path)
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as archive:
                if archive.testzip() is not None:
                    raise zipfile.BadZipFile("bad CRC")
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, KeyError, IndexError,
                struct.error, zlib.error):
            # ValueError covers UnicodeDecodeError from damaged member names (found by fuzzing).
            raise SegError(f"Checkpoint {describe(path)} is truncated or corrupt.", path=path) from None
    elif not head.startswith(b"\x80"):  # neither torch's zip format nor a legacy pickle
        raise SegError(f"Checkpoint {describe(path)} is not a PyTorch checkpoint file.", path=path)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        blocked = _blocked_global(str(exc))
        raise SegError(f"Checkpoint {describe(path)} was refused because it contains pickled code or objects"
                       f"{blocked} that a safe load does not run; only segstudio checkpoints can be opened.",
                       path=path) from None
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile, KeyError, IndexError, TypeError,
            AttributeError, NotImplementedError, OverflowError, MemoryError, struct.error, zlib.error,
            AssertionError) as exc:  # torch asserts on damaged persistent ids (found by fuzzing)
        raise SegError(f"Checkpoint {describe(path)} is truncated or corrupt ({type(exc).__name__}).",
                       path=path) from None


def _blocked_global(message: str) -> str:
    for line in message.splitlines():
        if "GLOBAL" in line:
            words = line.split("GLOBAL", 1)[1].split()  # may be empty for a damaged stream (fuzzing)
            name = words[0].strip("`'\":,") if words else ""
            return f" ({name})" if name else ""
    return ""


def _validate(data: Any, path: Path, num_classes: int | None) -> None:
    if not isinstance(data, dict) or data.get("format") != FORMAT_TAG:
        raise SegError(f"Checkpoint {describe(path)} is not a segstudio checkpoint (it has no segstudio format "
                       "tag; a bare state_dict or another program's file cannot be opened).", path=path)
    version = data.get("version")
    if version != FORMAT_VERSION:
        newer = isinstance(version, int) and version > FORMAT_VERSION
        raise SegError(f"Checkpoint {describe(path)} has format version {version!r}"
                       f"{' (written by a newer segstudio)' if newer else ''}; this segstudio reads version "
                       f"{FORMAT_VERSION}.", path=path)
    missing = [key for key in _REQUIRED if key not in data]
    if missing:
        raise SegError(f"Checkpoint {describe(path)} is incomplete: it lacks {', '.join(missing)}.", path=path)
    stored = len(data["classes"]) if isinstance(data["classes"], list) else -1
    if data.get("num_classes", stored) != stored:
        raise SegError(f"Checkpoint {describe(path)} is inconsistent: it lists {stored} classes but records "
                       f"{data.get('num_classes')}.", path=path)
    if num_classes is not None and stored != num_classes:
        raise SegError(f"Checkpoint {describe(path)} predicts {stored} classes but {num_classes} are needed "
                       "here; pick a checkpoint trained for these classes.", path=path)


def load_checkpoint(path: str | os.PathLike[str], *, num_classes: int | None = None,
                    map_location: str | torch.device = "cpu") -> Checkpoint:
    """Load and validate a checkpoint without running any code from it."""
    path = Path(path)
    data = _read_safely(path)
    _validate(data, path, num_classes)
    try:
        classes = ClassTable.from_json(data["classes"], source=f"class list of checkpoint {describe(path)}")
        normalization = Normalization.from_dict(data["normalization"])
    except SegError as exc:
        raise SegError(f"Checkpoint {describe(path)} is damaged: {exc}", path=path) from None
    state_dict = data["state_dict"]
    if not isinstance(state_dict, dict) or not all(isinstance(v, torch.Tensor) for v in state_dict.values()):
        raise SegError(f"Checkpoint {describe(path)} is damaged: its weights are not a dict of tensors.", path=path)
    if str(map_location) != "cpu":
        state_dict = {k: v.to(map_location) for k, v in state_dict.items()}
    epoch = data.get("epoch")
    return Checkpoint(
        arch=str(data["arch"]), arch_kwargs=dict(data["arch_kwargs"] or {}), classes=classes,
        normalization=normalization, state_dict=state_dict, train_config=data.get("train_config"),
        metrics=data.get("metrics"), optimizer_state=data.get("optimizer_state"),
        scheduler_state=data.get("scheduler_state"), epoch=None if epoch is None else int(epoch),
        split=data.get("split"), extra=data.get("extra"), path=path,
        segstudio_version=str(data.get("segstudio_version", "")),
    )
