"""A label file with no labelled pixel (all 255, written by another tool) does not list as reviewed."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from segmodels.errors import SegError
from segmodels.labels import labelled_files
from segmodels.labels.project import ImageStatus, Project
from segmodels.training.dataset import reviewed_images
from support.projects import HEIGHT, WIDTH, make_project


def _blank(project: Project, image: Path, dtype: type = np.uint8) -> Path:
    """An all-255 label as another program writes it (the window refuses to save one)."""
    path = project.label_path(image)
    Image.fromarray(np.full((HEIGHT, WIDTH), 255, dtype)).save(path)
    return path


def test_a_blank_label_file_is_not_reviewed(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", count=4, labelled=3, predicted=1)
    first, second, third, predicted = project.image_paths()
    blank = _blank(project, second)
    _blank(project, predicted)  # a blank label beside a prediction: the image is predicted
    project = Project.open(project.root)
    assert project.statuses() == {first: ImageStatus.REVIEWED, second: ImageStatus.UNLABELLED,
                                  third: ImageStatus.REVIEWED, predicted: ImageStatus.PREDICTED}
    assert project.status(second) is ImageStatus.UNLABELLED and project.status(first) is ImageStatus.REVIEWED
    assert project.labelled_images() == [first, third]
    assert project.blank_labels() == [blank, project.label_path(predicted)]


def test_a_changed_file_is_looked_at_again(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", count=2, labelled=2)
    image = project.image_paths()[1]
    label = project.read_label(image)
    blank = _blank(project, image, np.uint16)  # 16-bit grey: not read as bytes, decoded fully
    assert project.status(image) is ImageStatus.UNLABELLED
    project.write_label(image, label)
    assert project.status(image) is ImageStatus.REVIEWED
    before = os.stat(blank)
    _blank(project, image)  # rewritten in place: same inode; the modification time tells
    os.utime(blank, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000))
    assert project.status(image) is ImageStatus.UNLABELLED


def test_each_label_is_read_once_while_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = make_project(tmp_path / "p", count=5, labelled=5)
    seen: list[Path] = []
    real = labelled_files.has_labelled_pixel_png
    monkeypatch.setattr(labelled_files, "has_labelled_pixel_png", lambda path: seen.append(path) or real(path))
    assert len(project.labelled_images()) == 5 and len(seen) == 5
    assert len(project.labelled_images()) == 5 and len(seen) == 5  # the window lists again: nothing read
    project.write_label(project.image_paths()[0], np.zeros((HEIGHT, WIDTH), np.uint8))
    assert len(project.labelled_images()) == 5 and seen[5:] == [project.label_path(project.image_paths()[0])]


def test_an_unreadable_label_stays_listed_for_validation_to_name(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", count=2, labelled=2)
    project.label_path(project.image_paths()[1]).write_bytes(b"\x89PNG\r\n\x1a\n broken")
    assert Project.open(project.root).status(project.image_paths()[1]) is ImageStatus.REVIEWED


def test_training_names_the_blank_files_when_nothing_else_is_reviewed(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", count=2, labelled=1)
    _blank(project, project.image_paths()[0])
    with pytest.raises(SegError) as raised:
        reviewed_images(Project.open(project.root))
    assert "no reviewed labels" in str(raised.value) and "1 label file has no labelled pixel" in str(raised.value)
    assert "img_0.png" in str(raised.value)
