"""`TrainConfig`: everything a training run needs, as one frozen dataclass (no mutated namespaces).

Fields left as None take the architecture's defaults from the catalog (`segmodels.models.catalog`:
per-architecture training settings, else the generic ones) when `resolved()` is called, so
`segstudio train DEMO --arch m2nist_fcn` with no options trains well, and the GUI's Training dock,
which reads the same table, trains the same way. `to_json()` is what the checkpoint records (plain
values only: `schedule` as its word, so old checkpoints load and new ones load safely).

A new run never replaces a checkpoint (DESIGN.md): `new_checkpoint_path` names each run's files
`<stem>-<YYYYmmdd-HHMM>.pt` (then `-2`, `-3`, ... when taken), with `.last.pt` and `.json` beside it
(`run_files`); the CLI and the Training dock both name runs through it.

Contract: importable without torch (the GUI imports it on its first frame).
"""
from __future__ import annotations

import dataclasses
import enum
import itertools
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from segmodels.errors import SegError
from segmodels.models.catalog import training_defaults
from segmodels.training.loss_kinds import LossKind, check_dice_weight, default_loss, parse_loss


class Schedule(str, enum.Enum):
    """How the learning rate moves over a run (see `segmodels.training.build.schedule_factor`).
    A str enum: its values are the words the CLI and old checkpoints use, and what `to_json()` records."""

    ONECYCLE = "onecycle"
    COSINE = "cosine"
    CONSTANT = "constant"
    POLY = "poly"  # (1 - progress) ** 0.9, torchvision's reference segmentation schedule


SCHEDULES: tuple[str, ...] = tuple(schedule.value for schedule in Schedule)

#: Fine-tuning starts from weights that already work: a tenth of the from-scratch learning rate keeps
#: the first steps from undoing them (with the full rate, the demo model's mIoU dipped from 0.95 to 0.6).
FINE_TUNE_LR_FACTOR: float = 0.1

#: The minute a run started, in its checkpoint's name: sorts by time, and is readable.
RUN_STAMP_FORMAT = "%Y%m%d-%H%M"
# A run's stamp (and a fine-tune marker) at the end of a checkpoint stem, as new_checkpoint_path writes them.
_RUN_SUFFIX = re.compile(r"(?:[-_]finetuned)?(?:-\d{8}-\d{4}(?:-\d+)?)?$")


def run_files(out: str | Path) -> tuple[Path, Path, Path]:
    """The files one run writes for `--out OUT`: the best checkpoint `<name>.pt` (`.pt` added when OUT
    lacks it), `<name>.last.pt` and `<name>.json` metrics."""
    out = Path(out)
    stem = out.name[:-3] if out.name.endswith(".pt") else out.name
    return out.with_name(f"{stem}.pt"), out.with_name(f"{stem}.last.pt"), out.with_name(f"{stem}.json")


def base_stem(checkpoint: str | Path) -> str:
    """A checkpoint's name without the run stamp and fine-tune marker: `unet-20260101-0930-2.pt` -> `unet`."""
    name = Path(checkpoint).name
    stem = name[:-len(".last.pt")] if name.endswith(".last.pt") else Path(name).stem
    return _RUN_SUFFIX.sub("", stem) or stem


def new_checkpoint_path(models_dir: Path, stem: str, now: datetime | None = None) -> Path:
    """`models_dir/<stem>-<YYYYmmdd-HHMM>.pt`, or `...-2.pt`, `-3`, ... so that none of the run's files exists."""
    base = f"{stem}-{(now or datetime.now()).strftime(RUN_STAMP_FORMAT)}"
    for number in itertools.count(1):
        best = Path(models_dir) / (f"{base}.pt" if number == 1 else f"{base}-{number}.pt")
        if not any(path.exists() or path.is_symlink() for path in run_files(best)):
            return best
    raise AssertionError("unreachable")


def fine_tune_lr(lr: float) -> float:
    """The learning rate for fine-tuning a model whose from-scratch rate is `lr` (what `resolved()`
    fills in and the Training dock shows)."""
    return lr * FINE_TUNE_LR_FACTOR


