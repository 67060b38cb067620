"""Resuming a run where it stopped: the learning-rate curve it was on and the random state it had.

Every `.last.pt` records, besides the optimiser and scheduler state, the schedule's shape and the
random state after its epoch: torch's generator (augmentation, dropout, DataLoader seeds), the
training sampler's own generator (the shuffling order) and, on CUDA, the device's generator. A resumed
run restores them after it has built everything else, so epoch k+1 draws what an uninterrupted run
would have drawn, instead of replaying epoch 1's order and augmentations.

A resumed run whose length changed (`--epochs` beyond a finished run) continues the curve from the
factor it had reached instead of evaluating the old curve over the new length, which jumped, e.g. from
5e-5 up to 3.1e-3 (docs/training.md#resuming).
"""
from __future__ import annotations

from typing import Any

import torch

from segmodels.models.checkpoint import Checkpoint
from segmodels.training.build import ScheduleShape
from segmodels.training.config import TrainConfig


def run_schedule(config: TrainConfig, source: Checkpoint | None, steps_per_epoch: int,
                 start_epoch: int) -> tuple[ScheduleShape, str]:
    """The run's schedule shape, and a sentence for its note when a resumed run's length changed."""
    planned = ScheduleShape(config.schedule, config.epochs * steps_per_epoch, warmup=config.warmup)
    if not config.resume or source is None:
        return planned, ""
    recorded_epochs = (source.train_config or {}).get("epochs")
    if not isinstance(recorded_epochs, int) or isinstance(recorded_epochs, bool):
        recorded_epochs = config.epochs
    recorded = ScheduleShape.from_json((source.extra or {}).get("schedule"), config.schedule,
                                       recorded_epochs * steps_per_epoch, config.warmup)
    if recorded_epochs == config.epochs:
        return recorded, ""
    done = (source.scheduler_state or {}).get("last_epoch")
    if not isinstance(done, int) or isinstance(done, bool) or done < 0:
        done = start_epoch * steps_per_epoch
    shape = recorded.continued(done, done + (config.epochs - start_epoch) * steps_per_epoch)
    return shape, (f"the run grows from {recorded_epochs} to {config.epochs} epochs, so the learning rate goes on "
                   f"from {config.lr * shape.restart_factor:.2g} and falls from there")


def random_state(sampler: Any, device: torch.device) -> dict[str, Any]:
    """What a resumed run needs to draw what this one would draw next."""
    state: dict[str, Any] = {"torch": torch.get_rng_state()}
    generator = getattr(sampler, "generator", None)
    if isinstance(generator, torch.Generator):
        state["sampler"] = generator.get_state()
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def restore_random_state(recorded: Any, sampler: Any, device: torch.device) -> bool:
    """Restore a `random_state` record; False (nothing changed) when there is none or it is unusable."""
    if not isinstance(recorded, dict) or not _is_state(recorded.get("torch")):
        return False
    generator = getattr(sampler, "generator", None)
    wanted = [("sampler", isinstance(generator, torch.Generator)), ("cuda", device.type == "cuda")]
    if not all(_is_state(recorded.get(name)) for name, needed in wanted if needed):
        return False
    try:
        torch.set_rng_state(recorded["torch"])
        if isinstance(generator, torch.Generator):
            generator.set_state(recorded["sampler"])
        if device.type == "cuda":
            torch.cuda.set_rng_state(recorded["cuda"], device)
    except (RuntimeError, ValueError):  # a state of the wrong size: another torch, or a damaged file
        return False
    return True


def _is_state(value: Any) -> bool:
    return isinstance(value, torch.Tensor) and value.dtype == torch.uint8 and value.ndim == 1
