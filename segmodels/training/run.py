"""Everything one training run holds (`RunState`), how it is prepared, and how its checkpoints are written.

`prepare_run` resolves the config (architecture defaults, or the resumed run's settings), picks the
device, starts DDP under torchrun, draws the split (or restores a resumed run's, or keeps a fine-tuned
checkpoint's: segmodels.training.splits), builds the data, the model (scratch, fine-tune or resume)
and the optimiser. `write_checkpoints` is called once per epoch and writes, on
rank 0 only, `<name>.last.pt` (with optimiser/schedule and random state, for --resume) and, when the epoch is
the best so far, `<name>.pt` plus `<name>.json` metrics. Every write is atomic. A new run gets new
names (`<arch>-<YYYYmmdd-HHMM>.pt`, see `config.new_checkpoint_path`); an explicit --out whose files
exist is refused (only --resume rewrites its own run), and an unwritable folder is refused, before
any data is read.

Unreadable pairs are skipped by the datasets and collected by `skipped_messages` (one sentence each,
naming the file); when no reviewed pair of the training split can be read, the run is a SegError.
"""
from __future__ import annotations

import dataclasses
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from segmodels.atomic import atomic_write_text
from segmodels.errors import SegError, describe
from segmodels.inference.device import select_device
from segmodels.inference.preprocess import Normalization
from segmodels.labels.classes import ClassTable
from segmodels.labels.project import Project
from segmodels.models.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from segmodels.training import distributed
from segmodels.training.build import ScheduleShape, build_model, make_batches, make_optimizer, make_sampler
from segmodels.training.class_weights import checked_weights, class_pixel_counts, frequency_weights
from segmodels.training.config import TrainConfig, run_files
from segmodels.training.dataset import LabelledImages, make_split, split_images
from segmodels.training.loops import AuxForward
from segmodels.training.loss_kinds import recorded_loss
from segmodels.training.metrics import SegMetrics
from segmodels.training.resume import random_state, restore_random_state, run_schedule
from segmodels.training.splits import kept_split
from segmodels.training.transforms import AugmentSettings, crop_transform, train_transform

#: Settings a resumed run takes from the checkpoint's recorded config when not given again.
RESUMED_FIELDS = ("epochs", "batch_size", "lr", "augment", "crop_size", "val_fraction", "seed", "schedule",
                  "dice_weight", "loss", "class_weights", "model_kwargs", "augment_kwargs", "weight_decay",
                  "warmup")


@dataclass
class RunState:
    config: TrainConfig
    ctx: distributed.DistContext
    device: torch.device
    project: Project
    classes: ClassTable
    model: torch.nn.Module          # the bare SegmentationModel (what checkpoints store)
    train_model: torch.nn.Module    # AuxForward(model), inside DDP when distributed
    normalization: Normalization
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LambdaLR
    scaler: torch.amp.GradScaler | None
    train_batches: Any
    val_batches: Any
    train_sampler: Any
    steps_per_epoch: int
    start_epoch: int
    split: dict
    best_path: Path
    last_path: Path
    best_miou: float | None
    best_metrics: SegMetrics | None
    note: str
    datasets: tuple[LabelledImages, ...] = ()  # train, val: the record of skipped (unreadable) pairs
    schedule: ScheduleShape | None = None      # the learning-rate curve (recorded for --resume)


def skipped_messages(state: RunState) -> tuple[str, ...]:
    """One sentence per unreadable pair met so far (each names its file), in the order met, no repeats."""
    seen: dict[Path, str] = {}
    for dataset in state.datasets:
        for image, message in dataset.skipped.items():
            seen.setdefault(image, message)
    return tuple(seen.values())


def _resolve(config: TrainConfig, source: Checkpoint | None) -> tuple[TrainConfig, str]:
    if config.resume and source is not None:
        recorded = dict(source.train_config or {})
        recorded["loss"] = recorded_loss(recorded)  # a run from before `loss` was recorded: what it used
        given = {name: getattr(config, name) for name in RESUMED_FIELDS}
        defaults = TrainConfig.__dataclass_fields__
        taken = {n: recorded[n] for n in RESUMED_FIELDS if n in recorded and given[n] == defaults[n].default}
        config = dataclasses.replace(config, **taken)
    arch = source.arch if source is not None else str(config.arch)
    return config.resolved(arch), arch


