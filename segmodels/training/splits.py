"""The train/validation split of a fine-tuning run: the source checkpoint's split, kept.

A model fine-tuned from a checkpoint must not be validated on images the checkpoint trained on, or its
validation score measures memory. So every image the source split names keeps its side, and an image
labelled since (not in the source split) goes to validation when the hash of its stem falls below the
validation fraction: a stable rule, the same on every machine and in every later fine-tune, that needs
no record of which images were new (docs/training.md#the-trainvalidation-split).
"""
from __future__ import annotations

import hashlib
from typing import Any

from segmodels.errors import SegError, describe
from segmodels.labels.project import Project
from segmodels.training.dataset import reviewed_images


def stem_fraction(stem: str) -> float:
    """A number in [0, 1) fixed by the stem: the first 8 bytes of SHA-256 of its UTF-8 text, over 2**64."""
    digest = hashlib.sha256(stem.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0 ** 64


def recorded_parts(split: Any) -> tuple[list[str], list[str]] | None:
    """(train stems, val stems) of a checkpoint's recorded split, or None when it records none usable."""
    if not isinstance(split, dict):
        return None
    parts = split.get("train"), split.get("val")
    if not all(isinstance(part, list) and all(isinstance(stem, str) for stem in part) for part in parts):
        return None
    return list(parts[0]), list(parts[1])


def kept_split(project: Project, recorded: Any, val_fraction: float, source: str) -> tuple[dict, str] | None:
    """(split, one sentence for the run's note) keeping `recorded`, or None when it records no split.

    The validation fraction for new images is the recorded one (the source run's), else `val_fraction`.
    """
    parts = recorded_parts(recorded)
    if parts is None:
        return None
    fraction = recorded.get("val_fraction", val_fraction)
    fraction = float(fraction) if isinstance(fraction, (int, float)) and 0 <= fraction < 1 else val_fraction
    stems = sorted(p.stem for p in reviewed_images(project))
    old_train, old_val = set(parts[0]), set(parts[1])
    new = [stem for stem in stems if stem not in old_train and stem not in old_val]
    val = {stem for stem in stems if stem in old_val} | {stem for stem in new if stem_fraction(stem) < fraction}
    if not val and fraction > 0 and len(new) >= 2:
        # Nothing to validate on: the new image with the lowest hash goes (never one the source trained on).
        val.add(min(new, key=stem_fraction))
    train = [stem for stem in stems if stem not in val]
    if not train:
        raise SegError(f"Every reviewed image of {describe(project.root)} is in the validation split of {source}; "
                       "label more images to fine-tune it, or train from scratch.", path=project.root)
    gone = len((old_train | old_val) - set(stems))
    new_val = sum(stem in val for stem in new)
    sentence = (f"train/validation split kept from {source} ({len(train)} train, {len(val)} validation)"
                + (f"; {len(new)} new image(s) assigned by stem hash, {new_val} to validation" if new else "")
                + (f"; {gone} image(s) of that split no longer have a reviewed label" if gone else ""))
    seed = recorded.get("seed")
    split = {"seed": seed if isinstance(seed, int) else 0, "val_fraction": fraction, "train": train,
             "val": sorted(val)}
    return split, sentence
