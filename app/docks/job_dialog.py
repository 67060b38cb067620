"""What the import and export dialogs share: a form above, a progress panel, an action button and a
Close button that cancels a running job first (app/docks/import_dialog.py, export_dialog.py)."""
from __future__ import annotations

from PySide6.QtWidgets import QDialog, QHBoxLayout, QLayout, QPushButton, QVBoxLayout, QWidget

from app.docks.progress_panel import ProgressPanel
from app.jobs.pools import Pool, pool
from app.jobs.slot import JobSlot, cancel_all


class JobDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.job = JobSlot(pool(Pool.CHECKS), self)  # refuses a second job while one runs
        self.panel = ProgressPanel()

    def lay_out(self, form: QLayout, action: str) -> QPushButton:
        """The form, the progress panel and the buttons; returns the action button (wired to `start`)."""
        button = QPushButton(action)
        button.setDefault(True)
        self.cancel_button = QPushButton("Close")
        button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self._cancel_or_close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.panel, 1)
        layout.addLayout(buttons)
        return button

    def start(self) -> bool:
        raise NotImplementedError

    def _cancel_or_close(self) -> None:
        if self.job.is_busy():
            self.job.cancel()
        else:
            self.reject()

    def reject(self) -> None:
        """Escape or the close button: stop a running job first (waiting at most CLOSE_BUDGET_S; every
        file is written atomically, so one that stops later leaves nothing half-written)."""
        cancel_all([self.job])
        super().reject()
