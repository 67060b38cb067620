"""`deeplabv3plus`: DeepLabV3+ (Chen et al. 2018) on ResNet-50 or MobileNetV3-Large, output stride 16.

Backbone: torchvision's resnet50 with `replace_stride_with_dilation=[False, False, True]` (layer4
atrous, so output stride 16), or mobilenet_v3_large(dilated=True). ASPP: 1x1 conv, 3x3 atrous convs
at rates 6/12/18 and image-level pooling, concatenated and reduced to 256 channels. Decoder: ASPP
output upsampled x4, concatenated with low-level features (stride 4) reduced to 48 channels, two 3x3
convs, a 1x1 classifier, upsampled x4 to the input size. The pooling branch has no BatchNorm so a
batch of one image still trains.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from segmodels.errors import SegError
from segmodels.models.base import SegmentationModel
from segmodels.models.pretrained import fetch_state_dict, load_into
from segmodels.models.registry import register_model

BACKBONES = ("resnet50", "mobilenet_v3_large")


def conv_bn_relu(in_channels: int, out_channels: int, kernel: int = 1, dilation: int = 1) -> nn.Sequential:
    padding = dilation * (kernel // 2)
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, kernel, padding=padding, dilation=dilation, bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))


class ASPP(nn.Module):
    def __init__(self, in_channels: int, out_channels: int = 256, rates: tuple[int, ...] = (6, 12, 18)) -> None:
        super().__init__()
        self.branches = nn.ModuleList([conv_bn_relu(in_channels, out_channels, 1)]
                                      + [conv_bn_relu(in_channels, out_channels, 3, rate) for rate in rates])
        self.image_pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(in_channels, out_channels, 1),
                                        nn.ReLU(inplace=True))
        self.project = nn.Sequential(conv_bn_relu(out_channels * (len(rates) + 2), out_channels, 1), nn.Dropout(0.1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = self.image_pool(x).expand(-1, -1, x.shape[-2], x.shape[-1])
        return self.project(torch.cat([branch(x) for branch in self.branches] + [pooled], dim=1))


class _ResNetBackbone(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        from torchvision.models import resnet50

        self.body = resnet50(weights=None, replace_stride_with_dilation=[False, False, True])
        self.body.fc = nn.Identity()
        self.low_channels, self.high_channels = 256, 2048

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b = self.body
        low = b.layer1(b.maxpool(b.relu(b.bn1(b.conv1(x)))))
        return low, b.layer4(b.layer3(b.layer2(low)))

    def load_imagenet(self, require: bool) -> None:
        from torchvision.models import ResNet50_Weights

        state = fetch_state_dict(ResNet50_Weights.IMAGENET1K_V1, what="deeplabv3plus (ResNet-50)", require=require)
        load_into(self.body, state, what="deeplabv3plus (ResNet-50)", require=require, allowed_missing=("fc.",))


class _MobileNetBackbone(nn.Module):
    LOW, HIGH = 3, 16  # stride-4 (24 ch) and stride-16 (960 ch) blocks of mobilenet_v3_large().features

    def __init__(self) -> None:
        super().__init__()
        from torchvision.models import mobilenet_v3_large

        self.features = mobilenet_v3_large(weights=None, dilated=True).features
        self.low_channels, self.high_channels = 24, 960

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        low = self.features[: self.LOW + 1](x)
        return low, self.features[self.LOW + 1:](low)

    def load_imagenet(self, require: bool) -> None:
        from torchvision.models import MobileNet_V3_Large_Weights

        what = "deeplabv3plus (MobileNetV3-Large)"
        state = fetch_state_dict(MobileNet_V3_Large_Weights.IMAGENET1K_V1, what=what, require=require)
        load_into(self.features, state, what=what, require=require, prefix="features.")


class DeepLabV3Plus(SegmentationModel):
    def __init__(self, num_classes: int, *, backbone: str = "resnet50", aspp_channels: int = 256) -> None:
        super().__init__(stride=16)
        if backbone not in BACKBONES:
            raise SegError(f"deeplabv3plus has no backbone '{backbone}'; choose {' or '.join(BACKBONES)}.")
        self.backbone = _ResNetBackbone() if backbone == "resnet50" else _MobileNetBackbone()
        self.aspp = ASPP(self.backbone.high_channels, aspp_channels)
        self.reduce_low = conv_bn_relu(self.backbone.low_channels, 48, 1)
        self.decoder = nn.Sequential(conv_bn_relu(aspp_channels + 48, 256, 3), conv_bn_relu(256, 256, 3))
        self.classifier = nn.Conv2d(256, num_classes, 1)

    def _forward_padded(self, x: torch.Tensor) -> tuple[torch.Tensor, None]:
        low, high = self.backbone(x)
        context = F.interpolate(self.aspp(high), size=low.shape[-2:], mode="bilinear", align_corners=False)
        logits = self.classifier(self.decoder(torch.cat([context, self.reduce_low(low)], dim=1)))
        return logits, None  # the base class upsamples x4 to the input size


@register_model("deeplabv3plus")
def deeplabv3plus(*, num_classes: int, pretrained_backbone: bool = False, require_pretrained: bool = False,
                  backbone: str = "resnet50") -> DeepLabV3Plus:
    """DeepLabV3+ (ASPP 6/12/18 + image pooling, 48-ch low-level decoder); resnet50 or mobilenet_v3_large."""
    model = DeepLabV3Plus(num_classes, backbone=backbone)
    if pretrained_backbone:
        model.backbone.load_imagenet(require_pretrained)
    return model
