"""Ranking by uncertainty without Qt or torch: confidence statistics, scores by RankingMode from the
saved confidence maps, and the order (least confident first, unscored last in their order)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from segmodels.inference.uncertainty import (
    LOW_QUANTILE,
    RankingMode,
    confidence_scores,
    confidence_stats,
    read_confidence,
    uncertainty_order,
)
from segmodels.labels.project import Project
from support.projects import make_project


def test_confidence_helpers():
    confidence = np.linspace(0.0, 1.0, 101, dtype=np.float32)
    mean, low = confidence_stats(confidence)
    assert mean == pytest.approx(0.5) and low == pytest.approx(LOW_QUANTILE)
    a, b, c = Path("a"), Path("b"), Path("c")
    assert uncertainty_order([a, b, c], {a: 0.9, c: 0.2}) == [c, a, b]


def test_confidence_stats_reads_8_bit_maps_and_empty_ones():
    mean, low = confidence_stats(np.array([[0, 255]], np.uint8))
    assert mean == pytest.approx(0.5) and low == pytest.approx(LOW_QUANTILE)
    assert all(np.isnan(v) for v in confidence_stats(np.zeros((0, 3), np.float32)))


@pytest.fixture
def ranked_project(tmp_path) -> tuple[Project, list[Path]]:
    """Three images with confidence maps where mean and 10th percentile disagree, one without."""
    project = make_project(tmp_path / "p", count=4, labelled=0)
    images = project.image_paths()
    project.predictions_dir.mkdir(exist_ok=True)
    mostly_sure = np.full((40, 50), 250, np.uint8)
    mostly_sure[:8] = 10        # a small unsure band: low 10th percentile, high mean
    evenly_unsure = np.full((40, 50), 150, np.uint8)
    sure = np.full((40, 50), 240, np.uint8)
    for image, confidence in zip(images[:3], (mostly_sure, evenly_unsure, sure), strict=True):
        Image.fromarray(confidence, mode="L").save(project.confidence_path(image))
    return project, images


def test_modes_rank_differently(ranked_project):
    project, images = ranked_project
    low = confidence_scores(project, images, RankingMode.LOW_QUANTILE)
    mean = confidence_scores(project, images, RankingMode.MEAN)
    assert set(low) == set(mean) == set(images[:3])  # the image without a map has no score
    assert uncertainty_order(images, low) == [images[0], images[1], images[2], images[3]]
    assert uncertainty_order(images, mean) == [images[1], images[0], images[2], images[3]]
    assert mean[images[2]] == pytest.approx(240 / 255)


def test_the_default_mode_is_the_low_quantile(ranked_project):
    project, images = ranked_project
    assert confidence_scores(project, images) == confidence_scores(project, images, RankingMode.LOW_QUANTILE)


def test_an_unknown_mode_is_refused(ranked_project):
    project, images = ranked_project
    with pytest.raises(ValueError):
        confidence_scores(project, images, "median")  # type: ignore[arg-type]


def test_read_confidence_skips_missing_and_damaged_files(tmp_path):
    assert read_confidence(tmp_path / "missing.conf.png") is None
    damaged = tmp_path / "damaged.conf.png"
    damaged.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    assert read_confidence(damaged) is None


def test_ranking_imports_neither_torch_nor_qt():
    code = ("import sys\nimport segmodels.inference.uncertainty\n"
            "print(any(m.split('.')[0] in ('torch', 'PySide6') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
