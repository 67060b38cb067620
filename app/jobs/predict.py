"""The model work the docks hand to worker threads: Qt-free generators and plain result records.

Everything here that touches torch imports it inside the function body, so importing this module
costs nothing and torch is first imported in a pool thread, never on the GUI thread (the import
takes seconds). Each job is a generator `job(..., cancel)` suitable for `app.jobs.worker.GeneratorWorker`:
it yields small records the GUI can show and returns a final one.

- `load_backend`: architectures, device and the reason it was chosen, and a sentence per device choice.
- `inspect_checkpoint`: what a checkpoint predicts and whether its classes match the project.
- `predict_job`: predict images through segmodels' predict_files, which writes predictions/<stem>.png
  and the confidence PNG beside it.
"Rank by uncertainty" needs no model: it is segmodels.inference.uncertainty.
"""
from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from segmodels.cancel import CancelFlag
from segmodels.errors import SegError, describe
from segmodels.labels.classes import ClassTable
from segmodels.labels.project import Project
from segmodels.models.catalog import DEVICE_CHOICES
from segmodels.resources import resource_path

PREDICT_BATCH = 4


def demo_model_path() -> Path:
    """The bundled demo checkpoint (an m2nist_fcn trained on the demo digits)."""
    return resource_path("models", "demo_m2nist.pt")


def project_checkpoints(project: Project) -> list[Path]:
    """Checkpoints in the project's models/ folder, newest first. fit()'s `<name>.last.pt` resume
    files are left out: `<name>.pt` beside them is the best epoch, the one to predict with."""
    folder = project.models_dir
    if not folder.is_dir():
        return []
    found = [p for p in folder.glob("*.pt") if not p.name.endswith(".last.pt")]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def limit_torch_threads(gui_share: int = 1) -> int:
    """Leave `gui_share` cores to the GUI thread: torch's intra-op pool otherwise takes every core
    and the event loop waits for a time slice (the main cause of stalls while training on a CPU)."""
    import torch

    from segmodels.threads import usable_cores

    threads = max(1, usable_cores() - gui_share)
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    lower_thread_priority()
    return threads


def lower_thread_priority(niceness: int = 10) -> None:
    """Run this worker thread at a lower OS priority (Linux: per-thread nice), so the GUI thread is
    scheduled first when both want a core: the window answers, training just takes its time."""
    import os
    import threading

    if not hasattr(os, "setpriority") or threading.current_thread() is threading.main_thread():
        return
    try:
        tid = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, tid)
        if current < niceness:
            os.setpriority(os.PRIO_PROCESS, tid, niceness)
    except OSError:  # not permitted or not supported here: run at normal priority
        pass


# -- backend ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class BackendInfo:
    """What only the loaded model code can tell: the device "auto" picks and a sentence per device choice.
    Architecture names, descriptions and training defaults are not here: the docks read them from the
    torch-free catalog (`segmodels.models.catalog`) on their first frame."""

    device: str                        # what "auto" chose
    device_reason: str                 # ... and why
    device_sentences: dict[str, str] = field(default_factory=dict)  # per DEVICE_CHOICES entry: where it
                                                                     # runs, or why this machine cannot use it

    def device_sentence(self, choice: str) -> str:
        return self.device_sentences.get(choice, self.device_reason)


def load_backend(device: str = "auto") -> BackendInfo:
    """Import the model code (and torch) and describe what will run where."""
    # Imported here, with torch, so that the first prediction or training run does not stall the
    # window again; the first registry name imports (and registers) every architecture.
    import segmodels.inference.batch  # noqa: F401
    import segmodels.training.trainer  # noqa: F401
    from segmodels.inference.device import select_device
    from segmodels.models import list_models

    limit_torch_threads()
    list_models()
    chosen, reason = select_device(device)
    sentences = {}
    for choice in DEVICE_CHOICES:
        try:
            sentences[choice] = select_device(choice)[1]
        except SegError as exc:  # listed anyway (e.g. MPS off a Mac): the sentence says it is not there
            sentences[choice] = str(exc)
    return BackendInfo(str(chosen), reason, sentences)


