"""Wiring the model and training docks into the main window: `install_model_docks(window)`.

`WindowHost` is the one place that knows the main window's parts (document, image list); the docks
see only the `DockHost` protocol. The docks are connected to each other here: a checkpoint whose
classes differ is offered for fine-tuning in the training dock, a finished run's best checkpoint is
selected in the model dock. Closing the window during training asks first (an event filter on the
window, so "No" can keep it open) and the about_to_close hook cancels the jobs (waiting ~100 ms at most).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt

from app.docks.model import ModelDock
from app.docks.training import TrainingDock
from app.jobs.backend import ModelBackend
from app.jobs.slot import cancel_all
from segmodels.labels.project import ImageStatus, Project


class WindowHost:
    """DockHost over app.window.main_window.MainWindow."""

    def __init__(self, window: Any) -> None:
        self.window = window

    def project(self) -> Project | None:
        return self.window.document.project

    def current_image(self) -> Path | None:
        return self.window.document.image_path

    def prediction_written(self, image: Path) -> None:
        image_list = self.window.image_list
        if image_list.status(image) not in (ImageStatus.REVIEWED, ImageStatus.INVALID):
            image_list.set_status(image, ImageStatus.PREDICTED)
        document = self.window.document
        if document.image_path is not None and Path(image) == document.image_path:
            document.reload_prediction()

    def set_image_order(self, images: list[Path], notes: dict[Path, str] | None = None) -> None:
        self.window.image_list.set_order(images, notes)


class _CloseGuard(QObject):
    """Asks before the window closes during training; "No" keeps the window open."""

    def __init__(self, training: TrainingDock, parent: QObject) -> None:
        super().__init__(parent)
        self.training = training

    def eventFilter(self, watched: Any, event: Any) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Close and not self.training.confirm_close():
            event.ignore()
            return True
        return False


@dataclass
class ModelDocks:
    backend: ModelBackend
    model: ModelDock
    training: TrainingDock

    def shutdown(self) -> None:
        """Cancel running work (the window is closing), waiting at most CLOSE_BUDGET_S in total. A
        training run was stopped already after asking (`TrainingDock.confirm_close`); a prediction
        still running ends on its own after its batch, each file written atomically."""
        cancel_all([self.training.job, self.model.job, self.backend.loading])


def connect_docks(model: ModelDock, training: TrainingDock) -> None:
    model.fine_tune_requested.connect(training.set_fine_tune)
    model.architecture_requested.connect(training.set_from_scratch)
    training.checkpoint_ready.connect(model.select_checkpoint)


def install_model_docks(window: Any) -> ModelDocks:
    """Add the model and training docks to `window` (a MainWindow) and wire them up."""
    host = WindowHost(window)
    backend = ModelBackend(window)
    model = ModelDock(host, backend, window)
    training = TrainingDock(host, backend, window)
    connect_docks(model, training)
    window.add_dock(model, Qt.DockWidgetArea.RightDockWidgetArea)
    window.add_dock(training, Qt.DockWidgetArea.RightDockWidgetArea)
    # Tabbed, model in front: the training dock (and pyqtgraph, imported when it is first shown)
    # costs nothing at startup.
    window.tabifyDockWidget(training, model)  # the second one named is the tab in front
    window.document.project_changed.connect(lambda: (model.refresh_checkpoints(), training.refresh_checkpoints()))
    docks = ModelDocks(backend, model, training)
    window.installEventFilter(_CloseGuard(training, window))
    window.about_to_close.append(docks.shutdown)
    window.model_docks = docks
    return docks
