"""The training dock: settings both ways, a real short fit() in the worker with live curves and the
IoU table, cancel keeps the best checkpoint, the errors (no reviewed labels, NaN loss, CUDA out of
memory) are messages with labels intact, and closing during a run asks and stops cleanly."""
from __future__ import annotations

import math

import pytest

from app.docks.training import TrainingDock
from app.jobs.backend import ModelBackend
from app.jobs.train import FailureKind, Throttle, TrainingOutcome, format_eta
from app.messages import Answer
from support.models import FakeHost, demo_project, random_checkpoint

WAIT_MS = 20000


@pytest.fixture
def project(tmp_path):
    return demo_project(tmp_path / "demo", count=12)


@pytest.fixture
def dock(qtbot, project, messages):
    import torch

    torch.set_num_threads(1)
    dock = TrainingDock(FakeHost(project, project.image_paths()[0]), ModelBackend())
    qtbot.addWidget(dock)
    dock.epochs_spin.setValue(2)
    dock.batch_spin.setValue(4)
    dock.augment_check.setChecked(False)
    dock.device_combo.setCurrentText("cpu")
    yield dock
    if dock.job.worker is not None:
        dock.cancel()
        dock.job.worker.wait(20)
    dock.backend.pool.waitForDone(20000)


def labels_snapshot(project) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(project.labels_dir.glob("*.png"))}


def run_to_end(qtbot, dock) -> TrainingOutcome | None:
    with qtbot.waitSignal(dock.training_finished, timeout=WAIT_MS):
        assert dock.start_button.isEnabled()
        dock.start_button.click()
        assert dock.is_running() and dock.cancel_button.isEnabled() and not dock.start_button.isEnabled()
    return dock.outcome


def test_settings_both_ways(dock, project, tmp_path):
    request = dock.request()
    assert (request.epochs, request.batch_size, request.augment, request.device) == (2, 4, False, "cpu")
    assert request.init_checkpoint is None and request.arch == "m2nist_fcn"
    assert request.out_path.parent == project.models_dir
    checkpoint = random_checkpoint(tmp_path / "other.pt", project.classes)
    dock.set_fine_tune(checkpoint)                       # state -> widgets
    assert dock.finetune_radio.isChecked() and dock.checkpoint_combo.currentData() == str(checkpoint)
    assert dock.checkpoint_combo.isEnabled() and not dock.arch_combo.isEnabled()
    assert dock.request().init_checkpoint == checkpoint and dock.request().arch is None
    dock.scratch_radio.setChecked(True)                  # widgets -> state
    dock.lr_spin.setValue(0.01)
    assert dock.request().init_checkpoint is None and dock.request().learning_rate == pytest.approx(0.01)
    assert dock.arch_combo.isEnabled() and not dock.checkpoint_combo.isEnabled()


def test_training_shows_curves_table_and_announces_checkpoint(dock, qtbot, project):
    ready = []
    dock.checkpoint_ready.connect(ready.append)
    outcome = run_to_end(qtbot, dock)
    assert outcome is not None and not outcome.cancelled and outcome.failure is None
    assert ready == [outcome.checkpoint] and outcome.checkpoint.is_file()
    assert outcome.checkpoint.with_suffix(".json").is_file()     # metrics beside the checkpoint
    assert len(dock.curves.loss_y) >= 2 and all(math.isfinite(v) for v in dock.curves.loss_y)
    assert dock.curves.miou_x == [1.0, 2.0]
    assert dock.iou_table.rowCount() == len(project.classes)
    assert dock.iou_table.item(0, 0).text() == "background"
    assert dock.progress.value() == 1000 and dock.start_button.isEnabled()


def test_a_run_on_one_image_is_warned_about_and_the_validation_is_described(dock, qtbot, project, messages):
    """Issue 15 item 5: fine-tuning ran on 1 reviewed image without a word."""
    for label in sorted(project.labels_dir.glob("*.png"))[1:]:
        label.unlink()
    dock.epochs_spin.setValue(1)
    run_to_end(qtbot, dock)
    assert any("only 1 reviewed image" in text for text in messages.texts("warning"))
    summary = dock.data_label.text()
    assert summary.startswith("Validation: 1 image(s),") and "no pixel of" in summary
    pixels = [dock.iou_table.item(row, 2).text() for row in range(dock.iou_table.rowCount())]
    assert pixels[0] != "0" and "0" in pixels  # background has pixels; some digit has none


