"""`m2nist_fcn`: the small FCN from the M2NIST notes, fast enough to train on a CPU in minutes.

conv 5x5 (8) -> maxpool 2 -> conv 3x3 (8) -> maxpool 2 -> 1x1 conv (32, the former dense layer) ->
1x1 conv (C) -> transposed conv (k 4, s 2) -> transposed conv (k 6, s 2). The notes' layer sizes
(64x84 -> 14x19 -> 30x40 -> 64x84) come from unpadded convolutions; here convolutions are padded so
every stage is exactly a factor 2 and the output lines up pixel for pixel with the input (stride 4).
Channels are reduced to C *before* upsampling, which keeps memory small.
"""
from __future__ import annotations

import torch
from torch import nn

from segmodels.models.base import SegmentationModel
from segmodels.models.layers import bilinear_kernel
from segmodels.models.registry import register_model
from segmodels.preprocess import Normalization


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


@register_model("m2nist_fcn")
def m2nist_fcn(*, num_classes: int, pretrained_backbone: bool = False, require_pretrained: bool = False,
               width: int = 8, hidden: int = 32) -> M2nistFCN:
    """Small FCN for M2NIST-style images (a few thousand parameters); trains on a CPU in minutes."""
    del pretrained_backbone, require_pretrained  # no backbone to pretrain
    return M2nistFCN(num_classes, width=width, hidden=hidden)