@dataclass(frozen=True)
class TrainConfig:
    """One training run: `arch` (from scratch), `from_checkpoint` (fine-tune a segstudio checkpoint), both
    (`arch` loads the compatible tensors of any weights file or "torchvision[:NAME]" named by
    `from_checkpoint`: segmodels.models.foreign_weights), or `resume` (the checkpoint's own architecture)."""

    project: str
    arch: str | None = None
    from_checkpoint: str | None = None
    resume: str | None = None
    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    device: str = "auto"
    out: str | None = None
    seed: int = 0
    val_fraction: float = 0.1
    augment: bool | None = None
    crop_size: int | None = None  # square training crop; None = the images' own size (all equal)
    num_workers: int = 0
    dice_weight: float | None = None  # the Dice term's weight, when `loss` has one
    loss: LossKind | None = None  # None: the architecture's default; the words ("ce+dice") are accepted too
    class_weights: tuple[float, ...] | None = None  # weighted losses; None: counted from the training labels
    aux_weight: float = 0.4
    weight_decay: float = 0.0
    schedule: Schedule = Schedule.ONECYCLE  # the plain words ("cosine") are accepted too
    warmup: float | None = None  # share of the steps warming up linearly; None: 0.15 for onecycle, else 0
    amp: bool = True  # used on CUDA only
    pretrained_backbone: bool = False
    require_pretrained: bool = False
    model_kwargs: dict[str, Any] | None = None  # builder arguments; None = the architecture's defaults
    augment_kwargs: dict[str, Any] | None = None  # AugmentSettings fields; None = the architecture's defaults

    def __post_init__(self) -> None:
        if not (self.arch or self.from_checkpoint or self.resume):
            raise SegError("Training needs an architecture (--arch), a checkpoint to fine-tune (--from) "
                           "or one to resume (--resume).")
        if self.arch and self.resume:
            raise SegError("--resume goes on with the checkpoint's own architecture; leave out --arch.")
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise SegError(f"--{name.replace('_', '-')} must be at least 1, got {value}.")
        if self.lr is not None and not self.lr > 0:
            raise SegError(f"--lr must be positive, got {self.lr}.")
        if not 0.0 <= self.val_fraction < 1.0:
            raise SegError(f"The validation fraction must be in [0, 1), got {self.val_fraction}.")
        try:  # a recorded config (resume) or a caller may give the word; the field always holds the enum
            object.__setattr__(self, "schedule", Schedule(self.schedule))
        except ValueError:
            raise SegError(f"Unknown schedule '{self.schedule}'; use one of {', '.join(SCHEDULES)}.") from None
        if self.loss is not None:  # like schedule: the field holds the enum (training.loss_kinds)
            object.__setattr__(self, "loss", parse_loss(self.loss))
        check_dice_weight(self.loss, self.dice_weight)
        if self.num_workers < 0:
            raise SegError(f"--num-workers must be 0 or more, got {self.num_workers}.")
        if self.crop_size is not None and self.crop_size < 8:
            raise SegError(f"--crop-size must be at least 8 pixels, got {self.crop_size}.")
        if not self.weight_decay >= 0:
            raise SegError(f"--weight-decay must be 0 or more, got {self.weight_decay}.")
        if self.warmup is not None and not 0.0 <= self.warmup < 1.0:
            raise SegError(f"--warmup is a share of the run's steps in [0, 1), got {self.warmup}.")

    @property
    def foreign_weights(self) -> bool:
        """Whether `from_checkpoint` is a weights file (or torchvision's) loaded into `arch`."""
        return bool(self.arch and self.from_checkpoint)

    def defaults_for(self, arch: str) -> dict[str, Any]:
        return training_defaults(arch)

    def resolved(self, arch: str) -> TrainConfig:
        """A copy with every None field that has a default filled in for `arch`."""
        defaults = self.defaults_for(arch)
        filled = {name: value for name, value in defaults.items() if getattr(self, name) is None}
        if self.from_checkpoint and not self.foreign_weights and self.lr is None:
            filled["lr"] = fine_tune_lr(defaults["lr"])
        if self.loss is None:
            filled["loss"] = default_loss(defaults["loss"], self.dice_weight)
        return dataclasses.replace(self, **filled)

    def default_out(self, project_models_dir: Path, arch: str) -> Path:
        """--out, else a new PROJECT/models/<arch>-<YYYYmmdd-HHMM>.pt (fine-tuning: <source>-finetuned-...)."""
        if self.out:
            return Path(self.out)
        fine_tuned = self.from_checkpoint and not self.foreign_weights
        stem = f"{base_stem(self.from_checkpoint)}-finetuned" if fine_tuned else arch
        return new_checkpoint_path(project_models_dir, stem)

    def to_json(self) -> dict[str, Any]:
        # Plain values only: a checkpoint is loaded with torch's safe (weights-only) unpickler.
        return {**dataclasses.asdict(self), "schedule": self.schedule.value,
                "loss": self.loss.value if self.loss is not None else None,
                "class_weights": list(self.class_weights) if self.class_weights is not None else None}
