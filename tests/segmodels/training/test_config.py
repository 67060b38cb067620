"""TrainConfig fills its defaults per architecture, with a lower learning rate for fine-tuning."""
from __future__ import annotations

import pytest

from segmodels.errors import SegError
from segmodels.models.catalog import training_defaults
from segmodels.training.config import FINE_TUNE_LR_FACTOR, TrainConfig


def test_from_scratch_takes_the_architecture_defaults():
    config = TrainConfig(project="p", arch="m2nist_fcn").resolved("m2nist_fcn")
    assert config.lr == training_defaults("m2nist_fcn")["lr"]
    assert config.epochs == training_defaults("m2nist_fcn")["epochs"]


def test_fine_tune_defaults_to_a_tenth_of_the_rate_but_an_explicit_rate_wins():
    tuned = TrainConfig(project="p", from_checkpoint="m.pt").resolved("m2nist_fcn")
    assert tuned.lr == pytest.approx(training_defaults("m2nist_fcn")["lr"] * FINE_TUNE_LR_FACTOR)
    explicit = TrainConfig(project="p", from_checkpoint="m.pt", lr=0.02).resolved("m2nist_fcn")
    assert explicit.lr == 0.02


def test_bad_learning_rate_is_one_sentence():
    with pytest.raises(SegError, match="--lr must be positive"):
        TrainConfig(project="p", arch="unet", lr=-1.0)


def test_defaults_come_from_the_catalog():
    from segmodels.models.catalog import architecture_names

    for arch in architecture_names():
        resolved = TrainConfig(project="p", arch=arch).resolved(arch)
        for name, value in training_defaults(arch).items():
            assert getattr(resolved, name) == value, (arch, name)


def test_schedule_is_an_enum_that_takes_and_records_the_plain_word():
    from segmodels.training.config import Schedule

    assert TrainConfig(project="p", arch="unet").schedule is Schedule.ONECYCLE
    config = TrainConfig(project="p", arch="unet", schedule="cosine")   # a recorded config gives the word
    assert config.schedule is Schedule.COSINE
    recorded = config.to_json()["schedule"]
    assert recorded == "cosine" and type(recorded) is str               # safe to load from a checkpoint
    with pytest.raises(SegError, match="Unknown schedule 'weekly'; use one of onecycle, cosine, constant"):
        TrainConfig(project="p", arch="unet", schedule="weekly")


def test_a_checkpoint_records_the_schedule_as_a_word_and_loads_back(tmp_path):
    import torch

    from segmodels.labels.classes import ClassTable
    from segmodels.models import get_model
    from segmodels.models.checkpoint import load_checkpoint, save_checkpoint
    from segmodels.training.config import Schedule

    config = TrainConfig(project="p", arch="m2nist_fcn", schedule=Schedule.CONSTANT)
    torch.manual_seed(0)
    path = save_checkpoint(tmp_path / "m.pt", get_model("m2nist_fcn", num_classes=2),
                           classes=ClassTable.from_names(["bg", "fg"]), train_config=config.to_json())
    recorded = load_checkpoint(path).train_config
    assert recorded["schedule"] == "constant"
    assert TrainConfig(**{**recorded, "project": "p"}).schedule is Schedule.CONSTANT


def test_each_schedule_shapes_the_learning_rate():
    from segmodels.training.build import schedule_factor
    from segmodels.training.config import Schedule

    total = 100
    assert [schedule_factor(step, total, Schedule.CONSTANT) for step in (0, 50, 99)] == [1.0, 1.0, 1.0]
    assert schedule_factor(0, total, Schedule.COSINE) == 1.0 > schedule_factor(50, total, Schedule.COSINE)
    onecycle = [schedule_factor(step, total, Schedule.ONECYCLE) for step in range(total)]
    peak = onecycle.index(max(onecycle))
    assert onecycle[0] < 1.0 and 0 < peak < total // 2 and onecycle[-1] < onecycle[peak]   # warm-up, then down
    recorded = TrainConfig(project="p", arch="unet", schedule="constant").schedule   # from a checkpoint's word
    assert schedule_factor(50, total, recorded) == 1.0
