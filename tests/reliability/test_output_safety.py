"""Issue 13, items 1 and 8: output options never land on the project's data, and the folders a
project names stay inside it.

Each case plants the careless or hostile input, runs the real command (or opens the project), and
asserts the exact outcome: exit 2 with one sentence naming the path, and not one byte changed."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from segmodels.cli import main
from segmodels.errors import SegError
from segmodels.labels.project import PROJECT_FILE, Project
from support.models import random_checkpoint
from support.projects import make_project


def snapshot(root: Path) -> dict[str, bytes]:
    """Every regular file under `root` (not following links) and its bytes."""
    files = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                files[str(path.relative_to(root))] = path.read_bytes()
    return files


def one_sentence(err: str, *words: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and "unexpected" not in err.lower()
    for word in words:
        assert word in lines[0], (word, lines[0])


@pytest.fixture
def project(tmp_path) -> Project:
    return make_project(tmp_path / "proj", count=3, labelled=2, predicted=1)


@pytest.fixture
def checkpoint(tmp_path, project) -> Path:
    return random_checkpoint(tmp_path / "model.pt", project.classes)


# -- item 1: predict --out ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("out", ["labels", "images", "sub/../labels", "labels/nested", "models", ".segstudio-recovery"])
def test_predict_out_onto_project_data_is_refused(project, checkpoint, capsys, out):
    (project.root / "sub").mkdir()
    before = snapshot(project.root)
    assert main(["predict", str(project.root), "--model", str(checkpoint), "--out", str(project.root / out)]) == 2
    one_sentence(capsys.readouterr().err, "--out", "nothing was written")
    assert snapshot(project.root) == before


def test_predict_out_through_a_symlink_to_labels_is_refused(tmp_path, project, checkpoint, capsys):
    link = tmp_path / "elsewhere"
    link.symlink_to(project.labels_dir, target_is_directory=True)
    before = snapshot(project.root)
    assert main(["predict", str(project.root), "--model", str(checkpoint), "--out", str(link)]) == 2
    one_sentence(capsys.readouterr().err, "label folder", str(link))
    assert snapshot(project.root) == before


def test_predict_out_onto_an_existing_file_says_so_once(tmp_path, project, checkpoint, capsys):
    target = tmp_path / "notes.txt"
    target.write_text("mine")
    assert main(["predict", str(project.root), "--model", str(checkpoint), "--out", str(target)]) == 2
    one_sentence(capsys.readouterr().err, "exists and is not a folder")
    assert target.read_text() == "mine"


def test_predict_default_and_own_predictions_folder_still_work(tmp_path, project, checkpoint, capsys):
    assert main(["predict", str(project.root), "--model", str(checkpoint)]) == 0
    assert main(["predict", str(project.root), "--model", str(checkpoint), "--out", str(project.predictions_dir)]) == 0
    assert main(["predict", str(project.root), "--model", str(checkpoint), "--out", str(tmp_path / "fresh")]) == 0
    assert sorted(p.name for p in (tmp_path / "fresh").glob("*.png")) == ["img_0.png", "img_1.png", "img_2.png"]


# -- item 1: validate --previews, export --out ----------------------------------------------------------------------
@pytest.mark.parametrize("out", ["labels", "images", "predictions", "labels/../labels"])
def test_validate_previews_onto_project_data_is_refused(project, capsys, out):
    before = snapshot(project.root)
    assert main(["validate", str(project.root), "--previews", str(project.root / out)]) == 2
    one_sentence(capsys.readouterr().err, "--previews", "nothing was written")
    assert snapshot(project.root) == before


def test_validate_previews_of_a_label_folder_into_itself_is_refused(project, capsys):
    before = snapshot(project.root)
    assert main(["validate", str(project.labels_dir), "--previews", str(project.labels_dir)]) == 2
    one_sentence(capsys.readouterr().err, "label folder")
    assert snapshot(project.root) == before


def test_validate_previews_elsewhere_still_written(tmp_path, project, capsys):
    assert main(["validate", str(project.root), "--previews", str(tmp_path / "previews")]) == 0
    assert sorted(p.name for p in (tmp_path / "previews").iterdir()) == ["img_0.png", "img_1.png"]


@pytest.mark.parametrize("out", ["images", "labels", "predictions", "x/../images"])
def test_export_out_onto_project_data_is_refused(project, capsys, out):
    before = snapshot(project.root)
    assert main(["export", str(project.root), "--out", str(project.root / out)]) == 2
    one_sentence(capsys.readouterr().err, "--out", "nothing was written")
    assert snapshot(project.root) == before


def test_export_out_through_a_symlink_to_images_is_refused(tmp_path, project, capsys):
    link = tmp_path / "export-here"
    link.symlink_to(project.images_dir, target_is_directory=True)
    before = snapshot(project.root)
    assert main(["export", str(project.root), "--format", "color", "--out", str(link)]) == 2
    one_sentence(capsys.readouterr().err, "image folder")
    assert snapshot(project.root) == before


# -- item 1: train --out -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("out", ["segstudio", "segstudio.json", "labels/model.pt", "images/m", "predictions/m.pt"])
def test_train_out_onto_project_data_is_refused_before_training(project, capsys, out):
    before = snapshot(project.root)
    code = main(["train", str(project.root), "--arch", "m2nist_fcn", "--epochs", "1", "--device", "cpu",
                 "--out", str(project.root / out)])
    assert code == 2
    err = capsys.readouterr().err
    one_sentence(err, "--out", "nothing was written")
    assert "epoch" not in err
    assert snapshot(project.root) == before


@pytest.mark.parametrize("planted", ["run.pt", "run.json", "run.last.pt"])
def test_train_out_never_replaces_an_existing_file(tmp_path, project, capsys, planted):
    stranger = tmp_path / planted
    stranger.write_text("the user's own notes")
    code = main(["train", str(project.root), "--arch", "m2nist_fcn", "--epochs", "1", "--device", "cpu",
                 "--out", str(tmp_path / "run.pt")])
    assert code == 2
    one_sentence(capsys.readouterr().err, "already exists", str(stranger))
    assert stranger.read_text() == "the user's own notes"
    assert not (tmp_path / "run.pt").exists() or planted == "run.pt"


def test_train_out_onto_a_folder_is_refused(tmp_path, project, capsys):
    (tmp_path / "run.pt").mkdir()
    code = main(["train", str(project.root), "--arch", "m2nist_fcn", "--epochs", "1", "--device", "cpu",
                 "--out", str(tmp_path / "run.pt")])
    assert code == 2
    one_sentence(capsys.readouterr().err, "is a folder")


def test_train_out_elsewhere_trains_and_a_second_run_never_replaces_it(tmp_path, project, capsys):
    args = ["train", str(project.root), "--arch", "m2nist_fcn", "--epochs", "1", "--device", "cpu",
            "--out", str(tmp_path / "run.pt")]
    assert main(args) == 0
    written = {p.name: p.read_bytes() for p in tmp_path.glob("run*")}
    assert set(written) == {"run.pt", "run.json", "run.last.pt"}
    assert main(args) == 2  # item 2: a new run never replaces a checkpoint, its own included
    assert {p.name: p.read_bytes() for p in tmp_path.glob("run*")} == written


# -- item 8: segstudio.json folder entries --------------------------------------------------------------------------
def _write_config(project: Project, **entries) -> None:
    data = json.loads(project.config_path.read_text())
    data.update(entries)
    project.config_path.write_text(json.dumps(data))


@pytest.mark.parametrize("entries, words", [
    ({"labels": "../victim"}, "outside the project"),
    ({"images": "../victim"}, "outside the project"),
    ({"labels": "/tmp"}, "outside the project"),
    ({"labels": "images"}, "both 'images' and 'labels'"),
    ({"labels": "./images/"}, "both 'images' and 'labels'"),
    ({"images": "predictions"}, "both 'images' and 'predictions'"),
    ({"labels": ["labels"]}, "must name a folder"),
    ({"labels": ""}, "must name a folder"),
    ({"labels": "segstudio.json"}, "not a folder"),
])
def test_config_folder_entries_must_stay_inside_and_be_distinct(tmp_path, project, entries, words):
    (tmp_path / "victim").mkdir()
    _write_config(project, **entries)
    with pytest.raises(SegError) as caught:
        Project.open(project.root)
    message = str(caught.value)
    assert PROJECT_FILE in message and words in message and "\n" not in message


def test_config_labels_through_a_link_that_leaves_the_project_is_refused(tmp_path, project):
    victim = tmp_path / "victim"
    victim.mkdir()
    (project.root / "door").symlink_to(tmp_path, target_is_directory=True)
    _write_config(project, labels="door/victim")
    with pytest.raises(SegError, match="outside the project"):
        Project.open(project.root)


def test_a_strangers_project_cannot_make_save_write_outside(tmp_path, project, capsys):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "img_0.png").write_bytes(b"precious")
    _write_config(project, labels="../victim")
    assert main(["export", str(project.root), "--out", str(tmp_path / "o")]) == 2
    one_sentence(capsys.readouterr().err, PROJECT_FILE, "outside the project")
    assert (victim / "img_0.png").read_bytes() == b"precious"


def test_nested_and_dot_entries_that_stay_inside_still_open(tmp_path):
    project = make_project(tmp_path / "proj", count=1)
    (project.root / "data" / "gt").mkdir(parents=True)
    _write_config(project, images="images", labels="data/gt")
    assert Project.open(project.root).labels_dir == project.root / "data" / "gt"
    _write_config(project, images=".", labels="labels")
    assert Project.open(project.root).images_dir == project.root / "."


def test_images_folder_linked_to_a_dataset_elsewhere_still_opens(tmp_path):
    project = make_project(tmp_path / "proj", count=2)
    dataset = tmp_path / "dataset"
    (project.root / "images").rename(dataset)
    (project.root / "images").symlink_to(dataset, target_is_directory=True)
    assert len(Project.open(project.root).image_paths()) == 2


# -- item 8: symlinked folders segstudio writes into ----------------------------------------------------------------
@pytest.mark.parametrize("folder", ["labels", "predictions", "models", ".segstudio-recovery"])
def test_symlinked_write_folders_are_refused_at_open(tmp_path, folder):
    project = make_project(tmp_path / "proj", count=1, labelled=0)
    target = tmp_path / "target"
    target.mkdir()
    link = project.root / folder
    if link.exists():
        link.rmdir()
    link.symlink_to(target, target_is_directory=True)
    with pytest.raises(SegError) as caught:
        Project.open(project.root)
    assert "symbolic link" in str(caught.value) and folder in str(caught.value)


def test_predict_into_a_symlinked_predictions_folder_writes_nothing(tmp_path, project, checkpoint, capsys):
    target = tmp_path / "target"
    target.mkdir()
    for file in project.predictions_dir.iterdir():
        file.unlink()
    project.predictions_dir.rmdir()
    project.predictions_dir.symlink_to(target, target_is_directory=True)
    assert main(["predict", str(project.root), "--model", str(checkpoint)]) == 2
    one_sentence(capsys.readouterr().err, "symbolic link")
    assert list(target.iterdir()) == []


def test_save_refuses_a_labels_folder_replaced_by_a_link_after_open(tmp_path, project):
    target = tmp_path / "target"
    target.mkdir()
    labels = project.labels_dir
    labels.rename(tmp_path / "old-labels")
    labels.symlink_to(target, target_is_directory=True)
    image = project.image_paths()[0]
    with pytest.raises(SegError, match="symbolic link"):
        project.write_label(image, np.zeros((4, 4), np.uint8))
    with pytest.raises(SegError, match="symbolic link"):
        project.predictions_dir.rename(tmp_path / "old-predictions")
        project.predictions_dir.symlink_to(target, target_is_directory=True)
        project.write_prediction(image, np.zeros((4, 4), np.uint8))
    assert list(target.iterdir()) == []


def test_recovery_never_deletes_through_a_symlinked_folder(tmp_path, project):
    from app.document.recovery_store import RecoveryStore

    store = RecoveryStore(project)
    store.write(project.image_paths()[0], np.zeros((4, 4), np.uint8), 0.0)
    victim = tmp_path / "victim"
    victim.mkdir()
    for name in ("img_0.png", "img_0.json", "photo.png", "notes.json"):
        (victim / name).write_bytes(b"keep")
    recovery = project.root / ".segstudio-recovery"
    recovery.rename(tmp_path / "old-recovery")
    recovery.symlink_to(victim, target_is_directory=True)
    store.remove(project.image_paths()[0])
    store.remove_all()
    assert sorted(p.name for p in victim.iterdir()) == ["img_0.json", "img_0.png", "notes.json", "photo.png"]


def test_gui_predict_job_refuses_a_predictions_folder_linked_after_open(tmp_path, project, checkpoint):
    from app.jobs.predict import predict_job
    from segmodels.cancel import never

    target = tmp_path / "target"
    target.mkdir()
    project.predictions_dir.rename(tmp_path / "old-predictions")
    project.predictions_dir.symlink_to(target, target_is_directory=True)
    with pytest.raises(SegError, match="symbolic link"):
        next(predict_job(checkpoint, project, project.image_paths(), "cpu", never))
    assert list(target.iterdir()) == []
