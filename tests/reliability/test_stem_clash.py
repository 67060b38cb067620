"""Issue 13, item 3: two images with one stem (`frame.png`, `frame.jpg`) would share one label file.

Planted: the pair in a project, a plain folder and a VOC root. Behaviour: `Project.open` refuses each
with one sentence naming both files; every CLI command that opens a project exits non-zero with that
one line and no traceback; the window keeps the project it had. A twin added after the project was
opened: saving, autosave, prediction, export and training refuse that image, and nothing on disk
changes. A recovery file restores only to the image it was written for.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import corpus
import numpy as np
import pytest
from PIL import Image

from segmodels.errors import StemClash
from segmodels.labels.labelio import read_label_png
from segmodels.labels.project import Project, open_path
from segmodels.labels.stems import find_stem_clashes, folds_case

REPO = Path(__file__).resolve().parents[2]
FIRST = "img 00.png"   # corpus.make_project's first image, labelled
TWIN = "img 00.jpg"


def _image(path: Path, seed: int = 7) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(corpus.noise_rgb(seed)).save(path)
    return path


def _assert_sentence(text: str, *names: str, label: str = "labels") -> None:
    """One sentence naming both files by their full names, the label file they would share, and the fix."""
    assert "\n" not in text.strip() and "Traceback" not in text, text
    for name in names:
        assert f"'{name}'" in text, (name, text)
    stem = Path(names[0]).stem
    assert f"share the name '{stem}'" in text and f"{label}/{stem}.png'" in text, text
    assert text.strip().endswith("rename one of them."), text


def _planted(root: Path, kind: str) -> Path:
    """`frame.png` + `frame.jpg` (and one innocent image) in a project, a plain folder or a VOC root."""
    if kind == "project":
        images = corpus.make_project(root) / "images"
    elif kind == "folder":
        images = root
    else:
        images = root / "JPEGImages"
        (root / "SegmentationClass").mkdir(parents=True)
    _image(images / "other.png", 1)
    _image(images / "frame.png", 2)
    _image(images / "frame.jpg", 3)
    return root


@pytest.fixture
def clash_project(tmp_path) -> Path:
    return _planted(tmp_path / "clash ü", "project")


@pytest.fixture
def checkpoint(tmp_path_factory) -> Path:
    pytest.importorskip("torch")
    return corpus.save_good_checkpoint(tmp_path_factory.mktemp("ckpt") / "good.pt")


# -- opening -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("kind", "label"), [("project", "labels"), ("folder", "labels"),
                                             ("voc", "SegmentationClass")])
def test_open_refuses_with_one_sentence_naming_both(tmp_path, kind, label):
    root = _planted(tmp_path / f"{kind} ü", kind)
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    with pytest.raises(StemClash) as refused:
        Project.open(root)
    _assert_sentence(str(refused.value), "frame.jpg", "frame.png", label=label)
    assert "more image" not in str(refused.value)
    with pytest.raises(StemClash):  # an image of that folder opens its project: refused the same way
        open_path(root / ("JPEGImages" if kind == "voc" else "images" if kind == "project" else "") / "other.png")
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before  # nothing written (no JSON)


def test_more_clashes_are_counted_in_the_same_sentence(clash_project):
    for name in ("frame.bmp", "other.tif", "other.JPG"):
        _image(clash_project / "images" / name)
    with pytest.raises(StemClash) as refused:
        Project.open(clash_project)
    text = str(refused.value)
    _assert_sentence(text, "frame.bmp", "frame.jpg")  # the first pair by name
    assert "(4 more images there clash the same way)" in text


def test_stems_compare_exactly_where_the_file_system_tells_case_apart(tmp_path):
    if folds_case(tmp_path):
        pytest.skip("this file system ignores letter case: Frame.png and frame.jpg are one label here")
    images = corpus.make_project(tmp_path / "p") / "images"
    _image(images / "Frame.png")
    _image(images / "frame.jpg")
    project = Project.open(tmp_path / "p")  # labels/Frame.png and labels/frame.png: two labels
    assert project.stem_clash(images / "Frame.png") is None
    _image(images / "frame.PNG")  # a third file whose stem is exactly 'frame'
    assert project.stem_clash(images / "frame.jpg") == images / "frame.PNG"
    with pytest.raises(StemClash):
        Project.open(tmp_path / "p")


def test_find_stem_clashes():
    assert find_stem_clashes(["a.png", "b.png", "c.jpg"]) == {}
    assert find_stem_clashes(["a.png", "b.png", "a.jpg", "a.bmp"]) == {
        "a.png": "a.jpg", "a.jpg": "a.png", "a.bmp": "a.png"}
    assert find_stem_clashes(["A.png", "a.jpg"]) == {}
    assert find_stem_clashes(["A.png", "a.jpg"], fold_case=True) == {"A.png": "a.jpg", "a.jpg": "A.png"}
    assert find_stem_clashes([Path("x/a.b.png"), Path("y/a.b.jpg"), Path("y/a.png")]) == {
        Path("x/a.b.png"): Path("y/a.b.jpg"), Path("y/a.b.jpg"): Path("x/a.b.png")}


# -- the command line ------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["train", "predict", "validate", "export", "evaluate", "validate labels",
                                     "predict image"])
def test_cli_refuses_with_one_line(capsys, clash_project, checkpoint, tmp_path, command):
    from segmodels.cli import main

    argv = {"train": ["train", clash_project, "--arch", "m2nist_fcn", "--epochs", "1", "--device", "cpu"],
            "predict": ["predict", clash_project, "--model", checkpoint, "--device", "cpu"],
            "predict image": ["predict", clash_project / "images" / "other.png", "--model", checkpoint],
            "validate": ["validate", clash_project],
            "validate labels": ["validate", clash_project / "labels"],
            "export": ["export", clash_project, "--out", tmp_path / "out"],
            "evaluate": ["evaluate", clash_project, "--model", checkpoint]}[command]
    before = sorted(p.relative_to(clash_project) for p in clash_project.rglob("*"))
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    lines = [line for line in (out + err).splitlines() if "frame.png" in line]
    assert len(lines) == 1 and "frame.jpg" in lines[0], out + err
    _assert_sentence(lines[0], "frame.jpg", "frame.png")
    assert "Traceback" not in out + err
    assert sorted(p.relative_to(clash_project) for p in clash_project.rglob("*")) == before
    assert not (tmp_path / "out").exists()


def test_cli_train_in_a_process_prints_one_line(clash_project):
    done = subprocess.run([sys.executable, "-m", "segmodels", "train", str(clash_project), "--arch", "m2nist_fcn",
                           "--epochs", "1", "--device", "cpu"], cwd=str(REPO), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    _assert_sentence(done.stderr.removeprefix("segstudio train: "), "frame.jpg", "frame.png")


# -- the window --------------------------------------------------------------------------------------------
def _window(qtbot, root: Path):
    from app.window.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    notes: list[str] = []
    window.document.status_message.connect(notes.append)
    window.notes = notes
    assert window.open_path(root)
    return window


def _paint(document, value: int = 2) -> np.ndarray:
    document.apply_mask(1, 1, np.ones((4, 4), bool), value, "Fill")
    return document.label_map.copy()


def test_window_keeps_its_project_when_the_next_is_refused(qtbot, messages, tmp_path, clash_project):
    good = Project.open(corpus.make_project(tmp_path / "good"))
    window = _window(qtbot, good.root)
    painted = _paint(window.document)
    assert window.autosave.flush(wait=True)
    recovery = good.root / ".segstudio-recovery" / "img 00.png"
    assert recovery.exists()
    assert not window.open_path(clash_project)
    errors = messages.texts("error")
    assert len(errors) == 1
    _assert_sentence(errors[0], "frame.jpg", "frame.png")
    assert not messages.texts("ask")  # refused before asking about the unsaved edit
    assert window.document.project.root == good.root and window.document.image_path.name == FIRST
    assert window.document.is_dirty and recovery.exists()
    np.testing.assert_array_equal(window.document.label_map, painted)


@pytest.mark.parametrize("kind", ["project", "folder"])
def test_twin_added_after_open_save_refused_edit_kept(qtbot, messages, tmp_path, kind):
    if kind == "project":
        root = corpus.make_project(tmp_path / "p ü")
    else:
        root = tmp_path / "plain ü"
        _image(root / FIRST)
    window = _window(qtbot, root)
    document = window.document
    assert document.image_path.name == FIRST
    images = document.project.images_dir
    labels_before = {p.name: p.read_bytes() for p in document.project.labels_dir.glob("*")}
    _image(images / TWIN, 5)
    painted = _paint(document, 1)  # a class of both (a plain folder has 2): the refusal is the clash's
    assert not document.save()
    errors = messages.texts("error")
    assert len(errors) == 1 and "kept in memory" in errors[0]
    assert f"'{FIRST}' and '{TWIN}'" in errors[0] and "share the name 'img 00'" in errors[0], errors[0]
    assert document.is_dirty and FIRST in [p.name for p in document.unsaved_images()]
    np.testing.assert_array_equal(document.label_map, painted)
    assert {p.name: p.read_bytes() for p in document.project.labels_dir.glob("*")} == labels_before
    assert not (root / "segstudio.json").exists() or kind == "project"  # a refused save makes no project
    # Autosave refuses too (its file is named by the stem as well), with one status-bar notice.
    assert window.autosave.flush(wait=True) is False
    assert not (root / ".segstudio-recovery" / "img 00.png").exists()
    assert any("Autosave failed" in n and TWIN in n for n in window.notes), window.notes
    # Renaming the twin away lifts the refusal: the edit kept in memory is saved.
    (images / TWIN).rename(images / "img 00 b.jpg")
    assert document.save()
    np.testing.assert_array_equal(read_label_png(document.project.label_path(images / FIRST)), painted)


# -- predictions, export, training and recovery for a twin added after open ---------------------------------
@pytest.fixture
def opened_then_twinned(tmp_path) -> Project:
    project = Project.open(corpus.make_project(tmp_path / "p ü"))
    _image(project.images_dir / TWIN, 5)
    return project


def test_predictions_not_written(opened_then_twinned, checkpoint):
    from app.jobs.predict import predict_job
    from segmodels.cancel import never

    project = opened_then_twinned
    first, other = project.images_dir / FIRST, project.images_dir / "img 01.png"
    with pytest.raises(StemClash, match="prediction file"):
        project.write_prediction(first, np.zeros(corpus.SIZE, np.uint8))
    done = list(predict_job(checkpoint, project, [first, other], "cpu", never))
    assert [d.image.name for d in done if d.error] == [FIRST]
    error = next(d.error for d in done if d.error)
    assert f"'{FIRST}' and '{TWIN}'" in error and "one prediction file" in error, error
    assert not project.prediction_path(first).exists() and not project.confidence_path(first).exists()
    assert project.prediction_path(other).exists()  # the others go on


def test_batch_prediction_skips_both_of_a_pair(tmp_path, checkpoint):
    from segmodels.inference.batch import predict_files

    a, b, c = _image(tmp_path / "x" / "a.png"), _image(tmp_path / "y" / "a.jpg"), _image(tmp_path / "x" / "c.png")
    out = tmp_path / "out"
    results = list(predict_files(checkpoint, [a, b, c], out_dir=out, device="cpu", num_workers=0))
    assert [r.ok for r in results] == [False, False, True]
    assert all("share the name 'a'" in r.error for r in results[:2])
    assert sorted(p.name for p in out.iterdir()) == ["c.png"]


def test_export_skips_the_pair(opened_then_twinned, tmp_path):
    from segmodels.labels.export import iter_export

    steps = list(iter_export(opened_then_twinned, tmp_path / "out"))
    refused = {s.image.name: s.error for s in steps if s.error}
    assert set(refused) == {FIRST, TWIN}  # both see labels/img 00.png as theirs
    assert all("one exported file" in e and "'img 00'" in e for e in refused.values()), refused
    assert not (tmp_path / "out" / "img 00.png").exists()
    assert (tmp_path / "out" / "img 01.png").exists()


def test_training_in_the_window_refused(opened_then_twinned, tmp_path):
    pytest.importorskip("torch")
    from app.jobs.train import TrainingRequest, training_job
    from segmodels.cancel import never

    project = opened_then_twinned
    request = TrainingRequest(project.root, "m2nist_fcn", None, 1, 0.01, 2, False, "cpu",
                              project.models_dir / "run.pt")
    with pytest.raises(StemClash) as refused:
        list(training_job(request, never))
    _assert_sentence(str(refused.value), TWIN, FIRST)
    assert not project.models_dir.exists() or not list(project.models_dir.iterdir())


def test_recovery_restores_only_to_the_image_it_was_written_for(opened_then_twinned):
    from app.document.recovery_store import RecoveryStore

    project = opened_then_twinned
    first, twin = project.images_dir / FIRST, project.images_dir / TWIN
    store = RecoveryStore(project)
    with pytest.raises(StemClash, match="one recovery file"):
        store.write(twin, np.ones(corpus.SIZE, np.uint8), 0.0)
    twin.unlink()
    png = store.write(first, np.ones(corpus.SIZE, np.uint8), 0.0)  # no twin now: written
    # The crash; then the user renames the edited image and a twin takes its stem.
    first.rename(project.images_dir / "img 00 renamed.png")
    _image(twin, 5)
    edits, problems = RecoveryStore(Project.open(project.root)).entries()
    assert edits == []
    assert len(problems) == 1 and f"'images/{FIRST}'" in problems[0] and f"not of '{TWIN}'" in problems[0]
    assert png.exists()  # kept
