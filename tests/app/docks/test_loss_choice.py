"""The Training dock's Loss row (issue 15, item 12): it shows each architecture's default loss from the
catalog, and the loss picked there is the one the run trains with, as `segstudio train --loss` would."""
from __future__ import annotations

import pytest

from app.docks.training import TrainingDock
from app.jobs.backend import ModelBackend
from segmodels.models.catalog import training_defaults
from segmodels.training.loss_kinds import LOSSES, LossKind
from support.models import FakeHost, demo_project


@pytest.fixture
def dock(qtbot, tmp_path, messages):
    project = demo_project(tmp_path / "demo", count=4)
    dock = TrainingDock(FakeHost(project, project.image_paths()[0]), ModelBackend())
    qtbot.addWidget(dock)
    return dock


def _started_loss(dock: TrainingDock) -> LossKind | None:
    from app.jobs.train import make_config

    return make_config(dock.request()).loss


def test_the_dock_offers_every_loss_and_shows_each_architectures_default(dock: TrainingDock) -> None:
    combo = dock.loss_combo
    assert [combo.itemData(i) for i in range(combo.count())] == list(LOSSES)
    assert all(combo.itemData(i, 3) for i in range(combo.count()))  # a tooltip (ToolTipRole) saying what it is
    for arch in ("m2nist_fcn", "unet"):
        dock.set_from_scratch(arch)
        assert combo.loss() == training_defaults(arch)["loss"]
        assert _started_loss(dock) == training_defaults(arch)["loss"]


def test_the_loss_picked_is_the_one_the_run_uses_as_on_the_command_line(dock: TrainingDock) -> None:
    from segmodels.cli import build_parser
    from segmodels.cli.train import _config

    for word in LOSSES:
        dock.loss_combo.setCurrentIndex(dock.loss_combo.findData(word))
        cli = _config(build_parser().parse_args(["train", "p", "--arch", "m2nist_fcn", "--loss", word]))
        assert _started_loss(dock) is cli.loss is LossKind(word)
