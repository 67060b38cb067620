"""Train/val splits of a project's labelled images: the dataset's own when it has one, else a seeded draw.

A VOC-style root that lists `ImageSets/Segmentation/train.txt` and `val.txt` has been split by its
authors (docs/formats.md, "VOC, labelme and CVAT"); training on it and exporting it keep that split, so
numbers stay comparable with everyone else's. Ids without a reviewed label are left out. Otherwise the
split is drawn from the sorted stems with a seed, so it depends only on the names and the seed.
"""
from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from segmodels.formats.voc import SPLITS_DIR, voc_splits


def seeded_split(stems: Sequence[str], val_fraction: float, seed: int) -> tuple[list[str], list[str]]:
    """(train, val) stems, each sorted; at least one on each side when there are two or more and
    `val_fraction` > 0, none in val for a single image."""
    stems = sorted(stems)
    order = np.random.default_rng(seed).permutation(len(stems))
    n_val = int(round(len(stems) * val_fraction))
    if val_fraction > 0 and len(stems) >= 2:
        n_val = min(max(n_val, 1), len(stems) - 1)
    val = sorted(stems[i] for i in order[:n_val])
    train = sorted(stems[i] for i in order[n_val:])
    return train, val


def dataset_split(root: str | os.PathLike[str], stems: Sequence[str]) -> tuple[list[str], list[str], str] | None:
    """(train, val, one sentence saying so) from the dataset's own split lists, restricted to `stems`;
    None when the root has no train list or none of its ids is among `stems`."""
    lists = voc_splits(root)
    if "train" not in lists:
        return None
    have = set(stems)
    train = [s for s in dict.fromkeys(lists["train"]) if s in have]
    taken = set(train)
    val = [s for s in dict.fromkeys(lists.get("val", [])) if s in have and s not in taken]
    if not train:
        return None
    listed = len(lists["train"]) + len(lists.get("val", []))
    left_out = listed - len(train) - len(val)
    note = (f"train/val split from the dataset's {SPLITS_DIR.as_posix()}/train.txt and val.txt "
            f"({len(train)} train, {len(val)} val" + (f"; {left_out} listed ids have no reviewed label" if left_out
                                                       else "") + ")")
    return train, val, note