def test_fine_tuning_twice_never_replaces_a_checkpoint(dock, qtbot, project):
    """Issue 13 item 2: each run (fine-tune included) gets its own new file; the source stays as it was."""
    import hashlib

    source = random_checkpoint(project.models_dir / "good.pt", project.classes)
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    dock.epochs_spin.setValue(1)
    dock.set_fine_tune(source)
    assert dock.request().out_path.name.startswith("good-finetuned-")
    assert not dock.request().out_path.exists()
    first = run_to_end(qtbot, dock).checkpoint
    first_bytes = first.read_bytes()
    dock.set_fine_tune(source)
    second = run_to_end(qtbot, dock).checkpoint
    assert first != second and second.name.startswith("good-finetuned-") and second.is_file()
    assert first.read_bytes() == first_bytes and hashlib.sha256(source.read_bytes()).hexdigest() == before
    assert not (project.models_dir / "good_finetuned.pt").exists()


def test_cancel_keeps_best_checkpoint(dock, qtbot):
    dock.epochs_spin.setValue(50)
    epochs = []

    def cancel_after_first_epoch(report):
        if type(report).__name__ == "EpochUpdate" and not epochs:
            epochs.append(report)
            dock.cancel_button.click()

    with qtbot.waitSignal(dock.training_finished, timeout=WAIT_MS):
        dock.start_button.click()
        dock.job.worker.signals.yielded.connect(cancel_after_first_epoch)
    assert dock.outcome.cancelled
    assert dock.outcome.checkpoint is not None and dock.outcome.checkpoint.is_file()
    assert len(dock.curves.miou_x) < 50


def test_no_reviewed_labels_is_a_message(dock, qtbot, project, messages):
    for label in project.labels_dir.glob("*.png"):
        label.unlink()
    outcome = run_to_end(qtbot, dock)
    assert outcome is None
    assert any("no reviewed labels" in text for text in messages.texts("error"))
    assert not list(project.models_dir.glob("*.pt"))


def test_nan_loss_stops_with_advice_and_labels_intact(dock, qtbot, project, messages):
    before = labels_snapshot(project)
    from dataclasses import replace

    request = replace(dock.request(), learning_rate=float("inf"))
    with qtbot.waitSignal(dock.training_finished, timeout=WAIT_MS):
        dock.start(request)
    assert dock.outcome.failure is FailureKind.DIVERGED
    assert any("learning rate" in text for text in messages.texts("error"))
    assert labels_snapshot(project) == before


def test_unreadable_image_is_skipped_and_named_once(dock, qtbot, project, messages):
    before = labels_snapshot(project)
    broken = project.image_paths()[3]
    broken.write_bytes(broken.read_bytes()[:40])   # truncated PNG
    outcome = run_to_end(qtbot, dock)
    assert outcome is not None and outcome.checkpoint is not None and outcome.checkpoint.is_file()
    assert len(outcome.skipped) == 1 and broken.name in outcome.skipped[0]
    warnings = [text for text in messages.texts("warning") if broken.name in text]
    assert len(warnings) == 1   # once, when the run ends (the 12-image demo is also warned about as small)
    assert messages.texts("error") == []
    assert labels_snapshot(project) == before
    assert dock.start_button.isEnabled()


def test_all_images_unreadable_is_a_message(dock, qtbot, project, messages):
    for image in project.image_paths():
        image.write_bytes(image.read_bytes()[:40])
    assert run_to_end(qtbot, dock) is None
    assert any("could be read" in text for text in messages.texts("error"))


def test_cuda_out_of_memory_offers_half_the_batch(dock, qtbot, monkeypatch, messages):
    from segmodels.training.trainer import OutOfMemory

    def exploding_fit(config, cancel):   # what fit() raises for torch.cuda.OutOfMemoryError
        raise OutOfMemory("The GPU ran out of memory with batch size 16.")
        yield  # pragma: no cover

    monkeypatch.setattr("segmodels.training.fit", exploding_fit)
    messages.answers = [Answer.YES, Answer.NO]
    dock.batch_spin.setValue(16)
    with qtbot.waitSignal(dock.training_finished, timeout=WAIT_MS):
        dock.start_button.click()
    qtbot.waitUntil(lambda: len(messages.texts("ask")) == 2 and not dock.is_running(), timeout=WAIT_MS)
    asks = messages.texts("ask")
    assert "batch size 16" in asks[0] and "Retry with batch size 8" in asks[0]
    assert "Retry with batch size 4" in asks[1]   # the retry at 8 ran out of memory too
    assert dock.batch_spin.value() == 8           # the second offer was declined


