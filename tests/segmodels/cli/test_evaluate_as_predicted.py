"""`evaluate` and in-training validation score exactly what `predict` writes, one image at a time
(issue 15, item 10): the same function, the same tiles and blend, never a batch of whole images."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from segmodels.cli import main as cli_main
from segmodels.inference.tiling import axis_spans
from segmodels.labels.classes import ClassTable
from segmodels.labels.labelio import read_label_png
from segmodels.labels.project import Project
from segmodels.models import catalog, get_model
from segmodels.models.base import SegmentationModel
from segmodels.models.checkpoint import save_checkpoint

torch.set_num_threads(1)
TILE = 48
#: Image sizes: three above the tile (tiled, blended) and three small ones of one size (which predict
#: batches together and the old evaluate ran as one batch).
SIZES = [(150, 200), (97, 131), (120, 64), (40, 44), (40, 44), (40, 44)]


@pytest.fixture
def scene(tmp_path: Path) -> tuple[Project, Path]:
    """A project of SIZES images and a random small unet checkpoint whose classes vary a lot across an
    image (its head is scaled, or random init predicts one class almost everywhere)."""
    project = Project.create(tmp_path / "proj", ClassTable.from_names(["background", "cat", "dog"]))
    rng = np.random.default_rng(1)
    for index, (height, width) in enumerate(SIZES):
        Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(
            project.images_dir / f"img{index}.png")
    torch.manual_seed(0)
    model = get_model("unet", num_classes=3, base_width=4, depth=2)
    with torch.no_grad():
        model.head.weight.mul_(40.0)
    return project, save_checkpoint(tmp_path / "model.pt", model, classes=project.classes)


def _evaluate(project: Project, checkpoint: Path, capsys: pytest.CaptureFixture, *extra: str) -> dict:
    assert cli_main(["evaluate", str(project.root), "--model", str(checkpoint), "--device", "cpu", "--json",
                     *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_evaluate_scores_exactly_the_label_maps_predict_writes(scene, capsys):
    project, checkpoint = scene
    assert cli_main(["predict", str(project.root), "--model", str(checkpoint), "--device", "cpu",
                     "--tile-size", str(TILE), "--num-workers", "0"]) == 0
    capsys.readouterr()
    classes_seen = set()
    for image in project.image_paths():  # what predict wrote becomes the reviewed label
        written = read_label_png(project.prediction_path(image))
        classes_seen |= set(np.unique(written).tolist())
        project.write_label(image, written)
    assert len(classes_seen) >= 2  # a varied prediction, or any evaluation would score 1.0
    result = _evaluate(project, checkpoint, capsys, "--tile-size", str(TILE))
    assert result["images"] == len(SIZES)
    assert result["pixel_accuracy"] == 1.0 and result["miou"] == 1.0  # every pixel, not most
    # The check above can fail: the same model run on whole images labels some pixels differently.
    assert _evaluate(project, checkpoint, capsys, "--tile-size", "4096")["pixel_accuracy"] < 1.0


class _Forwards:
    """Records the input shape of every SegmentationModel forward in this process (a global hook: the
    evaluated model is built inside the command)."""

    def __init__(self) -> None:
        self.shapes: list[tuple[int, ...]] = []

    def __call__(self, module: torch.nn.Module, inputs: tuple) -> None:
        if isinstance(module, SegmentationModel):
            self.shapes.append(tuple(inputs[0].shape))


@pytest.fixture
def forwards():
    recorder = _Forwards()
    handle = torch.nn.modules.module.register_module_forward_pre_hook(recorder)
    yield recorder
    handle.remove()


def _tiles(height: int, width: int, tile: int, stride: int) -> int:
    overlap = catalog.tile_overlap_for("unet", tile)
    return len(axis_spans(height, tile, overlap, stride)) * len(axis_spans(width, tile, overlap, stride))


def test_evaluate_runs_one_image_and_at_most_one_tile_per_forward(scene, capsys, forwards):
    project, checkpoint = scene
    for image in project.image_paths():
        height, width = np.asarray(Image.open(image)).shape[:2]
        project.write_label(image, np.zeros((height, width), np.uint8))
    _evaluate(project, checkpoint, capsys, "--tile-size", str(TILE))
    stride = 4  # the depth-2 unet's (a tile may run up to stride - 1 pixels longer to reach the image edge)
    assert forwards.shapes and all(shape[0] == 1 for shape in forwards.shapes)
    assert max(max(shape[2:]) for shape in forwards.shapes) < TILE + stride
    assert len(forwards.shapes) == sum(_tiles(h, w, TILE, stride) for h, w in SIZES)


def test_validation_during_training_predicts_one_image_at_a_time(forwards):
    """loops.evaluate, as fit() calls it, splits any batch it is given into single images."""
    from segmodels.training.loops import evaluate

    torch.manual_seed(0)
    model = get_model("m2nist_fcn", num_classes=3)
    images = torch.randint(0, 256, (4, 3, 64, 84), dtype=torch.uint8)
    labels = torch.randint(0, 3, (4, 64, 84))
    model.train()
    metrics = evaluate(model, [(images, labels)], 3, device=torch.device("cpu"), normalization=model.normalization,
                       tile_size=TILE)
    assert metrics.pixels == 4 * 64 * 84
    assert forwards.shapes and all(shape[0] == 1 and max(shape[2:]) < TILE + 8 for shape in forwards.shapes)
    assert not model.training  # scored in eval mode (BatchNorm with its running statistics)


def test_evaluate_and_predict_default_to_the_same_tile_size():
    import argparse

    from segmodels.cli import evaluate, predict
    from segmodels.inference.predict import DEFAULT_TILE_SIZE

    for command in (evaluate, predict):
        parser = command.add_parser(argparse.ArgumentParser().add_subparsers())
        assert parser.get_default("tile_size") == DEFAULT_TILE_SIZE
