"""Every validation run names the class table it checked against and why it was chosen, in plain output
and in --json; one-hot stacks with no table given get one class per channel."""
from __future__ import annotations

import json

import numpy as np
from PIL import Image

from segmodels.cli import main
from segmodels.labels.classes import ClassTable, voc_classes
from segmodels.labels.project import Project
from segmodels.validation.run import validate_path
from support.splits_datasets import make_ade20k

THREE = ClassTable.from_names(["background", "cat", "dog"])


def _grey(path, values) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(values, np.uint8), mode="L").save(path)


def _validate(capsys, *argv):
    code = main(["validate", *map(str, argv)])
    plain = capsys.readouterr().out.splitlines()
    assert main(["validate", *map(str, argv), "--json"]) == code
    return code, plain, json.loads(capsys.readouterr().out)


def test_same_file_valid_for_voc_and_invalid_for_a_project_and_each_run_says_why(tmp_path, capsys):
    label = np.array([[0, 1], [2, 20]], np.uint8)
    _grey(tmp_path / "loose" / "x.png", label)
    project = Project.create(tmp_path / "proj", THREE)
    Image.new("RGB", (2, 2)).save(project.images_dir / "x.png")
    _grey(project.labels_dir / "x.png", label)

    code, plain, data = _validate(capsys, tmp_path / "loose")
    assert code == 0
    assert plain[0] == "Class table: VOC preset (21 classes), because no table was given and no class list was found."
    assert data["class_table"] == {"source": "VOC preset", "why": "no table was given and no class list was found",
                                   "classes": voc_classes().names}

    code, plain, data = _validate(capsys, project.root)
    assert code == 1
    assert plain[0] == "Class table: project file segstudio.json (3 classes), because it is the project's own table."
    assert data["class_table"]["classes"] == ["background", "cat", "dog"]
    assert [p["kind"] for p in data["problems"]] == ["index_out_of_range"]

    # a label file inside the project is checked against the project's table too
    code, plain, data = _validate(capsys, project.labels_dir / "x.png")
    assert code == 1 and data["class_table"]["source"] == "project file segstudio.json"


def test_classes_option_is_named_with_its_argument(tmp_path, capsys):
    _grey(tmp_path / "masks" / "x.png", [[0, 6]])
    table_file = tmp_path / "seven.json"
    table_file.write_text(json.dumps({"names": [f"c{k}" for k in range(7)]}))
    code, plain, data = _validate(capsys, tmp_path / "masks" / "x.png", "--classes", table_file)
    assert code == 0
    assert plain[0] == (f"Class table: --classes {table_file} (7 classes), because it was given with --classes.")
    assert data["class_table"]["source"] == f"--classes {table_file}" and len(data["class_table"]["classes"]) == 7


def test_onehot_stacks_without_a_table_get_one_class_per_channel(tmp_path, capsys):
    rng = np.random.default_rng(0)
    for index, channels_last in enumerate((True, False)):
        hot = np.eye(10, dtype=np.uint8)[rng.integers(0, 10, (16, 20))]  # 16 x 20 x 10: indices 0..9
        np.save(tmp_path / f"m{index}.npy", hot if channels_last else np.moveaxis(hot, -1, 0))
    code, plain, data = _validate(capsys, tmp_path)
    assert code == 0  # against VOC's 21 classes both stacks would be "10 channels, 21 classes"
    assert plain[0].startswith("Class table: one-hot channel count (10 channels -> 10 classes) (10 classes), because "
                               "no table was given and m0.npy is a one-hot stack of 10 channels")
    assert data["class_table"]["classes"] == [f"class {k}" for k in range(10)]

    code, plain, data = _validate(capsys, tmp_path, "--implicit-background")
    assert data["class_table"]["classes"][:2] == ["background", "class 1"] and len(data["class_table"]["classes"]) == 11
    assert code == 0  # 10 channels are classes 1..10 after the implicit background
    assert "10 channels -> 11 classes with implicit background" in plain[0]


def test_onehot_stack_with_another_channel_count_is_checked_against_the_first(tmp_path):
    np.save(tmp_path / "a.npy", np.eye(4, dtype=np.uint8)[np.zeros((6, 8), int)])
    np.save(tmp_path / "b.npy", np.eye(5, dtype=np.uint8)[np.zeros((6, 8), int)])
    report = validate_path(tmp_path)
    assert len(report.class_table.table) == 4 and "a.npy" in report.class_table.why
    assert [(p.file.endswith("b.npy"), p.kind.value) for p in report.problems] == [(True, "onehot_shape")]


def test_plain_folder_with_labels_names_segstudios_default(tmp_path, capsys):
    Image.new("RGB", (2, 2)).save(tmp_path / "x.png")
    _grey(tmp_path / "labels" / "x.png", [[0, 1], [1, 0]])
    code, plain, data = _validate(capsys, tmp_path)
    assert code == 0
    assert data["class_table"]["source"] == "segstudio's default classes"
    assert "no segstudio.json" in data["class_table"]["why"]


def test_ade_root_validates_against_its_own_151_classes(tmp_path, capsys):
    make_ade20k(tmp_path)
    root = tmp_path / "ADEChallengeData2016"
    code, plain, data = _validate(capsys, root)
    assert code == 0 and data["files_checked"] == 4
    assert data["class_table"]["source"] == "the ade20k dataset layout"
    assert data["class_table"]["classes"][:2] == ["other", "wall"] and len(data["class_table"]["classes"]) == 151
    assert "objectInfo150.csv" in data["class_table"]["why"] and "objectInfo150.csv" in plain[0]

    bad = root / "annotations" / "validation" / "ADE_val_00000002.png"
    values = np.array(Image.open(bad))
    values[1, 2] = 151
    _grey(bad, values)
    code, plain, data = _validate(capsys, root / "annotations" / "validation")  # one split's label folder
    assert code == 1 and data["files_checked"] == 2
    problem, = data["problems"]
    assert problem["kind"] == "index_out_of_range" and problem["first"] == [1, 2] and "0..150" in problem["message"]

    code, plain, data = _validate(capsys, bad)  # one file: still ADE's table, still paired with its image
    assert code == 1 and data["files_checked"] == 1 and data["class_table"]["source"] == "the ade20k dataset layout"
    (root / "images" / "validation" / "ADE_val_00000002.jpg").unlink()
    code, plain, data = _validate(capsys, bad)
    assert {p["kind"] for p in data["problems"]} == {"index_out_of_range", "missing_image"}


def test_report_api_carries_the_named_table(tmp_path):
    _grey(tmp_path / "x.png", [[0, 1]])
    assert validate_path(tmp_path / "x.png").class_table.source == "VOC preset"
    named = validate_path(tmp_path / "x.png", THREE).class_table
    assert (named.source, named.table) == ("the table given", THREE)