def test_close_during_training_asks_then_stops(dock, qtbot, messages):
    dock.epochs_spin.setValue(200)
    dock.start_button.click()
    qtbot.waitUntil(lambda: len(dock.curves.loss_y) > 0, timeout=WAIT_MS)
    messages.answers = [Answer.NO]
    assert dock.confirm_close() is False and dock.is_running()
    messages.answers = [Answer.YES]
    assert dock.confirm_close() is True
    assert dock.job.worker is None or dock.job.worker.is_done()


def test_idle_close_does_not_ask(dock, messages):
    assert dock.confirm_close() is True
    assert messages.shown == []


def test_throttle_and_eta_text():
    now = [0.0]
    throttle = Throttle(20.0, clock=lambda: now[0])
    passed = 0
    for _ in range(100):
        passed += throttle.ready()
        now[0] += 0.001
    assert passed == 2  # 0.1 s at 20/s: the first and the one after 50 ms
    assert format_eta(75) == "ETA 1:15" and format_eta(None) == "ETA …"


def test_closing_the_window_during_training_asks_first(qtbot, project, messages):
    from app.window.main_window import MainWindow
    from app.window.model_wiring import install_model_docks

    window = MainWindow()
    qtbot.addWidget(window)
    docks = install_model_docks(window)
    assert window.open_path(project.root)
    window.show()
    training = docks.training
    training.epochs_spin.setValue(200)
    training.batch_spin.setValue(4)
    training.start_button.click()
    qtbot.waitUntil(lambda: len(training.curves.loss_y) > 0, timeout=WAIT_MS)
    messages.answers = [Answer.NO]
    window.close()
    assert window.isVisible() and training.is_running()      # "No" keeps the window and the run
    messages.answers = [Answer.YES]
    window.close()
    assert not window.isVisible()
    assert training.job.worker is None or training.job.worker.is_done()
    assert any("Training is running" in text for text in messages.texts("ask"))


def test_class_mismatch_switches_training_to_fine_tune(qtbot, project, tmp_path, messages):
    from app.docks.model import ModelDock
    from app.window.model_wiring import connect_docks
    from segmodels.labels.classes import ClassTable

    host, backend = FakeHost(project, project.image_paths()[0]), ModelBackend()
    model, training = ModelDock(host, backend), TrainingDock(host, backend)
    qtbot.addWidget(model)
    qtbot.addWidget(training)
    connect_docks(model, training)
    foreign = random_checkpoint(tmp_path / "cats.pt", ClassTable.from_names(["bg", "cat"]))
    model.select_checkpoint(foreign)
    messages.answers = [Answer.YES]
    with qtbot.waitSignal(model.fine_tune_requested, timeout=WAIT_MS):
        model.predict_button.click()
    assert training.finetune_radio.isChecked() and training.selected_checkpoint() == foreign
    assert training.request().init_checkpoint == foreign
    backend.pool.waitForDone(10000)


def test_fine_tune_without_a_checkpoint_says_so(dock, messages):
    dock.finetune_radio.setChecked(True)
    if dock.checkpoint_combo.count() == 0:    # no project checkpoint and no bundled demo model
        assert dock.start() is False and not dock.is_running()
        assert "Pick a checkpoint" in messages.texts("info")[0]
    else:
        assert dock.request().init_checkpoint is not None



def test_fine_tune_suggests_the_lower_learning_rate(dock, qtbot, tmp_path, project):
    """Fine-tune shows segmodels' lower fine-tune rate; back to scratch restores the arch default."""
    from segmodels.models.catalog import training_defaults
    from segmodels.training.config import FINE_TUNE_LR_FACTOR

    dock.backend.ensure_loaded()
    qtbot.waitUntil(lambda: "m2nist_fcn" in dock.train_defaults, timeout=WAIT_MS)
    scratch_lr = training_defaults("m2nist_fcn")["lr"]
    dock.set_fine_tune(random_checkpoint(tmp_path / "other.pt", project.classes))
    assert dock.lr_spin.value() == pytest.approx(scratch_lr * FINE_TUNE_LR_FACTOR)
    dock.scratch_radio.setChecked(True)
    assert dock.lr_spin.value() == pytest.approx(scratch_lr)
