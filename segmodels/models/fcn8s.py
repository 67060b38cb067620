"""`fcn8s_vgg16`: FCN-8s on VGG16 (Long, Shelhamer, Darrell).

The architecture: docs/models-and-labels.md#fully-convolutional-networks.

VGG16's conv layers are the encoder; its dense fc6/fc7 are convolutionalised (fc6 = 7x7 conv with
4096 filters, each weight row reshaped to 512 x 7 x 7; fc7 = 1x1 conv), so pretrained ImageNet
weights load into them directly. 1x1 score layers on fc7, pool4 and pool3; transposed convolutions
initialised to bilinear upsampling (`bilinear_upsample`); pool4/pool3 scores are scaled (0.01 and
0.0001) before the sums so early training does not diverge. Instead of the paper's 100-pixel input
padding and fixed crops, the input is padded to a multiple of 32 (the base class) and fc6 uses
padding 3, so every fused map has exactly the size of the skip it meets.
"""
from __future__ import annotations

import torch
from torch import nn

from segmodels.models.base import SegmentationModel
from segmodels.models.pretrained import fetch_state_dict, mark_pretrained
from segmodels.models.registry import register_model
from segmodels.models.upsampling import bilinear_upsample

#: Indices in torchvision's vgg16().features after which pool3, pool4 and pool5 outputs appear.
_POOL3, _POOL4, _POOL5 = 17, 24, 31


def _vgg16_features() -> nn.Sequential:
    """torchvision's VGG16 conv layers, without building (and initialising) its 120 M-parameter
    classifier only to throw it away; initialised as torchvision's VGG does."""
    from torchvision.models.vgg import cfgs, make_layers

    features = make_layers(cfgs["D"], batch_norm=False)
    for module in features.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            nn.init.zeros_(module.bias)
    return features


class FCN8s(SegmentationModel):
    def __init__(self, num_classes: int, *, fc_channels: int = 4096, dropout: float = 0.5,
                 pool4_scale: float = 0.01, pool3_scale: float = 0.0001) -> None:
        super().__init__(stride=32)
        features = _vgg16_features()
        self.to_pool3 = features[: _POOL3]
        self.to_pool4 = features[_POOL3: _POOL4]
        self.to_pool5 = features[_POOL4: _POOL5]
        self.fc6 = nn.Conv2d(512, fc_channels, 7, padding=3)
        self.fc7 = nn.Conv2d(fc_channels, fc_channels, 1)
        self.drop = nn.Dropout2d(dropout)
        self.score_fr = nn.Conv2d(fc_channels, num_classes, 1)
        self.score_pool4 = nn.Conv2d(512, num_classes, 1)
        self.score_pool3 = nn.Conv2d(256, num_classes, 1)
        # Skip scores start at zero so the network begins as FCN-32s and learns to use the skips.
        nn.init.normal_(self.score_fr.weight, std=0.01)
        for score in (self.score_fr, self.score_pool4, self.score_pool3):
            nn.init.zeros_(score.bias)
        nn.init.zeros_(self.score_pool4.weight)
        nn.init.zeros_(self.score_pool3.weight)
        self.up2_fr = bilinear_upsample(num_classes, 2)
        self.up2_pool4 = bilinear_upsample(num_classes, 2)
        self.up8 = bilinear_upsample(num_classes, 8, trainable=False)  # fixed, as in the paper
        self.pool4_scale = float(pool4_scale)
        self.pool3_scale = float(pool3_scale)

    def _forward_padded(self, x: torch.Tensor) -> tuple[torch.Tensor, None]:
        pool3 = self.to_pool3(x)
        pool4 = self.to_pool4(pool3)
        pool5 = self.to_pool5(pool4)
        fc7 = self.drop(torch.relu(self.fc7(self.drop(torch.relu(self.fc6(pool5))))))
        fused = self.up2_fr(self.score_fr(fc7)) + self.score_pool4(pool4 * self.pool4_scale)
        fused = self.up2_pool4(fused) + self.score_pool3(pool3 * self.pool3_scale)
        return self.up8(fused), None

    def load_imagenet(self, state: dict[str, torch.Tensor]) -> None:
        """Load torchvision VGG16 weights: conv layers as they are, fc6/fc7 reshaped into convs.

        Slices of a Sequential keep the parent's indices, so `features.17.weight` is key
        `17.weight` of `to_pool4`. fc6's weight rows (512*7*7 inputs, flattened channel-major
        like a conv kernel) become 512 x 7 x 7 filters.
        """
        for block in (self.to_pool3, self.to_pool4, self.to_pool5):
            own = block.state_dict()
            block.load_state_dict({key: state[f"features.{key}"] for key in own})
            mark_pretrained(block, len(own))
        fc = self.fc6.out_channels
        if tuple(state["classifier.0.weight"].shape) != (fc, 512 * 7 * 7):
            return  # a narrower fc6/fc7 than VGG's 4096: those layers keep their random init
        mark_pretrained(self.fc6, 2)
        mark_pretrained(self.fc7, 2)
        with torch.no_grad():
            self.fc6.weight.copy_(state["classifier.0.weight"].view(fc, 512, 7, 7))
            self.fc6.bias.copy_(state["classifier.0.bias"])
            self.fc7.weight.copy_(state["classifier.3.weight"].view(fc, fc, 1, 1))
            self.fc7.bias.copy_(state["classifier.3.bias"])


@register_model("fcn8s_vgg16")
def fcn8s_vgg16(*, num_classes: int, pretrained_backbone: bool = False, require_pretrained: bool = False,
                fc_channels: int = 4096, dropout: float = 0.5) -> FCN8s:
    """FCN-8s on VGG16: convolutionalised fc6/fc7, bilinear transposed convs, pool4/pool3 skips."""
    model = FCN8s(num_classes, fc_channels=fc_channels, dropout=dropout)
    if pretrained_backbone:
        from torchvision.models import VGG16_Weights

        state = fetch_state_dict(VGG16_Weights.IMAGENET1K_V1, what="fcn8s_vgg16 (VGG16)", require=require_pretrained)
        if state is not None:
            model.load_imagenet(state)
    return model
