"""TrainConfig fills its defaults per architecture, with a lower learning rate for fine-tuning."""
from __future__ import annotations

import pytest

from segmodels.errors import SegError
from segmodels.training.config import ARCH_DEFAULTS, FINE_TUNE_LR_FACTOR, TrainConfig


def test_from_scratch_takes_the_architecture_defaults():
    config = TrainConfig(project="p", arch="m2nist_fcn").resolved("m2nist_fcn")
    assert config.lr == ARCH_DEFAULTS["m2nist_fcn"]["lr"]
    assert config.epochs == ARCH_DEFAULTS["m2nist_fcn"]["epochs"]


def test_fine_tune_defaults_to_a_tenth_of_the_rate_but_an_explicit_rate_wins():
    tuned = TrainConfig(project="p", from_checkpoint="m.pt").resolved("m2nist_fcn")
    assert tuned.lr == pytest.approx(ARCH_DEFAULTS["m2nist_fcn"]["lr"] * FINE_TUNE_LR_FACTOR)
    explicit = TrainConfig(project="p", from_checkpoint="m.pt", lr=0.02).resolved("m2nist_fcn")
    assert explicit.lr == 0.02


def test_bad_learning_rate_is_one_sentence():
    with pytest.raises(SegError, match="--lr must be positive"):
        TrainConfig(project="p", arch="unet", lr=-1.0)
