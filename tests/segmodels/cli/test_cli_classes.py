"""`segstudio classes`: list, delete (into unlabelled or a class), move, rename and load, the files on disk
rewritten by the same code as the Classes dock, errors as one sentence with exit status 2."""
from __future__ import annotations

import json

import numpy as np
import pytest

from segmodels.cli import main as cli_main
from segmodels.constants import IGNORE_INDEX
from segmodels.labels.class_journal import JOURNAL_NAME
from segmodels.labels.project import Project
from support.projects import WIDTH, make_project

#: make_project's first label: left half 'cat' (1), right half 'background' (0)
LEFT, RIGHT = np.s_[:, : WIDTH // 2], np.s_[:, WIDTH // 2:]


@pytest.fixture
def project(tmp_path) -> Project:
    return make_project(tmp_path / "proj", count=2, labelled=1, predicted=1)


def names(project: Project) -> list[str]:
    return [entry["name"] for entry in json.loads(project.config_path.read_text())["classes"]]


def first_label(project: Project) -> np.ndarray:
    opened = Project.open(project.root)
    return opened.read_label(opened.image_paths()[0])


def test_list(project, capsys):
    assert cli_main(["classes", str(project.root), "--list"]) == 0
    out = capsys.readouterr().out
    assert "index" in out and "1      cat" in out and "2      dog" in out


def test_delete_into_unlabelled_then_into_a_class(project, capsys):
    assert cli_main(["classes", str(project.root), "--delete", "background"]) == 0
    out = capsys.readouterr().out
    assert "rewrote 1 label and 1 prediction file(s)" in out and "0 cat, 1 dog" in out
    label = first_label(project)
    assert (label[LEFT] == 0).all() and (label[RIGHT] == IGNORE_INDEX).all()
    assert names(project) == ["cat", "dog"]
    prediction = Project.open(project.root).read_prediction(project.images_dir / "img_1.png")
    assert (prediction == 1).all()  # was 'dog' (2), now index 1
    assert cli_main(["classes", str(project.root), "--delete", "cat", "--into", "dog"]) == 0
    label = first_label(project)
    assert (label[LEFT] == 0).all() and names(project) == ["dog"]


def test_move_and_rename(project):
    assert cli_main(["classes", str(project.root), "--move", "cat", "--to", "0"]) == 0
    assert names(project) == ["cat", "background", "dog"]
    label = first_label(project)
    assert (label[LEFT] == 0).all() and (label[RIGHT] == 1).all()
    before = (project.labels_dir / "img_0.png").read_bytes()
    assert cli_main(["classes", str(project.root), "--rename", "dog", "puppy"]) == 0
    assert names(project) == ["cat", "background", "puppy"]
    assert (project.labels_dir / "img_0.png").read_bytes() == before


def test_dry_run_writes_nothing(project, capsys):
    before = project.config_path.read_bytes(), (project.labels_dir / "img_0.png").read_bytes()
    assert cli_main(["classes", str(project.root), "--delete", "cat", "--dry-run"]) == 0
    assert "This would rewrite 1 label file(s)" in capsys.readouterr().out
    assert (project.config_path.read_bytes(), (project.labels_dir / "img_0.png").read_bytes()) == before


def test_load_a_preset_asks_for_yes_when_labels_would_change_meaning(project, capsys):
    assert cli_main(["classes", str(project.root), "--load", "voc"]) == 2
    err = capsys.readouterr().err
    assert "index 1 'cat' becomes 'aeroplane'" in err and "--yes" in err and "Traceback" not in err
    assert names(project) == ["background", "cat", "dog"]
    assert cli_main(["classes", str(project.root), "--load", "voc", "--yes"]) == 0
    assert len(names(project)) == 21


def test_load_a_class_list_file(project, tmp_path):
    listing = tmp_path / "labelmap.txt"
    listing.write_text("# label:color_rgb:parts:actions\nbackground:0,0,0::\ncat:1,2,3::\ndog:4,5,6::\nbird:7,8,9::\n")
    assert cli_main(["classes", str(project.root), "--load", str(listing)]) == 0  # same names first: no question
    assert names(project) == ["background", "cat", "dog", "bird"]


@pytest.mark.parametrize("argv, words", [
    (["--delete", "cow"], "There is no class 'cow'"),
    (["--move", "cat"], "--move needs --to INDEX"),
    (["--move", "cat", "--to", "7"], "Cannot move class 'cat' to index 7"),
    (["--rename", "cat", "dog"], "already a class named 'dog'"),
    (["--delete", "cat", "--into", "cat"], "cannot be merged into itself"),
])
def test_bad_arguments_are_one_sentence(project, capsys, argv, words):
    assert cli_main(["classes", str(project.root), *argv]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and names(project) == ["background", "cat", "dog"]


def test_an_interrupted_edit_is_finished_and_said(project, capsys, caplog):
    from segmodels.labels.class_edits import delete_class
    from segmodels.labels.class_rewrite import apply_rewrite, plan_rewrite

    steps = apply_rewrite(plan_rewrite(project, delete_class(project.classes, 0)))
    for step in steps:
        if step.done == 3:  # both files staged and the first moved into place: then the process died
            break
    assert (project.root / JOURNAL_NAME).exists()
    assert cli_main(["classes", str(project.root), "--list"]) == 0
    assert "interrupted class edit" in caplog.text and "was finished" in caplog.text
    assert "0      cat" in capsys.readouterr().out and not (project.root / JOURNAL_NAME).exists()
    steps.close()
