"""Export: palette, colour and overlay PNGs, one per labelled image, named by stem, written atomically."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from segmodels.errors import SegError
from segmodels.labels.blend import blend
from segmodels.labels.classes import voc_classes
from segmodels.labels.export import iter_export
from segmodels.labels.labelio import read_label_palette, read_label_png
from segmodels.labels.project import Project
from support.labels import clean_label, save_rgb


@pytest.fixture()
def project(tmp_path):
    project = Project.create(tmp_path / "proj ü", voc_classes())
    for index, name in enumerate(["a b.jpg", "c.png", "unlabelled.png"]):
        save_rgb(project.images_dir / name, seed=index)
    project.write_label(project.images_dir / "a b.jpg", clean_label(seed=1))
    project.write_label(project.images_dir / "c.png", clean_label(seed=2))
    project.write_prediction(project.images_dir / "unlabelled.png", clean_label(seed=3))
    return project


def test_palette_export_keeps_indices_and_palette(project, tmp_path):
    steps = list(iter_export(project, tmp_path / "out", "palette"))
    assert [(s.index, s.total, s.error) for s in steps] == [(1, 2, None), (2, 2, None)]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a b.png", "c.png"]
    assert np.array_equal(read_label_png(tmp_path / "out" / "c.png"), clean_label(seed=2))
    assert np.array_equal(read_label_palette(tmp_path / "out" / "c.png"), voc_classes().palette())


def test_color_export_paints_class_colours(project, tmp_path):
    list(iter_export(project, tmp_path / "out", "color"))
    rgb = np.asarray(Image.open(tmp_path / "out" / "c.png").convert("RGB"))
    assert np.array_equal(rgb, voc_classes().palette()[clean_label(seed=2)])


def test_overlay_export_blends_over_the_image(project, tmp_path):
    list(iter_export(project, tmp_path / "out", "overlay", alpha=0.3))
    image = np.asarray(Image.open(project.images_dir / "c.png").convert("RGB"))
    written = np.asarray(Image.open(tmp_path / "out" / "c.png").convert("RGB"))
    assert np.array_equal(written, blend(image, clean_label(seed=2), voc_classes(), 0.3))


def test_a_bad_label_is_skipped_not_fatal(project, tmp_path):
    (project.labels_dir / "a b.png").write_bytes(b"")
    steps = list(iter_export(project, tmp_path / "out", "palette"))
    assert steps[0].written is None and "empty" in steps[0].error
    assert steps[1].written == tmp_path / "out" / "c.png"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["c.png"]  # no partial files


def test_refuses_to_export_into_the_label_folder_or_with_bad_alpha(project, tmp_path):
    with pytest.raises(SegError, match="label folder"):
        list(iter_export(project, project.labels_dir, "palette"))
    with pytest.raises(SegError, match="Alpha"):
        list(iter_export(project, tmp_path / "out", "overlay", alpha=2))
