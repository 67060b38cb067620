"""The model dock: checkpoint list both ways, device sentence, predict with progress and cancel,
results on disk and announced, class mismatch offers fine-tuning, ranking by uncertainty."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from app.docks.model import ModelDock
from app.jobs.backend import ModelBackend
from app.messages import Answer
from segmodels.inference.uncertainty import RankingMode, uncertainty
from segmodels.labels.classes import ClassTable
from support.models import FakeHost, demo_project, random_checkpoint

WAIT_MS = 20000


@pytest.fixture
def project(tmp_path):
    return demo_project(tmp_path / "demo", count=5)


@pytest.fixture
def checkpoint(project):
    import torch

    torch.set_num_threads(1)
    return random_checkpoint(project.models_dir / "small.pt", project.classes)


@pytest.fixture
def dock(qtbot, project, checkpoint, messages):
    host = FakeHost(project, project.image_paths()[0])
    dock = ModelDock(host, ModelBackend(), choose_file=lambda parent: None)
    qtbot.addWidget(dock)
    yield dock
    if dock.job.worker is not None:
        dock.cancel()
        dock.job.worker.wait(10)
    dock.backend.pool.waitForDone(10000)


def test_lists_project_checkpoint_and_selection_both_ways(dock, checkpoint, tmp_path, project):
    assert dock.selected_checkpoint() == checkpoint  # newest project checkpoint first
    assert dock.model_combo.findData(str(checkpoint)) >= 0
    other = random_checkpoint(tmp_path / "elsewhere.pt", project.classes, seed=1)
    dock.choose_file = lambda parent: str(other)
    dock.open_button.click()                       # widget -> state
    assert dock.selected_checkpoint() == other
    dock.model_combo.setCurrentIndex(dock.model_combo.findData(str(checkpoint)))
    assert dock.selected_checkpoint() == checkpoint
    dock.select_checkpoint(other)                  # state -> widget
    assert dock.model_combo.currentData() == str(other)


def test_a_refresh_keeps_the_users_choice(dock, checkpoint, project):
    """Issue 13 item 2: a newer checkpoint (another run) appearing does not take the selection over,
    the bundled demo model included; a finished run's checkpoint is still selected when announced."""
    import os

    from app.jobs.predict import demo_model_path

    demo = demo_model_path()
    newer = random_checkpoint(project.models_dir / "newer.pt", project.classes, seed=3)
    os.utime(newer, (checkpoint.stat().st_mtime + 10,) * 2)
    dock.refresh_checkpoints()
    assert dock.selected_checkpoint() == checkpoint        # the user's (first) pick stays
    index = dock.model_combo.findData(str(demo))
    if index >= 0:                                         # the user picks the bundled model by hand
        dock.model_combo.setCurrentIndex(index)
        dock.model_combo.activated.emit(index)
        dock.refresh_checkpoints()
        assert dock.selected_checkpoint() == demo
    newest = random_checkpoint(project.models_dir / "newest.pt", project.classes, seed=4)
    dock.refresh_checkpoints()
    assert dock.selected_checkpoint() != newest
    dock.select_checkpoint(newest)                         # a finished run announces its checkpoint
    assert dock.selected_checkpoint() == newest


def test_resume_file_is_not_listed_but_opens_by_hand(dock, checkpoint, project):
    resume = random_checkpoint(project.models_dir / "small.last.pt", project.classes, seed=2)
    dock.refresh_checkpoints()
    assert dock.model_combo.findData(str(resume)) < 0     # a resume file, not a model to predict with
    assert dock.model_combo.findData(str(checkpoint)) >= 0
    dock.choose_file = lambda parent: str(resume)
    dock.open_button.click()                              # "Open file…" still reaches it
    assert dock.selected_checkpoint() == resume


def test_backend_loads_in_worker_and_shows_the_device_reason(dock, qtbot):
    from segmodels.inference.device import select_device

    with qtbot.waitSignal(dock.backend.ready, timeout=WAIT_MS):
        dock.backend.ensure_loaded()
    assert dock.device_label.text() == select_device("auto")[1]
    assert dock.arch_combo.isEnabled() and dock.arch_combo.findData("m2nist_fcn") >= 0


