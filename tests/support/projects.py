"""Shared helpers for the GUI core tests: a small project on disk with known labels."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from segmodels.labels.classes import ClassTable
from segmodels.labels.project import Project

HEIGHT, WIDTH = 40, 60


def make_project(root: Path, count: int = 3, *, labelled: int = 1, predicted: int = 0) -> Project:
    """`count` RGB images; the first `labelled` get a label (left half class 1, right half 0), the
    next `predicted` a prediction (all class 2) and a confidence map (a left-to-right ramp)."""
    project = Project.create(root, ClassTable.from_names(["background", "cat", "dog"]))
    rng = np.random.default_rng(0)
    for index in range(count):
        path = project.images_dir / f"img_{index}.png"
        Image.fromarray(rng.integers(0, 255, (HEIGHT, WIDTH, 3), dtype=np.uint8)).save(path)
        if index < labelled:
            label = np.zeros((HEIGHT, WIDTH), np.uint8)
            label[:, : WIDTH // 2] = 1
            project.write_label(path, label)
        elif index < labelled + predicted:
            project.write_prediction(path, np.full((HEIGHT, WIDTH), 2, np.uint8))
            ramp = np.tile(np.linspace(0, 255, WIDTH).astype(np.uint8), (HEIGHT, 1))
            project.predictions_dir.mkdir(exist_ok=True)
            Image.fromarray(ramp, mode="L").save(project.confidence_path(path))
    return project
