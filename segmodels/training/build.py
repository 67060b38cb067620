"""Building the pieces of a run: the model (scratch, fine-tune or resume), optimiser, schedule, loaders.

Fine-tuning copies every weight whose name and shape match, and maps the class-dependent ones (the
head's rows) by class name from the source checkpoint's class table: a reordered table keeps every
class's rows, and only classes the source lacks start fresh (segmodels.training.heads). Resuming
rebuilds the checkpoint's model and restores the optimiser and schedule state. The schedule is a
LambdaLR (its state is plain numbers, so it fits a safe checkpoint): one-cycle (warm up for 15% of the
steps, then cosine down to 1/100), cosine, poly (torchvision's recipe) or constant, each after an
optional linear warm-up (`--warmup`).

Loaders: a small cached project without per-sample transforms is served by `TensorBatches`, which
indexes stacked tensors directly (what a bare PyTorch loop would do); anything else goes through a
DataLoader whose workers, if any, use the "spawn" context (fork from the GUI's threaded process can
deadlock).
"""
from __future__ import annotations

import math
from collections.abc import Iterator, Sized
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils.data import DataLoader, DistributedSampler, RandomSampler, Sampler, SequentialSampler

from segmodels.labels.classes import ClassTable
from segmodels.models.checkpoint import Checkpoint
from segmodels.training.config import Schedule, TrainConfig
from segmodels.training.dataset import LabelledImages, collate_pairs
from segmodels.training.distributed import DistContext

WARMUP_FRACTION = 0.15
FINAL_LR_FACTOR = 0.01
POLY_POWER = 0.9  # torchvision's reference segmentation recipe


@dataclass(frozen=True)
class ModelStart:
    model: torch.nn.Module
    note: str  # one line for the user: how the weights were initialised


def build_model(config: TrainConfig, arch: str, classes: ClassTable, source: Checkpoint | None) -> ModelStart:
    """From scratch (`arch`, with any weights file or torchvision weights `--from` names loaded into it:
    segmodels.models.foreign_weights) or from a checkpoint (fine-tune/resume), for the project's classes."""
    from segmodels.models import get_model

    if source is None:
        from segmodels.models.pretrained import pretrained_count

        model = get_model(arch, num_classes=len(classes), pretrained_backbone=config.pretrained_backbone,
                          require_pretrained=config.require_pretrained, **(config.model_kwargs or {}))
        total, notes = len(model.state_dict()), []
        if pretrained_count(model):  # "from scratch" only when nothing was loaded
            loaded = pretrained_count(model)
            notes.append(f"{loaded} of {total} tensors from ImageNet backbone weights, {total - loaded} fresh")
        if config.foreign_weights:
            from segmodels.models.foreign_weights import load_foreign

            notes.append(load_foreign(model, str(config.from_checkpoint), arch=arch, num_classes=len(classes),
                                      class_names=tuple(classes.names)).sentence())
        return ModelStart(model, f"{arch}: " + "; then ".join(notes) if notes else f"{arch} initialised from scratch")
    from segmodels.training.heads import transfer

    model = source.build_architecture(len(classes))  # checked for size, never downloads
    weights, mapping, fresh = transfer(source, model.state_dict(), classes)
    model.load_state_dict(weights, strict=False)
    note = f"{source.arch} weights loaded from {source.path}"
    if source.classes.names != classes.names:
        note += f"; {mapping.sentence()}"
    if fresh:  # weights that fit neither as they are nor row by row (none for a catalog architecture)
        note += f"; {len(fresh)} other tensors re-initialised (first: {fresh[0]})"
    model.normalization = source.normalization
    return ModelStart(model, note)


def default_warmup(kind: Schedule) -> float:
    """The share of a run's steps that warm up when none is asked for: one-cycle's, else none."""
    return WARMUP_FRACTION if kind is Schedule.ONECYCLE else 0.0


def schedule_factor(step: int, total_steps: int, kind: Schedule, warmup: float | None = None) -> float:
    """Multiplier on the base learning rate at optimiser step `step` (0-based): a linear warm-up over the
    `warmup` share of the steps (default `default_warmup`), then `kind` over the rest."""
    warmup = default_warmup(kind) if warmup is None else warmup
    if total_steps <= 1:
        return 1.0
    progress = min(step / total_steps, 1.0)
    if progress < warmup:
        return FINAL_LR_FACTOR + (1 - FINAL_LR_FACTOR) * progress / warmup
    if kind is Schedule.CONSTANT:
        return 1.0
    progress = (progress - warmup) / (1 - warmup)
    if kind is Schedule.POLY:
        return FINAL_LR_FACTOR + (1 - FINAL_LR_FACTOR) * (1 - progress) ** POLY_POWER
    return FINAL_LR_FACTOR + (1 - FINAL_LR_FACTOR) * 0.5 * (1 + math.cos(math.pi * progress))


