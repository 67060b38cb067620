"""Large images load in a worker: the window stays responsive, a newer request wins, edits are kept,
nothing can be painted until the new image is in, and failures still name the file."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QApplication

import app.document.loading
from app.document.label_document import LabelDocument
from app.jobs.pools import Pool, pool
from app.window.main_window import MainWindow
from segmodels.labels.pyramid import half_size
from support.projects import HEIGHT, WIDTH, make_project


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "proj", count=3, labelled=1, predicted=1)


@pytest.fixture
def every_image_is_large(monkeypatch):
    """The worker path for the small test images (it is what an 8192 x 8192 image takes)."""
    monkeypatch.setattr(app.document.loading, "ASYNC_MIN_PIXELS", 0)


@pytest.fixture
def document(qtbot, project, messages, every_image_is_large):
    document = LabelDocument()
    document.open_project(project)
    qtbot.waitUntil(lambda: document.image_path is not None and not document.is_loading, timeout=5000)
    yield document
    drain_workers()


def drain_workers() -> None:
    """Let every loader finish and deliver its (possibly superseded) result."""
    pool(Pool.IMAGES).waitForDone(5000)
    QApplication.processEvents()


def test_large_image_loads_in_a_worker_and_cannot_be_painted_meanwhile(document, project, qtbot):
    first, second = project.image_paths()[:2]
    states = []
    document.loading_changed.connect(states.append)
    assert document.request_image(second)
    assert document.is_loading and document.loading_path == second
    assert document.image_path == first  # the shown image stays until the new one is ready
    assert document.begin_stroke("Brush") is None
    qtbot.waitUntil(lambda: not document.is_loading, timeout=5000)
    assert states == [second, None]
    assert document.image_path == second and document.image.shape == (HEIGHT, WIDTH, 3)
    assert (document.label_map == 255).all() and document.prediction_at(3, 3) == 2
    assert document.begin_stroke("Brush") is not None


def test_a_newer_request_supersedes_an_older_one(document, project, qtbot):
    images = project.image_paths()
    shown = []
    document.image_changed.connect(lambda: shown.append(document.image_path))
    document.request_image(images[1])
    document.request_image(images[2])
    qtbot.waitUntil(lambda: not document.is_loading, timeout=5000)
    drain_workers()
    assert shown == [images[2]] and document.image_path == images[2]


def test_edits_and_a_stroke_in_progress_survive_switching(document, project, qtbot):
    first, second = project.image_paths()[:2]
    stroke = document.begin_stroke("Brush")
    stroke.paint(2, 3, np.ones((2, 2), bool), 2)
    document.request_image(second)  # commits the stroke as one undo step of the first image
    qtbot.waitUntil(lambda: not document.is_loading, timeout=5000)
    assert document.unsaved_images() == [first]
    kept = document.label_map_of(first)
    assert (kept[2:4, 3:5] == 2).all() and kept[0, 0] == 1
    document.request_image(first)
    qtbot.waitUntil(lambda: document.image_path == first and not document.is_loading, timeout=5000)
    assert document.label_at(2, 3) == 2 and document.undo_stack.count() == 1


def test_unreadable_large_image_is_reported_and_the_shown_image_stays(document, project, qtbot, messages):
    first = project.image_paths()[0]
    broken = project.images_dir / "img_9.png"
    data = first.read_bytes()
    broken.write_bytes(data[: len(data) // 2])  # a valid header, then the file ends
    failed, errors = [], []
    document.image_failed.connect(lambda path, sentence: failed.append((path, sentence)))
    document.error.connect(errors.append)
    assert document.request_image(broken)
    qtbot.waitUntil(lambda: not document.is_loading, timeout=5000)
    assert failed and failed[0][0] == broken and "img_9.png" in failed[0][1]
    assert any("img_9.png" in text for text in errors)
    assert document.image_path == first and document.begin_stroke("Brush") is not None


def test_the_worker_builds_the_zoom_levels(tmp_path, qtbot, messages, every_image_is_large):
    project = make_project(tmp_path / "big", count=1, labelled=0)
    image = project.image_paths()[0]
    rgb = np.random.default_rng(1).integers(0, 255, (1030, 1100, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(image)
    window = MainWindow()
    qtbot.addWidget(window)
    window.open_path(project.root)
    document = window.document
    qtbot.waitUntil(lambda: document.image_path == image and not document.is_loading, timeout=5000)
    assert [level.shape for level in document.image_pyramid] == [(515, 550, 3), (257, 275, 3)]
    levels = window.canvas.image_layer.levels
    assert levels[1].array is document.image_pyramid[0]  # used as made, not rebuilt
    np.testing.assert_array_equal(levels[2].array, half_size(half_size(rgb)))
    window.image_list.cancel_thumbnails()


def test_the_worker_builds_the_class_levels_and_edits_make_them_stale(tmp_path, qtbot, messages,
                                                                      every_image_is_large):
    from app.canvas.layers import IndexedLayer

    project = make_project(tmp_path / "big", count=2, labelled=0)
    first, second = project.image_paths()
    for image in (first, second):
        Image.fromarray(np.zeros((1030, 1100, 3), np.uint8)).save(image)
    labels = np.full((1030, 1100), 255, np.uint8)
    labels[:, 501] = 1  # one pixel wide: must show in every level
    project.write_label(first, labels)
    window = MainWindow()
    qtbot.addWidget(window)
    window.open_path(first)
    document = window.document
    qtbot.waitUntil(lambda: document.image_path == first and not document.is_loading, timeout=5000)
    layer = window.canvas.label_layer
    assert layer._levels[1] is not None and layer._levels[2] is not None  # handed in, not built lazily
    rebuilt = IndexedLayer()
    rebuilt.set_array(document.label_map.copy())
    for made, fresh in zip(layer.levels, rebuilt.levels, strict=False):
        np.testing.assert_array_equal(made.array, fresh.array)
    assert (layer.levels[2].array[:, 501 // 4] == 1).all()
    assert document.take_levels(document.label_map) == []  # handed out once

    # Unsaved edits in memory win over the file: levels made from the file must not be used.
    document.apply_mask(0, 0, np.ones((40, 40), bool), 1, "Fill")
    document.request_image(second)
    qtbot.waitUntil(lambda: document.image_path == second and not document.is_loading, timeout=5000)
    document.request_image(first)
    qtbot.waitUntil(lambda: document.image_path == first and not document.is_loading, timeout=5000)
    assert (document.label_map[:40, :40] == 1).all()
    assert (layer.levels[1].array[:20, :20] == 1).all()  # built from the edited map
    window.image_list.cancel_thumbnails()


def test_image_list_shows_loading_in_the_status_bar(qtbot, project, messages, every_image_is_large):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.open_path(project.root)
    document = window.document
    qtbot.waitUntil(lambda: document.image_path is not None and not document.is_loading, timeout=5000)
    window.image_list.list_widget.setCurrentRow(1)
    assert window.statusBar().currentMessage() == "Loading img_1.png…"
    qtbot.waitUntil(lambda: document.image_path == project.image_paths()[1], timeout=5000)
    assert not window.statusBar().currentMessage().startswith("Loading")
    window.image_list.cancel_thumbnails()
    drain_workers()


@pytest.mark.parametrize("shape", [(300, 420, 3), (300, 420)])
def test_large_png_read_by_opencv_matches_pillow(tmp_path, monkeypatch, shape):
    import segmodels.labels.imageio as imageio

    pixels = np.random.default_rng(2).integers(0, 255, shape, dtype=np.uint8)
    path = tmp_path / "big.png"
    Image.fromarray(pixels).save(path, compress_level=1)
    by_pillow = imageio.read_image(path)  # under FAST_PNG_MIN_PIXELS: Pillow
    monkeypatch.setattr(imageio, "FAST_PNG_MIN_PIXELS", 0)
    assert imageio._read_large_plain_png(path) is not None  # the OpenCV path is taken
    by_opencv = imageio.read_image(path)
    np.testing.assert_array_equal(by_opencv.rgb, by_pillow.rgb)
    assert (by_opencv.conversions, by_opencv.source_mode) == (by_pillow.conversions, by_pillow.source_mode)
    assert by_opencv.rgb.flags.writeable
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(imageio.SegError, match="big.png.*truncated or corrupt"):
        imageio.read_image(path)


def test_a_label_edit_drops_only_the_label_maps_levels(tmp_path, qtbot, messages, every_image_is_large):
    project = make_project(tmp_path / "big", count=1, labelled=0)
    image = project.image_paths()[0]
    Image.fromarray(np.zeros((1030, 1100, 3), np.uint8)).save(image)
    project.write_label(image, np.zeros((1030, 1100), np.uint8))
    project.write_prediction(image, np.ones((1030, 1100), np.uint8))
    document = LabelDocument()
    document.open_project(project)
    qtbot.waitUntil(lambda: document.image_path == image and not document.is_loading, timeout=5000)
    document.apply_mask(0, 0, np.ones((4, 4), bool), 1, "Fill")
    assert document.take_levels(document.label_map) == []      # stale after the edit
    prediction_levels = document.take_levels(document.prediction)
    assert len(prediction_levels) == 2 and (prediction_levels[0] == 1).all()  # still valid: kept
    drain_workers()
