"""Training as a worker job: segmodels' `fit()` translated into small, throttled records for the GUI.

`training_job(request, cancel)` is a generator for `app.workers.GeneratorWorker`. It builds the
`TrainConfig` from the dock's `TrainingRequest`, runs `fit()` (which checks `cancel` between steps),
and yields:

- `StepUpdate` at most `MAX_UPDATES_PER_S` times a second (a tiny model steps hundreds of times a
  second; one queued signal per step would flood the event loop and stall painting);
- `EpochUpdate` after every validation, with per-class IoU.

It returns a `TrainingOutcome`: the best checkpoint (kept even when cancelled), and a failure kind
the dock acts on: "oom" (CUDA out of memory: offer half the batch), "nan" (the loss diverged: lower
the learning rate). Expected problems (no reviewed labels, unreadable files) stay SegErrors.
torch is imported here only inside functions, in the worker thread.
"""
from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from app.model_jobs import limit_torch_threads

CancelFlag = Callable[[], bool]
MAX_UPDATES_PER_S = 20.0


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
    max_steps: int | None = None     # tests and quick trials: stop after this many steps in total
    val_fraction: float = 0.2


@dataclass(frozen=True)
class StepUpdate:
    epoch: int            # 1-based
    epochs: int
    step: int             # 1-based within the epoch
    steps: int            # steps per epoch
    loss: float
    fraction: float       # of the whole run, 0..1
    eta_s: float | None


@dataclass(frozen=True)
class EpochUpdate:
    epoch: int
    epochs: int
    train_loss: float
    miou: float
    per_class_iou: tuple[float, ...]
    class_names: tuple[str, ...]


@dataclass
class TrainingOutcome:
    checkpoint: Path | None = None
    metrics_path: Path | None = None
    cancelled: bool = False
    failure: str | None = None        # None, "oom" or "nan"
    message: str = ""
    skipped: list[str] = field(default_factory=list)
    best_miou: float | None = None


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


def eta_seconds(elapsed_s: float, fraction: float) -> float | None:
    if fraction <= 0.0 or elapsed_s <= 0.0:
        return None
    return max(0.0, elapsed_s * (1.0 - fraction) / fraction)


def format_eta(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "ETA …"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"ETA {hours}:{minutes:02d}:{secs:02d}" if hours else f"ETA {minutes}:{secs:02d}"


# -- the job ----------------------------------------------------------------------------------
def make_config(request: TrainingRequest) -> Any:
    """The segmodels TrainConfig for a request (num_workers 0: data loads in this worker thread)."""
    from segmodels.training import TrainConfig

    return TrainConfig(project=request.project_root, arch=request.arch, init_checkpoint=request.init_checkpoint,
                       epochs=request.epochs, learning_rate=request.learning_rate, batch_size=request.batch_size,
                       augment=request.augment, device=request.device, out=request.out_path,
                       max_steps=request.max_steps, val_fraction=request.val_fraction, num_workers=0)


def _is_cuda_oom(exc: BaseException) -> bool:
    import torch

    oom = getattr(torch.cuda, "OutOfMemoryError", None)
    return (oom is not None and isinstance(exc, oom)) or "CUDA out of memory" in str(exc)


def training_job(request: TrainingRequest, cancel: CancelFlag) -> Iterator[Any]:
    """Run fit() and translate its reports; see the module docstring."""
    from segmodels.training import fit

    limit_torch_threads()
    outcome = TrainingOutcome()
    try:
        yield from _translate(fit(make_config(request), cancel=cancel), request, outcome)
    except Exception as exc:  # only CUDA OOM is turned into an offer; everything else propagates
        if not _is_cuda_oom(exc):
            raise
        _free_cuda()
        outcome.failure = "oom"
        outcome.message = (f"The GPU ran out of memory with batch size {request.batch_size}; "
                           "a smaller batch (or a smaller architecture, or the CPU) needs less.")
    outcome.cancelled = outcome.cancelled or (bool(cancel()) and outcome.failure is None)
    return outcome


def _free_cuda() -> None:
    import gc

    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _first(report: Any, *names: str, default: Any = None) -> Any:
    """The first of `names` that `report` has (fit()'s reports are read by name, not type)."""
    for name in names:
        value = getattr(report, name, None)
        if value is not None:
            return value
    return default


def _translate(reports: Iterator[Any], request: TrainingRequest, outcome: TrainingOutcome) -> Iterator[Any]:
    """Turn fit()'s reports into throttled StepUpdates and EpochUpdates; fill `outcome`."""
    throttle = Throttle()
    started = time.monotonic()
    while True:
        try:
            report = next(reports)
        except StopIteration as stop:
            if stop.value is not None:
                _take_result(stop.value, outcome)
            return
        kind = type(report).__name__
        if kind == "StepReport":
            update = _step_update(report, request, started)
            if not math.isfinite(update.loss):
                reports.close()  # fit's finally blocks run: the last good checkpoint stays
                outcome.failure = "nan"
                outcome.message = (f"The training loss became NaN at epoch {update.epoch}, step {update.step} "
                                   f"(learning rate {request.learning_rate:g}); lower the learning rate "
                                   "(for example ten times) and start again. The labels were not changed.")
                return
            if throttle.ready() or update.step == update.steps:
                yield update
        elif kind == "EpochReport":
            yield _epoch_update(report, request)
        elif kind == "FitResult":
            _take_result(report, outcome)


def _step_update(report: Any, request: TrainingRequest, started: float) -> StepUpdate:
    epoch = int(_first(report, "epoch", default=1))
    epochs = int(_first(report, "epochs", default=request.epochs))
    step = int(_first(report, "step", default=1))
    steps = int(_first(report, "steps", "steps_per_epoch", "total_steps", default=max(step, 1)))
    fraction = ((epoch - 1) + step / max(steps, 1)) / max(epochs, 1)
    if request.max_steps:
        fraction = max(fraction, min(1.0, ((epoch - 1) * steps + step) / request.max_steps))
    loss = float(_first(report, "loss", default=float("nan")))
    return StepUpdate(epoch, epochs, step, steps, loss, min(fraction, 1.0),
                      eta_seconds(time.monotonic() - started, fraction))


def _epoch_update(report: Any, request: TrainingRequest) -> EpochUpdate:
    metrics = _first(report, "val_metrics", "metrics")
    per_class = tuple(float(v) for v in (_first(metrics, "per_class_iou", default=()) or ()))
    miou = float(_first(metrics, "miou", default=_first(report, "miou", default=float("nan"))))
    names = tuple(_first(report, "class_names", default=()) or ())
    return EpochUpdate(int(_first(report, "epoch", default=1)), int(_first(report, "epochs", default=request.epochs)),
                       float(_first(report, "train_loss", "loss", default=float("nan"))), miou, per_class, names)


def _take_result(result: Any, outcome: TrainingOutcome) -> None:
    checkpoint = _first(result, "best_checkpoint", "checkpoint")
    outcome.checkpoint = Path(checkpoint) if checkpoint else None
    if outcome.checkpoint is not None:
        metrics = outcome.checkpoint.with_suffix(".json")
        outcome.metrics_path = metrics if metrics.is_file() else None
    outcome.cancelled = bool(_first(result, "cancelled", default=False))
    best = _first(result, "best_miou")
    outcome.best_miou = float(best) if best is not None and math.isfinite(float(best)) else None
    outcome.skipped = [str(s) for s in (_first(result, "skipped", default=()) or ())]
