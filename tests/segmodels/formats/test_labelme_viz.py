"""Saving a label of a labelme2voc dataset redraws its SegmentationClassVisualization JPEG, so the
picture people look at shows the label as it is now (segmodels/formats/labelme_viz.py)."""
from __future__ import annotations

import numpy as np
from PIL import Image

from segmodels.labels.project import Project
from support.voc_trees import labelme_label, make_labelme_tree


def _viz(root, base="a") -> np.ndarray:
    return np.asarray(Image.open(root / "SegmentationClassVisualization" / f"{base}.jpg").convert("RGB"), dtype=float)


def test_saving_redraws_the_picture_with_the_new_class_colour(tmp_path):
    root = make_labelme_tree(tmp_path / "voc", {"a": labelme_label(height=240, width=320, seed=3)})
    Image.new("RGB", (320, 240), (90, 110, 100)).save(root / "JPEGImages" / "a.jpg")  # flat: JPEG keeps it
    project = Project.open(root)
    image = project.images_dir / "a.jpg"
    before = (root / "SegmentationClassVisualization" / "a.jpg").read_bytes()
    label = project.read_label(image)
    label[8:40, 8:40] = 5
    project.write_label(image, label)
    assert (root / "SegmentationClassVisualization" / "a.jpg").read_bytes() != before
    picture = _viz(root)
    assert picture.shape == (240, 320, 3)
    grey = np.asarray(Image.open(image).convert("L"), dtype=float)[12:36, 12:36]
    expected = (grey[..., None] + np.array(project.classes.classes[5].color, dtype=float)) / 2
    # JPEG rings next to the noisy rest of the label, but keeps the region's colour on average.
    assert np.abs(picture[12:36, 12:36].mean(axis=(0, 1)) - expected.mean(axis=(0, 1))).max() < 4
    assert picture[-3, -3].min() > 230  # the legend's light box, bottom right, as labelme2voc draws it


def test_no_picture_is_invented_and_a_missing_image_never_fails_the_save(tmp_path):
    root = make_labelme_tree(tmp_path / "voc", {"a": labelme_label(seed=3), "b": labelme_label(seed=4)})
    (root / "SegmentationClassVisualization" / "a.jpg").unlink()
    project = Project.open(root)
    project.write_label(project.images_dir / "a.jpg", project.read_label(project.images_dir / "a.jpg"))
    assert not (root / "SegmentationClassVisualization" / "a.jpg").exists()
    image_b = project.images_dir / "b.jpg"
    label_b = project.read_label(image_b)
    stale = (root / "SegmentationClassVisualization" / "b.jpg").read_bytes()
    image_b.write_bytes(b"not a jpeg")  # the picture cannot be redrawn; the label is still saved
    label_b[0, 0] = 2
    project.write_label(image_b, label_b)
    assert project.read_label(image_b)[0, 0] == 2
    assert (root / "SegmentationClassVisualization" / "b.jpg").read_bytes() == stale
