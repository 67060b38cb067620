"""The training dock: settings, Start/Cancel, progress with ETA, live curves, per-class IoU.

The settings are the CLI's: architecture names, descriptions and each architecture's training defaults
come from segmodels' torch-free catalog from the first frame on, so pressing Start with untouched fields
trains exactly as `segstudio train PROJECT --arch ARCH` does.

Training runs `app.jobs.train.training_job` (segmodels' `fit()`) in the dock's JobSlot (model pool);
the window keeps painting, zooming and switching images meanwhile. Step reports arrive throttled
(at most ~20 a second) and move the progress bar and the loss curve; each epoch adds a validation
mIoU point and refills the IoU table (with the validation pixels per class). Too little data (one
reviewed image, a two-image validation) is a warning as the run starts. When a run ends, finished or
cancelled, its best checkpoint is announced through `checkpoint_ready` so the model dock can predict
with it at once.

Failures are messages, never crashes, and labels are never touched: no reviewed labels, CUDA out of
memory (offer a retry with half the batch), a NaN loss (lower the learning rate). Closing the window
during a run asks first, then cancels and waits for the worker (`confirm_close`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app import messages
from app.docks.curves import TrainingCurves
from app.docks.form import form_row
from app.docks.iou_table import IouTable
from app.docks.loss_choice import add_loss_row
from app.docks.training_progress import step_bar_format, step_status
from app.jobs.backend import DockHost, ModelBackend, load_backend_on_first_click
from app.jobs.predict import checkpoint_architecture, demo_model_path, project_checkpoints
from app.jobs.slot import JobSlot, StartPolicy
from app.jobs.train import (
    DataUpdate,
    EpochUpdate,
    FailureKind,
    StepUpdate,
    TrainingOutcome,
    TrainingRequest,
    training_job,
)
from segmodels.models.catalog import ARCHITECTURES, DEFAULT_ARCH, DEVICE_CHOICES
from segmodels.training.config import base_stem, fine_tune_lr, new_checkpoint_path
from segmodels.training.data_size import validation_summary

#: Closing during a run asks first; on yes the window waits this long for fit() to finish its step
#: and return (the one GUI-thread wait over CLOSE_BUDGET_S, which the user agreed to).
CLOSE_WAIT_S = 30.0


class TrainingDock(QDockWidget):
    checkpoint_ready = Signal(object)   # Path of the best checkpoint of a finished or cancelled run
    training_finished = Signal(object)  # TrainingOutcome

    def __init__(self, host: DockHost, backend: ModelBackend, parent: QWidget | None = None) -> None:
        super().__init__("Training", parent)
        self.setObjectName("training_dock")
        self.host = host
        self.backend = backend
        self.job = JobSlot(backend.pool, self)  # one run at a time; Start while running is refused
        self.checkpoint_job = JobSlot(backend.pool, self, StartPolicy.REPLACE)  # the newest pick wins
        self.outcome: TrainingOutcome | None = None
        # Per architecture, what `TrainConfig.resolved()` fills in, plus the fine-tune rate it would use.
        self.train_defaults: dict[str, dict[str, Any]] = {
            name: {**entry.training_defaults(), "fine_tune_lr": fine_tune_lr(entry.training_defaults()["lr"])}
            for name, entry in ARCHITECTURES.items()}
        self._retry = False  # set by the out-of-memory offer: start again once this run is done
        self._val_images = 0  # of the run shown (its DataUpdate), for the validation summary
        self._build()
        self.apply_defaults(DEFAULT_ARCH)
        self.refresh_checkpoints()
        self._update_controls()

    # -- layout -------------------------------------------------------------------------------
    def _build_settings(self) -> QFormLayout:
        form = QFormLayout()
        self.scratch_radio = QRadioButton("From scratch")
        self.finetune_radio = QRadioButton("Fine-tune")
        self.scratch_radio.setChecked(True)
        self.mode_group = QButtonGroup(self)
        for button in (self.scratch_radio, self.finetune_radio):
            self.mode_group.addButton(button)
            button.toggled.connect(self._update_controls)
        self.finetune_radio.toggled.connect(self._suggest_learning_rate)
        form.addRow("Start", form_row(self.scratch_radio, self.finetune_radio))
        self.arch_combo = QComboBox()
        for name, entry in ARCHITECTURES.items():
            self.arch_combo.addItem(name, name)
            self.arch_combo.setItemData(self.arch_combo.count() - 1, entry.description, Qt.ItemDataRole.ToolTipRole)
        self.arch_combo.setCurrentIndex(self.arch_combo.findData(DEFAULT_ARCH))
        self.arch_combo.activated.connect(lambda _: self.apply_defaults(self.arch_combo.currentData()))
        form.addRow("Architecture", self.arch_combo)
        self.checkpoint_combo = QComboBox()
        self.checkpoint_combo.currentIndexChanged.connect(lambda _: self._read_checkpoint_architecture())
        self.finetune_radio.toggled.connect(lambda on: on and self._read_checkpoint_architecture())
        form.addRow("Checkpoint", self.checkpoint_combo)
        # Placeholder values: apply_defaults() shows the chosen architecture's as soon as the dock is built.
        self.epochs_spin = _spin(QSpinBox(), 1, 1000, 1)
        form.addRow("Epochs", self.epochs_spin)
        self.lr_spin = QDoubleSpinBox()
        self.lr_spin.setDecimals(6)
        self.lr_spin.setRange(1e-6, 1.0)
        self.lr_spin.setSingleStep(1e-4)
        form.addRow("Learning rate", self.lr_spin)
        self.batch_spin = _spin(QSpinBox(), 1, 512, 1)
        form.addRow("Batch size", self.batch_spin)
        self.augment_check = QCheckBox("flips, crops and colour jitter")
        form.addRow("Augmentation", self.augment_check)
        self.loss_combo = add_loss_row(form)
        self.device_combo = QComboBox()
        self.device_combo.addItems(DEVICE_CHOICES)
        form.addRow("Device", self.device_combo)
        return form

    def _build(self) -> None:
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.addLayout(self._build_settings())
        self.start_button = QPushButton("Start training")
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        layout.addWidget(form_row(self.start_button, self.cancel_button))
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFormat("idle")
        self.progress.setValue(0)
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        layout.addWidget(self.progress)
        layout.addWidget(self.status_label)
        self.curves = TrainingCurves()
        layout.addWidget(self.curves, 1)
        self.data_label = QLabel("")  # what the run learns from and validates on (docs/models-and-labels.md)
        self.data_label.setWordWrap(True)
        layout.addWidget(self.data_label)
        self.iou_table = IouTable()
        layout.addWidget(self.iou_table)
        self.setWidget(body)
        self.visibilityChanged.connect(self._on_visibility)
        load_backend_on_first_click(body, self.backend)

    def _on_visibility(self, visible: bool) -> None:
        # pyqtgraph (~0.8 s to import) loads when the user first looks at this dock, not at startup;
        # checked after the event loop settles, as a tabbed dock is briefly "shown" while the
        # window is built.
        if visible and not self.curves.has_plots():
            QTimer.singleShot(0, self._build_plots_if_seen)

    def _build_plots_if_seen(self) -> None:
        # The backend load (torch, and pyqtgraph, in a worker) runs first, so the plots are built
        # from an already imported pyqtgraph instead of freezing the window while it imports.
        if self.isVisible() and not self.visibleRegion().isEmpty():
            self.backend.ensure_loaded(lambda info: self.curves.ensure_plots())

    # -- settings -----------------------------------------------------------------------------
    def apply_defaults(self, arch: str | None) -> None:
        """Show segmodels' settings for `arch` (on the first frame and when the user picks an architecture):
        the values `segstudio train --arch ARCH` would use."""
        defaults = self.train_defaults.get(arch or "")
        if not defaults:
            return
        self.epochs_spin.setValue(int(defaults["epochs"]))
        self.batch_spin.setValue(int(defaults["batch_size"]))
        self.lr_spin.setValue(float(defaults["fine_tune_lr" if self.finetune_radio.isChecked() else "lr"]))
        self.augment_check.setChecked(bool(defaults["augment"]))
        self.loss_combo.show_loss(defaults["loss"])

    def _read_checkpoint_architecture(self) -> None:
        """Fine-tuning trains the checkpoint's own architecture, as `segstudio train --from` does: once
        the checkpoint is read (torch, so in a worker) the dock shows that architecture's defaults."""
        checkpoint = self.selected_checkpoint()
        if checkpoint is None or not self.finetune_radio.isChecked():
            return
        self.checkpoint_job.call(lambda _cancel: checkpoint_architecture(checkpoint),
                                 on_returned=lambda arch: self._show_checkpoint_architecture(checkpoint, arch))

    def _show_checkpoint_architecture(self, checkpoint: Path, arch: str) -> None:
        index = self.arch_combo.findData(arch)
        if index < 0 or checkpoint != self.selected_checkpoint() or not self.finetune_radio.isChecked():
            return  # an architecture this version does not know fails at Start, with its sentence
        self.arch_combo.setCurrentIndex(index)
        self.apply_defaults(arch)

    def _suggest_learning_rate(self, fine_tune: bool) -> None:
        """Fine-tuning starts from working weights: suggest segmodels' lower fine-tune rate."""
        defaults = self.train_defaults.get(self.arch_combo.currentData() or DEFAULT_ARCH)
        if not defaults:
            return
        self.lr_spin.setValue(float(defaults["fine_tune_lr"] if fine_tune else defaults["lr"]))

    def refresh_checkpoints(self, select: Path | None = None) -> None:
        current = select or self.selected_checkpoint()
        project = self.host.project()
        paths = project_checkpoints(project) if project is not None else []
        if demo_model_path().is_file():
            paths.append(demo_model_path())
        if current is not None and current not in paths:
            paths.append(current)
        self.checkpoint_combo.clear()
        for path in paths:
            self.checkpoint_combo.addItem(path.name, str(path))
        index = self.checkpoint_combo.findData(str(current)) if current is not None else -1
        self.checkpoint_combo.setCurrentIndex(index if index >= 0 else (0 if paths else -1))

    def selected_checkpoint(self) -> Path | None:
        data = self.checkpoint_combo.currentData()
        return Path(data) if data else None

    def set_fine_tune(self, checkpoint: Path) -> None:
        """Fine-tune `checkpoint` (the model dock's offer for a class mismatch: a new head)."""
        self.refresh_checkpoints(select=Path(checkpoint))
        self.finetune_radio.setChecked(True)
        self.show()
        self.raise_()
        self.status_label.setText(f"Ready to fine-tune {Path(checkpoint).name} on this project's labels; "
                                  "a new head is made if its classes differ. Press Start.")

    def set_from_scratch(self, arch: str) -> None:
        index = self.arch_combo.findData(arch)
        if index < 0:
            self.arch_combo.addItem(arch, arch)
            index = self.arch_combo.count() - 1
        self.arch_combo.setCurrentIndex(index)
        self.apply_defaults(arch)
        self.scratch_radio.setChecked(True)
        self.show()
        self.raise_()

    def request(self) -> TrainingRequest | None:
        project = self.host.project()
        if project is None:
            return None
        fine_tune = self.finetune_radio.isChecked()
        arch = None if fine_tune else (self.arch_combo.currentData() or DEFAULT_ARCH)
        source = self.selected_checkpoint() if fine_tune else None
        # A new run never replaces a checkpoint: each gets its own <stem>-<date>-<time>.pt.
        stem = f"{base_stem(source)}-finetuned" if source is not None else (arch or "model")
        out = new_checkpoint_path(project.models_dir, stem)
        return TrainingRequest(project.root, arch, self.selected_checkpoint() if fine_tune else None,
                               self.epochs_spin.value(), self.lr_spin.value(), self.batch_spin.value(),
                               self.augment_check.isChecked(), self.device_combo.currentText(), out,
                               loss=self.loss_combo.loss())

    # -- running ------------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self.job.is_busy()

    def start(self, request: TrainingRequest | None = None) -> bool:
        if self.is_running():
            return False
        request = request if isinstance(request, TrainingRequest) else self.request()
        if request is None:
            messages.info(self, "Open a project first; training uses its reviewed labels.")
            return False
        if request.init_checkpoint is None and not request.arch:
            messages.info(self, "Pick a checkpoint to fine-tune, or train from scratch.")
            return False
        self.outcome = None
        self.curves.ensure_plots()
        self.curves.clear()
        self.iou_table.setRowCount(0)
        self.data_label.setText("")
        self._val_images = 0
        self.progress.setValue(0)
        self.progress.setFormat("starting…")
        self.status_label.setText("Loading data and model…")
        # winds_down: fit() checks the flag between steps and *returns* its result (the best
        # checkpoint so far), which arrives through on_returned like a finished run's.
        self.job.start(lambda cancel: training_job(request, cancel), on_yielded=self._on_report,
                       on_returned=self._on_outcome, on_errored=self._on_error, on_finished=self._on_finished,
                       winds_down=True)
        self._update_controls()
        return True

    def cancel(self) -> None:
        if self.job.is_busy():
            self.job.cancel()
            self.status_label.setText("Cancelling after this step; the best checkpoint so far is kept…")

    def _on_report(self, report: Any) -> None:
        if isinstance(report, DataUpdate):
            self._show_data(report)
        elif isinstance(report, StepUpdate):
            self.progress.setValue(int(report.fraction * 1000))
            self.progress.setFormat(step_bar_format(report))
            self.curves.add_loss(report.epoch - 1 + report.step / max(report.steps, 1), report.loss)
            self.status_label.setText(step_status(report))
        elif isinstance(report, EpochUpdate):
            self.curves.add_miou(report.epoch, report.miou)
            self.iou_table.show_epoch(report.class_names, report.per_class_iou, report.per_class_pixels)
            if report.per_class_pixels:
                self.data_label.setText(validation_summary(self._val_images, report.per_class_pixels,
                                                           report.class_names))
            self.status_label.setText(f"Epoch {report.epoch}/{report.epochs}: train loss {report.train_loss:.4f}, "
                                      f"validation mIoU {report.miou:.3f}")

    def _show_data(self, report: DataUpdate) -> None:
        """Too little data is said once, as the run starts (it goes on: the user may know better)."""
        self._val_images = report.val_images
        self.data_label.setText(f"Training on {report.train_images} image(s), validating on {report.val_images}.")
        if report.warnings:
            messages.warning(self, " ".join(report.warnings))

    def _on_outcome(self, outcome: TrainingOutcome) -> None:
        self.outcome = outcome
        if outcome.checkpoint is not None:
            self.refresh_checkpoints()
            self.checkpoint_ready.emit(outcome.checkpoint)
        best = f" Best validation mIoU {outcome.best_miou:.3f}." if outcome.best_miou is not None else ""
        saved = f" Saved {outcome.checkpoint.name}." if outcome.checkpoint is not None else ""
        if outcome.failure is FailureKind.OUT_OF_MEMORY:
            self._offer_smaller_batch(outcome)
        elif outcome.failure is FailureKind.DIVERGED:
            messages.error(self, outcome.message)
        if outcome.failure is None:
            done = "Cancelled; the best epoch so far is kept." if outcome.cancelled else "Finished."
            note = f" ({outcome.message})" if outcome.message else ""
            self.status_label.setText(f"{done}{best}{saved}{note}")
        if outcome.skipped:  # once per run, when it ends: the files to fix or remove
            messages.warning(self, f"Training left out {len(outcome.skipped)} unusable file(s): "
                             + " ".join(outcome.skipped))
        self.progress.setFormat("cancelled" if outcome.cancelled else "done")
        if not outcome.cancelled and outcome.failure is None:
            self.progress.setValue(1000)

    def _offer_smaller_batch(self, outcome: TrainingOutcome) -> None:
        batch = self.batch_spin.value()
        if batch <= 1:
            messages.error(self, outcome.message + " Even a batch of 1 does not fit: pick a smaller "
                           "architecture or train on the CPU.")
            return
        half = max(1, batch // 2)
        if messages.ask(self, f"{outcome.message} Retry with batch size {half}?") is messages.Answer.YES:
            self.batch_spin.setValue(half)
            self._retry = True

    def _on_error(self, text: str) -> None:
        self.status_label.setText("Training stopped.")
        self.progress.setFormat("failed")
        messages.error(self, text)

    def _on_finished(self) -> None:
        self._update_controls()
        self.training_finished.emit(self.outcome)
        if self._retry:
            self._retry = False
            self.start()

    def _update_controls(self, *_: Any) -> None:
        running = self.is_running()
        fine_tune = self.finetune_radio.isChecked()
        for widget in (self.scratch_radio, self.finetune_radio, self.epochs_spin, self.lr_spin, self.batch_spin,
                       self.augment_check, self.loss_combo, self.device_combo):
            widget.setEnabled(not running)
        self.arch_combo.setEnabled(not running and not fine_tune)
        self.checkpoint_combo.setEnabled(not running and fine_tune)
        self.start_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    # -- closing ------------------------------------------------------------------------------
    def confirm_close(self) -> bool:
        """Ask before closing during a run; on yes, cancel and wait for the worker to stop."""
        if not self.is_running():
            return True
        if messages.ask(self, "Training is running. Stop it and close? The best checkpoint so far is kept.") \
                is not messages.Answer.YES:
            return False
        worker = self.job.worker
        self.job.cancel()
        stopped = worker is None or worker.wait(CLOSE_WAIT_S)
        if not stopped:
            messages.warning(self, "Training did not stop in time; closing anyway.")
        return True


def _spin(spin: QSpinBox, low: int, high: int, value: int) -> QSpinBox:
    spin.setRange(low, high)
    spin.setValue(value)
    return spin
