"""torchvision's segmentation models wrapped to segstudio's contract.

`fcn_resnet50`, `deeplabv3_resnet50`, `deeplabv3_mobilenet_v3_large`, `lraspp_mobilenet_v3_large`
are built with `weights=None, weights_backbone=None` (torchvision would otherwise download), and the
ImageNet backbone is loaded through `segmodels.models.pretrained` only when asked. The aux head is kept
where torchvision has one (`aux_loss=True` by default) and skipped at inference (`forward`).

DeepLabV3's ASPP image-pooling branch normalises a 1 x 1 map: with one image in a batch, BatchNorm has
one value per channel and refuses to train ("Expected more than 1 value per channel"). Like
`deeplabv3plus`, whose pooling branch has no BatchNorm, that branch here never uses batch statistics:
`PoolingNorm` applies its stored mean/variance and learns only the per-channel scale and shift. It keeps
BatchNorm's parameter names and shapes, so torchvision's state dicts (and older checkpoints) still load.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from segmodels.models.base import SegmentationModel
from segmodels.models.pretrained import fetch_state_dict, load_into
from segmodels.models.registry import register_model


class TorchvisionSegmentation(SegmentationModel):
    """Holds a torchvision model as `net`; returns its "out" (and "aux") at the padded size."""

    def __init__(self, net: nn.Module, *, stride: int) -> None:
        super().__init__(stride=stride)
        self.net = net

    @property
    def has_aux(self) -> bool:
        return getattr(self.net, "aux_classifier", None) is not None

    def _forward_padded(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        result = self.net(x)
        return result["out"], result.get("aux")

    def _forward_main(self, x: torch.Tensor) -> torch.Tensor:
        if not self.has_aux:
            return self.net(x)["out"]
        # torchvision runs the aux head whenever it exists; inference does not need it.
        features = self.net.backbone(x)
        logits = self.net.classifier(features["out"])
        return F.interpolate(logits, size=x.shape[-2:], mode="bilinear", align_corners=False)


class PoolingNorm(nn.BatchNorm2d):
    """BatchNorm that always normalises with its stored statistics (a learnable per-channel affine),
    for a branch whose map is 1 x 1: batch statistics there would be those of N values, none at N = 1."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            training=False, momentum=0.0, eps=self.eps)


def _pooling_without_batch_statistics(net: nn.Module) -> None:
    """Swap the BatchNorm of every ASPP image-pooling branch for a PoolingNorm (same names and shapes)."""
    from torchvision.models.segmentation.deeplabv3 import ASPPPooling

    for branch in net.modules():
        if isinstance(branch, ASPPPooling):
            for index, layer in enumerate(branch):
                if type(layer) is nn.BatchNorm2d:
                    branch[index] = PoolingNorm(layer.num_features, eps=layer.eps, momentum=layer.momentum)


def _resnet_backbone_weights(model: TorchvisionSegmentation, what: str, require: bool) -> None:
    from torchvision.models import ResNet50_Weights

    state = fetch_state_dict(ResNet50_Weights.IMAGENET1K_V1, what=what, require=require)
    load_into(model.net.backbone, state, what=what, require=require)


def _mobilenet_backbone_weights(model: TorchvisionSegmentation, what: str, require: bool) -> None:
    from torchvision.models import MobileNet_V3_Large_Weights

    state = fetch_state_dict(MobileNet_V3_Large_Weights.IMAGENET1K_V1, what=what, require=require)
    load_into(model.net.backbone, state, what=what, require=require, prefix="features.")


def _build(factory: Callable[..., nn.Module], stride: int, loader: Callable[..., None], name: str, *,
           num_classes: int, pretrained_backbone: bool, require_pretrained: bool,
           **kwargs: Any) -> TorchvisionSegmentation:
    net = factory(weights=None, weights_backbone=None, num_classes=num_classes, **kwargs)
    _pooling_without_batch_statistics(net)
    model = TorchvisionSegmentation(net, stride=stride)
    if pretrained_backbone:
        loader(model, name, require_pretrained)
    return model


@register_model("fcn_resnet50")
def fcn_resnet50(*, num_classes: int, pretrained_backbone: bool = False, require_pretrained: bool = False,
                 aux_loss: bool = True) -> TorchvisionSegmentation:
    """torchvision FCN on a dilated ResNet-50 (output stride 8), with aux head."""
    from torchvision.models.segmentation import fcn_resnet50 as factory

    return _build(factory, 8, _resnet_backbone_weights, "fcn_resnet50", num_classes=num_classes,
                  pretrained_backbone=pretrained_backbone, require_pretrained=require_pretrained, aux_loss=aux_loss)


@register_model("deeplabv3_resnet50")
def deeplabv3_resnet50(*, num_classes: int, pretrained_backbone: bool = False, require_pretrained: bool = False,
                       aux_loss: bool = True) -> TorchvisionSegmentation:
    """torchvision DeepLabV3 on a dilated ResNet-50 (output stride 8), with aux head."""
    from torchvision.models.segmentation import deeplabv3_resnet50 as factory

    return _build(factory, 8, _resnet_backbone_weights, "deeplabv3_resnet50", num_classes=num_classes,
                  pretrained_backbone=pretrained_backbone, require_pretrained=require_pretrained, aux_loss=aux_loss)


@register_model("deeplabv3_mobilenet_v3_large")
def deeplabv3_mobilenet_v3_large(*, num_classes: int, pretrained_backbone: bool = False,
                                 require_pretrained: bool = False, aux_loss: bool = True) -> TorchvisionSegmentation:
    """torchvision DeepLabV3 on MobileNetV3-Large (output stride 16), with aux head."""
    from torchvision.models.segmentation import deeplabv3_mobilenet_v3_large as factory

    return _build(factory, 16, _mobilenet_backbone_weights, "deeplabv3_mobilenet_v3_large", num_classes=num_classes,
                  pretrained_backbone=pretrained_backbone, require_pretrained=require_pretrained, aux_loss=aux_loss)


@register_model("lraspp_mobilenet_v3_large")
def lraspp_mobilenet_v3_large(*, num_classes: int, pretrained_backbone: bool = False,
                              require_pretrained: bool = False) -> TorchvisionSegmentation:
    """torchvision LR-ASPP on MobileNetV3-Large: the fastest of the set, no aux head."""
    from torchvision.models.segmentation import lraspp_mobilenet_v3_large as factory

    return _build(factory, 16, _mobilenet_backbone_weights, "lraspp_mobilenet_v3_large", num_classes=num_classes,
                  pretrained_backbone=pretrained_backbone, require_pretrained=require_pretrained)
