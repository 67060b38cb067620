"""`unet`: U-Net (Ronneberger et al.) with a configurable base width.

4 encoder blocks (two 3x3 conv + BatchNorm + ReLU, then 2x2 max-pool; channels double each block), a
bridge, 4 decoder blocks (2x2 transposed conv, concatenate the matching encoder output, two 3x3
convs; channels halve) and a 1x1 head. Convolutions are padded, so the output has the input's size
once the input is a multiple of 16 (the base class pads). The default base width 16 (about 1.9 M
parameters) keeps it trainable on a CPU; the paper's network is base_width=64.
"""
from __future__ import annotations

import torch
from torch import nn

from segmodels.models.base import SegmentationModel
from segmodels.models.registry import register_model


def double_conv(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class UNet(SegmentationModel):
    def __init__(self, num_classes: int, *, base_width: int = 16, depth: int = 4) -> None:
        super().__init__(stride=2 ** depth)
        widths = [base_width * 2 ** i for i in range(depth + 1)]
        pairs = zip([3] + widths[:-2], widths[:-1], strict=True)
        self.encoders = nn.ModuleList(double_conv(c_in, c_out) for c_in, c_out in pairs)
        self.pool = nn.MaxPool2d(2)
        self.bridge = double_conv(widths[-2], widths[-1])
        self.ups = nn.ModuleList(nn.ConvTranspose2d(w, w // 2, 2, stride=2) for w in reversed(widths[1:]))
        self.decoders = nn.ModuleList(double_conv(w, w // 2) for w in reversed(widths[1:]))
        self.head = nn.Conv2d(widths[0], num_classes, 1)

    def _forward_padded(self, x: torch.Tensor) -> tuple[torch.Tensor, None]:
        skips = []
        for encoder in self.encoders:
            x = encoder(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bridge(x)
        for up, decoder, skip in zip(self.ups, self.decoders, reversed(skips), strict=False):
            x = decoder(torch.cat([skip, up(x)], dim=1))  # concatenation, not sum: keeps fine detail
        return self.head(x), None


@register_model("unet")
def unet(*, num_classes: int, pretrained_backbone: bool = False, require_pretrained: bool = False,
         base_width: int = 16, depth: int = 4) -> UNet:
    """U-Net with concatenation skips; base_width 16 by default (CPU-friendly), 64 as in the paper."""
    del pretrained_backbone, require_pretrained  # trained from scratch: no ImageNet backbone
    return UNet(num_classes, base_width=base_width, depth=depth)