def test_predict_this_image_writes_prediction_and_confidence(dock, qtbot, project):
    image = project.image_paths()[0]
    with qtbot.waitSignal(dock.predictions_finished, timeout=WAIT_MS):
        dock.predict_button.click()
    assert dock.host.written == [image]
    assert project.prediction_path(image).is_file() and project.confidence_path(image).is_file()
    prediction = project.read_prediction(image)
    assert prediction.shape == (64, 84) and prediction.max() < len(project.classes)
    assert dock.progress.value() == dock.progress.maximum() == 1
    assert project.read_label(image) is not None  # reviewed labels untouched


def test_predict_all_can_be_cancelled(dock, qtbot, project, monkeypatch):
    import threading

    import app.jobs.predict
    import segmodels.inference.batch

    # The worker pauses after its first result until the GUI has pressed Cancel: no race.
    monkeypatch.setattr(app.jobs.predict, "PREDICT_BATCH", 1)
    pressed = threading.Event()
    real_predict_files = segmodels.inference.batch.predict_files

    def pausing_predict_files(*args, **kwargs):
        for result in real_predict_files(*args, **kwargs):
            yield result
            pressed.wait(10)

    monkeypatch.setattr(segmodels.inference.batch, "predict_files", pausing_predict_files)
    dock.predictions_finished.connect(lambda summary: setattr(dock, "summary", summary))

    def press_cancel(image):
        dock.cancel_button.click()
        pressed.set()

    dock.host.prediction_written = press_cancel
    with qtbot.waitSignal(dock.predictions_finished, timeout=WAIT_MS):
        dock.predict_all_button.click()
        assert dock.cancel_button.isEnabled() and not dock.predict_all_button.isEnabled()
    qtbot.waitUntil(lambda: not dock.is_busy(), timeout=WAIT_MS)
    assert dock.summary.cancelled and 1 <= dock.summary.done < len(project.image_paths())
    assert len(list(project.predictions_dir.glob("*.conf.png"))) < len(project.image_paths())
    assert "Cancelled" in dock.status_label.text()
    assert dock.predict_all_button.isEnabled() and not dock.cancel_button.isEnabled()


def test_corrupt_image_is_skipped_and_reported(dock, qtbot, project, messages):
    bad = project.images_dir / "zz_broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with qtbot.waitSignal(dock.predictions_finished, timeout=WAIT_MS):
        dock.predict_all_button.click()
    assert len(dock.host.written) == len(project.image_paths()) - 1
    assert any("zz_broken.png" in text for text in messages.texts("warning"))


def test_class_mismatch_offers_fine_tuning(dock, qtbot, project, tmp_path, messages):
    foreign = random_checkpoint(tmp_path / "three.pt", ClassTable.from_names(["bg", "cat", "dog"]))
    dock.select_checkpoint(foreign)
    messages.answers = [Answer.YES]
    with qtbot.waitSignal(dock.fine_tune_requested, timeout=WAIT_MS) as requested:
        dock.predict_button.click()
    assert requested.args == [foreign]
    assert "3 classes" in messages.texts("ask")[0]
    assert not project.predictions_dir.exists() or not any(project.predictions_dir.iterdir())


def test_rank_by_uncertainty_orders_the_unreviewed_most_uncertain_first(dock, qtbot, project):
    images = project.image_paths()
    for image in images[1:]:
        project.label_path(image).unlink()  # image 0 stays reviewed: it is never ranked
    unsure_rows = [40, 5, 0, 20]  # images 0..3; image 4 has no confidence and follows the scored ones
    for image, rows in zip(images, unsure_rows, strict=False):
        confidence = np.full((64, 84), 255, np.uint8)
        confidence[:rows] = 100  # sure background, an unsure band of `rows` rows
        project.predictions_dir.mkdir(exist_ok=True)
        Image.fromarray(confidence, mode="L").save(project.confidence_path(image))
    dock.rank_combo.setCurrentIndex(dock.rank_combo.findData(RankingMode.UNSURE))
    dock.rank_button.click()
    qtbot.waitUntil(lambda: dock.host.order is not None, timeout=WAIT_MS)
    assert dock.host.order == [images[3], images[1], images[2], images[4], images[0]]
    assert dock.host.notes[images[3]] == f"{20 / 64 * 100:.1f}% unsure" and images[0] not in dock.host.notes
    assert "Ranked 3 unreviewed image(s)" in dock.status_label.text()


