"""The training losses by name (`LossKind`), what each turns on, and how an unset or old one is resolved.

The words are what `--loss`, the Training dock and a checkpoint's recorded config use: "ce" (cross-entropy),
"weighted_ce" (cross-entropy with per-class weights from the training labels' frequencies,
segmodels.training.class_weights), and either with "+dice" (a soft Dice term of weight `dice_weight`).
The loss functions themselves are in `segmodels.training.losses`; defaults per architecture are in the
catalog (docs/training.md#class-imbalance says how they were chosen).

`--dice-weight` keeps the meaning it had before `--loss` existed: given without `--loss`, 0 turns the
default's Dice term off and a positive weight turns it on (`default_loss`). A checkpoint from before
`loss` was recorded resumes with the loss it was trained with (`recorded_loss`).

Contract: standard library and segmodels.errors only (the GUI reads it on its first frame; no torch).
"""
from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from segmodels.errors import SegError

_DICE_SUFFIX = "+dice"


class LossKind(str, enum.Enum):
    """A str enum: its values are the words of the CLI, the GUI and recorded configs."""

    CE = "ce"
    WEIGHTED_CE = "weighted_ce"
    CE_DICE = "ce+dice"
    WEIGHTED_CE_DICE = "weighted_ce+dice"

    @property
    def weighted(self) -> bool:
        """Whether the cross-entropy weighs each class by its frequency in the training labels."""
        return self.value.startswith("weighted_")

    @property
    def dice(self) -> bool:
        """Whether a soft Dice term is added."""
        return self.value.endswith(_DICE_SUFFIX)

    def with_dice(self, on: bool) -> LossKind:
        """The same cross-entropy with the Dice term on or off."""
        base = self.value.removesuffix(_DICE_SUFFIX)
        return LossKind(base + _DICE_SUFFIX if on else base)


LOSSES: tuple[str, ...] = tuple(kind.value for kind in LossKind)

#: One line per loss for tooltips and --help.
LOSS_DESCRIPTIONS: Mapping[LossKind, str] = {
    LossKind.CE: "cross-entropy",
    LossKind.WEIGHTED_CE: "cross-entropy weighted by class frequency (rare classes count more)",
    LossKind.CE_DICE: "cross-entropy plus a soft Dice term",
    LossKind.WEIGHTED_CE_DICE: "class-weighted cross-entropy plus a soft Dice term",
}


def parse_loss(value: LossKind | str) -> LossKind:
    """The LossKind for a word, or a SegError sentence listing the words."""
    try:
        return LossKind(value)
    except ValueError:
        raise SegError(f"Unknown loss '{value}'; use one of {', '.join(LOSSES)}.") from None


def default_loss(arch_default: LossKind | str, dice_weight: float | None) -> LossKind:
    """The architecture's default loss, with its Dice term switched by an explicitly given `dice_weight`."""
    kind = parse_loss(arch_default)
    return kind if dice_weight is None else kind.with_dice(dice_weight > 0)


def check_dice_weight(kind: LossKind | None, dice_weight: float | None) -> None:
    """A negative Dice weight, or a Dice loss with a Dice weight of 0, is a sentence for the user."""
    if dice_weight is not None and not dice_weight >= 0:
        raise SegError(f"--dice-weight must be 0 or more, got {dice_weight:g}.")
    if kind is not None and kind.dice and dice_weight is not None and dice_weight <= 0:
        raise SegError(f"The loss '{kind.value}' has a Dice term, so --dice-weight must be above 0 "
                       f"(got {dice_weight:g}); use --loss {kind.with_dice(False).value} for none.")


def recorded_loss(recorded: Mapping[str, Any]) -> str:
    """The loss a recorded training config used: its `loss`, or for a checkpoint from before that was
    recorded, cross-entropy plus Dice when its Dice weight was above 0 (how such runs trained)."""
    loss = recorded.get("loss")
    if isinstance(loss, str):
        return loss
    dice_weight = recorded.get("dice_weight")
    with_dice = isinstance(dice_weight, (int, float)) and dice_weight > 0
    return LossKind.CE.with_dice(with_dice).value
