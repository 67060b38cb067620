"""Ranking images by how unsure the model was: "Rank by uncertainty" orders the images so the least
confident prediction comes first, which is where a person's correction helps most.

The score of an image comes from the 8-bit confidence map saved beside its prediction
(`Project.confidence_path`, 255 = 1.0, the max softmax per pixel), by a `RankingMode`: the mean, or a
low quantile, which lets a small unsure region outrank a large sure background. Images without a
readable confidence map get no score and go last, in their order. numpy and Pillow only: never torch,
so the GUI ranks without loading the model code.
"""
from __future__ import annotations

import enum
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from segmodels.errors import SegError
from segmodels.labels.imageio import open_pil
from segmodels.labels.project import Project

#: The low quantile used by "Rank by uncertainty" (10th percentile of the per-pixel confidence).
LOW_QUANTILE = 0.10


class RankingMode(enum.Enum):
    """Which summary of an image's confidence map is its score."""

    LOW_QUANTILE = "quantile"  # the LOW_QUANTILE quantile: small unsure regions count
    MEAN = "mean"


def confidence_stats(confidence: np.ndarray, quantile: float = LOW_QUANTILE) -> tuple[float, float]:
    """(mean, low quantile) of a confidence map given as floats 0..1 or 8-bit 0..255."""
    values = np.asarray(confidence)
    values = values.astype(np.float32) / 255.0 if values.dtype == np.uint8 else values.astype(np.float32)
    if values.size == 0:
        return float("nan"), float("nan")
    return float(values.mean()), float(np.quantile(values, quantile))


def read_confidence(path: Path) -> np.ndarray | None:
    """The 8-bit confidence map, or None when missing or unreadable (a damaged or forged file,
    a decompression bomb included, is skipped: open_pil refuses it from its header)."""
    if not Path(path).exists():
        return None
    try:
        return np.asarray(open_pil(path, what="confidence map").convert("L"))
    except SegError:
        return None


def confidence_scores(project: Project, images: Sequence[Path],
                      mode: RankingMode = RankingMode.LOW_QUANTILE) -> dict[Path, float]:
    """Score per image from its saved confidence map; images without a readable one are left out."""
    mode = RankingMode(mode)  # ValueError for anything that is not a mode, rather than a silent default
    scores: dict[Path, float] = {}
    for image in images:
        confidence = read_confidence(project.confidence_path(image))
        if confidence is None:
            continue
        mean, low = confidence_stats(confidence)
        scores[Path(image)] = mean if mode is RankingMode.MEAN else low
    return scores


def uncertainty_order(images: Sequence[Path], scores: dict[Path, float]) -> list[Path]:
    """Least confident first; images without a score keep their order at the end."""
    scored = sorted((p for p in images if Path(p) in scores), key=lambda p: (scores[Path(p)], str(p)))
    rest = [p for p in images if Path(p) not in scores]
    return [Path(p) for p in scored] + [Path(p) for p in rest]
