"""segstudio checkpoints: one `.pt` file that a safe loader can open (DESIGN.md, "Checkpoints").

The file is a dict of plain values and tensors only, so `torch.load(weights_only=True)` reads it and
a checkpoint from a stranger cannot run code: a file that carries pickled objects is refused before
anything in it executes. The dict holds a format tag and version, the architecture name and builder
kwargs, the class table, the input normalisation, the state_dict, and optionally the training
configuration, metrics, optimiser/scheduler state, epoch, data split and free-form extras.

Every refusal (pickled code, foreign file, wrong version, wrong class count, truncated, corrupt,
empty, zip members or model arguments that declare more than a checkpoint can hold, weights whose
shapes do not fit the architecture) is a SegError with one sentence naming the file, raised before
anything large is allocated: the model is first built on PyTorch's "meta" device (shapes only, no
memory) and compared with the stored weights. Loading never downloads: pretrained-weight requests
in a checkpoint's arguments are forced off (the weights come from the checkpoint). Writes are atomic.
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
from segmodels.atomic import atomic_write_bytes, require_regular_file
from segmodels.errors import SegError, describe
from segmodels.inference.preprocess import Normalization
from segmodels.labels.classes import ClassTable
from segmodels.models.checkpoint_format import FORMAT_TAG

FORMAT_VERSION = 1
_REQUIRED = ("arch", "arch_kwargs", "classes", "normalization", "state_dict")
#: Builder arguments that would fetch weights from the network: never taken from a checkpoint.
_NO_DOWNLOAD = {"pretrained_backbone": False, "require_pretrained": False}
#: How deeply a checkpoint's model arguments may nest (real ones are flat: numbers, names, short lists).
MAX_KWARGS_DEPTH = 8
#: The most parameters a checkpoint's architecture may declare (the largest catalog model has ~135 M).
MAX_PARAMETERS = 1_000_000_000
#: Zip members may declare at most this much more than the file's size (torch stores them uncompressed).
_ZIP_SLACK_BYTES = 1 << 20


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

    def _where(self) -> str:
        return describe(self.path) if self.path else "The checkpoint"

    def build_architecture(self, num_classes: int | None = None) -> Any:
        """The architecture with fresh weights for `num_classes` (default: the checkpoint's own), built only
        after a shape-only build on the meta device shows it is of a sane size; never downloads."""
        from segmodels.models import get_model

        where = self._where()
        kwargs = {k: v for k, v in self.arch_kwargs.items() if k not in _NO_DOWNLOAD}
        classes = self.num_classes if num_classes is None else num_classes
        for device in ("meta", "cpu"):  # meta first: a model of 10^9 weights costs nothing there
            try:
                with torch.device(device):
                    model = get_model(self.arch, num_classes=classes, **_NO_DOWNLOAD, **kwargs)
            except SegError as exc:
                raise SegError(f"Checkpoint {where} cannot be rebuilt: {exc}", path=self.path) from None
            except TypeError as exc:
                raise SegError(f"Checkpoint {where} has arguments that architecture '{self.arch}' "
                               f"does not take ({exc}).", path=self.path) from None
            except (ValueError, RuntimeError, OverflowError, ZeroDivisionError, IndexError) as exc:
                raise SegError(f"Checkpoint {where} has model arguments that architecture '{self.arch}' cannot "
                               f"be built with ({type(exc).__name__}).", path=self.path) from None
            if device == "meta":
                count = sum(t.numel() for t in model.state_dict().values())
                if count > MAX_PARAMETERS:
                    raise SegError(f"Checkpoint {where} asks for a '{self.arch}' model of {count:,} weights (arguments "
                                   f"{kwargs}); more than {MAX_PARAMETERS:,} is refused.", path=self.path)
                if num_classes is None:
                    self._check_fit(model.state_dict())
        return model

    def _check_fit(self, own: dict[str, torch.Tensor]) -> None:
        missing = [k for k in own if k not in self.state_dict]
        unexpected = [k for k in self.state_dict if k not in own]
        if missing or unexpected:
            raise SegError(f"Checkpoint {self._where()} does not fit architecture '{self.arch}' "
                           f"(missing weights: {', '.join(missing[:3]) or 'none'}; "
                           f"unexpected weights: {', '.join(unexpected[:3]) or 'none'}).", path=self.path)
        for key, tensor in own.items():
            stored = self.state_dict[key]
            if tuple(stored.shape) != tuple(tensor.shape):
                raise SegError(f"Checkpoint {self._where()} does not fit architecture '{self.arch}': weight {key} "
                               f"has shape {tuple(stored.shape)} but the architecture needs {tuple(tensor.shape)}.",
                               path=self.path)

    def build_model(self) -> Any:
        """Rebuild the architecture (no pretrained download) and load the weights."""
        model = self.build_architecture()
        try:
            model.load_state_dict(self.state_dict, strict=True)
        except RuntimeError as exc:  # e.g. a dtype that cannot be copied; shapes and keys were checked
            raise SegError(f"Checkpoint {self._where()} has weights that cannot be loaded into '{self.arch}' "
                           f"({str(exc).splitlines()[0][:120]}).", path=self.path) from None
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
def read_safely(path: Path, kind: str = "Checkpoint") -> Any:
    """What `torch.load(weights_only=True)` gives for `path`, after cheap checks; every failure is one
    sentence that starts with `kind` and names the file."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise SegError(f"{kind} {describe(path)} does not exist.", path=path) from None
    except OSError as exc:
        raise SegError(f"{kind} {describe(path)} cannot be read ({exc.strerror or exc}).", path=path) from None
    if path.is_dir():
        raise SegError(f"{kind} {describe(path)} is a folder, not a .pt file.", path=path)
    require_regular_file(path, kind.lower())  # a FIFO or device would block or read without end
    if size == 0:
        raise SegError(f"{kind} {describe(path)} is empty (0 bytes).", path=path)
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as archive:
                _check_declared_sizes(archive, path, size, kind)
                if archive.testzip() is not None:
                    raise zipfile.BadZipFile("bad CRC")
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, KeyError, IndexError,
                struct.error, zlib.error):
            # ValueError covers UnicodeDecodeError from damaged member names (found by fuzzing).
            raise SegError(f"{kind} {describe(path)} is truncated or corrupt.", path=path) from None
    elif not head.startswith(b"\x80"):  # neither torch's zip format nor a legacy pickle
        raise SegError(f"{kind} {describe(path)} is not a PyTorch checkpoint file.", path=path)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        blocked = _blocked_global(str(exc))
        raise SegError(f"{kind} {describe(path)} was refused because it contains pickled code or objects"
                       f"{blocked} that a safe load does not run; only tensors and plain values are loaded.",
                       path=path) from None
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile, KeyError, IndexError, TypeError,
            AttributeError, NotImplementedError, OverflowError, MemoryError, struct.error, zlib.error,
            AssertionError) as exc:  # torch asserts on damaged persistent ids (found by fuzzing)
        raise SegError(f"{kind} {describe(path)} is truncated or corrupt ({type(exc).__name__}).",
                       path=path) from None


