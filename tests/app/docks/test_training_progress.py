"""The training dock's bar and status line name the learning rate of the step just taken."""
from __future__ import annotations

import pytest

from app.docks.training import TrainingDock
from app.docks.training_progress import step_bar_format
from app.jobs.backend import ModelBackend
from app.jobs.train import StepUpdate, TrainingOutcome, _translate
from segmodels.training import StepReport
from support.models import FakeHost, demo_project


@pytest.fixture
def dock(qtbot, tmp_path, messages):
    project = demo_project(tmp_path / "demo", count=3)
    dock = TrainingDock(FakeHost(project, project.image_paths()[0]), ModelBackend())
    qtbot.addWidget(dock)
    return dock


def test_step_reports_carry_their_learning_rate_to_the_window() -> None:
    reports = [StepReport(1, 2, step, 3, 0.5, lr, 10.0, 4.0) for step, lr in ((1, 3e-4), (3, 2.5e-5))]
    updates = list(_translate(iter(reports), TrainingOutcome()))
    assert [update.lr for update in updates] == [3e-4, 2.5e-5]  # each its own step's rate, not the next


def test_the_bar_and_status_line_show_the_step_learning_rate(dock) -> None:
    dock._on_report(StepUpdate(2, 10, 5, 40, 0.4123, 0.15, 75.0, 3.1e-4))
    assert dock.progress.format() == "epoch 2/10 · %p% · lr 0.00031 · ETA 1:15"
    assert "lr 0.00031" in dock.progress.text() and "15%" in dock.progress.text()
    assert dock.status_label.text() == "Epoch 2/10, step 5/40, loss 0.4123, learning rate 0.00031"
    dock._on_report(StepUpdate(2, 10, 6, 40, 0.41, 0.16, 70.0, 2e-5))  # the next step's rate replaces it
    assert "lr 2e-05" in dock.progress.format() and dock.status_label.text().endswith("learning rate 2e-05")


def test_an_update_without_a_rate_shows_none() -> None:
    assert step_bar_format(StepUpdate(1, 1, 1, 1, 0.1, 1.0, None)) == "epoch 1/1 · %p% · ETA …"
