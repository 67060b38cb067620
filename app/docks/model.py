"""The model dock: choose a model, see where it runs, predict this image or all, rank by uncertainty.

Models are checkpoints: the bundled demo model, the project's models/ folder (newest first), or any file
the user opens (another program's weights become a new checkpoint of the architecture chosen in the
dock: segmodels.models.foreign_weights). Prediction runs `app.jobs.predict.predict_job` in the dock's
JobSlot (model pool) with a progress bar and Cancel; each finished image is written to predictions/
(label PNG + confidence PNG) and shown at once through the host. "Rank by uncertainty" orders the
unreviewed images most uncertain first (segmodels.inference.uncertainty: the share of unsure pixels, or
the mean) and shows each score in the image list; a ranking whose scores are all equal says so instead
of claiming an order.

A checkpoint whose classes differ from the project's cannot predict here; the dock says so and
offers to fine-tune it with a new head (`fine_tune_requested`, which the training dock follows).
torch is never imported on the GUI thread: the first use starts the backend load in a worker.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFormLayout,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import messages
from app.canvas.empty_note import nothing_to_predict
from app.docks.form import form_row, narrow_combo
from app.docks.model_files import FileChooser, choose_checkpoint_file
from app.jobs.backend import DockHost, ModelBackend, load_backend_on_first_click
from app.jobs.predict import (
    CheckpointInfo,
    PredictionDone,
    demo_model_path,
    inspect_checkpoint,
    predict_job,
    project_checkpoints,
)
from app.jobs.slot import JobSlot
from app.jobs.worker import CancelFlag, one_call
from app.widgets.elided_label import ReservedLabel
from segmodels.inference.uncertainty import (
    UNSURE_BELOW,
    RankingMode,
    confidence_scores,
    review_order,
    score_text,
    separates,
    unreviewed_images,
)
from segmodels.labels.project import Project
from segmodels.models.catalog import ARCHITECTURES, DEFAULT_ARCH, DEVICE_CHOICES
from segmodels.models.checkpoint_format import looks_like_checkpoint

RANK_MODES = ((f"share of pixels below {UNSURE_BELOW:g} confidence", RankingMode.UNSURE),
              ("mean uncertainty", RankingMode.MEAN))


class ModelDock(QDockWidget):
    fine_tune_requested = Signal(object)   # Path of a checkpoint to fine-tune with a new head
    architecture_requested = Signal(str)   # "train this architecture from scratch"
    predictions_finished = Signal(object)  # PredictionSummary (also after cancel)

    def __init__(self, host: DockHost, backend: ModelBackend, parent: QWidget | None = None,
                 choose_file: FileChooser = choose_checkpoint_file) -> None:
        super().__init__("Model", parent)
        self.setObjectName("model_dock")
        self.host = host
        self.backend = backend
        self.choose_file = choose_file
        # One job at a time (inspect, predict or rank) on the model pool; a second start is refused.
        self.job = JobSlot(backend.pool, self)
        self.job.progress_changed.connect(lambda done, _total: self.progress.setValue(done))
        self._after_worker: Callable[[], None] | None = None  # continuation once the job is done
        self.checkpoint_info: dict[Path, CheckpointInfo] = {}
        self.extra_checkpoints: list[Path] = []
        self.chosen_checkpoint: Path | None = None  # the user's own pick: a refresh never replaces it
        self._build()
        backend.ready.connect(self._on_backend_ready)
        backend.failed.connect(lambda text: messages.error(self, text))
        self.refresh_checkpoints()

    # -- layout -------------------------------------------------------------------------------
    def _build(self) -> None:
        body = QWidget(self)
        layout = QVBoxLayout(body)
        form = QFormLayout()
        self.model_combo = QComboBox()
        narrow_combo(self.model_combo)
        self.model_combo.currentIndexChanged.connect(self._on_model_changed)
        self.model_combo.activated.connect(self._on_user_choice)
        self.open_button = QPushButton("Open…")
        self.open_button.setToolTip("Open a checkpoint (.pt), or another program's weights (a state_dict, a "
                                    "torchvision .pth): those load into the architecture below, as a new checkpoint")
        self.open_button.clicked.connect(self.open_file)
        form.addRow("Checkpoint", form_row(self.model_combo, self.open_button))
        self.info_label = ReservedLabel(lines=2)  # its space is kept: the buttons below never move
        form.addRow("", self.info_label)
        self.arch_combo = QComboBox()  # from the torch-free catalog: complete on the first frame
        for name, entry in ARCHITECTURES.items():
            self.arch_combo.addItem(name, name)
            self.arch_combo.setItemData(self.arch_combo.count() - 1, entry.description, Qt.ToolTipRole)
        self.arch_combo.setCurrentIndex(self.arch_combo.findData(DEFAULT_ARCH))
        self.new_button = QPushButton("Train new…")
        self.new_button.setToolTip("Train this architecture from scratch in the training dock")
        self.new_button.clicked.connect(self._request_architecture)
        form.addRow("Architecture", form_row(self.arch_combo, self.new_button))
        self.device_combo = QComboBox()
        self.device_combo.addItems(DEVICE_CHOICES)  # every choice, MPS too; the sentence says if one is missing
        self.device_combo.currentTextChanged.connect(self._show_device_sentence)
        form.addRow("Device", self.device_combo)
        self.device_label = ReservedLabel("not checked yet (torch loads on first use)", lines=2)
        form.addRow("", self.device_label)
        layout.addLayout(form)
        self.predict_button = QPushButton("Predict this image")
        self.predict_button.clicked.connect(self.predict_current)
        self.predict_all_button = QPushButton("Predict all")
        self.predict_all_button.clicked.connect(self.predict_all)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        layout.addWidget(form_row(self.predict_button, self.predict_all_button, self.cancel_button))
        self.progress = QProgressBar()
        self.progress.setValue(0)
        self.status_label = ReservedLabel(lines=2)
        layout.addWidget(self.progress)
        layout.addWidget(self.status_label)
        self.rank_combo = QComboBox()
        narrow_combo(self.rank_combo)
        self.rank_combo.setToolTip("Uncertainty score: the share of unsure pixels, or the mean uncertainty")
        for text, mode in RANK_MODES:
            self.rank_combo.addItem(text, mode)
        self.rank_button = QPushButton("Rank by uncertainty")
        self.rank_button.setToolTip("Order the unreviewed images most uncertain first, so you correct the "
                                    "most useful images first; N goes to the next unreviewed one")
        self.rank_button.clicked.connect(self.rank_by_uncertainty)
        layout.addWidget(form_row(self.rank_button, self.rank_combo))
        layout.addStretch(1)
        self.setWidget(body)
        load_backend_on_first_click(body, self.backend)

    # -- checkpoints --------------------------------------------------------------------------
    def refresh_checkpoints(self, select: Path | None = None) -> None:
        """Rebuild the list: project checkpoints (newest first), the demo model, opened files. The selection
        stays on the checkpoint shown (a new run's newer file does not take it over)."""
        current = select or self.selected_checkpoint()
        project = self.host.project()
        paths: list[Path] = project_checkpoints(project) if project is not None else []
        if select is None and current is not None and paths and current not in paths \
                and current not in self.extra_checkpoints and current != self.chosen_checkpoint:
            current = None  # the bundled model was only the fallback: a project's own models come first
        demo = demo_model_path()
        entries = [(f"{p.name} (project)", p) for p in paths]
        if demo.is_file() and demo.name not in {p.name for p in paths}:  # the demo copy has its own
            entries.append(("Demo model (bundled)", demo))
        entries += [(f"{p.name} ({p.parent})", p) for p in self.extra_checkpoints if p not in paths]
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        for text, path in entries:
            self.model_combo.addItem(text, str(path))
        index = self.model_combo.findData(str(current)) if current is not None else -1
        self.model_combo.setCurrentIndex(index if index >= 0 else (0 if entries else -1))
        self.model_combo.blockSignals(False)
        self._on_model_changed()

    def _on_user_choice(self, _index: int) -> None:
        self.chosen_checkpoint = self.selected_checkpoint()

    def selected_checkpoint(self) -> Path | None:
        data = self.model_combo.currentData()
        return Path(data) if data else None

    def select_checkpoint(self, path: Path) -> None:
        """Show `path` in the list (adding it if new) and select it."""
        path = Path(path)
        project = self.host.project()
        # A <name>.last.pt resume file is never in the project list, so one opened by hand stays listed.
        in_project = (project is not None and path.parent.resolve() == project.models_dir.resolve()
                      and not path.name.endswith(".last.pt"))
        if not in_project and path != demo_model_path() and path not in self.extra_checkpoints:
            self.extra_checkpoints.append(path)
        self.checkpoint_info.pop(path, None)  # it may have been rewritten
        self.chosen_checkpoint = path
        self.refresh_checkpoints(select=path)

    def open_file(self) -> None:
        chosen = self.choose_file(self)
        if chosen and looks_like_checkpoint(chosen):
            self.select_checkpoint(Path(chosen))
        elif chosen and self.host.project() is not None and not self.is_busy():
            self._import_weights(chosen, self.arch_combo.currentData(), self.host.project())

    def _import_weights(self, source: str, arch: str, project: Project) -> None:
        """Another program's weights: the tensors that fit `arch` become a new project checkpoint (worker: torch)."""
        def load(_cancel: CancelFlag) -> Any:
            from segmodels.models.foreign_weights import import_weights

            return import_weights(source, arch, project)

        def done(imported: Any) -> None:
            self._after_worker = lambda: (self.select_checkpoint(imported.checkpoint),
                                          self.status_label.setText(imported.sentence))

        self._start(one_call(load), f"Loading {Path(source).name} into {arch}…", on_returned=done)

    def _on_model_changed(self, *_: Any) -> None:
        path = self.selected_checkpoint()
        info = self.checkpoint_info.get(path) if path else None
        self.info_label.setText(self._describe(info) if info else ("" if path else "No checkpoint yet: train one."))
        self._update_buttons()

    def _describe(self, info: CheckpointInfo) -> str:
        if info.matches_project:
            return info.summary()
        return f"{info.summary()}; its classes differ from the project's (fine-tune it to use it here)."

    def _inspect(self, path: Path, then: Callable[[CheckpointInfo], None]) -> None:
        """Read the checkpoint's classes and metrics in a worker, then call `then` on the GUI thread."""
        project = self.host.project()
        if project is None:
            return
        def done(info: CheckpointInfo) -> None:
            self.checkpoint_info[path] = info
            if self.selected_checkpoint() == path:
                self._on_model_changed()
            self._after_worker = lambda: then(info)

        self._start(one_call(lambda _cancel: inspect_checkpoint(path, project.classes)), "Reading checkpoint…",
                    on_returned=done)

    # -- backend ------------------------------------------------------------------------------
    def _on_backend_ready(self, info: Any) -> None:
        self._show_device_sentence()
        self._update_buttons()

    def _show_device_sentence(self, *_: Any) -> None:
        """Where the chosen device runs, or why this machine cannot use it (known once torch is loaded)."""
        info = self.backend.info
        if info is not None:
            self.device_label.setText(info.device_sentence(self.device_combo.currentText()))

    def _request_architecture(self) -> None:
        if not self.backend.is_loaded():
            self.backend.ensure_loaded(lambda info: self._request_architecture())
            return
        name = self.arch_combo.currentData()
        if name:
            self.architecture_requested.emit(name)

    # -- prediction -----------------------------------------------------------------------------
    def is_busy(self) -> bool:
        return self.job.is_busy()

    def predict_current(self) -> None:
        image = self.host.current_image()
        if image is None:
            project = self.host.project()
            empty = project is not None and not project.image_paths()
            messages.info(self, nothing_to_predict(project) if empty else "Open an image first, then predict it.")
            return
        self._predict([image])

    def predict_all(self) -> None:
        project = self.host.project()
        images = project.image_paths() if project is not None else []
        if not images:
            messages.info(self, nothing_to_predict(project) if project is not None else
                          "Open a folder of images first (File > Open…, Ctrl+O), then predict.")
            return
        self._predict(images)

    def _predict(self, images: list[Path]) -> None:
        path = self.selected_checkpoint()
        project = self.host.project()
        if self.is_busy() or project is None:
            return
        self.backend.ensure_loaded()
        if path is None:
            messages.info(self, "There is no checkpoint to predict with yet; train one in the training dock.")
            return
        info = self.checkpoint_info.get(path)
        if info is None:
            self._inspect(path, lambda found: self._predict(images) if found.matches_project
                          else self._offer_fine_tune(found))
            return
        if not info.matches_project:
            self._offer_fine_tune(info)
            return
        device = self.device_combo.currentText()
        self.progress.setRange(0, len(images))
        self.progress.setValue(0)
        # winds_down: on Cancel predict_job stops between batches and *returns* its summary.
        self._start(lambda cancel: predict_job(path, project, images, device, cancel),
                    f"Predicting {len(images)} image(s)…", on_yielded=self._on_predicted,
                    on_returned=self._on_predictions_done, progress_of=lambda done: (done.index, done.total),
                    winds_down=True)

    def _offer_fine_tune(self, info: CheckpointInfo) -> None:
        project = self.host.project()
        wanted = ", ".join(project.classes.names) if project is not None else "?"
        text = (f"Checkpoint '{info.path.name}' predicts {len(info.class_names)} classes "
                f"({', '.join(info.class_names)}) but this project has {wanted}. "
                "Fine-tune it on this project's labels with a new head?")
        if messages.ask(self, text) is messages.Answer.YES:
            self.fine_tune_requested.emit(info.path)

    def _on_predicted(self, done: PredictionDone) -> None:
        if done.error is None:
            self.host.prediction_written(done.image)

    def _on_predictions_done(self, summary: Any) -> None:
        if summary.cancelled:
            self.status_label.setText(f"Cancelled after {summary.done} image(s).")
        else:
            self.status_label.setText(f"Predicted {summary.done} image(s) on {summary.device_reason}.")
        if summary.device_reason:
            self.device_label.setText(summary.device_reason)
        if summary.skipped:
            shown = "\n".join(summary.skipped[:5])
            more = f"\n…and {len(summary.skipped) - 5} more." if len(summary.skipped) > 5 else ""
            messages.warning(self, f"{len(summary.skipped)} image(s) were skipped:\n{shown}{more}")
        # Announced once the dock is idle again, so a listener can start the next job at once.
        self._after_worker = lambda: self.predictions_finished.emit(summary)

    def cancel(self) -> None:
        if self.job.is_busy():
            self.job.cancel()
            self.status_label.setText("Cancelling…")

    # -- ranking ------------------------------------------------------------------------------
    def rank_by_uncertainty(self) -> None:
        project = self.host.project()
        if project is None or self.is_busy():
            return
        mode = self.rank_combo.currentData()

        def rank(_cancel: CancelFlag) -> tuple[list[Path], list[Path], dict[Path, float]]:
            todo = unreviewed_images(project)  # reviewed images need no correction: never ranked
            return project.image_paths(), todo, confidence_scores(project, todo, mode)

        self._start(one_call(rank), "Ranking by uncertainty…",
                    on_returned=lambda ranked: self._apply_ranking(*ranked, mode))

    def _apply_ranking(self, images: list[Path], todo: list[Path], scores: dict[Path, float],
                       mode: RankingMode) -> None:
        if not todo:
            self.status_label.setText("Every image is reviewed: nothing to rank.")
            return
        if not scores:
            messages.info(self, "No unreviewed image has a confidence map yet: predict first, then rank.")
            return
        reviewed = set(images) - set(todo)
        self.host.set_image_order(review_order(images, scores, reviewed),
                                  {path: score_text(score, mode) for path, score in scores.items()})
        if len(scores) > 1 and not separates(scores):  # says so, rather than "ranked" over an order that means nothing
            messages.info(self, f"All {len(scores)} unreviewed image(s) with a prediction scored the same "
                                f"({score_text(next(iter(scores.values())), mode)}), so the ranking cannot tell "
                                "them apart; try the other score.")
            self.status_label.setText("Ranking: every score is the same.")
            return
        self.status_label.setText(f"Ranked {len(scores)} unreviewed image(s), most uncertain first "
                                  f"(scores in the image list); N opens the next unreviewed image.")

    # -- job plumbing -------------------------------------------------------------------------
    def _start(self, make_generator: Callable[[CancelFlag], Iterator[Any]], status: str, **callbacks: Any) -> None:
        self.status_label.setText(status)
        self.job.start(make_generator, on_errored=self._on_error, on_finished=self._on_worker_finished, **callbacks)
        self._update_buttons()

    def _on_error(self, text: str) -> None:
        self.status_label.setText("Failed.")
        messages.error(self, text)

    def _on_worker_finished(self) -> None:
        self._update_buttons()
        after, self._after_worker = self._after_worker, None
        if after is not None:
            after()

    def _update_buttons(self) -> None:
        busy = self.is_busy()
        has_model = self.selected_checkpoint() is not None
        self.predict_button.setEnabled(not busy and has_model)
        self.predict_all_button.setEnabled(not busy and has_model)
        self.rank_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.model_combo.setEnabled(not busy)
        self.open_button.setEnabled(not busy)
