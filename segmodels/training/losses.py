"""The training loss, in one place: cross-entropy (optionally class-weighted), a soft Dice term, the aux term.

`loss_settings(config)` turns a resolved TrainConfig's `loss` word (segmodels.training.loss_kinds) into
`LossSettings`: the Dice weight (0 when the loss has no Dice term) and the class weights (None unless
the loss is weighted; segmodels.training.class_weights computes them from the training labels).
`segmentation_loss` adds up

- cross-entropy with ignore_index=255, averaged over the labelled pixels, or with class weights
  averaged over the labelled pixels' weights (as torch's weighted mean is), so both are on one scale;
  over no labelled pixel it is 0, not the 0/0 NaN (docs/models-and-labels.md#training);
- `dice_weight` x soft Dice (1 - the mean over classes of 2|P.T| / (|P| + |T|) on softmax
  probabilities), ignore pixels left out of both P and T;
- `aux_weight` x the same cross-entropy on the aux head's logits, when the model has one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from segmodels.constants import IGNORE_INDEX
from segmodels.training.loss_kinds import parse_loss


@dataclass(frozen=True)
class LossSettings:
    dice_weight: float = 0.0
    aux_weight: float = 0.4
    class_weights: tuple[float, ...] | None = None  # None: plain cross-entropy


#: Plain cross-entropy with the aux term: what the loops use when given no settings.
DEFAULT_LOSS_SETTINGS = LossSettings()


def loss_settings(config: Any) -> LossSettings:
    """The settings of a resolved TrainConfig (its `loss` set, and `class_weights` when weighted)."""
    kind = parse_loss(config.loss)
    return LossSettings(dice_weight=float(config.dice_weight or 0.0) if kind.dice else 0.0,
                        aux_weight=config.aux_weight,
                        class_weights=tuple(config.class_weights) if kind.weighted else None)


def soft_dice_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """1 - mean over classes of 2|P.T| / (|P| + |T|) on softmax probabilities, ignore pixels left out."""
    num_classes = logits.shape[1]
    valid = (target != IGNORE_INDEX).unsqueeze(1)
    probs = logits.float().softmax(dim=1) * valid
    one_hot = F.one_hot(target.clamp(max=num_classes - 1), num_classes).permute(0, 3, 1, 2) * valid
    dims = (0, 2, 3)
    intersection = (probs * one_hot).sum(dims)
    total = probs.sum(dims) + one_hot.sum(dims)
    return 1.0 - ((2 * intersection + 1.0) / (total + 1.0)).mean()


def cross_entropy(logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
    """Mean (weighted) cross-entropy over the labelled pixels; 0 (not NaN) when there are none."""
    total = F.cross_entropy(logits.float(), target, weight=weight, ignore_index=IGNORE_INDEX, reduction="sum")
    labelled = target != IGNORE_INDEX
    if weight is None:
        return total / labelled.sum().clamp(min=1)
    pixel_weights = weight[target.clamp(max=len(weight) - 1)] * labelled
    return total / pixel_weights.sum().clamp(min=torch.finfo(torch.float32).tiny)


def segmentation_loss(logits: torch.Tensor, aux_logits: torch.Tensor | None, target: torch.Tensor,
                      settings: LossSettings) -> torch.Tensor:
    weight = (torch.tensor(settings.class_weights, dtype=torch.float32, device=logits.device)
              if settings.class_weights is not None else None)
    loss = cross_entropy(logits, target, weight)
    if settings.dice_weight > 0:
        loss = loss + settings.dice_weight * soft_dice_loss(logits, target)
    if aux_logits is not None and settings.aux_weight > 0:
        loss = loss + settings.aux_weight * cross_entropy(aux_logits, target, weight)
    return loss
