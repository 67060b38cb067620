"""The human-in-the-loop cycle, end to end through the real window (offscreen):

1. train a weak model from the training dock and predict every image from the model dock;
2. "correct" images through the GUI's own actions: open the image from the image list, Accept
   prediction, paint the wrong pixels with brush strokes (the document's stroke API, as the brush
   tool uses it), Save;
3. fine-tune from the training dock on the corrected labels;
4. predict again: the mIoU against ground truth on images never corrected must rise;
5. the project validates; 6. export writes palette PNGs.

Ground truth is moved out of the project before the window opens and only comes back as strokes.
"""
from __future__ import annotations

import shutil

import numpy as np
import pytest
from PIL import Image

from app.window.label_wiring import install_label_docks, open_export_dialog
from app.window.main_window import MainWindow
from app.window.model_wiring import install_model_docks
from segmodels.labels.labelio import read_label_png
from segmodels.training.metrics import SegMetrics, confusion_matrix

WAIT_MS = 120_000  # a wait, not a speed test: a loaded 2-core machine trains this in 20-60 s
IMAGES = 60
START_REVIEWED = 8     # labelled before the session starts
CORRECTED = range(8, 48)
HELD_OUT = range(48, 60)

pytestmark = pytest.mark.slow


def held_out_scores(project, truth_dir) -> tuple[float, float]:
    """(mIoU over the 11 classes, IoU of "digit" vs background) on the images nobody corrected."""
    images = project.image_paths()
    classes, digit = None, None
    for index in HELD_OUT:
        image = images[index]
        truth = read_label_png(truth_dir / f"{image.stem}.png")
        prediction = project.read_prediction(image)
        matrix = confusion_matrix(truth, prediction, len(project.classes))
        binary = confusion_matrix((truth > 0).astype(np.uint8), (prediction > 0).astype(np.uint8), 2)
        classes = matrix if classes is None else classes + matrix
        digit = binary if digit is None else digit + binary
    return SegMetrics.from_confusion(classes).miou, SegMetrics.from_confusion(digit).per_class_iou[1]


def train(qtbot, docks, *, epochs: int, lr: float, batch_size: int):
    training = docks.training
    training.epochs_spin.setValue(epochs)
    training.lr_spin.setValue(lr)
    training.batch_spin.setValue(batch_size)
    training.augment_check.setChecked(False)
    training.device_combo.setCurrentText("cpu")
    with qtbot.waitSignal(training.training_finished, timeout=WAIT_MS):
        training.start_button.click()
    assert training.outcome is not None and training.outcome.failure is None, training.status_label.text()
    return training.outcome.checkpoint


def predict_all(qtbot, docks):
    with qtbot.waitSignal(docks.model.predictions_finished, timeout=WAIT_MS):
        docks.model.predict_all_button.click()


def correct(qtbot, window, image, truth: np.ndarray) -> None:
    """Open `image` from the list, accept the prediction, stroke the wrong pixels, save."""
    image_list = window.image_list
    image_list.list_widget.setCurrentRow(image_list.paths().index(image))
    assert window.document.image_path == image
    window.actions_by_name["accept_prediction"].trigger()
    document = window.document
    stroke = document.begin_stroke("Brush")
    wrong = document.label_map != truth
    for value in np.unique(truth[wrong]):
        ys, xs = np.nonzero(wrong & (truth == value))
        y0, x0 = ys.min(), xs.min()
        mask = np.zeros((ys.max() - y0 + 1, xs.max() - x0 + 1), bool)
        mask[ys - y0, xs - x0] = True
        stroke.paint(int(y0), int(x0), mask, int(value))
    stroke.finish()
    assert np.array_equal(document.label_map, truth)
    window.actions_by_name["save"].trigger()
    assert not document.is_dirty


def test_predict_correct_train_predict_improves(qtbot, tmp_path, messages):
    import torch

    from segmodels.demo import write_demo_project

    torch.set_num_threads(1)  # 2 threads on 2 busy cores is ten times slower (OpenMP spinning)
    project = write_demo_project(tmp_path / "demo", count=IMAGES)
    truth_dir = tmp_path / "truth"
    truth_dir.mkdir()
    for index, image in enumerate(project.image_paths()):
        if index >= START_REVIEWED:
            shutil.move(project.label_path(image), truth_dir / f"{image.stem}.png")
    window = MainWindow()
    qtbot.addWidget(window)
    docks = install_model_docks(window)
    install_label_docks(window)
    assert window.open_path(project.root)
    images = project.image_paths()

    # 1. a weak model, trained for a few steps on the few reviewed labels, predicts everything
    weak = train(qtbot, docks, epochs=1, lr=1e-3, batch_size=8)
    assert docks.model.selected_checkpoint() == weak
    predict_all(qtbot, docks)
    assert all(project.prediction_path(image).is_file() for image in images)
    before, digit_before = held_out_scores(project, truth_dir)

    # 2. correct images through the GUI
    for index in CORRECTED:
        correct(qtbot, window, images[index], read_label_png(truth_dir / f"{images[index].stem}.png"))
    assert len(project.labelled_images()) == START_REVIEWED + len(CORRECTED)

    # 3. fine-tune the weak model on the corrections
    docks.training.set_fine_tune(weak)
    better = train(qtbot, docks, epochs=25, lr=1e-2, batch_size=8)
    assert docks.model.selected_checkpoint() == better and better.with_suffix(".json").is_file()

    # 4. predict again: better masks on images nobody corrected
    predict_all(qtbot, docks)
    after, digit_after = held_out_scores(project, truth_dir)
    print(f"held-out mIoU {before:.3f} -> {after:.3f}; digit-vs-background IoU {digit_before:.3f} -> {digit_after:.3f}")
    # The tiny FCN, trained for seconds on 48 images, learns where the digits are (here 0.04 -> 0.5
    # digit IoU) and only begins to tell them apart (mIoU 0.005 -> 0.10): thresholds leave margin.
    assert after > before + 0.05, (before, after)
    assert digit_after > digit_before + 0.25, (digit_before, digit_after)

    # 5. the labels validate (File > Validate project); 6. export writes palette PNGs (the dialog)
    validation = window.label_docks.validation
    with qtbot.waitSignal(validation.validation_finished, timeout=WAIT_MS):
        window.actions_by_name["validate"].trigger()
    assert len(validation.results) == START_REVIEWED + len(CORRECTED)
    assert not any(result.problems for result in validation.results)
    assert "all valid" in validation.summary.text()
    dialog = open_export_dialog(window)
    qtbot.addWidget(dialog)
    out = tmp_path / "export"
    dialog.folder_edit.setText(str(out))
    dialog.set_export_format("palette")
    with qtbot.waitSignal(dialog.export_finished, timeout=WAIT_MS):
        dialog.export_button.click()
    exported = sorted(out.glob("*.png"))
    assert len(exported) == START_REVIEWED + len(CORRECTED)
    with Image.open(exported[-1]) as handle:
        assert handle.mode == "P"
        assert np.array_equal(np.asarray(handle), read_label_png(truth_dir / exported[-1].name))
    assert not messages.texts("error"), messages.shown
    docks.shutdown()