def test_a_ranking_that_cannot_separate_says_so(dock, qtbot, project, messages):
    images = project.image_paths()
    for image in images:
        project.label_path(image).unlink()
        project.predictions_dir.mkdir(exist_ok=True)
        Image.fromarray(np.full((64, 84), 255, np.uint8), mode="L").save(project.confidence_path(image))
    dock.rank_button.click()
    qtbot.waitUntil(lambda: bool(messages.texts("info")), timeout=WAIT_MS)
    assert "scored the same" in messages.texts("info")[0] and "Ranked" not in dock.status_label.text()


def test_rank_without_confidence_says_predict_first(dock, qtbot, messages, project):
    project.label_path(project.image_paths()[0]).unlink()
    dock.rank_button.click()
    qtbot.waitUntil(lambda: bool(messages.texts("info")), timeout=WAIT_MS)
    assert "predict first" in messages.texts("info")[0]
    assert dock.host.order is None


def test_in_the_main_window_predictions_show_at_once(qtbot, project, checkpoint, messages):
    from app.window.main_window import MainWindow
    from app.window.model_wiring import install_model_docks
    from segmodels.labels.project import ImageStatus

    image = project.image_paths()[1]
    for unlabelled in project.image_paths()[1:4]:
        project.label_path(unlabelled).unlink()  # unlabelled images to predict
    window = MainWindow()
    qtbot.addWidget(window)
    docks = install_model_docks(window)
    assert window.open_path(image)
    assert window.document.image_path == image and window.document.prediction is None
    assert docks.model.selected_checkpoint() == checkpoint
    with qtbot.waitSignal(docks.model.predictions_finished, timeout=WAIT_MS):
        docks.model.predict_button.click()
    assert window.document.prediction is not None and window.document.confidence is not None
    assert window.image_list.status(image) is ImageStatus.PREDICTED
    assert window.image_list.status(project.image_paths()[0]) is ImageStatus.REVIEWED
    with qtbot.waitSignal(docks.model.predictions_finished, timeout=WAIT_MS):
        docks.model.predict_all_button.click()
    model = docks.model
    model.rank_combo.setCurrentIndex(model.rank_combo.findData(RankingMode.MEAN))  # a random model is unsure
    docks.model.rank_button.click()                                             # everywhere: only means differ
    qtbot.waitUntil(lambda: "Rank" in docks.model.status_label.text() and not docks.model.is_busy(), timeout=WAIT_MS)
    assert "Ranked 3" in docks.model.status_label.text(), docks.model.status_label.text()
    ranked = window.image_list.paths()[:3]
    assert sorted(ranked) == project.image_paths()[1:4]  # the unreviewed ones, then the reviewed ones
    scores = [uncertainty(np.asarray(Image.open(project.confidence_path(p))), RankingMode.MEAN) for p in ranked]
    assert scores == sorted(scores, reverse=True)
    assert all("uncertainty 0." in window.image_list.list_widget.item(row).text() for row in range(3))
    docks.shutdown()


def test_first_click_in_the_dock_loads_the_backend(dock, qtbot):
    """torch loads in the background on the first click anywhere in the dock, not at start-up."""
    from PySide6.QtCore import Qt

    assert not dock.backend.is_loaded()
    with qtbot.waitSignal(dock.backend.ready, timeout=60000):
        qtbot.mouseClick(dock.rank_combo, Qt.MouseButton.LeftButton)
    assert dock.backend.is_loaded()
