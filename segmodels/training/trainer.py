"""`fit(config, cancel=never)`: the training run as a generator of reports (the GUI and CLI share it).

It yields one `DataReport` first (what the run learns from and validates on, with a sentence for each
reason that is too little: segmodels.training.data_size), a `StepReport` after every optimiser step, an
`EpochReport` after every epoch's validation, and finally a `FitResult`. `cancel`
(segmodels.cancel.CancelFlag) is checked between steps; a cancelled run returns a FitResult with
`cancelled=True` and writes nothing more.

Checkpoints (rank 0 only, each written atomically): the best epoch by validation mIoU goes to the
output path (a new `PROJECT/models/<arch>-<YYYYmmdd-HHMM>.pt` by default) with `<name>.json` metrics
beside it, and every epoch goes to `<name>.last.pt` (what --resume continues from, with optimiser and
schedule state).
A run that fails or is cancelled never touches a file it has not finished writing, so the last good
checkpoint stays byte-identical. A NaN/inf loss stops the run with `LossDiverged`, CUDA running out
of memory with `OutOfMemory`: both SegErrors of one sentence, typed so the GUI can offer a remedy.

An unreadable image or label does not stop the run: its pair is skipped, and every EpochReport and
the FitResult carry `skipped`, one sentence per skipped file so far (the same list grows; report
each sentence once). If no pair of the training split could be read, the run is a SegError.
"""
from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from segmodels.cancel import CancelFlag, never
from segmodels.errors import SegError, describe
from segmodels.labels.review import blank_labels_sentence
from segmodels.training import distributed
from segmodels.training.config import TrainConfig
from segmodels.training.data_size import data_warnings
from segmodels.training.loops import NonFiniteLoss, evaluate, train_steps
from segmodels.training.losses import loss_settings
from segmodels.training.metrics import SegMetrics
from segmodels.training.run import RunState, prepare_run, skipped_messages, write_checkpoints


@dataclass(frozen=True)
class DataReport:
    """Once, before the first step: the images the run trains and validates on, and what to beware of."""

    train_images: int               # readable reviewed images with a labelled pixel
    val_images: int
    validates_on_training: bool     # no separate validation image: the scores are on training images
    warnings: tuple[str, ...] = ()  # one sentence each (data_size.data_warnings)


@dataclass(frozen=True)
class StepReport:
    epoch: int            # 1-based
    epochs: int
    step: int             # 1-based within the epoch
    steps_per_epoch: int
    loss: float
    lr: float             # the learning rate this step used
    images_per_s: float   # over all ranks, recent steps
    eta_s: float          # until the last epoch ends (validation not counted)


@dataclass(frozen=True)
class EpochReport:
    epoch: int
    epochs: int
    train_loss: float
    metrics: SegMetrics
    class_names: tuple[str, ...]
    is_best: bool
    checkpoint: Path | None  # the best checkpoint's path (written this epoch when is_best)
    seconds: float
    skipped: tuple[str, ...] = ()   # unreadable pairs so far, one sentence naming each file

    @property
    def per_class_iou(self) -> tuple[float, ...]:
        return self.metrics.per_class_iou

    @property
    def miou(self) -> float:
        return self.metrics.miou

    @property
    def dice(self) -> float:
        return self.metrics.dice

    @property
    def pixel_accuracy(self) -> float:
        return self.metrics.pixel_accuracy


@dataclass(frozen=True)
class FitResult:
    best_checkpoint: Path | None
    last_checkpoint: Path | None
    metrics: SegMetrics | None      # of the best epoch
    class_names: tuple[str, ...]
    epochs_done: int
    cancelled: bool
    note: str = ""                  # how the model was initialised, device choice
    skipped: tuple[str, ...] = ()   # unreadable pairs skipped, one sentence naming each file


Report = DataReport | StepReport | EpochReport | FitResult


class LossDiverged(SegError):
    """The training loss became NaN or infinite (the remedy: a lower learning rate)."""


class OutOfMemory(SegError):
    """CUDA ran out of memory (the remedy: a smaller batch, a smaller architecture or the CPU)."""


def fit(config: TrainConfig, cancel: CancelFlag = never) -> Iterator[Report]:
    """Train as configured, yielding StepReport/EpochReport objects and finally a FitResult."""
    try:
        state = prepare_run(config)
        try:
            yield from _run_epochs(state, cancel)
        finally:
            distributed.teardown(state.ctx)
    except Exception as exc:  # only CUDA out-of-memory is translated; anything else propagates as is
        if isinstance(exc, SegError) or not is_cuda_oom(exc):
            raise
        _free_cuda()
        raise OutOfMemory(f"The GPU ran out of memory with batch size {config.batch_size} (try a smaller "
                          "--batch-size, a smaller architecture or --device cpu).") from exc


