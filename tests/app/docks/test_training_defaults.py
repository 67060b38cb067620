"""The Training dock trains as `segstudio train` does: the same defaults from the torch-free catalog,
for every architecture, from the first frame on, and for fine-tuning (issue 12)."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.docks.training import TrainingDock
from app.jobs.backend import ModelBackend
from support.models import FakeHost, demo_project, random_checkpoint

WAIT_MS = 20000


@pytest.fixture
def project(tmp_path):
    return demo_project(tmp_path / "demo", count=12)


def _cli_config(*argv: str):
    """The TrainConfig `segstudio train ARGV` runs (its own parser, as the command line gives it)."""
    from segmodels.cli import build_parser
    from segmodels.cli.train import _config

    return _config(build_parser().parse_args(["train", *argv]))


def _started_config(dock):
    """The TrainConfig pressing Start would run, as the training job builds it."""
    from app.jobs.train import make_config

    return make_config(dock.request())


def _without_out(config):
    from dataclasses import replace

    return replace(config, out=None)


def _same_run(dock_config, cli_config, arch: str, models_dir) -> None:
    dock_resolved, cli_resolved = dock_config.resolved(arch), cli_config.resolved(arch)
    # The CLI leaves --out to the run (a new PROJECT/models/<arch>-<date>-<time>.pt); the dock names the run
    # the same way (the same folder and name, up to the minute the name was made).
    from segmodels.training.config import base_stem

    dock_out, cli_out = Path(dock_resolved.out), cli_resolved.default_out(models_dir, arch)
    assert dock_out.parent == cli_out.parent and base_stem(dock_out) == base_stem(cli_out)
    assert not dock_out.exists() and not cli_out.exists()
    assert _without_out(dock_resolved) == _without_out(cli_resolved)


@pytest.fixture
def fresh_dock(qtbot, project, messages):
    """A dock as the user first sees it: nothing edited, the backend (torch) not loaded."""
    dock = TrainingDock(FakeHost(project, project.image_paths()[0]), ModelBackend())
    qtbot.addWidget(dock)
    return dock


def test_first_frame_shows_the_cli_defaults(fresh_dock, project):
    from segmodels.models.catalog import DEFAULT_ARCH

    assert not fresh_dock.backend.is_loaded()
    assert fresh_dock.arch_combo.currentData() == DEFAULT_ARCH
    _same_run(_started_config(fresh_dock), _cli_config(str(project.root), "--arch", DEFAULT_ARCH), DEFAULT_ARCH,
              project.models_dir)


def test_every_architecture_trains_with_the_cli_defaults(fresh_dock, project):
    """Picking each architecture shows its CLI defaults; Start would run what `segstudio train` runs."""
    from segmodels.models.catalog import architecture_names

    combo = fresh_dock.arch_combo
    assert [combo.itemData(i) for i in range(combo.count())] == list(architecture_names())
    for arch in reversed(architecture_names()):   # each pick changes the fields from the previous one's
        index = combo.findData(arch)
        combo.setCurrentIndex(index)
        combo.activated.emit(index)                # what a user's pick emits
        dock_config = _started_config(fresh_dock)
        assert dock_config.arch == arch
        _same_run(dock_config, _cli_config(str(project.root), "--arch", arch), arch, project.models_dir)


def test_fine_tune_uses_the_cli_fine_tune_defaults(fresh_dock, project, tmp_path):
    checkpoint = random_checkpoint(tmp_path / "tuned.pt", project.classes)   # an m2nist_fcn
    fresh_dock.set_fine_tune(checkpoint)
    dock_config = _started_config(fresh_dock)
    cli_config = _cli_config(str(project.root), "--from", str(checkpoint))
    assert dock_config.from_checkpoint == cli_config.from_checkpoint == str(checkpoint)
    assert _without_out(dock_config.resolved("m2nist_fcn")) == _without_out(cli_config.resolved("m2nist_fcn"))


def test_fine_tuning_another_architecture_shows_its_cli_defaults(fresh_dock, project, tmp_path, qtbot):
    """`segstudio train --from CKPT` trains CKPT's architecture with that architecture's defaults; the
    dock reads the checkpoint and shows the same, whatever architecture was picked before."""
    import torch

    from segmodels.models import get_model
    from segmodels.models.checkpoint import save_checkpoint

    torch.manual_seed(0)
    model = get_model("unet", num_classes=len(project.classes), base_width=4)
    checkpoint = save_checkpoint(tmp_path / "unet.pt", model, classes=project.classes)
    assert fresh_dock.arch_combo.currentData() == "m2nist_fcn"
    fresh_dock.set_fine_tune(checkpoint)
    qtbot.waitUntil(lambda: fresh_dock.arch_combo.currentData() == "unet", timeout=WAIT_MS)
    dock_config = _started_config(fresh_dock)
    cli_config = _cli_config(str(project.root), "--from", str(checkpoint))
    assert dock_config.arch is None and dock_config.from_checkpoint == str(checkpoint)
    assert _without_out(dock_config.resolved("unet")) == _without_out(cli_config.resolved("unet"))


def test_device_combo_lists_every_choice_mps_included(fresh_dock):
    from segmodels.models.catalog import DEVICE_CHOICES

    combo = fresh_dock.device_combo
    assert tuple(combo.itemText(i) for i in range(combo.count())) == DEVICE_CHOICES
    assert "mps" in DEVICE_CHOICES and combo.currentText() == "auto"


def test_dock_first_frame_imports_no_torch(project):
    """The defaults shown on the first frame come from the torch-free catalog (a fresh interpreter)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    tests_dir = Path(__file__).resolve().parents[2]
    code = ("import sys\n"
            "from PySide6.QtWidgets import QApplication\n"
            "app = QApplication([])\n"
            "from app.docks.training import TrainingDock\n"
            "from app.jobs.backend import ModelBackend\n"
            "from support.models import FakeHost\n"
            "from segmodels.labels.project import Project\n"
            f"dock = TrainingDock(FakeHost(Project.open({str(project.root)!r})), ModelBackend())\n"
            "print(dock.epochs_spin.value(), dock.batch_spin.value(), dock.lr_spin.value(),"
            " dock.augment_check.isChecked(), 'torch' in sys.modules)\n")
    env = {**os.environ, "PYTHONPATH": f"{tests_dir}:{tests_dir.parent}", "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    from segmodels.models.catalog import DEFAULT_ARCH, training_defaults

    defaults = training_defaults(DEFAULT_ARCH)
    assert out.stdout.split() == [str(defaults["epochs"]), str(defaults["batch_size"]), str(defaults["lr"]),
                                  str(defaults["augment"]), "False"]
