"""The training dock starts as a hidden tab, so its contents are built on first use, not at startup:
any use of a content widget builds them first, and a checkpoint chosen before that is kept."""
from __future__ import annotations

from app.main_window import MainWindow
from app.model_docks import install_model_docks
from core_fixtures import make_project


def test_contents_wait_for_first_use(qtbot, tmp_path, messages):
    project = make_project(tmp_path / "proj", count=2, labelled=1)
    window = MainWindow()
    qtbot.addWidget(window)
    training = install_model_docks(window).training
    window.open_path(project.root)
    window.show()
    qtbot.waitExposed(window)
    assert not training._built and training.widget() is None  # a hidden tab: nothing built
    assert training.epochs_spin.value() == 12  # first use builds the contents
    assert training._built and training.widget() is not None
    assert training.start_button.isEnabled() and not training.cancel_button.isEnabled()
    window.image_list.cancel_thumbnails()


def test_checkpoint_chosen_before_the_build_is_kept(qtbot, tmp_path, messages):
    project = make_project(tmp_path / "proj", count=2, labelled=1)
    window = MainWindow()
    qtbot.addWidget(window)
    training = install_model_docks(window).training
    window.open_path(project.root)
    checkpoint = project.models_dir / "mine.pt"
    training.refresh_checkpoints(select=checkpoint)
    assert training.selected_checkpoint() == checkpoint
    window.image_list.cancel_thumbnails()


def test_curves_coalesce_redraws_and_catch_up(qtbot):
    from app.curves import TrainingCurves

    curves = TrainingCurves()
    qtbot.addWidget(curves)
    curves.ensure_plots()
    for step in range(5):
        curves.add_loss(step / 5, 1.0 - step / 10)
    curves.add_miou(1.0, 0.5)

    def plotted() -> int:
        x = curves._loss_curve.getData()[0]
        return 0 if x is None else len(x)

    assert plotted() == 0  # not redrawn per report...
    qtbot.waitUntil(lambda: plotted() == 5, timeout=2000)  # ...but soon
    assert list(curves._miou_curve.getData()[1]) == [0.5]
