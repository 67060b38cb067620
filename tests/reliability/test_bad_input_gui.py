"""The bad-input corpus through the window: one sentence naming the file, shown as a message or in
the status bar, never a traceback, and the window keeps working (the next good image opens).

Images are opened as `segstudio IMAGE` opens them (`MainWindow.open_path`); labels, project JSON and
checkpoints come with the project they belong to.
"""
from __future__ import annotations

import shutil

import corpus
import numpy as np
import pytest
from corpus import Expect

from segmodels.labels.project import Project

IMAGE_REFUSE = ["truncated_png", "truncated_jpeg", "zero_bytes", "text_as_png", "header_bomb", "real_bomb",
                "jpeg_claims_huge"]
IMAGE_CONVERT = ["png_16bit", "one_bit", "cmyk_jpeg", "rgba", "palette"]


@pytest.fixture
def window(qtbot, messages):
    from app.window.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    notes: list[str] = []
    window.document.status_message.connect(notes.append)
    window.notes = notes
    return window


def _shown(messages, window) -> list[str]:
    return messages.texts() + window.notes


def _one_naming(texts: list[str], name: str) -> str:
    hits = [t for t in texts if name in t]
    assert hits, f"{name!r} not named in {texts!r}"
    for text in hits:
        assert "Traceback" not in text and "Unexpected error" not in text, text
    return hits[0]


@pytest.mark.parametrize("name", IMAGE_REFUSE + IMAGE_CONVERT)
def test_open_image(qtbot, messages, window, image_cases, tmp_path, name):
    case = next(c for c in image_cases if c.name == name)
    project = Project.open(corpus.make_project(tmp_path / "p ü", n_images=1))
    image = project.images_dir / case.path.name
    shutil.copyfile(case.path, image)
    good = project.image_paths()[0] if project.image_paths()[0] != image else project.image_paths()[1]
    assert window.open_path(good)
    opened = window.document.open_image(image)
    if case.expect is Expect.REFUSE:
        assert not opened
        _one_naming(messages.texts("error"), image.name)
        assert window.document.image_path == good    # still showing the last good image
        assert window.document.open_image(good)      # and the window keeps working
    else:
        assert opened and window.document.image.shape[:2] == corpus.SIZE
        text = _one_naming(window.notes, image.name)
        assert case.note.lower() in text.lower(), text


@pytest.mark.parametrize("name", ["label_wrong_size", "label_truncated", "label_unknown_colour",
                                  "label_out_of_range"])
def test_open_image_with_bad_label(qtbot, messages, window, tmp_path, name):
    case = {c.name: c for c in corpus.label_cases(tmp_path / "p ü")}[name]
    project = Project.open(tmp_path / "p ü")
    image = next(p for p in project.image_paths() if p.stem == case.path.stem)
    before = case.path.read_bytes()
    assert window.open_path(project.root)
    assert window.document.open_image(image)
    _one_naming(_shown(messages, window), case.path.name)
    assert case.path.read_bytes() == before    # nothing rewritten behind the user's back


def test_open_project_with_broken_json(qtbot, messages, window, corpus_root):
    for case in corpus.project_json_cases(corpus_root / "gui projects"):
        messages.shown.clear()
        assert not window.open_path(case.path.parent)
        _one_naming(messages.texts("error"), case.path.name)
        assert not window.open_path(case.path.parent / "images" / "a.png")


def test_checkpoints_refused_in_model_dock(qtbot, messages, tmp_path, corpus_root):
    """Each bad checkpoint chosen in the model dock gives one sentence naming it; no payload runs."""
    pytest.importorskip("torch")
    from app.docks.model import ModelDock
    from app.jobs.backend import ModelBackend
    from support.models import ProjectHost

    cases, marker = corpus.checkpoint_cases(corpus_root / "gui checkpoints")
    project = Project.open(corpus.make_project(tmp_path / "p"))
    dock = ModelDock(ProjectHost(project, project.image_paths()[0]), ModelBackend(), choose_file=lambda p: None)
    qtbot.addWidget(dock)
    try:
        for case in cases:
            messages.shown.clear()
            dock.select_checkpoint(case.path)
            dock.predict_current()
            qtbot.waitUntil(lambda: bool(messages.shown) and not dock.is_busy(), timeout=30000)
            shown = messages.texts()
            if case.name == "ckpt_wrong_classes":  # offered for fine-tuning, which is the fix
                assert any(case.path.name in t and "classes" in t for t in shown), shown
            else:
                _one_naming(shown, case.path.name)
            assert not marker.exists()
            assert not project.predictions_dir.exists() or not list(project.predictions_dir.iterdir())
    finally:
        dock.backend.pool.waitForDone(30000)


@pytest.mark.parametrize("name", ["label_wrong_size", "label_truncated", "label_unknown_colour"])
def test_saving_over_an_unshowable_label_keeps_the_original(qtbot, messages, window, tmp_path, name):
    """The document shows such a label empty and saving replaces it: the original bytes are kept."""
    case = {c.name: c for c in corpus.label_cases(tmp_path / "p ü")}[name]
    project = Project.open(tmp_path / "p ü")
    image = next(p for p in project.image_paths() if p.stem == case.path.stem)
    original = case.path.read_bytes()
    assert window.open_path(image)
    note = _one_naming(window.notes, case.path.name)
    assert "copy" in note
    stroke = window.document.begin_stroke("Brush")
    stroke.paint(0, 0, np.ones((3, 3), bool), 1)
    stroke.finish()
    assert window.document.save()
    kept = project.root / ".segstudio-recovery" / "replaced" / case.path.name
    assert kept.read_bytes() == original
    assert window.autosave.store.entries()[0] == []   # a kept copy is not mistaken for a recovery


def test_ranking_skips_damaged_confidence_maps(tmp_path, image_cases):
    """Rank by uncertainty reads predictions/<stem>.conf.png: a bomb or a truncated file there is
    left out of the ranking, never an error (it used a bare Image.open before)."""
    from segmodels.inference.uncertainty import RankingMode, confidence_scores

    project = Project.open(corpus.make_project(tmp_path / "p", n_images=3))
    images = project.image_paths()
    project.predictions_dir.mkdir(exist_ok=True)
    shutil.copyfile(next(c for c in image_cases if c.name == "header_bomb").path, project.confidence_path(images[0]))
    shutil.copyfile(next(c for c in image_cases if c.name == "truncated_png").path, project.confidence_path(images[1]))
    from PIL import Image

    Image.fromarray(np.full(corpus.SIZE, 128, np.uint8)).save(project.confidence_path(images[2]))
    scores = confidence_scores(project, images, RankingMode.MEAN)
    assert list(scores) == [images[2]] and abs(scores[images[2]] - (1 - 128 / 255)) < 1e-6