@dataclass(frozen=True)
class ScheduleShape:
    """A run's learning-rate curve over its optimiser steps: `kind` over `total_steps`, except that a
    run whose length changed on resume goes on from `restart_step` at the factor it had reached there
    (`restart_factor`) and falls by a half cosine to the final factor at `total_steps`, never jumping
    (docs/training.md#resuming); the steps before `restart_step` were taken already, and the shape does
    not describe them. Plain numbers, so a checkpoint records it."""

    kind: Schedule
    total_steps: int
    restart_step: int | None = None
    restart_factor: float = 1.0
    warmup: float | None = None  # share of the steps warming up; None: the kind's default

    def factor(self, step: int) -> float:
        if self.restart_step is None or step < self.restart_step:
            return schedule_factor(step, self.total_steps, self.kind, self.warmup)
        if self.kind is Schedule.CONSTANT:
            return 1.0
        span = max(self.total_steps - self.restart_step, 1)
        progress = min((step - self.restart_step) / span, 1.0)
        final = min(FINAL_LR_FACTOR, self.restart_factor)
        return final + (self.restart_factor - final) * 0.5 * (1 + math.cos(math.pi * progress))

    def continued(self, step: int, total_steps: int) -> ScheduleShape:
        """The shape after asking for another run length at `step`: the same factor there, then down."""
        return ScheduleShape(self.kind, total_steps, step, self.factor(step), self.warmup)

    def to_json(self) -> dict:
        return {"kind": self.kind.value, "total_steps": self.total_steps, "restart_step": self.restart_step,
                "restart_factor": self.restart_factor, "warmup": self.warmup}

    @classmethod
    def from_json(cls, data: Any, kind: Schedule, total_steps: int, warmup: float | None = None) -> ScheduleShape:
        """The recorded shape, or `kind` over `total_steps` when none (or a damaged one) is recorded."""
        if not isinstance(data, dict):
            return cls(kind, total_steps, warmup=warmup)
        try:
            restart, warmup = data.get("restart_step"), data.get("warmup")
            return cls(Schedule(data["kind"]), int(data["total_steps"]), None if restart is None else int(restart),
                       float(data["restart_factor"]), None if warmup is None else float(warmup))
        except (KeyError, TypeError, ValueError):
            return cls(kind, total_steps, warmup=warmup)


def make_optimizer(model: torch.nn.Module, config: TrainConfig, shape: ScheduleShape
                   ) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    # A plain function, not the bound method: LambdaLR would try to save a callable object's attributes.
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: shape.factor(step))
    return optimizer, scheduler


class TensorBatches:
    """Batches cut straight from stacked in-memory tensors, in the order a sampler gives."""

    def __init__(self, dataset: LabelledImages, batch_size: int, sampler: Sampler, drop_last: bool) -> None:
        pairs = [dataset.raw(i) for i in range(len(dataset))]
        self.images = torch.stack([image for image, _ in pairs])
        self.labels = torch.stack([label for _, label in pairs])
        self.batch_size, self.sampler, self.drop_last = batch_size, sampler, drop_last

    def __len__(self) -> int:
        count = len(self.sampler) if isinstance(self.sampler, Sized) else len(self.images)
        return count // self.batch_size if self.drop_last else math.ceil(count / self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        order = torch.as_tensor(list(self.sampler), dtype=torch.long)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            index = order[start:start + self.batch_size]
            yield self.images[index], self.labels[index].long()


def make_sampler(dataset: LabelledImages, *, shuffle: bool, seed: int, ctx: DistContext) -> Sampler:
    if ctx.enabled:
        # Evaluation pads nothing (drop_last=False pads by repeating samples; metrics would count
        # them twice), so each rank takes a disjoint strided slice instead.
        if not shuffle:
            return _StridedSampler(len(dataset), ctx.rank, ctx.world_size)
        return DistributedSampler(dataset, num_replicas=ctx.world_size, rank=ctx.rank, shuffle=True, seed=seed)
    if not shuffle:
        return SequentialSampler(dataset)
    return RandomSampler(dataset, generator=torch.Generator().manual_seed(seed))


class _StridedSampler(Sampler[int]):
    def __init__(self, size: int, rank: int, world_size: int) -> None:
        self.indices = list(range(rank, size, world_size))

    def __len__(self) -> int:
        return len(self.indices)

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices)


def make_batches(dataset: LabelledImages, batch_size: int, sampler: Sampler, *, drop_last: bool,
                 num_workers: int, pin_memory: bool):
    """TensorBatches for cached, untransformed, equally sized data; a DataLoader otherwise."""
    if dataset.transform is None and dataset.cached and len(dataset.sizes()) == 1:
        return TensorBatches(dataset, batch_size, sampler, drop_last)
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler, drop_last=drop_last,
                      collate_fn=collate_pairs, num_workers=num_workers, pin_memory=pin_memory,
                      multiprocessing_context="spawn" if num_workers > 0 else None,
                      persistent_workers=num_workers > 0)
