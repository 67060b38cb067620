"""The demo project generator and the train/evaluate commands, as a new user runs them."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from segmodels.cli import main as cli_main
from segmodels.demo import IMAGE_HEIGHT, IMAGE_WIDTH, _source_digits, write_demo_project
from segmodels.errors import SegError
from segmodels.labels.imageio import open_pil
from segmodels.labels.project import Project


def _tree_digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_writes_the_same_project_byte_for_byte(tmp_path: Path) -> None:
    write_demo_project(tmp_path / "a", seed=5, count=6)
    write_demo_project(tmp_path / "b", seed=5, count=6)
    write_demo_project(tmp_path / "c", seed=6, count=6)
    assert _tree_digest(tmp_path / "a") == _tree_digest(tmp_path / "b")
    assert _tree_digest(tmp_path / "a") != _tree_digest(tmp_path / "c")


def test_demo_images_labels_and_classes(tmp_path: Path) -> None:
    project = write_demo_project(tmp_path / "demo", seed=0, count=8)
    assert project.classes.names == ["background", *(f"digit {d}" for d in range(10))]
    assert tuple(project.classes[1].color) == (128, 0, 0)  # VOC colours
    images = project.image_paths()
    assert len(images) == 8 and len(project.labelled_images()) == 8
    for image in images:
        pil = open_pil(image)
        assert pil.mode == "L" and pil.size == (IMAGE_WIDTH, IMAGE_HEIGHT)
        label_map = project.read_label(image)
        assert label_map.max() <= 10 and (label_map > 0).any()
        pixels = np.asarray(pil)
        assert (pixels[label_map > 0] > pixels[label_map == 0].max()).all()  # strokes are the bright pixels


def test_seeds_of_different_parity_use_disjoint_source_digits() -> None:
    even, _ = _source_digits(0)
    odd, _ = _source_digits(1)
    even_keys = {d.tobytes() for d in even}
    assert sum(d.tobytes() in even_keys for d in odd) <= 2  # sklearn has a few exact duplicate digits


def test_demo_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("keep me")
    with pytest.raises(SegError, match="not an empty folder"):
        write_demo_project(tmp_path, count=1)
    assert (tmp_path / "x.txt").read_text() == "keep me"


def test_cli_demo_train_evaluate(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    project = tmp_path / "demo"
    assert cli_main(["demo", str(project), "--count", "12", "--seed", "2"]) == 0
    assert cli_main(["train", str(project), "--arch", "m2nist_fcn", "--epochs", "1", "--batch-size", "8"]) == 0
    out = capsys.readouterr().out
    assert "background" in out and "IoU" in out and "mIoU" in out
    checkpoint, = (p for p in (project / "models").glob("m2nist_fcn-*.pt") if not p.name.endswith(".last.pt"))
    metrics = json.loads(checkpoint.with_suffix(".json").read_text())
    assert set(metrics["per_class_iou"]) == set(Project.open(project).classes.names)
    assert cli_main(["evaluate", str(project), "--model", str(checkpoint), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"miou", "per_class_iou", "dice", "pixel_accuracy"} <= set(result)
    assert result["images"] == 12 and 0.0 <= result["miou"] <= 1.0


def test_cli_train_without_labels_is_one_sentence(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    project = Project.create(tmp_path / "empty", Project.open(tmp_path).classes)
    assert cli_main(["train", str(project.root), "--arch", "m2nist_fcn"]) == 2
    err = capsys.readouterr().err
    assert "no reviewed labels" in err and "Traceback" not in err
