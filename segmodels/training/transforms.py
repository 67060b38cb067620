"""Paired image / label-map augmentation with torchvision.transforms.v2.

The image is wrapped as `tv_tensors.Image` and the label map as `tv_tensors.Mask`, so every geometric
op moves both the same way and v2 resizes masks with nearest interpolation (no invented class
indices). Padding fills the image with 0 and the mask with IGNORE_INDEX, so padded pixels do not
count in the loss. Colour jitter touches the image only.

Scale: prediction runs at the image's own resolution (tiles are cut, never resized), so training
jitters the scale around 1.0 (`scale_range`, default 0.75..1.25) and then crops: an object is as large
in a training sample as it is at prediction, within the jitter (docs/training.md#scale).

Inputs and outputs are uint8 tensors: image 3 x H x W, label map H x W. Normalisation happens later,
on the batch, on the training device (segmodels.inference.preprocess.to_input_tensor).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torchvision import tv_tensors
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as TF

from segmodels.constants import IGNORE_INDEX


@dataclass(frozen=True)
class AugmentSettings:
    """What the training augmentation does. `crop_size` (H, W) fixes the batch shape."""

    crop_size: tuple[int, int]
    hflip: float = 0.5
    scale_range: tuple[float, float] = (0.75, 1.25)  # relative to the image's own resolution
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


class NativeScaleCrop:
    """Rescale by a factor drawn from `scale_range` around the native resolution, cutting a window that
    rescales to about `crop_size` (H, W); the RandomCrop after it pads or trims to exactly that size.

    Cutting the window before resizing gives the same pixels as resizing the whole image and then
    cropping, but a 2000 x 2000 image costs a crop-sized resize instead of a full one. A plain
    callable (not a v2.Transform subclass, whose hook names changed between torchvision releases);
    v2.Compose calls it with (image, mask) and v2's resize picks nearest for the Mask.
    """

    def __init__(self, crop_size: tuple[int, int], scale_range: tuple[float, float]) -> None:
        self.crop_size = crop_size
        self.low, self.high = float(scale_range[0]), float(scale_range[1])

    def __call__(self, image: tv_tensors.Image, mask: tv_tensors.Mask) -> tuple[tv_tensors.Image, tv_tensors.Mask]:
        # torch's global RNG, like the v2 transforms around it: one seed replays a whole run.
        factor = self.low + float(torch.rand(())) * (self.high - self.low)
        height, width = image.shape[-2:]
        window_h = min(height, max(1, round(self.crop_size[0] / factor)))
        window_w = min(width, max(1, round(self.crop_size[1] / factor)))
        top = int(torch.randint(0, height - window_h + 1, ()))
        left = int(torch.randint(0, width - window_w + 1, ()))
        size = [max(1, round(window_h * factor)), max(1, round(window_w * factor))]
        image = TF.resize(TF.crop(image, top, left, window_h, window_w), size, antialias=True)
        mask = TF.resize(TF.crop(mask, top, left, window_h, window_w), size)
        return image, mask


def train_transform(settings: AugmentSettings) -> PairedTransform:
    """Flip, scale jitter around native resolution + random crop (padding masks with IGNORE_INDEX),
    colour jitter."""
    height, width = settings.crop_size
    steps: list[v2.Transform] = []
    if settings.hflip > 0:
        steps.append(v2.RandomHorizontalFlip(p=settings.hflip))
    if settings.degrees > 0:
        # Keeps the image size; for small images of small objects (digits) where cropping would cut them.
        steps.append(v2.RandomAffine(degrees=settings.degrees, scale=settings.scale_range, shear=settings.shear,
                                     fill={tv_tensors.Image: 0, tv_tensors.Mask: IGNORE_INDEX}))
    elif settings.scale_range != (1.0, 1.0):
        steps.append(NativeScaleCrop((height, width), settings.scale_range))
    steps.append(v2.RandomCrop((height, width), pad_if_needed=True,
                               fill={tv_tensors.Image: 0, tv_tensors.Mask: IGNORE_INDEX}))
    if settings.brightness > 0 or settings.contrast > 0:
        steps.append(v2.ColorJitter(brightness=settings.brightness, contrast=settings.contrast))
    return PairedTransform(v2.Compose(steps))


def crop_transform(crop_size: tuple[int, int]) -> PairedTransform:
    """Only pad/crop to a fixed size: batches of mixed-size images without augmentation."""
    return PairedTransform(v2.RandomCrop(crop_size, pad_if_needed=True,
                                         fill={tv_tensors.Image: 0, tv_tensors.Mask: IGNORE_INDEX}))