# -- checkpoints ------------------------------------------------------------------------------
@dataclass(frozen=True)
class CheckpointInfo:
    path: Path
    arch: str
    class_names: tuple[str, ...]
    matches_project: bool
    miou: float | None = None
    epoch: int | None = None

    def summary(self) -> str:
        score = f", val mIoU {self.miou:.3f}" if self.miou is not None else ""
        return f"{self.arch}, {len(self.class_names)} classes{score}"


def classes_match(checkpoint_classes: ClassTable, project_classes: ClassTable) -> bool:
    """Same number of classes with the same names in the same order (colours may differ)."""
    return list(checkpoint_classes.names) == list(project_classes.names)


def _metric(metrics: dict | None, key: str) -> float | None:
    if not isinstance(metrics, dict):
        return None
    value = metrics.get(key)
    if value is None and isinstance(metrics.get("val"), dict):
        value = metrics["val"].get(key)
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def inspect_checkpoint(path: Path, project_classes: ClassTable) -> CheckpointInfo:
    from segmodels.models.checkpoint import load_checkpoint

    checkpoint = load_checkpoint(path)
    return CheckpointInfo(Path(path), checkpoint.arch, tuple(checkpoint.classes.names),
                          classes_match(checkpoint.classes, project_classes),
                          _metric(checkpoint.metrics, "miou"), checkpoint.epoch)


def checkpoint_architecture(path: Path) -> str:
    """The architecture a checkpoint was trained as (what `segstudio train --from` fine-tunes)."""
    from segmodels.models.checkpoint import load_checkpoint

    return load_checkpoint(path).arch


# -- prediction -------------------------------------------------------------------------------
@dataclass(frozen=True)
class PredictionDone:
    """One image predicted (or skipped: `error` set); `index` counts from 1 up to `total`."""

    image: Path
    index: int
    total: int
    error: str | None = None


@dataclass
class PredictionSummary:
    done: int = 0
    skipped: list[str] = field(default_factory=list)
    cancelled: bool = False
    device_reason: str = ""


def load_matching_checkpoint(checkpoint_path: Path, project_classes: ClassTable) -> Any:
    """Load a checkpoint made for this project's classes (a mismatch is a SegError naming the file)."""
    from segmodels.models.checkpoint import load_checkpoint

    checkpoint = load_checkpoint(checkpoint_path)
    if not classes_match(checkpoint.classes, project_classes):
        raise SegError(f"Checkpoint {describe(checkpoint_path)} predicts classes "
                       f"{', '.join(checkpoint.classes.names)}, not this project's "
                       f"{', '.join(project_classes.names)}.", path=checkpoint_path)
    return checkpoint


def predict_job(checkpoint_path: Path, project: Project, images: Sequence[Path], device: str,
                cancel: CancelFlag) -> Iterator[PredictionDone]:
    """Predict `images` into predictions/ (label PNG + confidence PNG), yielding as each is written."""
    from segmodels.inference.batch import predict_files
    from segmodels.labels.project import refuse_symlinked_folder

    refuse_symlinked_folder(project.predictions_dir)  # linked since the project was opened
    limit_torch_threads()
    checkpoint = load_matching_checkpoint(checkpoint_path, project.classes)
    summary = PredictionSummary()
    total = len(images)
    # num_workers 0: decoding in this worker thread; spawning loader processes costs seconds of
    # torch imports, more than a GUI-sized batch of images takes to decode.
    # An image that got a twin with its stem since the project was opened is skipped with the sentence.
    results = predict_files(checkpoint, list(images), out_dir=project.predictions_dir, classes=project.classes,
                            device=device, batch_size=PREDICT_BATCH, num_workers=0, save_confidence=True,
                            cancel=cancel, refuse=project.refuse_prediction_clash)
    for done, result in enumerate(results, start=1):
        summary.device_reason = result.device or summary.device_reason
        if not result.ok:
            summary.skipped.append(str(result.error))
            yield PredictionDone(Path(result.path), done, total, error=str(result.error))
            continue
        summary.done += 1
        yield PredictionDone(Path(result.path), done, total)
    summary.cancelled = bool(cancel()) and summary.done + len(summary.skipped) < total
    return summary
