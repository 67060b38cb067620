"""Concurrency: the window's own workers racing the user, with every file checked afterwards.

The full window is built as `segstudio PROJECT` builds it (`app.startup.gui.create_window`: model,
training, validation docks). Cases:
- saving labels (GUI thread) while "Predict all" writes predictions (worker + writer threads);
- switching images while a prediction runs (the shown prediction must be the one on disk);
- closing the window during training, validation and prediction: it closes within a bound, the
  workers are stopped, and every label, prediction and checkpoint file on disk is complete.
"""
from __future__ import annotations

import time
from pathlib import Path

import corpus
import numpy as np
import pytest
from PIL import Image

from segmodels.labels.labelio import read_label_png
from segmodels.labels.project import Project

torch = pytest.importorskip("torch")
WAIT_MS = 60_000
SIDE = 160   # images large enough that predicting all of them takes a while on a CPU


@pytest.fixture
def project(tmp_path) -> Project:
    torch.set_num_threads(1)
    classes = ("background", "digit", "edge")
    root = corpus.make_project(tmp_path / "race ü", n_images=0, classes=classes)
    project = Project.open(root)
    rng = np.random.default_rng(3)
    for index in range(16):
        image = project.images_dir / f"img {index:02d}.png"
        Image.fromarray(rng.integers(0, 256, (SIDE, SIDE, 3), dtype=np.uint8)).save(image)
        if index < 8:
            project.write_label(image, rng.integers(0, 3, (SIDE, SIDE), dtype=np.uint8))
    corpus.save_good_checkpoint(project.models_dir / "small.pt", classes)
    return project


@pytest.fixture
def window(qtbot, messages, project):
    from app.startup.gui import create_window

    window = create_window(str(project.root))
    if not hasattr(window, "label_docks"):  # until create_window installs them itself
        from app.window.label_wiring import install_label_docks

        install_label_docks(window)
    qtbot.addWidget(window)
    # the project's own checkpoint, not the bundled demo model (other classes) that a fresh window
    # may still have selected from before the project was opened
    window.model_docks.model.select_checkpoint(project.models_dir / "small.pt")
    yield window
    docks = getattr(window, "model_docks", None)
    if docks is not None:
        docks.shutdown()


def _paint(document, value: int, at: int) -> None:
    stroke = document.begin_stroke("Brush")
    stroke.paint(at, at, np.ones((9, 9), bool), value)
    stroke.finish()


def _assert_files_whole(window, project: Project) -> None:
    """Every PNG under labels/ and predictions/ decodes fully; no temporary file is left anywhere
    once the autosave thread has written what it was handed (a write in flight has its .tmp)."""
    assert window.autosave.flush(wait=True)
    for folder in (project.labels_dir, project.predictions_dir):
        for path in folder.glob("*.png"):
            read_label_png(path)  # raises on a partial file
    leftovers = [p for p in project.root.rglob("*") if p.name.endswith(".tmp")]
    assert not leftovers, leftovers


def test_saving_while_predict_all_writes(qtbot, window, project):
    document = window.document
    dock = window.model_docks.model
    dock.predict_all()
    qtbot.waitUntil(dock.is_busy, timeout=WAIT_MS)
    saved: dict[Path, np.ndarray] = {}
    step = 0
    while dock.is_busy():  # the user keeps painting and saving while predictions land
        _paint(document, 1 + step % 2, step % (SIDE - 9))
        assert document.save(), "a save failed while predictions were written"
        saved[document.image_path] = document.label_map.copy()
        step += 1
        qtbot.wait(5)
    assert step >= 1
    qtbot.waitUntil(lambda: not dock.is_busy(), timeout=WAIT_MS)
    _assert_files_whole(window, project)
    for image, label_map in saved.items():
        np.testing.assert_array_equal(project.read_label(image), label_map)  # labels are ours alone
    predicted = [p for p in project.image_paths() if project.prediction_path(p).exists()]
    assert len(predicted) == len(project.image_paths())


def test_switching_images_during_prediction(qtbot, window, project):
    document = window.document
    dock = window.model_docks.model
    images = project.image_paths()
    with qtbot.waitSignal(dock.predictions_finished, timeout=WAIT_MS):
        dock.predict_all()
        qtbot.waitUntil(dock.is_busy, timeout=WAIT_MS)
        step = 0
        while dock.is_busy():
            assert document.open_image(images[step % len(images)])
            if step % 3 == 0:
                _paint(document, 2, 4)   # an unsaved edit on an image being predicted
            step += 1
            qtbot.wait(5)
    current = document.image_path
    np.testing.assert_array_equal(document.prediction, project.read_prediction(current))
    assert document.prediction.shape == document.label_map.shape
    # edits made while switching are still in memory, none written behind the user's back
    for image in document.unsaved_images():
        assert document.label_map_of(image)[4:13, 4:13].min() == 2
    _assert_files_whole(window, project)


def _close_within(qtbot, window, seconds: float) -> float:
    started = time.monotonic()
    assert window.close()
    elapsed = time.monotonic() - started
    assert elapsed < seconds, f"closing took {elapsed:.1f} s"
    return elapsed


def test_close_during_training_stops_cleanly(qtbot, messages, window, project):
    from app.messages import Answer
    from segmodels.models.checkpoint import load_checkpoint

    training = window.model_docks.training
    training.epochs_spin.setValue(200)
    reports = []
    assert training.start()
    training.job.worker.signals.yielded.connect(reports.append)
    qtbot.waitUntil(lambda: len(reports) >= 2, timeout=WAIT_MS)   # really training
    worker = training.job.worker
    messages.answers.append(Answer.YES)                             # "Stop it and close?"
    _close_within(qtbot, window, 30)
    assert worker.is_done()
    assert any("Training is running" in text for text in messages.texts("ask"))
    models = project.models_dir
    assert not [p for p in models.iterdir() if p.name.endswith(".tmp")]
    for checkpoint in models.glob("*.pt"):
        load_checkpoint(checkpoint)   # whole: a cancelled run leaves the last good one or none


def test_close_during_validation_and_prediction(qtbot, window, project):
    from app.docks.validation import Scope

    validation = window.label_docks.validation
    model = window.model_docks.model
    model.predict_all()
    qtbot.waitUntil(model.is_busy, timeout=WAIT_MS)
    assert validation.start(Scope.PROJECT)
    workers = [validation.job.worker, model.job.worker]
    _close_within(qtbot, window, 30)
    window.model_docks.shutdown()
    # Closing waits ~100 ms at most; the cancelled jobs end on their own soon after.
    qtbot.waitUntil(lambda: all(w.is_done() for w in workers if w is not None), timeout=WAIT_MS)
    _assert_files_whole(window, project)


def test_answer_no_keeps_training_and_window(qtbot, messages, window):
    from app.messages import Answer

    training = window.model_docks.training
    training.epochs_spin.setValue(200)
    assert training.start()
    qtbot.waitUntil(lambda: training.progress.format() != "starting…", timeout=WAIT_MS)
    messages.answers.append(Answer.NO)
    assert not window.close()
    assert training.is_running()
    training.cancel()
    qtbot.waitUntil(lambda: not training.is_running(), timeout=WAIT_MS)
