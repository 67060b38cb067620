"""`m2nist_fcn`: the small M2NIST FCN, fast enough to train on a CPU in minutes.

The architecture: docs/models-and-labels.md#fully-convolutional-networks.
conv 5x5 (8) -> maxpool 2 -> conv 3x3 (8) -> maxpool 2 -> 1x1 conv (32, the former dense layer) ->
1x1 conv (C) -> transposed conv (k 4, s 2) -> transposed conv (k 6, s 2). The documented layer sizes
(64x84 -> 14x19 -> 30x40 -> 64x84) come from unpadded convolutions; here convolutions are padded so
every stage is exactly a factor 2 and the output lines up pixel for pixel with the input (stride 4).
Channels are reduced to C *before* upsampling, which keeps memory small.

`context=N` (N > 0) builds `M2nistContextFCN` instead, the variant `segstudio train --arch m2nist_fcn`
uses by default (segmodels.training.config): the documented network sees about 15 pixels, less than one
20-28 px digit, so it cannot tell digits apart on unseen handwriting; the variant adds a 1/8-scale
context branch with a ~50 px receptive field and BatchNorm (fast convergence) and keeps a full-resolution
branch for the stroke/background edge.
"""
from __future__ import annotations

import torch
from torch import nn

from segmodels.inference.preprocess import Normalization
from segmodels.models.base import SegmentationModel
from segmodels.models.registry import register_model
from segmodels.models.upsampling import bilinear_kernel


class M2nistFCN(SegmentationModel):
    def __init__(self, num_classes: int, *, width: int = 8, hidden: int = 32) -> None:
        super().__init__(stride=4, normalization=Normalization())
        self.encoder = nn.Sequential(
            nn.Conv2d(3, width, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(width, width, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(width, hidden, 1), nn.ReLU(inplace=True),
        )
        self.score = nn.Conv2d(hidden, num_classes, 1)
        # k=4, s=2, p=1 and k=6, s=2, p=2 both double the size exactly.
        self.up1 = nn.ConvTranspose2d(num_classes, num_classes, 4, stride=2, padding=1)
        self.up2 = nn.ConvTranspose2d(num_classes, num_classes, 6, stride=2, padding=2)
        for up in (self.up1, self.up2):
            with torch.no_grad():
                up.weight.copy_(bilinear_kernel(num_classes, num_classes, 2, up.kernel_size[0]))
                up.bias.zero_()

    def _forward_padded(self, x: torch.Tensor) -> tuple[torch.Tensor, None]:
        scores = self.score(self.encoder(x))
        return self.up2(self.up1(scores)), None


def _conv_bn_relu(in_channels: int, out_channels: int) -> list[nn.Module]:
    return [nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True)]


class M2nistContextFCN(SegmentationModel):
    """logits = fine(x) + upsample(context(x)).

    fine: conv 3x3 (8) -> 1x1 (C) at full resolution: whether a pixel is stroke or background is
    visible in the pixel itself, so edges stay sharp. context: conv 4x4 stride 4 (width) -> conv 3x3
    (2 width) -> maxpool 2 -> two conv 3x3 (context) -> 1x1 (C) at 1/8 scale, bilinearly upsampled:
    which digit, from a receptive field larger than a digit. Convolutions at 1/4 and 1/8 scale keep
    it cheap enough to train on a CPU in minutes.
    """

    def __init__(self, num_classes: int, *, width: int = 16, context: int = 64, dropout: float = 0.0) -> None:
        super().__init__(stride=8, normalization=Normalization())
        self.fine = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(inplace=True), nn.Conv2d(8, num_classes, 1))
        self.context = nn.Sequential(
            nn.Conv2d(3, width, 4, stride=4, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
            *_conv_bn_relu(width, 2 * width), nn.MaxPool2d(2),
            *_conv_bn_relu(2 * width, context), *_conv_bn_relu(context, context),
            nn.Dropout2d(dropout) if dropout > 0 else nn.Identity(),
        )
        self.score = nn.Conv2d(context, num_classes, 1)

    def _forward_padded(self, x: torch.Tensor) -> tuple[torch.Tensor, None]:
        coarse = self.score(self.context(x))
        coarse = nn.functional.interpolate(coarse, size=x.shape[-2:], mode="bilinear", align_corners=False)
        return coarse + self.fine(x), None


@register_model("m2nist_fcn")
def m2nist_fcn(*, num_classes: int, pretrained_backbone: bool = False, require_pretrained: bool = False,
               width: int = 8, hidden: int = 32, context: int = 0,
               dropout: float = 0.0) -> M2nistFCN | M2nistContextFCN:
    """Small FCN for M2NIST-style images (a few thousand parameters); trains on a CPU in minutes."""
    del pretrained_backbone, require_pretrained  # no backbone to pretrain
    if context > 0:
        return M2nistContextFCN(num_classes, width=width, context=context, dropout=dropout)
    return M2nistFCN(num_classes, width=width, hidden=hidden)
