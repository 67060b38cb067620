"""`export --layout same`: a dataset leaves segstudio in its own layout and encoding, edits included,
every untouched pixel identical (ADE20K and mmseg, whose trees have split folders; a segstudio project)."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from segmodels.cli import main
from segmodels.labels.project import Project
from support.projects import make_project
from support.splits_datasets import make_ade20k, make_mmseg


def _edit_and_export(root, out, capsys) -> tuple[Project, Project]:
    project = Project.open(root)
    image = project.labelled_images()[0]
    label_map = project.read_label(image)
    label_map[2:6, 3:9] = 1  # the edit
    project.write_label(image, label_map)
    assert main(["export", str(root), "--layout", "same", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert f"as a {project.layout.name} tree" in said and "labels stay grey" in said
    return project, Project.open(out)


@pytest.mark.parametrize("kind", ["ade20k", "mmseg"])
def test_an_edited_split_dataset_exports_back_into_its_own_layout(tmp_path, capsys, kind):
    if kind == "ade20k":
        make_ade20k(tmp_path)
        root = tmp_path / "ADEChallengeData2016"
    else:
        root = tmp_path / "mm"
        make_mmseg(root, classes=["sky", "tree", "road", "car", "person"])
    project, again = _edit_and_export(root, tmp_path / "out", capsys)
    assert (again.layout.name, again.label_encoding, again.classes.names) == (
        project.layout.name, project.label_encoding, project.classes.names)
    originals = project.labelled_images()
    assert [p.relative_to(again.root) for p in again.labelled_images()] == [
        p.relative_to(project.root) for p in originals]
    for image in originals:
        source, copy = project.label_path(image), again.label_path(again.root / image.relative_to(project.root))
        assert copy.read_bytes() == source.read_bytes()  # the saved file, in its own encoding, as it is
        with Image.open(copy) as stored:
            assert stored.mode == "L"
        assert (again.root / image.relative_to(project.root)).read_bytes() == image.read_bytes()


def test_untouched_pixels_of_an_edited_grey_label_are_identical_after_export(tmp_path, capsys):
    labels = make_mmseg(tmp_path / "mm")
    first = sorted(labels)[0]
    original = labels[first]
    _project, again = _edit_and_export(tmp_path / "mm", tmp_path / "out", capsys)
    with Image.open(tmp_path / "out" / first.relative_to(tmp_path / "mm")) as stored:
        exported = np.array(stored)
    touched = np.zeros(original.shape, bool)
    touched[2:6, 3:9] = True
    assert np.array_equal(exported[~touched], original[~touched]) and (exported[touched] == 1).all()


def test_same_layout_export_refuses_the_dataset_itself_and_a_format(tmp_path, capsys):
    project = make_project(tmp_path / "p", count=2, labelled=1)
    assert main(["export", str(project.root), "--layout", "same", "--out", str(project.root)]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert main(["export", str(project.root), "--layout", "same", "--format", "color",
                 "--out", str(tmp_path / "o")]) == 2
    assert "leave out --format" in capsys.readouterr().err
