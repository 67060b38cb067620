"""Ranking by uncertainty without Qt or torch: scores by RankingMode from the saved confidence maps
(higher = more uncertain), the order (most uncertain first, unscored and reviewed last)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from segmodels.inference.uncertainty import (
    UNSURE_BELOW,
    RankingMode,
    confidence_scores,
    read_confidence,
    review_order,
    score_text,
    separates,
    uncertainty,
    uncertainty_order,
    unreviewed_images,
)
from segmodels.labels.project import Project
from support.projects import make_project


def test_uncertainty_of_float_and_8_bit_maps():
    confidence = np.linspace(0.0, 1.0, 101, dtype=np.float32)
    assert uncertainty(confidence) == pytest.approx(90 / 101)  # 0.00 .. 0.89 of the 101 are below 0.9
    assert uncertainty(confidence, RankingMode.MEAN) == pytest.approx(0.5)
    eight_bit = np.array([[229, 230, 255, 0]], np.uint8)  # 229/255 < 0.9 <= 230/255
    assert uncertainty(eight_bit) == pytest.approx(0.5)
    assert uncertainty(eight_bit, RankingMode.MEAN) == pytest.approx(1 - (229 + 230 + 255) / 4 / 255)
    assert np.isnan(uncertainty(np.zeros((0, 3), np.uint8)))
    assert UNSURE_BELOW == 0.9


def test_the_order_is_most_uncertain_first_and_unscored_last():
    a, b, c, d = Path("a"), Path("b"), Path("c"), Path("d")
    assert uncertainty_order([a, b, c, d], {a: 0.1, c: 0.4, d: 0.1}) == [c, a, d, b]
    assert review_order([a, b, c, d], {a: 0.1, b: 0.9, c: 0.4}, reviewed=[b]) == [c, a, d, b]
    assert separates({a: 0.1, b: 0.2}) and not separates({a: 0.0, b: 0.0}) and not separates({a: 0.3})
    assert score_text(0.0654) == "6.5% unsure" and score_text(0.0213, RankingMode.MEAN) == "uncertainty 0.021"


@pytest.fixture
def ranked_project(tmp_path) -> tuple[Project, list[Path]]:
    """Three images with confidence maps where the two modes disagree, one without a map."""
    project = make_project(tmp_path / "p", count=4, labelled=0)
    images = project.image_paths()
    project.predictions_dir.mkdir(exist_ok=True)
    band = np.full((40, 50), 255, np.uint8)
    band[:8] = 10               # a small very unsure band: 20% unsure, mean uncertainty 0.19
    evenly = np.full((40, 50), 200, np.uint8)   # every pixel a bit unsure: 100% unsure, mean 0.22
    sure = np.full((40, 50), 240, np.uint8)     # nothing below 0.9: 0% unsure, mean 0.06
    for image, confidence in zip(images[:3], (band, evenly, sure), strict=True):
        Image.fromarray(confidence, mode="L").save(project.confidence_path(image))
    return project, images


def test_modes_rank_from_the_saved_maps(ranked_project):
    project, images = ranked_project
    unsure = confidence_scores(project, images)
    mean = confidence_scores(project, images, RankingMode.MEAN)
    assert set(unsure) == set(mean) == set(images[:3])  # the image without a map has no score
    assert unsure[images[0]] == pytest.approx(0.2) and unsure[images[2]] == 0.0
    assert uncertainty_order(images, unsure) == [images[1], images[0], images[2], images[3]]
    assert mean[images[2]] == pytest.approx(1 - 240 / 255)


def test_a_demo_like_set_of_sure_backgrounds_is_still_separated(tmp_path):
    """Issue 15 item 4: nearly every pixel is sure background; the unsure fraction still orders them."""
    project = make_project(tmp_path / "p", count=3, labelled=0)
    images = project.image_paths()
    project.predictions_dir.mkdir(exist_ok=True)
    for image, unsure_pixels in zip(images, (30, 5, 120), strict=True):
        confidence = np.full((40, 50), 255, np.uint8)
        confidence.flat[:unsure_pixels] = 128   # digit edges
        Image.fromarray(confidence, mode="L").save(project.confidence_path(image))
    scores = confidence_scores(project, images)
    assert np.quantile(read_confidence(project.confidence_path(images[2])), 0.1) == 255  # the old score: a tie
    assert separates(scores) and uncertainty_order(images, scores) == [images[2], images[0], images[1]]


def test_only_unreviewed_images_are_ranked(tmp_path):
    project = make_project(tmp_path / "p", count=3, labelled=1, predicted=2)
    images = project.image_paths()
    assert unreviewed_images(project) == images[1:]


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