def _paths(config: TrainConfig, project: Project, arch: str) -> tuple[Path, Path]:
    """Where the run writes; a new run never replaces an existing file, and the folder is writable."""
    own: Path | None = None  # a resumed run rewrites its own files
    if config.resume:
        resumed = Path(config.resume)
        own = resumed.with_name(resumed.name.replace(".last.pt", ".pt"))
    best = run_files(config.out if config.out else own or config.default_out(project.models_dir, arch))[0]
    if own is None or best.resolve() != own.resolve():
        for path in run_files(best):
            if path.is_dir():
                raise SegError(f"{describe(path)} is a folder; give --out a file name.", path=path)
            if path.exists() or path.is_symlink():
                raise SegError(f"{describe(path)} already exists; a new training run never replaces a file, so "
                               "give --out a new name (without --out, runs are named <arch>-<date>-<time>.pt).",
                               path=path)
    _check_writable(best)
    return best, run_files(best)[1]


def _check_writable(best: Path) -> None:
    """Fail before the first epoch, not after it, when the checkpoint's folder cannot be written."""
    try:
        best.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=best.parent, prefix=".segstudio-probe-"):
            pass
    except OSError as exc:
        raise SegError(f"Cannot write the checkpoint {describe(best)}: its folder {describe(best.parent)} is not "
                       f"writable ({exc.strerror or exc}).", path=best) from None


def _datasets(config: TrainConfig, project: Project, split: dict) -> tuple[LabelledImages, LabelledImages]:
    train_images = split_images(project, split, "train")
    val_images = split_images(project, split, "val") or train_images  # one image: validate on it
    train = LabelledImages(project, train_images)
    if not len(train):
        first = next(iter(train.skipped.values()), "")
        raise SegError(f"None of the {len(train_images)} reviewed training image(s) in {describe(project.root)} "
                       f"could be read (first: {first.rstrip('.')}).", path=project.root)
    sizes = train.sizes()
    if config.augment or len(sizes) > 1 or config.crop_size:
        side = config.crop_size or 320
        height, width = next(iter(sizes)) if len(sizes) == 1 else (side, side)
        crop = (min(height, side), min(width, side))
        train.transform = (train_transform(AugmentSettings(crop, **(config.augment_kwargs or {})))
                           if config.augment else crop_transform(crop))
    val = LabelledImages(project, val_images)
    if not len(val):  # every validation pair unreadable: validate on the training images, as for one image
        unreadable = val.skipped
        val = LabelledImages(project, train.images)
        val.skipped.update(unreadable)
    return train, val


def _split(config: TrainConfig, project: Project, source: Checkpoint | None) -> tuple[dict, str]:
    """The run's split and a sentence for its note: a resumed run's own, a fine-tuned checkpoint's kept
    (new images by stem hash, segmodels.training.splits), else a new seeded one."""
    if config.resume and source is not None and source.split:
        return source.split, ""
    if config.from_checkpoint and source is not None:
        kept = kept_split(project, source.split, config.val_fraction, describe(source.path))
        if kept is not None:
            return kept
        return (make_split(project, config.val_fraction, config.seed),
                f"{describe(source.path)} records no train/validation split, so a new one was drawn")
    return make_split(project, config.val_fraction, config.seed), ""


def _with_class_weights(config: TrainConfig, train_set: LabelledImages, num_classes: int) -> TrainConfig:
    """A weighted loss's class weights: given or recorded ones checked, else counted from the training
    labels once (segmodels.training.class_weights); they go into the config, so checkpoints record them."""
    if not config.loss.weighted:
        return config
    if config.class_weights is not None:
        return dataclasses.replace(config, class_weights=checked_weights(config.class_weights, num_classes))
    weights = frequency_weights(class_pixel_counts(train_set, num_classes))
    return dataclasses.replace(config, class_weights=weights)


