"""Training as a worker job: segmodels' `fit()` translated into small, throttled records for the GUI.

`training_job(request, cancel)` is a generator for `app.jobs.worker.GeneratorWorker`. It builds the
`TrainConfig` from the dock's `TrainingRequest`, runs `fit()` (which checks `cancel` between steps),
and yields:

- `StepUpdate` at most `MAX_UPDATES_PER_S` times a second (a tiny model steps hundreds of times a
  second; one queued signal per step would flood the event loop and stall painting);
- `EpochUpdate` after every validation, with per-class IoU and the labelled pixels each rests on;
- `DataUpdate` once, first: how many images the run trains and validates on, and a sentence for each
  reason that is too few (segmodels.training.data_size).

It returns a `TrainingOutcome`: the best checkpoint (kept even when cancelled: the job winds down
on the cancel flag and returns), a `FailureKind` the dock acts on (fit()'s typed exceptions:
`OutOfMemory` -> offer half the batch, `LossDiverged` -> lower the learning rate), and `skipped`:
one sentence per unreadable image/label fit() skipped. Expected problems that stop a run (no
reviewed labels, nothing readable) stay SegErrors.
torch is imported here only inside functions, in the worker thread.
"""
from __future__ import annotations

import enum
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.jobs.predict import limit_torch_threads
from app.jobs.worker import CancelFlag

MAX_UPDATES_PER_S = 20.0


class FailureKind(enum.Enum):
    """Why a run stopped early in a way the dock offers a remedy for."""

    DIVERGED = "diverged"            # the loss became NaN/inf: lower the learning rate
    OUT_OF_MEMORY = "out_of_memory"  # CUDA out of memory: a smaller batch


@dataclass(frozen=True)
class TrainingRequest:
    """The training dock's settings. `init_checkpoint` set = fine-tune (a new head if its classes
    differ from the project's); otherwise `arch` is trained from scratch."""

    project_root: Path
    arch: str | None
    init_checkpoint: Path | None
    epochs: int
    learning_rate: float
    batch_size: int
    augment: bool
    device: str
    out_path: Path
    val_fraction: float = 0.1
    loss: str | None = None  # a word of segmodels.training.loss_kinds; None: the architecture's default


@dataclass(frozen=True)
class StepUpdate:
    epoch: int            # 1-based
    epochs: int
    step: int             # 1-based within the epoch
    steps: int            # steps per epoch
    loss: float
    fraction: float       # of the whole run, 0..1
    eta_s: float | None
    lr: float = float("nan")  # the learning rate of the step just taken (StepReport.lr)


@dataclass(frozen=True)
class EpochUpdate:
    epoch: int
    epochs: int
    train_loss: float
    miou: float
    per_class_iou: tuple[float, ...]
    class_names: tuple[str, ...]
    per_class_pixels: tuple[int, ...] = ()   # labelled validation pixels per class


@dataclass(frozen=True)
class DataUpdate:
    train_images: int
    val_images: int
    warnings: tuple[str, ...] = ()


@dataclass
class TrainingOutcome:
    checkpoint: Path | None = None
    cancelled: bool = False
    failure: FailureKind | None = None
    message: str = ""
    best_miou: float | None = None
    skipped: tuple[str, ...] = ()     # unreadable pairs fit() skipped, one sentence naming each file


class Throttle:
    """Lets an event through at most `rate` times a second (the first always passes)."""

    def __init__(self, rate: float = MAX_UPDATES_PER_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate
        self.clock = clock
        self._last = -math.inf

    def ready(self) -> bool:
        now = self.clock()
        if now - self._last >= self.interval:
            self._last = now
            return True
        return False


def format_eta(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "ETA …"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"ETA {hours}:{minutes:02d}:{secs:02d}" if hours else f"ETA {minutes}:{secs:02d}"


# -- the job ----------------------------------------------------------------------------------
def make_config(request: TrainingRequest) -> Any:
    """The segmodels TrainConfig for a request. num_workers 0: the data loads in this worker thread
    (small projects are cached in memory by fit(); spawned loader processes would each import torch)."""
    from segmodels.training import TrainConfig

    return TrainConfig(project=str(request.project_root), arch=request.arch,
                       from_checkpoint=str(request.init_checkpoint) if request.init_checkpoint else None,
                       epochs=request.epochs, lr=request.learning_rate, batch_size=request.batch_size,
                       augment=request.augment, device=request.device, out=str(request.out_path),
                       val_fraction=request.val_fraction, num_workers=0, loss=request.loss)


def training_job(request: TrainingRequest, cancel: CancelFlag) -> Iterator[Any]:
    """Run fit() and translate its reports; see the module docstring."""
    from segmodels.training import fit
    from segmodels.training.trainer import LossDiverged, OutOfMemory

    limit_torch_threads()
    outcome = TrainingOutcome()
    try:
        yield from _translate(fit(make_config(request), cancel=cancel), outcome)
    except LossDiverged as exc:
        outcome.failure = FailureKind.DIVERGED
        outcome.message = (f"{exc} In this window: lower the learning rate (it is {request.learning_rate:g}; "
                           "try ten times less) and start again. The labels were not changed.")
    except OutOfMemory:
        outcome.failure = FailureKind.OUT_OF_MEMORY
        outcome.message = (f"The GPU ran out of memory with batch size {request.batch_size}; "
                           "a smaller batch (or a smaller architecture, or the CPU) needs less.")
    return outcome


def _translate(reports: Iterator[Any], outcome: TrainingOutcome) -> Iterator[Any]:
    """Turn fit()'s reports into throttled StepUpdates and EpochUpdates; fill `outcome`."""
    from segmodels.training import DataReport, EpochReport, FitResult, StepReport

    throttle = Throttle()
    for report in reports:
        if isinstance(report, DataReport):
            yield DataUpdate(report.train_images, report.val_images, tuple(report.warnings))
        elif isinstance(report, StepReport):
            # Always pass the last step of an epoch, so the bar and curve end where the epoch ends.
            if throttle.ready() or report.step == report.steps_per_epoch:
                yield _step_update(report)
        elif isinstance(report, EpochReport):
            yield EpochUpdate(report.epoch, report.epochs, report.train_loss, report.miou,
                              tuple(report.per_class_iou), tuple(report.class_names),
                              tuple(report.metrics.per_class_pixels))
        elif isinstance(report, FitResult):
            _take_result(report, outcome)


def _step_update(report: Any) -> StepUpdate:
    steps = max(int(report.steps_per_epoch), 1)
    fraction = ((report.epoch - 1) + report.step / steps) / max(report.epochs, 1)
    eta = report.eta_s if math.isfinite(report.eta_s) else None
    return StepUpdate(report.epoch, report.epochs, report.step, steps, float(report.loss), min(fraction, 1.0), eta,
                      float(report.lr))


def _take_result(result: Any, outcome: TrainingOutcome) -> None:
    outcome.checkpoint = Path(result.best_checkpoint) if result.best_checkpoint else None
    outcome.cancelled = bool(result.cancelled)
    miou = result.metrics.miou if result.metrics is not None else None
    outcome.best_miou = float(miou) if miou is not None and math.isfinite(miou) else None
    outcome.message = result.note or ""
    outcome.skipped = tuple(getattr(result, "skipped", ()))
