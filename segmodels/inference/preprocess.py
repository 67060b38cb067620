"""Input normalisation and the one image -> tensor conversion shared by inference and training.

`Normalization` records what a model expects (mean/std per RGB channel, for pixel values scaled to
[0, 1]); checkpoints store it as a plain dict. `to_input_tensor` turns uint8 RGB (H x W x 3 or
N x H x W x 3, numpy or torch) into a normalised float N x C x H x W tensor on the target device.
The uint8 data crosses to the device first (a quarter of the bytes of float32) and the scaling is a
single fused multiply-add, so this step stays a small part of a forward pass.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from segmodels.constants import IMAGENET_MEAN, IMAGENET_STD
from segmodels.errors import SegError


@dataclass(frozen=True)
class Normalization:
    """Per-channel mean and std applied to RGB values in [0, 1]: x' = (x / 255 - mean) / std."""

    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD

    def __post_init__(self) -> None:
        mean = tuple(float(v) for v in self.mean)
        std = tuple(float(v) for v in self.std)
        if len(mean) != 3 or len(std) != 3 or any(s <= 0 for s in std):
            raise SegError(f"A normalisation needs three means and three positive stds, got {mean} and {std}.")
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "std", std)

    def to_dict(self) -> dict[str, list[float]]:
        return {"mean": list(self.mean), "std": list(self.std)}

    @classmethod
    def from_dict(cls, data: Any) -> Normalization:
        if isinstance(data, Normalization):
            return data
        try:
            return cls(tuple(data["mean"]), tuple(data["std"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise SegError(f"A normalisation must be {{'mean': [r, g, b], 'std': [r, g, b]}}, got {data!r}.") from exc

    def scale_shift(self, device: torch.device | str,
                    dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
        """(scale, shift) with x' = x_uint8 * scale - shift, shaped 1 x 3 x 1 x 1."""
        std = torch.tensor(self.std, dtype=torch.float64)
        mean = torch.tensor(self.mean, dtype=torch.float64)
        scale = (1.0 / (255.0 * std)).to(dtype).view(1, 3, 1, 1).to(device)
        shift = (mean / std).to(dtype).view(1, 3, 1, 1).to(device)
        return scale, shift


def to_input_tensor(images: np.ndarray | torch.Tensor, normalization: Normalization | None = None,
                    device: torch.device | str = "cpu", *, channels_last: bool = False,
                    dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """uint8 RGB H x W x 3 or N x H x W x 3 -> normalised float N x 3 x H x W on `device`.

    With `channels_last` the result keeps the NHWC memory layout the pixels arrive in (what CUDA
    convolutions prefer), which also saves the transpose copy.
    """
    normalization = normalization or Normalization()
    if isinstance(images, np.ndarray):
        # torch refuses to wrap read-only memory (np.asarray of a PIL image) without a warning.
        batch = torch.from_numpy(np.ascontiguousarray(images) if images.flags.writeable else np.array(images))
    else:
        batch = images
    if batch.dtype != torch.uint8:
        raise ValueError(f"images must be uint8 RGB, got {batch.dtype}")
    if batch.ndim == 3:
        batch = batch.unsqueeze(0)
    if batch.ndim != 4 or batch.shape[-1] != 3:
        raise ValueError(f"images must be H x W x 3 or N x H x W x 3, got {tuple(batch.shape)}")
    device = torch.device(device)
    non_blocking = device.type == "cuda" and batch.is_pinned()
    nchw = batch.to(device, non_blocking=non_blocking).permute(0, 3, 1, 2)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    scale, shift = normalization.scale_shift(device, dtype)
    out = nchw.to(dtype=dtype, memory_format=memory_format)
    # x * scale - shift in place on the fresh float copy: one pass over the pixels, no extra buffer.
    return out.mul_(scale).sub_(shift)