def _check_declared_sizes(archive: zipfile.ZipFile, path: Path, size: int, kind: str) -> None:
    """Refuse members that declare more bytes than the file could hold, before any is read."""
    declared = sum(max(info.file_size, 0) for info in archive.infolist())
    if declared > size + _ZIP_SLACK_BYTES:
        raise SegError(f"{kind} {describe(path)} declares {declared:,} bytes of content in a file of {size:,} "
                       "bytes; it is refused before reading (a damaged or hostile file).", path=path)


def _check_kwargs(value: Any, path: Path) -> dict[str, Any]:
    """The model arguments as a flat-enough dict of plain values, or one sentence naming the file."""
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise SegError(f"Checkpoint {describe(path)} is damaged: its model arguments (arch_kwargs) are a "
                       f"{type(value).__name__}, not a mapping of names to values.", path=path)
    stack = [(value, 1)]
    while stack:  # iterative: a 3000-deep nesting must not reach Python's recursion limit
        item, depth = stack.pop()
        if depth > MAX_KWARGS_DEPTH:
            raise SegError(f"Checkpoint {describe(path)} is damaged: its model arguments (arch_kwargs) are nested "
                           f"more than {MAX_KWARGS_DEPTH} levels deep.", path=path)
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend((v, depth + 1) for v in item)
        elif not (item is None or isinstance(item, (str, int, float, bool))):
            raise SegError(f"Checkpoint {describe(path)} is damaged: its model arguments (arch_kwargs) hold a "
                           f"{type(item).__name__}, not a plain value.", path=path)
    return dict(value)


def _check_epoch(value: Any, path: Path) -> int | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SegError(f"Checkpoint {describe(path)} is damaged: its epoch is {str(value)[:40]!r}, "
                       "not a whole number of epochs.", path=path)
    return value


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
                       "tag); a bare state_dict or another program's weights load into a chosen architecture: "
                       "`segstudio train --from FILE --arch ARCH`, or Open… in the Model dock.", path=path)
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
    data = read_safely(path)
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
    epoch = _check_epoch(data.get("epoch"), path)
    if not isinstance(data["arch"], str):
        raise SegError(f"Checkpoint {describe(path)} is damaged: its architecture name is a "
                       f"{type(data['arch']).__name__}, not text.", path=path)
    arch_kwargs = _check_kwargs({} if data["arch_kwargs"] is None else data["arch_kwargs"], path)
    return Checkpoint(
        arch=data["arch"], arch_kwargs=arch_kwargs, classes=classes,
        normalization=normalization, state_dict=state_dict, train_config=data.get("train_config"),
        metrics=data.get("metrics"), optimizer_state=data.get("optimizer_state"),
        scheduler_state=data.get("scheduler_state"), epoch=epoch,
        split=data.get("split"), extra=data.get("extra"), path=path,
        segstudio_version=str(data.get("segstudio_version", "")),
    )