def is_cuda_oom(exc: BaseException) -> bool:
    """Whether `exc` is CUDA running out of memory (older torch raises a plain RuntimeError)."""
    import torch

    oom = getattr(torch.cuda, "OutOfMemoryError", None)
    return (oom is not None and isinstance(exc, oom)) or "CUDA out of memory" in str(exc)


def _free_cuda() -> None:
    """Give the failed run's cached blocks back, so a retry with a smaller batch can fit."""
    import gc

    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def data_report(state: RunState) -> DataReport:
    train, val = state.datasets
    on_training = list(val.images) == list(train.images)  # one image, or no readable validation image
    val_count = len(train) if on_training else len(val)
    fine_tune = bool(state.config.from_checkpoint or state.config.resume)
    warnings = data_warnings(len(train), val_count, validates_on_training=on_training, fine_tune=fine_tune)
    blank = state.project.blank_labels()  # on disk but all 255: not reviewed, so not in the run
    return DataReport(len(train), val_count, on_training,
                      tuple(warnings + ([blank_labels_sentence(blank)] if blank else [])))


def _run_epochs(state: RunState, cancel: CancelFlag) -> Iterator[Report]:
    config = state.config
    yield data_report(state)
    speed = deque(maxlen=20)  # (images, seconds) of recent steps
    run_start = time.perf_counter()
    steps_done = 0
    total_steps = (config.epochs - state.start_epoch) * state.steps_per_epoch
    for epoch in range(state.start_epoch + 1, config.epochs + 1):
        if hasattr(state.train_sampler, "set_epoch"):
            state.train_sampler.set_epoch(epoch)
        epoch_start = tick = time.perf_counter()
        loss_sum, image_count = 0.0, 0
        steps = train_steps(state.train_model, state.train_batches, state.optimizer, state.scheduler,
                            device=state.device, normalization=state.normalization,
                            loss_settings=loss_settings(config),
                            scaler=state.scaler, ctx=state.ctx)
        try:
            for step, loss, images, lr in steps:
                now = time.perf_counter()
                speed.append((images * state.ctx.world_size, now - tick))
                tick, steps_done = now, steps_done + 1
                loss_sum, image_count = loss_sum + loss * images, image_count + images
                rate = sum(n for n, _ in speed) / max(sum(s for _, s in speed), 1e-9)
                per_step = (now - run_start) / steps_done
                yield StepReport(epoch, config.epochs, step, state.steps_per_epoch, loss, lr, rate,
                                 per_step * (total_steps - steps_done))
                if cancel():
                    yield _result(state, epoch - 1, cancelled=True)
                    return
        except NonFiniteLoss as exc:
            kept = (f"; the last good checkpoint {describe(state.best_path)} is unchanged"
                    if state.best_path.exists() else "; no checkpoint was written and existing ones are unchanged")
            raise LossDiverged(f"Training stopped at epoch {epoch}: the loss became {exc.args[0]} (try a lower "
                               f"--lr than {config.lr:g}){kept}.", path=state.best_path) from None
        if image_count == 0 and state.steps_per_epoch and skipped_messages(state):
            raise SegError(f"Training stopped at epoch {epoch}: none of its images could be read "
                           f"(first: {skipped_messages(state)[0].rstrip('.')}).", path=state.project.root)
        distributed.broadcast_buffers(state.model, state.ctx)  # validate what rank 0's checkpoint holds
        metrics = evaluate(state.train_model, state.val_batches, len(state.classes), device=state.device,
                           normalization=state.normalization, amp=config.amp, ctx=state.ctx)
        train_loss = loss_sum / max(image_count, 1)
        is_best = _better(metrics.miou, state.best_miou)
        if is_best:
            state.best_miou, state.best_metrics = metrics.miou, metrics
        write_checkpoints(state, epoch, metrics, train_loss, is_best)
        yield EpochReport(epoch, config.epochs, train_loss, metrics, tuple(state.classes.names), is_best,
                          state.best_path, time.perf_counter() - epoch_start, skipped_messages(state))
        if cancel():
            yield _result(state, epoch, cancelled=True)
            return
    yield _result(state, config.epochs, cancelled=False)


def _better(miou: float, best: float | None) -> bool:
    """Whether this epoch's mIoU beats the best so far (NaN, a split without pixels, only wins first)."""
    if best is None or best != best:
        return True
    return miou == miou and miou > best


def _result(state: RunState, epochs_done: int, *, cancelled: bool) -> FitResult:
    return FitResult(state.best_path if state.best_path.exists() else None,
                     state.last_path if state.last_path.exists() else None,
                     state.best_metrics, tuple(state.classes.names), epochs_done, cancelled, state.note,
                     skipped_messages(state))


def run_to_end(config: TrainConfig, cancel: CancelFlag = never,
               on_report: Callable[[Report], None] | None = None) -> FitResult:
    """Drain fit() and return its FitResult (for scripts and tests)."""
    result = None
    for report in fit(config, cancel):
        if on_report is not None:
            on_report(report)
        if isinstance(report, FitResult):
            result = report
    assert result is not None
    return result

