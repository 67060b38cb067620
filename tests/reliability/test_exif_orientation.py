"""Issue 13, item 16: a photo's EXIF orientation is honoured wherever an image is read.

The planted case is a phone JPEG with Orientation 6, which every viewer and `cv2.imread` show turned
a quarter clockwise. segstudio used to show and label it as stored, so a label made in the window
did not line up with the image other tools read. Each test builds an asymmetric picture (a gradient
that no flip or turn maps onto itself, plus a blue band along the stored bottom edge, which is the
upright left edge for orientation 6), so a wrong or missing turn changes the pixels compared.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from segmodels.labels import imageio
from segmodels.labels.classes import ClassTable
from segmodels.labels.imageio import image_size, read_image
from segmodels.labels.labelio import read_label_png
from segmodels.labels.project import Project

BAND = 8               # rows of blue along the stored bottom edge
SQUARE = (64, 64)      # (height, width) as stored
WIDE = (48, 80)
ROTATED = "rotated upright by its EXIF orientation (6)"


def picture(height: int, width: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x * 255 // (width - 1), y * 200 // (height - 1), np.full_like(x, 40)], axis=-1)
    rgb = rgb.astype(np.uint8)
    rgb[-BAND:] = (0, 0, 255)
    return rgb


def save(path: Path, size: tuple[int, int], orientation: int, **options) -> Path:
    exif = Image.Exif()
    exif[0x0112] = orientation
    if path.suffix == ".jpg":
        options.setdefault("quality", 95)
    Image.fromarray(picture(*size)).save(path, exif=exif, **options)
    return path


def by_pillow(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(ImageOps.exif_transpose(image).convert("RGB"))


def by_opencv(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)  # honours the orientation unless told to ignore it
    assert bgr is not None
    return np.ascontiguousarray(bgr[:, :, ::-1])


def agreement(a: np.ndarray, b: np.ndarray) -> float:
    """The share of pixels whose colours differ by at most 24 in every channel."""
    if a.shape != b.shape:
        return 0.0
    return float((np.abs(a.astype(int) - b.astype(int)).max(axis=2) <= 24).mean())


# -- the planted case, and reading ---------------------------------------------------------------
def test_planted_square_phone_jpeg_reads_as_every_viewer_shows_it(tmp_path):
    path = save(tmp_path / "phone.jpg", SQUARE, 6)
    opencv = by_opencv(path)
    with Image.open(path) as stored:
        as_stored = np.asarray(stored.convert("RGB"))
    assert agreement(as_stored, opencv) < 0.8  # what segstudio showed before: the picture is asymmetric
    loaded = read_image(path)
    assert np.array_equal(loaded.rgb, by_pillow(path))
    assert agreement(loaded.rgb, opencv) == 1.0 and np.abs(loaded.rgb.astype(int) - opencv).mean() < 1
    assert loaded.conversions == (ROTATED,) and loaded.orientation == 6
    assert image_size(path) == (64, 64)


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".webp"])
@pytest.mark.parametrize("size", [SQUARE, WIDE])
@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_pixels_and_header_size_agree_with_pillow_and_opencv(tmp_path, orientation, size, suffix):
    options = {"lossless": True} if suffix == ".webp" else {}
    path = save(tmp_path / f"photo{suffix}", size, orientation, **options)
    loaded = read_image(path)
    upright = size[::-1] if orientation in (6, 8) else size
    assert loaded.size == upright == image_size(path)
    assert np.array_equal(loaded.rgb, by_pillow(path))
    assert agreement(loaded.rgb, by_opencv(path)) > 0.99
    assert f"by its EXIF orientation ({orientation})" in loaded.conversions[0]


def test_tiff_size_from_the_header_is_not_turned_twice(tmp_path):
    # Pillow's TIFF reader already reports the upright size in the header (and turns as it decodes).
    path = save(tmp_path / "scan.tif", WIDE, 6)
    loaded = read_image(path)
    assert image_size(path) == loaded.size == (80, 48)
    assert np.array_equal(loaded.rgb, by_pillow(path)) and loaded.conversions == (ROTATED,)


@pytest.mark.parametrize("value", [0, 9, 1])
def test_no_or_invalid_orientation_reads_as_stored(tmp_path, value):
    path = save(tmp_path / "odd.png", WIDE, value)
    loaded = read_image(path)
    assert np.array_equal(loaded.rgb, picture(*WIDE)) and loaded.conversions == ()
    assert image_size(path) == WIDE and np.array_equal(loaded.rgb, by_pillow(path))


def test_large_png_with_exif_leaves_the_fast_opencv_path(tmp_path, monkeypatch):
    monkeypatch.setattr(imageio, "FAST_PNG_MIN_PIXELS", 0)  # every PNG counts as large
    plain = save(tmp_path / "plain.png", WIDE, 1)
    assert imageio._read_large_plain_png(plain) is not None  # the fast path is still taken
    turned = save(tmp_path / "turned.png", WIDE, 6)
    assert imageio._read_large_plain_png(turned) is None
    loaded = read_image(turned)
    assert np.array_equal(loaded.rgb, by_opencv(turned))  # PNG is lossless: both readers give the same pixels
    assert loaded.size == image_size(turned) == (80, 48) and loaded.conversions == (ROTATED,)


def test_thumbnails_are_upright(qapp, tmp_path):
    from app.docks.image_list import thumbnails

    path = save(tmp_path / "phone.jpg", WIDE, 6)
    [(_, thumbnail)] = list(thumbnails([path], lambda: False))
    assert thumbnail.width() < thumbnail.height()  # stored 80 wide, 48 high
    left, right = thumbnail.pixelColor(0, thumbnail.height() // 2), thumbnail.pixelColor(thumbnail.width() - 1, 0)
    assert left.blue() > 200 and left.red() < 60 and right.blue() < 120  # the band is on the left


# -- the window ------------------------------------------------------------------------------------
def phone_project(root: Path, size: tuple[int, int] = WIDE) -> tuple[Project, Path]:
    project = Project.create(root, ClassTable.from_names(["background", "band"]))
    return project, save(project.images_dir / "phone.jpg", size, 6)


@pytest.mark.parametrize("size", [SQUARE, WIDE])
def test_a_label_made_in_the_window_lines_up_with_pillow_and_opencv(qtbot, messages, tmp_path, size):
    from app.document.label_document import LabelDocument

    project, path = phone_project(tmp_path / "p", size)
    notes: list[str] = []
    document = LabelDocument()
    document.status_message.connect(notes.append)
    document.open_project(project)
    assert document.image_path == path
    assert np.array_equal(document.image, by_pillow(path))
    assert any("phone.jpg" in note and ROTATED in note for note in notes), notes
    height, width = document.image.shape[:2]
    stroke = document.begin_stroke("Brush")
    stroke.paint(0, 0, np.ones((height, BAND), bool), 1)  # the left edge of what the window shows
    stroke.finish()
    assert document.save()
    label = read_label_png(project.label_path(path))
    for reader in (by_pillow, by_opencv):
        image = reader(path)
        assert label.shape == image.shape[:2] == size[::-1]
        blue = image[..., 2].astype(int) - image[..., :2].max(axis=2) > 100  # JPEG blurs the band's edge a little
        assert blue[label == 1].mean() > 0.95 and (label[blue] == 1).mean() > 0.95


def test_a_label_made_for_the_stored_pixels_is_one_clear_sentence_in_the_window(qtbot, messages, tmp_path):
    from app.document.label_document import LabelDocument

    project, path = phone_project(tmp_path / "p")
    project.write_label(path, np.zeros(WIDE, np.uint8))  # 80 wide, 48 high: made before this fix
    errors: list[str] = []
    document = LabelDocument()
    document.error.connect(errors.append)
    document.open_project(project)
    assert document.image.shape[:2] == (80, 48) and (document.label_map == 255).all()
    [sentence] = errors
    assert "phone.png" in sentence and "\n" not in sentence
    assert "is 80x48 but the image is 48x80 once turned upright by its EXIF orientation (6)" in sentence


# -- the CLI and training --------------------------------------------------------------------------
def run_cli(capsys, *argv) -> tuple[int, str, str]:
    from segmodels.cli import main

    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_predict_writes_an_upright_prediction_and_reports_the_turn(capsys, tmp_path):
    from support.models import random_checkpoint

    project, path = phone_project(tmp_path / "p")
    model = random_checkpoint(tmp_path / "model.pt", project.classes)
    code, out, err = run_cli(capsys, "predict", project.root, "--model", model, "--device", "cpu",
                             "--num-workers", "0")
    assert code == 0, (out, err)
    assert read_label_png(project.prediction_path(path)).shape == (80, 48)
    [line] = [line for line in err.splitlines() if "phone.jpg" in line]
    assert ROTATED in line


def test_validate_accepts_an_upright_label_and_names_a_stored_size_one(capsys, tmp_path):
    project, path = phone_project(tmp_path / "p")
    project.write_label(path, np.zeros((80, 48), np.uint8))
    code, out, err = run_cli(capsys, "validate", project.root)
    assert code == 0, (out, err)
    project.write_label(path, np.zeros(WIDE, np.uint8))
    code, out, err = run_cli(capsys, "validate", project.root)
    assert code == 1 and "Traceback" not in out + err
    [line] = [line for line in out.splitlines() if "phone.png" in line]
    assert line.endswith("Label is 80x48 but its image 'phone.jpg' is 48x80 (width x height) once turned "
                         "upright by its EXIF orientation (6).")


def test_export_overlays_the_label_on_the_upright_image(capsys, tmp_path):
    from segmodels.labels.blend import blend

    project, path = phone_project(tmp_path / "p")
    label = np.zeros((80, 48), np.uint8)
    label[:, :BAND] = 1
    project.write_label(path, label)
    code, out, err = run_cli(capsys, "export", project.root, "--format", "overlay", "--out", tmp_path / "out")
    assert code == 0, (out, err)
    exported = np.asarray(Image.open(tmp_path / "out" / "phone.png").convert("RGB"))
    assert np.array_equal(exported, blend(by_pillow(path), label, project.classes, 0.5))
    project.write_label(path, np.zeros(WIDE, np.uint8))
    code, out, err = run_cli(capsys, "export", project.root, "--format", "overlay", "--out", tmp_path / "out2")
    assert code == 1
    [line] = [line for line in err.splitlines() if "phone.png" in line]
    assert "but its image is 48x80 once turned upright by its EXIF orientation (6)." in line


def test_training_pairs_the_upright_image_with_its_label(tmp_path):
    from segmodels.training.dataset import LabelledImages

    project, path = phone_project(tmp_path / "p")
    label = np.zeros((80, 48), np.uint8)
    label[:, :BAND] = 1
    project.write_label(path, label)
    for cache in (True, False):
        data = LabelledImages(project, [path], cache=cache)
        image, label_map = data[0]
        assert tuple(image.shape) == (3, 80, 48) and np.array_equal(label_map.numpy(), label)
        assert np.array_equal(image.numpy().transpose(1, 2, 0), by_pillow(path))
        assert data.sizes() == {(80, 48)}
    project.write_label(path, np.zeros(WIDE, np.uint8))
    data = LabelledImages(project, [path], cache=True)
    assert len(data) == 0
    assert "once turned upright by its EXIF orientation (6)" in data.skipped[path]
