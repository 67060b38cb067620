"""`segstudio validate` and `segstudio export`: exit codes, plain and JSON output, errors in one sentence."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from segmodels.cli import main
from segmodels.labels.classes import voc_classes
from segmodels.labels.labelio import read_label_png, write_label_png
from segmodels.labels.project import Project
from support import REPO  # noqa: E402
from support.labels import clean_label, make_voc_mix, save_rgb


def test_validate_voc_mix_json_names_exactly_the_bad_files(tmp_path, capsys):
    planted = make_voc_mix(tmp_path / "VOC mix")
    assert main(["validate", str(tmp_path / "VOC mix"), "--json"]) == 1
    out = capsys.readouterr().out
    data = json.loads(out)  # exactly one object, nothing else on stdout
    assert set(data) == {"files_checked", "problems", "class_table"} and data["files_checked"] == 3 + len(planted)
    assert data["class_table"]["source"] == "the voc dataset layout" and len(data["class_table"]["classes"]) == 21
    assert "PASCAL VOC layout" in data["class_table"]["why"]
    assert {Path(p["file"]).name for p in data["problems"]} == set(planted)
    for problem in data["problems"]:
        assert set(problem) == {"file", "kind", "count", "first", "message"}
        assert isinstance(problem["count"], int) and problem["count"] >= 1 and problem["message"]
        first = problem["first"]
        assert first is None or (len(first) == 2 and all(isinstance(v, int) for v in first))
    kinds = {(Path(p["file"]).name, p["kind"]) for p in data["problems"]}
    assert all((name, kind) in kinds for name, kind in planted.items())


def test_validate_plain_output_one_line_per_problem_and_a_summary(tmp_path, capsys):
    planted = make_voc_mix(tmp_path / "voc")
    assert main(["validate", str(tmp_path / "voc")]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("Class table: the voc dataset layout (21 classes), because the folder was recognised "
                               "at open: PASCAL VOC layout")
    problem_lines, summary = lines[1:-1], lines[-1]
    assert {Path(line.split(": ")[0]).name for line in problem_lines} == set(planted)
    assert f"{3 + len(planted)} label files checked" in summary and f"{len(planted)} with problems" in summary


def test_validate_clean_folder_exits_0(tmp_path, capsys):
    for index in range(3):
        write_label_png(tmp_path / f"ok {index}.png", clean_label(seed=index), voc_classes())
    assert main(["validate", str(tmp_path), "--classes", "voc"]) == 0
    assert "all valid" in capsys.readouterr().out
    assert main(["validate", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"files_checked": 3, "problems": [], "class_table": {
        "source": "VOC preset", "why": "no table was given and no class list was found",
        "classes": voc_classes().names}}


def test_validate_could_not_run_exits_2_with_one_sentence(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    write_label_png(tmp_path / "l.png", clean_label(), voc_classes())
    assert main(["validate", str(tmp_path / "l.png"), "--classes", str(tmp_path / "nope.json")]) == 2
    assert "neither a preset" in capsys.readouterr().err
    assert main(["validate"]) == 2  # missing argument: a usage sentence, no traceback
    assert "Traceback" not in capsys.readouterr().err


def test_validate_cityscapes_classes_flag(tmp_path, capsys):
    write_label_png(tmp_path / "city.png", np.array([[0, 18, 255]], np.uint8), voc_classes())
    assert main(["validate", str(tmp_path / "city.png"), "--classes", "cityscapes"]) == 0
    write_label_png(tmp_path / "city.png", np.array([[0, 19, 255]], np.uint8), voc_classes())
    assert main(["validate", str(tmp_path / "city.png"), "--classes", "cityscapes", "--json"]) == 1
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["problems"][0]["first"] == [0, 1]


def test_validate_writes_previews(tmp_path, capsys):
    planted = make_voc_mix(tmp_path / "voc")
    assert main(["validate", str(tmp_path / "voc"), "--previews", str(tmp_path / "previews")]) == 1
    written = {p.name for p in (tmp_path / "previews").iterdir()}
    assert "2007_000003.png" in written and "2007_000000.png" in written
    assert "2007_000005.png" not in written and set(planted) - written  # unreadable labels have no preview


def _labelled_project(root: Path) -> Project:
    project = Project.create(root, voc_classes())
    for index in range(3):
        save_rgb(project.images_dir / f"im {index}.png", seed=index)
        project.write_label(project.images_dir / f"im {index}.png", clean_label(seed=index))
    return project


def test_export_formats(tmp_path, capsys):
    project = _labelled_project(tmp_path / "proj")
    for fmt in ("palette", "color", "overlay"):
        out = tmp_path / f"out {fmt}"
        assert main(["export", str(project.root), "--format", fmt, "--out", str(out), "--alpha", "0.4"]) == 0
        assert sorted(p.name for p in out.iterdir()) == ["im 0.png", "im 1.png", "im 2.png"]
        assert "Exported 3 of 3" in capsys.readouterr().out
    assert np.array_equal(read_label_png(tmp_path / "out palette" / "im 1.png"), clean_label(seed=1))


def test_export_errors(tmp_path, capsys):
    project = _labelled_project(tmp_path / "proj")
    assert main(["export", str(project.root), "--format", "jpeg", "--out", str(tmp_path / "o")]) == 2
    assert "invalid choice" in capsys.readouterr().err
    assert main(["export", str(project.root), "--out", str(tmp_path / "o"), "--alpha", "3"]) == 2
    assert "--alpha" in capsys.readouterr().err
    empty = Project.create(tmp_path / "empty", voc_classes())
    assert main(["export", str(empty.root), "--out", str(tmp_path / "o")]) == 2
    assert "no labelled images" in capsys.readouterr().err


def test_python_dash_m_segmodels_subprocess(tmp_path):
    planted = make_voc_mix(tmp_path / "ünï cødé root")
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-m", "segmodels", "validate", str(tmp_path / "ünï cødé root"), "--json"],
                            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    assert {Path(p["file"]).name for p in data["problems"]} == set(planted)
    missing = subprocess.run([sys.executable, "-m", "segmodels", "validate", str(tmp_path / "nope")],
                             capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr and "does not exist" in missing.stderr
