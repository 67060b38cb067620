"""Issue 15 items 3 and 5: an all-unlabelled label is left out and named once (never a NaN loss), a
batch without a labelled pixel is skipped, and too little data is said before the first step, with
the validation's images and pixels per class."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from segmodels.cli import main as cli_main
from segmodels.constants import IGNORE_INDEX
from segmodels.labels.project import Project
from segmodels.models import get_model
from segmodels.training import DataReport, EpochReport, FitResult, TrainConfig, fit, train_one_epoch
from segmodels.training.data_size import MIN_TRAIN_IMAGES, data_warnings, validation_summary
from segmodels.training.loops import LossSettings, segmentation_loss
from segmodels.training.metrics import SegMetrics, confusion_matrix


def _config(project: Path, **kw) -> TrainConfig:
    return TrainConfig(project=str(project), **{"arch": "m2nist_fcn", "epochs": 1, "batch_size": 4, "device": "cpu",
                                                "augment": False, **kw})


def _blank_label(project: Project, image: Path) -> None:
    project.write_label(image, np.full_like(project.read_label(image), IGNORE_INDEX))


def test_a_loss_over_no_labelled_pixel_is_zero_not_nan() -> None:
    logits = torch.randn(2, 3, 4, 5, requires_grad=True)
    target = torch.full((2, 4, 5), IGNORE_INDEX, dtype=torch.long)
    bare = torch.nn.functional.cross_entropy(logits, target, ignore_index=IGNORE_INDEX)
    assert math.isnan(float(bare.detach()))  # what stopped training with "try a lower lr"
    loss = segmentation_loss(logits, logits, target, LossSettings(dice_weight=0.5))
    assert float(loss.detach()) == 0.0
    target[0, 0, 0] = 1  # one labelled pixel: the usual mean cross-entropy
    expected = torch.nn.functional.cross_entropy(logits, target, ignore_index=IGNORE_INDEX)
    got = segmentation_loss(logits, None, target, LossSettings())
    assert float(got.detach()) == float(expected.detach())


def test_a_batch_without_labelled_pixels_is_skipped() -> None:
    model = get_model("m2nist_fcn", num_classes=3)
    before = [p.detach().clone() for p in model.parameters()]
    images = torch.zeros(2, 3, 64, 84, dtype=torch.uint8)
    labels = torch.full((2, 64, 84), IGNORE_INDEX, dtype=torch.uint8)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss = train_one_epoch(model, [(images, labels)], optimizer, device=torch.device("cpu"),
                           normalization=model.normalization)
    assert loss == 0.0  # no step ran
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def test_an_all_unlabelled_label_is_left_out_and_named_once(tiny_project: Path) -> None:
    project = Project.open(tiny_project)
    blank = project.labelled_images()[0]
    _blank_label(project, blank)  # as another tool may write it: the window refuses to
    assert blank not in Project.open(tiny_project).labelled_images()  # not reviewed, so never in the split
    reports = list(fit(_config(tiny_project, epochs=2)))
    data = next(r for r in reports if isinstance(r, DataReport))
    result = reports[-1]
    assert isinstance(result, FitResult) and result.epochs_done == 2  # no "the loss became nan"
    named = [w for w in data.warnings if blank.stem in w and "no labelled pixel" in w]
    assert len(named) == 1 and result.skipped == ()  # said once, as the run starts
    assert data.train_images + data.val_images == 15
    assert all(math.isfinite(r.train_loss) for r in reports if isinstance(r, EpochReport))


def test_training_on_one_image_is_warned_about_first(tiny_project: Path) -> None:
    project = Project.open(tiny_project)
    for image in project.labelled_images()[1:]:
        project.label_path(image).unlink()
    reports = fit(_config(tiny_project))
    first = next(reports)
    assert isinstance(first, DataReport) and (first.train_images, first.val_images) == (1, 1)
    assert first.validates_on_training
    assert any("only 1 reviewed image" in s for s in first.warnings)
    assert any("measured on the training images" in s for s in first.warnings)
    list(reports)


def test_data_warnings_thresholds() -> None:
    assert data_warnings(200, 20, validates_on_training=False, fine_tune=True) == []
    few = data_warnings(MIN_TRAIN_IMAGES - 1, 20, validates_on_training=False, fine_tune=True)
    assert len(few) == 1 and few[0].startswith(f"Fine-tuning on only {MIN_TRAIN_IMAGES - 1}")
    two_val = data_warnings(18, 2, validates_on_training=False, fine_tune=False)
    assert len(two_val) == 1 and "only 2 image(s)" in two_val[0]


def test_validation_pixels_per_class_name_the_missing_classes() -> None:
    target = np.array([[0, 0, 1, IGNORE_INDEX]], np.uint8)
    metrics = SegMetrics.from_confusion(confusion_matrix(target, np.array([[0, 1, 1, 2]]), 4))
    assert metrics.per_class_pixels == (2, 1, 0, 0)
    assert metrics.to_json(["bg", "a", "b", "c"])["per_class_pixels"] == {"bg": 2, "a": 1, "b": 0, "c": 0}
    text = validation_summary(2, metrics.per_class_pixels, ["bg", "a", "b", "c"])
    assert text.startswith("Validation: 2 image(s), 3 labelled pixels; no pixel of 2 class(es): b, c")
    assert "every one of the 2 classes" in validation_summary(1, (5, 6), ["bg", "a"])


def test_cli_train_warns_and_shows_validation_pixels(tiny_project: Path, capsys) -> None:
    project = Project.open(tiny_project)
    for image in project.labelled_images()[3:]:
        project.label_path(image).unlink()
    code = cli_main(["train", str(tiny_project), "--arch", "m2nist_fcn", "--epochs", "1", "--batch-size", "2",
                     "--device", "cpu"])
    out, err = capsys.readouterr()
    assert code == 0
    assert "warning: Training on only 2 reviewed image(s)" in err
    assert "val pixels" in out and "Validation: 1 image(s)," in out
