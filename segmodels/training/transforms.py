"""Paired image / label-map augmentation with torchvision.transforms.v2.

The image is wrapped as `tv_tensors.Image` and the label map as `tv_tensors.Mask`, so every geometric
op moves both the same way and v2 resizes masks with nearest interpolation (no invented class
indices). Padding fills the image with 0 and the mask with IGNORE_INDEX, so padded pixels do not
count in the loss. Colour jitter touches the image only.

Inputs and outputs are uint8 tensors: image 3 x H x W, label map H x W. Normalisation happens later,
on the batch, on the training device (segmodels.inference.preprocess.to_input_tensor).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torchvision import tv_tensors
from torchvision.transforms import v2

from segmodels.constants import IGNORE_INDEX


@dataclass(frozen=True)
class AugmentSettings:
    """What the training augmentation does. `crop_size` (H, W) fixes the batch shape."""

    crop_size: tuple[int, int]
    hflip: float = 0.5
    scale_range: tuple[float, float] = (0.75, 1.25)
    brightness: float = 0.2
    contrast: float = 0.2
    degrees: float = 0.0  # > 0: a random affine (rotation, shear, scale) instead of scale jitter + crop
    shear: float = 0.0


class PairedTransform:
    """Applies one v2 pipeline to (image, label map) together."""

    def __init__(self, pipeline: v2.Transform) -> None:
        self.pipeline = pipeline

    def __call__(self, image: torch.Tensor, label_map: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        image_out, mask_out = self.pipeline(tv_tensors.Image(image), tv_tensors.Mask(label_map.unsqueeze(0)))
        return image_out.as_subclass(torch.Tensor), mask_out.as_subclass(torch.Tensor)[0]


def train_transform(settings: AugmentSettings) -> PairedTransform:
    """Flip, scale jitter + random crop (padding masks with IGNORE_INDEX), colour jitter."""
    height, width = settings.crop_size
    steps: list[v2.Transform] = []
    if settings.hflip > 0:
        steps.append(v2.RandomHorizontalFlip(p=settings.hflip))
    if settings.degrees > 0:
        # Keeps the image size; for small images of small objects (digits) where cropping would cut them.
        steps.append(v2.RandomAffine(degrees=settings.degrees, scale=settings.scale_range, shear=settings.shear,
                                     fill={tv_tensors.Image: 0, tv_tensors.Mask: IGNORE_INDEX}))
    elif settings.scale_range != (1.0, 1.0):
        steps.append(v2.ScaleJitter(target_size=(height, width), scale_range=settings.scale_range, antialias=True))
    steps.append(v2.RandomCrop((height, width), pad_if_needed=True,
                               fill={tv_tensors.Image: 0, tv_tensors.Mask: IGNORE_INDEX}))
    if settings.brightness > 0 or settings.contrast > 0:
        steps.append(v2.ColorJitter(brightness=settings.brightness, contrast=settings.contrast))
    return PairedTransform(v2.Compose(steps))


def crop_transform(crop_size: tuple[int, int]) -> PairedTransform:
    """Only pad/crop to a fixed size: batches of mixed-size images without augmentation."""
    return PairedTransform(v2.RandomCrop(crop_size, pad_if_needed=True,
                                         fill={tv_tensors.Image: 0, tv_tensors.Mask: IGNORE_INDEX}))
