"""The architecture catalog: what segstudio says about each architecture without building it (no torch).

One table, `ARCHITECTURES`, holds for every architecture its one-line description, the training defaults
`TrainConfig.resolved()` fills in for fields left unset, and its reach (how far a pixel's logits depend
on the image around it, which sets the overlap of prediction tiles: `tile_overlap_for`); `DEFAULT_ARCH`
and `DEVICE_CHOICES` sit beside it. The GUI (architecture and device combos, tooltips, the Training
dock's fields) and the CLI (`--arch` choices, `--device` help, `segstudio models`, `segstudio train`'s
defaults) read this module, so a default cannot differ between them.

Like torchvision's `register_model` + `Weights.meta`, this is metadata kept with the architecture and
readable without building it. The builders live in modules that import torch, so the metadata cannot
sit on them: instead `register_model` refuses a name that has no entry here, and a test checks that
the catalog's names equal `list_models()`.

Contract: imports only the standard library and `segmodels.errors`; never torch, never Qt.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from segmodels.errors import SegError

#: The first model a new user meets: small and fast on a CPU (trains on the demo digits in minutes).
DEFAULT_ARCH = "m2nist_fcn"

#: What `--device` and the device combos offer; `cuda:N` is accepted too. "auto" picks CUDA, then
#: Apple MPS, then the CPU (`segmodels.inference.device.select_device`). MPS is always listed: where
#: PyTorch or the machine lacks it, choosing it is a sentence saying so, never a silent fallback.
DEVICE_CHOICES: tuple[str, ...] = ("auto", "cpu", "cuda", "mps")

#: Training defaults of an architecture without its own. Plain values only (they go in checkpoints).
#: `loss` is a word of segmodels.training.loss_kinds; `dice_weight` weighs its Dice term when it has one.
#: The loss is the best measured on unseen demo digits (docs/training.md#class-imbalance).
GENERIC_TRAINING: Mapping[str, Any] = {"epochs": 30, "batch_size": 8, "lr": 1e-4, "augment": True, "crop_size": 320,
                                       "loss": "weighted_ce+dice", "dice_weight": 0.5, "model_kwargs": {},
                                       "augment_kwargs": {}}

# The small M2NIST FCN trains from scratch as its context variant (`width=16, context=64`: a 15-pixel
# receptive field cannot tell unseen digits apart, see segmodels/models/m2nist_fcn.py) with a higher
# learning rate (Adam 5e-3, one-cycle, instead of the generic 1e-4, which needs several times more
# epochs than a CPU budget of minutes allows), batch 32, 20 epochs and affine augmentation without flips.
_M2NIST_TRAINING: Mapping[str, Any] = {
    "epochs": 20, "batch_size": 32, "lr": 5e-3, "augment": True, "crop_size": None,
    "model_kwargs": {"width": 16, "context": 64},
    # Rotation/shear/scale make 900 source digits look like more handwriting; no flips (a mirrored
    # digit is another glyph) and no colour jitter (strokes are thresholded grey).
    "augment_kwargs": {"hflip": 0.0, "degrees": 10.0, "shear": 8.0, "scale_range": (0.9, 1.1),
                       "brightness": 0.0, "contrast": 0.0},
}


#: Reach assumed for an architecture not in the catalog (a checkpoint from a newer segstudio): 128 px
#: of overlap, the fixed overlap used before overlaps came from each architecture.
DEFAULT_REACH = 64


@dataclass(frozen=True)
class Architecture:
    """One registered architecture as the user sees it, before any model is built."""

    name: str
    description: str                                               # one line: `segstudio models`, GUI tooltips
    training: Mapping[str, Any] = field(default_factory=dict)      # overrides of GENERIC_TRAINING
    #: Pixels from a tile edge beyond which a pixel's logits match the whole image's (within 5% of
    #: their spread), measured by benchmarks/receptive_field.py (docs/training.md#tiled-prediction).
    reach: int = DEFAULT_REACH

    def training_defaults(self) -> dict[str, Any]:
        """Every TrainConfig default for this architecture (a fresh copy: callers may keep or change it)."""
        return copy.deepcopy({**GENERIC_TRAINING, **self.training})


# Reach: measured with benchmarks/receptive_field.py (5% threshold, random weights, BatchNorm statistics
# from the image) where a margin gets there; the DeepLab heads never do, since their image-pooling branch
# sees the whole input, so theirs is the geometry of their widest atrous convolution: rate x output stride
# (docs/training.md#tiled-prediction).
_ENTRIES = (
    Architecture("deeplabv3_mobilenet_v3_large",
                 "torchvision DeepLabV3 on MobileNetV3-Large (output stride 16), with aux head.",
                 reach=36 * 16),
    Architecture("deeplabv3_resnet50",
                 "torchvision DeepLabV3 on a dilated ResNet-50 (output stride 8), with aux head.",
                 reach=36 * 8),
    Architecture("deeplabv3plus",
                 "DeepLabV3+ (ASPP 6/12/18 + image pooling, 48-ch low-level decoder); resnet50 or mobilenet_v3_large.",
                 reach=18 * 16),
    Architecture("fcn8s_vgg16",
                 "FCN-8s on VGG16: convolutionalised fc6/fc7, bilinear transposed convs, pool4/pool3 skips.",
                 reach=192),
    Architecture("fcn_resnet50", "torchvision FCN on a dilated ResNet-50 (output stride 8), with aux head.",
                 reach=192),
    Architecture("lraspp_mobilenet_v3_large",
                 "torchvision LR-ASPP on MobileNetV3-Large: the fastest of the set, no aux head.", reach=160),
    Architecture("m2nist_fcn",
                 "Small FCN for M2NIST-style images (a few thousand parameters); trains on a CPU in minutes.",
                 _M2NIST_TRAINING, reach=32),
    Architecture("unet",
                 "U-Net with concatenation skips; base_width 16 by default (CPU-friendly), 64 as in the paper.",
                 reach=48),
)

#: The catalog, by name, in sorted order (the order `list_models()` gives and the combos show).
ARCHITECTURES: Mapping[str, Architecture] = {entry.name: entry for entry in sorted(_ENTRIES, key=lambda e: e.name)}


def architecture_names() -> tuple[str, ...]:
    """Every architecture name, sorted."""
    return tuple(ARCHITECTURES)


def architecture(name: str) -> Architecture:
    """The catalog entry for `name`; an unknown name is a SegError listing the known ones."""
    try:
        return ARCHITECTURES[name]
    except KeyError:
        raise SegError(f"Unknown architecture '{name}'; known: {', '.join(ARCHITECTURES)}.") from None


def training_defaults(name: str) -> dict[str, Any]:
    """The TrainConfig defaults for architecture `name` (the generic ones for a name not in the catalog,
    e.g. a checkpoint from a newer segstudio)."""
    entry = ARCHITECTURES.get(name)
    return entry.training_defaults() if entry is not None else copy.deepcopy(dict(GENERIC_TRAINING))


def tile_overlap_for(name: str, tile_size: int) -> int:
    """Overlap of prediction tiles for architecture `name`: three times its reach, since a tile's logits
    count only from a third of the overlap inside its edge (segmodels.inference.blend); at most half a
    tile, so the tiles never cost more than about four times the whole image (so tiles below 6 x reach
    leave a larger tiled-vs-whole difference, docs/training.md#tiled-prediction)."""
    entry = ARCHITECTURES.get(name)
    reach = entry.reach if entry is not None else DEFAULT_REACH
    return max(0, min(3 * reach, int(tile_size) // 2))
