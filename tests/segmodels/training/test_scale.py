"""Training samples show objects at the size prediction sees them (issue 15, item 6)."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image

from segmodels.inference.predict import predict_image
from segmodels.labels.classes import ClassTable
from segmodels.labels.project import Project
from segmodels.training.config import TrainConfig
from segmodels.training.run import prepare_run
from segmodels.training.transforms import AugmentSettings

SIDE = 1024     # large images: the old ScaleJitter shrank these to 320/1024 of their size
OBJECT = 48     # every object is an OBJECT x OBJECT square


def _square_project(root: Path, count: int = 3) -> Project:
    project = Project.create(root, ClassTable.from_names(["background", "square"]))
    rng = np.random.default_rng(0)
    for index in range(count):
        image = rng.integers(0, 60, (SIDE, SIDE, 3), dtype=np.uint8)
        label = np.zeros((SIDE, SIDE), np.uint8)
        for top in range(40, SIDE - OBJECT, 160):
            for left in range(40 + 20 * index, SIDE - OBJECT, 160):
                image[top:top + OBJECT, left:left + OBJECT] = 220
                label[top:top + OBJECT, left:left + OBJECT] = 1
        path = project.images_dir / f"img_{index}.png"
        Image.fromarray(image).save(path)
        project.write_label(path, label)
    return project


def _whole_object_sides(label_map: np.ndarray) -> list[int]:
    """Bounding-box sides of the squares that the sample's edges do not cut."""
    count, _, stats, _ = cv2.connectedComponentsWithStats((label_map == 1).astype(np.uint8), connectivity=4)
    height, width = label_map.shape
    sides = []
    for x, y, w, h, _ in stats[1:count]:
        if x > 0 and y > 0 and x + w < width and y + h < height:
            sides += [int(w), int(h)]
    return sides


class _InputSizes(torch.nn.Module):
    """A stand-in model that records the size of every input prediction gives it."""

    stride = 1

    def __init__(self) -> None:
        super().__init__()
        self.anchor = torch.nn.Parameter(torch.zeros(1))
        self.sizes: list[tuple[int, int]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.sizes.append((int(x.shape[-2]), int(x.shape[-1])))
        return torch.zeros(x.shape[0], 2, *x.shape[-2:])


def test_training_samples_keep_the_object_size_prediction_sees(tmp_path: Path) -> None:
    project = _square_project(tmp_path / "squares")
    # Prediction feeds the image at its own resolution (one 1024 tile): a square is OBJECT pixels wide there.
    recorder = _InputSizes()
    predict_image(recorder, np.zeros((SIDE, SIDE, 3), np.uint8), device="cpu")
    assert recorder.sizes == [(SIDE, SIDE)]

    torch.manual_seed(0)
    state = prepare_run(TrainConfig(project=str(project.root), arch="unet", device="cpu", val_fraction=0.0,
                                    epochs=1, out=str(tmp_path / "m.pt")))
    train_set = state.datasets[0]
    low, high = AugmentSettings((320, 320), **(state.config.augment_kwargs or {})).scale_range
    sides = []
    for _ in range(12):
        image, label_map = train_set[0]
        assert tuple(image.shape[-2:]) == (320, 320)  # the default crop
        sides += _whole_object_sides(label_map.numpy())
    assert len(sides) >= 24
    # Nearest-neighbour resizing rounds each side by at most a pixel.
    assert OBJECT * low - 1 <= min(sides) and max(sides) <= OBJECT * high + 1, (min(sides), max(sides))
    assert max(sides) - min(sides) >= 4  # the scale really is jittered
