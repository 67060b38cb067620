"""Ranking images by how unsure the model was: "Rank by uncertainty" orders the unreviewed images so
the most uncertain prediction comes first, which is where a person's correction helps most.

The score of an image comes from the 8-bit confidence map saved beside its prediction
(`Project.confidence_path`, 255 = 1.0, the max softmax per pixel), by a `RankingMode`; a higher score
is more uncertain (docs/models-and-labels.md#ranking-by-uncertainty):

- UNSURE (the default): the fraction of pixels whose confidence is below `UNSURE_BELOW` (0.9). It
  separates images even when nearly every pixel is sure background: on the demo project the old
  10th-percentile confidence was 1.0 for all 48 images, while this fraction follows each image's
  share of wrong pixels (Spearman 0.85 on the demo model's proposals).
- MEAN: one minus the mean confidence.

Only images without a reviewed label are ranked (`review_order`): a reviewed image needs no
correction, and mixing them in put finished work first. Images without a readable confidence map get
no score and follow the scored ones, in their order. numpy and Pillow only: never torch, so the GUI
ranks without loading the model code.
"""
from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np

from segmodels.errors import SegError
from segmodels.labels.imageio import open_pil
from segmodels.labels.project import ImageStatus, Project

#: A pixel whose max softmax is below this is "unsure" (the UNSURE score counts them).
UNSURE_BELOW = 0.9


class RankingMode(enum.Enum):
    """Which summary of an image's confidence map is its uncertainty score."""

    UNSURE = "unsure"  # fraction of pixels with confidence below UNSURE_BELOW
    MEAN = "mean"      # 1 - mean confidence


def uncertainty(confidence: np.ndarray, mode: RankingMode = RankingMode.UNSURE) -> float:
    """The score of a confidence map given as floats 0..1 or 8-bit 0..255 (NaN when empty)."""
    values = np.asarray(confidence)
    if values.size == 0:
        return float("nan")
    scale = 255.0 if values.dtype == np.uint8 else 1.0  # compared and summed as stored: no float copy
    if RankingMode(mode) is RankingMode.UNSURE:
        return float(np.count_nonzero(values < UNSURE_BELOW * scale)) / values.size
    return 1.0 - float(values.mean(dtype=np.float64)) / scale


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
                      mode: RankingMode = RankingMode.UNSURE) -> dict[Path, float]:
    """Uncertainty per image from its saved confidence map; images without a readable one are left out."""
    mode = RankingMode(mode)  # ValueError for anything that is not a mode, rather than a silent default
    scores: dict[Path, float] = {}
    for image in images:
        confidence = read_confidence(project.confidence_path(image))
        if confidence is not None:
            scores[Path(image)] = uncertainty(confidence, mode)
    return scores


def unreviewed_images(project: Project) -> list[Path]:
    """The project's images without a reviewed label, in the project's order."""
    return [image for image, status in project.statuses().items() if status is not ImageStatus.REVIEWED]


def uncertainty_order(images: Sequence[Path], scores: dict[Path, float]) -> list[Path]:
    """Most uncertain first (ties by name); images without a score keep their order at the end."""
    scored = sorted((Path(p) for p in images if Path(p) in scores), key=lambda p: (-scores[p], str(p)))
    return scored + [Path(p) for p in images if Path(p) not in scores]


def review_order(images: Sequence[Path], scores: dict[Path, float], reviewed: Collection[Path]) -> list[Path]:
    """Every image: the unreviewed ones most uncertain first, then the reviewed ones in their order."""
    done = {Path(p) for p in reviewed}
    todo = [Path(p) for p in images if Path(p) not in done]
    return uncertainty_order(todo, {p: s for p, s in scores.items() if p not in done}) + \
        [Path(p) for p in images if Path(p) in done]


def separates(scores: dict[Path, float]) -> bool:
    """Whether the scores order anything (not all equal): a ranking that cannot must say so."""
    values = [v for v in scores.values() if v == v]
    return len(values) > 1 and max(values) > min(values)


def score_text(score: float, mode: RankingMode = RankingMode.UNSURE) -> str:
    """How the image list shows a score: '6.5% unsure' or 'uncertainty 0.021'."""
    if RankingMode(mode) is RankingMode.UNSURE:
        return f"{score * 100:.1f}% unsure"
    return f"uncertainty {score:.3f}"
