"""How much a training run learns from, said before it starts (docs/models-and-labels.md#how-much-data).

Fine-tuning on one reviewed image, or reading a validation mIoU of 0.97 off two images where six of
eleven classes never occur, looks like success and is not. `data_warnings` gives one sentence per
problem (too few training images, too few validation images, validation on the training images), and
`validation_summary` says what the validation mIoU is measured on: images, labelled pixels, and the
classes with no pixel there (nothing there measures them). Both the window
(training dock) and `segstudio train` show them. Torch-free: plain counts in, sentences out.
"""
from __future__ import annotations

from collections.abc import Sequence

#: Below this many training images a warning says the model will learn those images by heart.
MIN_TRAIN_IMAGES = 10
#: Below this many validation images a warning says the validation mIoU is a rough figure.
MIN_VAL_IMAGES = 5


def data_warnings(train_images: int, val_images: int, *, validates_on_training: bool,
                  fine_tune: bool) -> list[str]:
    """One sentence per reason the run's data is too small to trust (empty when it is not)."""
    sentences = []
    verb = "Fine-tuning" if fine_tune else "Training"
    if train_images < MIN_TRAIN_IMAGES:
        sentences.append(f"{verb} on only {train_images} reviewed image(s): a model learns so few by heart; "
                         f"review at least {MIN_TRAIN_IMAGES} (and more for every class) for a model that helps.")
    if validates_on_training:
        sentences.append("No reviewed image is left for validation, so the validation mIoU is measured on the "
                         "training images and says nothing about new ones.")
    elif val_images < MIN_VAL_IMAGES:
        sentences.append(f"Validation uses only {val_images} image(s): its mIoU is a rough figure that misses "
                         "every class those images lack; more reviewed images give a fairer one.")
    return sentences


def validation_summary(images: int, per_class_pixels: Sequence[int], class_names: Sequence[str]) -> str:
    """'Validation: 2 image(s), 10,752 labelled pixels; no pixel of 2 class(es): digit 1, digit 4 (the
    validation cannot tell whether the model knows them).'"""
    total = sum(int(n) for n in per_class_pixels)
    missing = [name for name, count in zip(class_names, per_class_pixels, strict=False) if not count]
    text = f"Validation: {images} image(s), {total:,} labelled pixels"
    if not missing:
        return text + f", every one of the {len(class_names)} classes present."
    shown = ", ".join(missing[:8]) + (", …" if len(missing) > 8 else "")
    return (text + f"; no pixel of {len(missing)} class(es): {shown} "
            "(the validation cannot tell whether the model knows them).")
