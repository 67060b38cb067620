"""Small building blocks shared by architectures: bilinear-initialised transposed convolutions.

FCN's upsampling (docs/models-and-labels.md#fully-convolutional-networks): for factor f the kernel
size is k = 2f - f % 2, its centre c = f - 1 if k is odd else f - 0.5, and
weight(y, x) = (1 - |y - c| / f) * (1 - |x - c| / f), placed only on the channel-to-itself diagonal,
bias 0. With stride f and padding (k - f) // 2 the layer
returns exactly f times the input size and, in the interior, equals bilinear interpolation
(half-pixel centres, what `F.interpolate(..., align_corners=False)` computes).
"""
from __future__ import annotations

import torch
from torch import nn


def bilinear_kernel_size(factor: int) -> int:
    return 2 * factor - factor % 2


def bilinear_kernel(in_channels: int, out_channels: int, factor: int, kernel_size: int | None = None) -> torch.Tensor:
    """ConvTranspose2d weight (in x out x k x k) that upsamples by `factor` bilinearly.

    `kernel_size` defaults to the documented 2f - f % 2; a larger kernel gets the same tent, centred,
    with zeros outside it (so k=6 at stride 2 behaves like the canonical k=4).
    """
    if factor < 1:
        raise ValueError("factor must be >= 1")
    size = bilinear_kernel_size(factor) if kernel_size is None else int(kernel_size)
    # (k - 1) / 2 equals the documented centre for k = 2f - f % 2 (f - 1 when odd, f - 0.5 when even).
    center = (size - 1) / 2.0
    coords = torch.arange(size, dtype=torch.float64)
    tent = (1.0 - (coords - center).abs() / factor).clamp(min=0.0)
    filt = (tent[:, None] * tent[None, :]).to(torch.float32)
    weight = torch.zeros(in_channels, out_channels, size, size)
    for channel in range(min(in_channels, out_channels)):
        weight[channel, channel] = filt
    return weight


def bilinear_upsample(channels: int, factor: int, *, trainable: bool = True) -> nn.ConvTranspose2d:
    """A transposed conv that makes its input exactly `factor` times larger, initialised bilinear."""
    size = bilinear_kernel_size(factor)
    layer = nn.ConvTranspose2d(channels, channels, size, stride=factor, padding=(size - factor) // 2, bias=True)
    with torch.no_grad():
        layer.weight.copy_(bilinear_kernel(channels, channels, factor))
        layer.bias.zero_()
    layer.weight.requires_grad_(trainable)
    layer.bias.requires_grad_(trainable)
    return layer
