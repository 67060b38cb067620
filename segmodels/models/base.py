"""`SegmentationModel`: the contract every architecture meets.

`forward(x)` maps N x 3 x H x W floats to logits N x C x H x W for any H and W: the input is padded
at the bottom and right to a multiple of `stride`, run, and the logits cropped back. Padding only
at the bottom/right keeps the pixel grid of the pooling layers anchored at the top-left corner, so a
tile cut at a multiple of the stride sees the same grid as the whole image (what tiled inference
relies on). Zero padding in normalised space is the mean colour, the most neutral value.

Subclasses implement `_forward_padded(x) -> (logits, aux_logits | None)` on the padded input; both
may come back at any resolution and are resized to the padded size here.
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from segmodels.inference.preprocess import Normalization


class SegmentationModel(nn.Module):
    """Base class: pad to the stride, run, resize to input size, crop back."""

    #: Input sides are padded to a multiple of this (the network's total down-sampling).
    stride: int = 32

    def __init__(self, *, stride: int = 32, normalization: Normalization | None = None) -> None:
        super().__init__()
        self.stride = int(stride)
        self.normalization = normalization or Normalization()
        # Filled in by get_model so a checkpoint can rebuild the same network.
        self.arch: str = type(self).__name__
        self.arch_kwargs: dict[str, Any] = {}
        self.num_classes: int = 0

    def _forward_padded(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        raise NotImplementedError

    @property
    def has_aux(self) -> bool:
        return False

    def _pad(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        pad_h = (-height) % self.stride
        pad_w = (-width) % self.stride
        if pad_h == 0 and pad_w == 0:
            return x
        return F.pad(x, (0, pad_w, 0, pad_h))

    @staticmethod
    def _fit(logits: torch.Tensor, size: tuple[int, int], height: int, width: int) -> torch.Tensor:
        if tuple(logits.shape[-2:]) != size:
            logits = F.interpolate(logits, size=size, mode="bilinear", align_corners=False)
        return logits[..., :height, :width]

    def forward_with_aux(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(logits, aux logits or None), both N x C x H x W at the input's size."""
        if x.ndim != 4:
            raise ValueError(f"expected N x 3 x H x W input, got shape {tuple(x.shape)}")
        height, width = x.shape[-2:]
        padded = self._pad(x)
        size = (int(padded.shape[-2]), int(padded.shape[-1]))
        logits, aux = self._forward_padded(padded)
        logits = self._fit(logits, size, height, width)
        if aux is not None:
            aux = self._fit(aux, size, height, width)
        return logits, aux

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        padded = self._pad(x)
        logits = self._forward_main(padded)
        return self._fit(logits, (int(padded.shape[-2]), int(padded.shape[-1])), height, width)

    def _forward_main(self, x: torch.Tensor) -> torch.Tensor:
        """Main logits only; subclasses with an aux head override this to skip it at inference."""
        return self._forward_padded(x)[0]

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())
