"""The window on projects of grey, colour and one-hot labels: listed as reviewed, shown with their
indices, and saved back in their own encoding (grey stays mode L, colour RGB, one-hot its array)."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from PIL import Image

from app.window.main_window import MainWindow
from segmodels.constants import IGNORE_INDEX
from segmodels.labels.classes import ClassTable
from segmodels.labels.project import ImageStatus

CLASSES = ClassTable.from_names(["background", "cat", "dog"])
H, W = 24, 32


def label(seed: int) -> np.ndarray:
    label_map = np.random.default_rng(seed).integers(0, 3, (H, W), dtype=np.uint8)
    label_map[0, :4] = IGNORE_INDEX
    return label_map


def write_stored(path, label_map: np.ndarray, encoding: str) -> None:
    """A label as the dataset's own tool writes it."""
    if encoding == "grey":
        Image.fromarray(label_map, mode="L").save(path.with_suffix(".png"))
    elif encoding == "color":
        Image.fromarray(CLASSES.palette()[label_map]).save(path.with_suffix(".png"))
    else:  # labelme's SegmentationClassNpy: int32, -1 = unlabelled
        np.save(path.with_suffix(".npy"), np.where(label_map == IGNORE_INDEX, -1, label_map.astype(np.int32)))


def read_stored(path, encoding: str) -> np.ndarray:
    if encoding == "grey":
        assert Image.open(path).mode == "L"
        return cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)  # what mmseg / albumentations pipelines read
    if encoding == "color":
        rgb = np.array(Image.open(path))
        assert rgb.ndim == 3 and rgb.shape[2] == 3
        lookup = {tuple(int(v) for v in c): i for i, c in enumerate(CLASSES.colors())}
        lookup[(224, 224, 192)] = IGNORE_INDEX
        return np.array([[lookup[tuple(int(v) for v in p)] for p in row] for row in rgb], np.uint8)
    stored = np.load(path)
    assert stored.dtype == np.int32 and stored.shape == (H, W)
    return np.where(stored == -1, IGNORE_INDEX, stored).astype(np.uint8)


def dataset(root, encoding: str, *, project_file: bool = True):
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    for index in range(3):
        Image.fromarray(np.full((H, W, 3), 40 * index, np.uint8)).save(root / "images" / f"im_{index}.png")
    for index in range(2):
        write_stored(root / "labels" / f"im_{index}", label(index), encoding)
    if project_file:
        (root / "segstudio.json").write_text(json.dumps({"version": 1, "classes": CLASSES.to_json(),
                                                         "label_encoding": encoding}))
    return root


@pytest.fixture
def open_window(qtbot, messages):
    windows = []

    def opened(root):
        window = MainWindow()
        qtbot.addWidget(window)
        assert window.open_path(root)
        windows.append(window)
        return window

    yield opened
    for window in windows:
        window.image_list.cancel_thumbnails()


def save(qtbot, document) -> None:
    with qtbot.waitSignal(document.image_saved):
        assert document.save()


@pytest.mark.parametrize("encoding", ["grey", "color", "onehot"])
def test_paint_and_save_keeps_the_encoding(qtbot, tmp_path, open_window, messages, encoding):
    root = dataset(tmp_path / encoding, encoding)
    window = open_window(root)
    document, images = window.document, window.image_list.paths()
    assert [window.image_list.status(p) for p in images] == [ImageStatus.REVIEWED] * 2 + [ImageStatus.UNLABELLED]
    assert np.array_equal(document.label_map, label(0))  # shown with its indices, nothing replaced
    document.apply_mask(4, 6, np.ones((5, 7), bool), 2, "Fill")
    expected = document.label_map.copy()
    save(qtbot, document)
    label_file = document.project.label_path(images[0])
    assert np.array_equal(read_stored(label_file, encoding), expected)
    assert not (root / ".segstudio-recovery" / "replaced").exists()  # nothing needed keeping
    # A new label for the unlabelled image is stored like the others, and the list marks it reviewed.
    assert document.open_image(images[2])
    document.apply_mask(0, 0, np.ones((H, W), bool), 1, "Fill")
    save(qtbot, document)
    new_file = document.project.label_path(images[2])
    assert new_file.suffix == (".npy" if encoding == "onehot" else ".png")
    assert (read_stored(new_file, encoding) == 1).all()
    window.image_list.refresh_statuses()
    assert window.image_list.status(images[2]) is ImageStatus.REVIEWED
    assert not [text for kind, text in messages.shown if kind == "error"]


def test_plain_folder_of_grey_labels_records_grey_on_first_save(qtbot, tmp_path, open_window):
    root = dataset(tmp_path / "plain", "grey", project_file=False)
    window = open_window(root)
    document = window.document
    # The folder's labels use classes beyond segstudio's 2 default ones: saving refuses them until the
    # table has them (issue 15, item 2), so the user adds the classes first, as a new user would.
    assert document.set_classes(CLASSES)
    assert json.loads((root / "segstudio.json").read_text())["label_encoding"] == "grey"
    document.apply_mask(2, 2, np.ones((3, 3), bool), 1, "Fill")
    expected = document.label_map.copy()
    save(qtbot, document)
    assert np.array_equal(read_stored(root / "labels" / "im_0.png", "grey"), expected)


@pytest.mark.parametrize("encoding", ["grey", "onehot"])
def test_save_labels_as_writes_the_projects_encoding(qtbot, tmp_path, open_window, messages, encoding):
    from app.window.save_as_command import save_labels_as

    window = open_window(dataset(tmp_path / encoding, encoding))
    window.document.apply_mask(1, 1, np.ones((4, 4), bool), 2, "Fill")
    out = tmp_path / "elsewhere"
    out.mkdir()
    messages.folders.append(out)
    assert save_labels_as(window)
    written = out / ("im_0.png" if encoding == "grey" else "im_0.npy")
    assert np.array_equal(read_stored(written, encoding), window.document.label_map)
