"""Constants shared by labels, losses, metrics, transforms, validation and the painter."""
from __future__ import annotations

#: Label value meaning "unlabelled / ignore / void" (PASCAL VOC and Cityscapes use 255 too).
IGNORE_INDEX: int = 255

#: The most classes a label map can hold: indices 0..254, 255 being IGNORE_INDEX.
MAX_CLASSES: int = 255

#: Image file suffixes a project folder recognises (lower case, with the dot).
IMAGE_SUFFIXES: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")

#: ImageNet normalisation for torchvision backbones (RGB in [0, 1]).
IMAGENET_MEAN: tuple[float, float, float] = (0.485, 0.456, 0.406)
IMAGENET_STD: tuple[float, float, float] = (0.229, 0.224, 0.225)

#: Colours the label overlay keeps for itself, which new classes stay away from (distinct_colors.py):
#: label values outside the class table, and the tint of unlabelled pixels.
INVALID_RGB: tuple[int, int, int] = (255, 0, 255)
UNLABELLED_RGB: tuple[int, int, int] = (255, 255, 255)

#: A class edit in progress (segmodels/labels/class_journal.py), in the project's root; Project.open
#: settles it, and loads the journal's module only when this file is there.
CLASS_EDIT_JOURNAL = ".segstudio-class-edit.json"