def prepare_run(config: TrainConfig) -> RunState:
    ctx = distributed.DistContext.from_env()
    device, device_note = select_device(config.device)
    ctx, device = distributed.setup(ctx, device)
    project = Project.open(config.project)
    source_path = config.resume or config.from_checkpoint
    source = load_checkpoint(source_path) if source_path and not config.foreign_weights else None
    if config.resume and source is not None and source.classes.names != project.classes.names:
        raise SegError(f"Cannot resume from {describe(source_path)}: it was trained for classes "
                       f"{source.classes.names} but the project has {project.classes.names}; "
                       "fine-tune with --from instead.",
                       path=source_path)
    config, arch = _resolve(config, source)
    best_path, last_path = _paths(config, project, arch)  # before any data or model: refusals come first
    torch.manual_seed(config.seed)
    split, split_note = _split(config, project, source)
    train_set, val_set = _datasets(config, project, split)
    config = _with_class_weights(config, train_set, len(project.classes))
    start = build_model(config, arch, project.classes, source)
    model = start.model.to(device)
    train_model = distributed.wrap_model(AuxForward(model), ctx, device)
    train_sampler = make_sampler(train_set, shuffle=True, seed=config.seed, ctx=ctx)
    per_rank = max(len(train_set) // ctx.world_size, 1)
    train_batches = make_batches(train_set, config.batch_size, train_sampler, drop_last=per_rank > config.batch_size,
                                 num_workers=config.num_workers, pin_memory=device.type == "cuda")
    # Validation predicts one image at a time, as `predict` does (loops.evaluate), so it loads one at a time.
    val_batches = make_batches(val_set, 1, make_sampler(val_set, shuffle=False, seed=0, ctx=ctx),
                               drop_last=False, num_workers=config.num_workers, pin_memory=device.type == "cuda")
    steps_per_epoch = max(len(train_batches), 1)
    start_epoch = int(source.epoch or 0) if config.resume and source is not None else 0
    if config.resume and start_epoch >= config.epochs:
        epochs = f"{start_epoch} epoch{'s' * (start_epoch != 1)}"
        raise SegError(f"Checkpoint {describe(source_path)} has already trained {epochs}; "
                       f"ask for more with --epochs (more than {start_epoch}).", path=source_path)
    schedule, schedule_note = run_schedule(config, source, steps_per_epoch, start_epoch)
    optimizer, scheduler = make_optimizer(model, config, schedule)
    scaler = torch.amp.GradScaler("cuda") if device.type == "cuda" and config.amp else None
    best_miou, notes = None, [split_note, schedule_note]
    if config.resume and source is not None:
        extra = source.extra or {}
        if source.optimizer_state:
            optimizer.load_state_dict(source.optimizer_state)
        if source.scheduler_state:
            scheduler.load_state_dict(source.scheduler_state)
        if scaler is not None and isinstance(extra.get("scaler"), dict):
            scaler.load_state_dict(extra["scaler"])
        best_miou = extra.get("best_miou")
        # Last, after every other draw of this preparation (model initialisation included).
        if not restore_random_state(extra.get("rng"), train_sampler, device):
            notes.append(f"{describe(source_path)} records no random state, so shuffling and augmentation "
                         "start again from the seed")
    if split.get("source"):  # the dataset's own train/val lists were used (segmodels/formats/splits.py)
        notes.append(split["source"])
    note = (f"{start.note}; device {device_note}" + (f"; {ctx.world_size} processes" if ctx.enabled else "")
            + "".join(f"; {part}" for part in notes if part))
    return RunState(config, ctx, device, project, project.classes, model, train_model, model.normalization,
                    optimizer, scheduler, scaler, train_batches, val_batches, train_sampler, steps_per_epoch,
                    start_epoch, split, best_path, last_path, best_miou, None, note, (train_set, val_set), schedule)


def metrics_record(state: RunState, epoch: int, metrics: SegMetrics, train_loss: float) -> dict[str, Any]:
    """What `<name>.json` and the checkpoint's metrics hold."""
    return {"arch": state.model.arch, "epoch": epoch, "epochs": state.config.epochs, "train_loss": train_loss,
            **metrics.to_json(state.classes.names), "classes": state.classes.names,
            "train_images": len(state.split["train"]), "val_images": len(state.split["val"])}


def write_checkpoints(state: RunState, epoch: int, metrics: SegMetrics, train_loss: float, is_best: bool) -> None:
    """Rank 0 writes last (every epoch) and best (when improved) checkpoints; other ranks wait."""
    if state.ctx.is_main:
        record = metrics_record(state, epoch, metrics, train_loss)
        common = dict(classes=state.classes, normalization=state.normalization, train_config=state.config.to_json(),
                      metrics=record, epoch=epoch, split=state.split)
        extra = {"best_miou": state.best_miou, "world_size": state.ctx.world_size,
                 "schedule": state.schedule.to_json() if state.schedule else None}
        if is_best:
            save_checkpoint(state.best_path, state.model, extra=extra, **common)
            atomic_write_text(state.best_path.with_suffix(".json"), json.dumps(record, indent=2) + "\n")
        # What --resume needs to go on as if never stopped (segmodels.training.resume).
        resumable = {**extra, "rng": random_state(state.train_sampler, state.device),
                     "scaler": state.scaler.state_dict() if state.scaler is not None else None}
        save_checkpoint(state.last_path, state.model, optimizer_state=state.optimizer.state_dict(),
                        scheduler_state=state.scheduler.state_dict(), extra=resumable, **common)
    distributed.barrier(state.ctx)
