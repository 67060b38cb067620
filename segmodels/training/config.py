"""`TrainConfig`: everything a training run needs, as one frozen dataclass (no mutated namespaces).

Fields left as None take the architecture's defaults (`ARCH_DEFAULTS`, else `GENERIC_DEFAULTS`) when
`resolved()` is called, so `segstudio train DEMO --arch m2nist_fcn` with no options trains well: the
small M2NIST FCN trains from scratch as its context variant (`width=16, context=64`: the notes' 15-pixel
receptive field cannot tell unseen digits apart, see segmodels/models/m2nist_fcn.py) with a higher
learning rate (Adam 5e-3, one-cycle schedule, instead of the generic 1e-4, which needs several times
more epochs than a CPU budget of minutes allows), batch 32, 20 epochs, a Dice term (weight 0.5) and
affine augmentation without flips; measured on unseen demo digits, these reach mIoU ~0.9.
`to_json()` is what the checkpoint records.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from segmodels.errors import SegError

#: Per-architecture defaults for fields left None. Everything here is a plain value (goes in checkpoints).
ARCH_DEFAULTS: dict[str, dict[str, Any]] = {
    "m2nist_fcn": {"epochs": 20, "batch_size": 32, "lr": 5e-3, "augment": True, "crop_size": None,
                   "dice_weight": 0.5, "model_kwargs": {"width": 16, "context": 64},
                   # Rotation/shear/scale make 900 source digits look like more handwriting; no flips
                   # (a mirrored digit is another glyph) and no colour jitter (strokes are thresholded grey).
                   "augment_kwargs": {"hflip": 0.0, "degrees": 10.0, "shear": 8.0, "scale_range": (0.9, 1.1),
                                      "brightness": 0.0, "contrast": 0.0}},
}
GENERIC_DEFAULTS: dict[str, Any] = {"epochs": 30, "batch_size": 8, "lr": 1e-4, "augment": True, "crop_size": 320,
                                    "dice_weight": 0.0, "model_kwargs": {}, "augment_kwargs": {}}

SCHEDULES: tuple[str, ...] = ("onecycle", "cosine", "constant")

#: Fine-tuning starts from weights that already work: a tenth of the from-scratch learning rate keeps
#: the first steps from undoing them (with the full rate, the demo model's mIoU dipped from 0.95 to 0.6).
FINE_TUNE_LR_FACTOR: float = 0.1


@dataclass(frozen=True)
class TrainConfig:
    """One training run. Exactly one of `arch` (from scratch) and `from_checkpoint` (fine-tune) is set,
    unless `resume` names a checkpoint whose architecture is used."""

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
    dice_weight: float | None = None
    aux_weight: float = 0.4
    weight_decay: float = 0.0
    schedule: str = "onecycle"
    amp: bool = True  # used on CUDA only
    pretrained_backbone: bool = False
    require_pretrained: bool = False
    model_kwargs: dict[str, Any] | None = None  # builder arguments; None = the architecture's defaults
    augment_kwargs: dict[str, Any] | None = None  # AugmentSettings fields; None = the architecture's defaults

    def __post_init__(self) -> None:
        if not (self.arch or self.from_checkpoint or self.resume):
            raise SegError("Training needs an architecture (--arch), a checkpoint to fine-tune (--from) "
                           "or one to resume (--resume).")
        if self.arch and self.from_checkpoint:
            raise SegError("Give either --arch (train from scratch) or --from (fine-tune a checkpoint), not both.")
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise SegError(f"--{name.replace('_', '-')} must be at least 1, got {value}.")
        if self.lr is not None and not self.lr > 0:
            raise SegError(f"--lr must be positive, got {self.lr}.")
        if not 0.0 <= self.val_fraction < 1.0:
            raise SegError(f"The validation fraction must be in [0, 1), got {self.val_fraction}.")
        if self.schedule not in SCHEDULES:
            raise SegError(f"Unknown schedule '{self.schedule}'; use one of {', '.join(SCHEDULES)}.")
        if self.num_workers < 0:
            raise SegError(f"--num-workers must be 0 or more, got {self.num_workers}.")

    def defaults_for(self, arch: str) -> dict[str, Any]:
        return {**GENERIC_DEFAULTS, **ARCH_DEFAULTS.get(arch, {})}

    def resolved(self, arch: str) -> TrainConfig:
        """A copy with every None field that has a default filled in for `arch`."""
        defaults = self.defaults_for(arch)
        filled = {name: value for name, value in defaults.items() if getattr(self, name) is None}
        if self.from_checkpoint and self.lr is None:
            filled["lr"] = defaults["lr"] * FINE_TUNE_LR_FACTOR
        return dataclasses.replace(self, **filled)

    def default_out(self, project_models_dir: Path, arch: str) -> Path:
        """PROJECT/models/<arch>.pt unless --out was given."""
        return Path(self.out) if self.out else project_models_dir / f"{arch}.pt"

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
