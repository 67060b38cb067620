"""segmodels.labels.outputs: the one check every output option goes through (issue 13, item 1)."""
from __future__ import annotations

from pathlib import Path

import pytest

from segmodels.errors import SegError
from segmodels.labels.outputs import ProtectedData, check_output_folder, real
from segmodels.training.config import run_files
from support.projects import make_project


def test_run_files_are_the_names_training_writes():
    assert run_files("m/run") == (Path("m/run.pt"), Path("m/run.last.pt"), Path("m/run.json"))
    assert run_files("m/run.pt") == (Path("m/run.pt"), Path("m/run.last.pt"), Path("m/run.json"))
    assert run_files("P/segstudio")[2] == Path("P/segstudio.json")


def test_clash_names_the_folder_and_sees_through_dots_and_links(tmp_path):
    project = make_project(tmp_path / "p", count=1)
    protected = ProtectedData.of_project(project)
    (tmp_path / "link").symlink_to(project.labels_dir, target_is_directory=True)
    for out in (project.labels_dir, project.root / "images" / ".." / "labels", tmp_path / "link", tmp_path / "link/x"):
        with pytest.raises(SegError, match="label folder"):
            check_output_folder(out, protected, "--out")
    assert not (project.labels_dir / "x").exists()
    assert check_output_folder(tmp_path / "fresh", protected, "--out") == tmp_path / "fresh"
    assert not (tmp_path / "fresh").exists()  # checking creates nothing


def test_own_default_folder_is_allowed_and_the_project_file_never(tmp_path):
    project = make_project(tmp_path / "p", count=1)
    own = ProtectedData.of_project(project, own=project.predictions_dir)
    check_output_folder(project.predictions_dir, own, "--out")
    with pytest.raises(SegError, match="predictions folder"):
        check_output_folder(project.predictions_dir, ProtectedData.of_project(project), "--previews")
    assert "project file" in own.clash(real(project.config_path))


def test_a_plain_folder_of_images_guards_itself_not_its_sub_folders(tmp_path):
    from segmodels.labels.project import Project

    make_project(tmp_path / "p", count=1)
    plain = Project.open(tmp_path / "p" / "images")  # a plain folder: the images are the root
    protected = ProtectedData.of_project(plain)
    with pytest.raises(SegError, match="image folder"):
        check_output_folder(plain.images_dir, protected, "--out")
    check_output_folder(plain.images_dir / "pred", protected, "--out")
    with pytest.raises(SegError, match="label folder"):
        check_output_folder(plain.labels_dir / "sub", protected, "--out")
