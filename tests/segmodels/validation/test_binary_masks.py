"""0/255 grey masks no longer pass as index maps whose foreground is "unlabelled": they are named as
likely binary masks, and `--binary` reads 255 as class 1 (background/foreground when no table is given)."""
from __future__ import annotations

import json

import numpy as np
from PIL import Image

from segmodels.cli import main
from segmodels.labels.classes import ClassTable
from segmodels.labels.labelio import write_label_png
from segmodels.labels.project import Project
from segmodels.validation.report import PIXEL_KINDS, LabelJob, ProblemKind, ValidationOptions
from segmodels.validation.run import check_label, invalid_pixels, validate_path

MASK = np.zeros((8, 10), np.uint8)
MASK[2:5, 3:7] = 255   # 12 foreground pixels, the first at [2, 3]


def _grey(path, values) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(values, np.uint8), mode="L").save(path)


def test_a_0_255_grey_file_is_named_as_a_binary_mask(tmp_path, capsys):
    _grey(tmp_path / "masks" / "cell.png", MASK)
    assert main(["validate", str(tmp_path / "masks")]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == (f"{tmp_path / 'masks' / 'cell.png'}: binary_mask: Label holds only 0 and 255: a binary mask? "
                        "255 is read as unlabelled (12 pixels); use --binary to read 255 as foreground.")
    assert main(["validate", str(tmp_path / "masks"), "--json"]) == 1
    problem, = json.loads(capsys.readouterr().out)["problems"]
    assert (problem["kind"], problem["count"], problem["first"]) == ("binary_mask", 12, [2, 3])


def test_binary_reads_255_as_foreground_with_a_two_class_table(tmp_path, capsys):
    _grey(tmp_path / "masks" / "cell.png", MASK)
    assert main(["validate", str(tmp_path / "masks"), "--binary"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Class table: --binary (2 classes), because no table was given and --binary reads 0 as "
                          "background, 255 as foreground.") and "all valid" in out
    assert main(["validate", str(tmp_path / "masks"), "--binary", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["class_table"]["classes"] == ["background", "foreground"]


def test_binary_reports_values_that_are_no_mask_value(tmp_path):
    values = MASK.copy()
    values[7, 9] = 128
    values[0, 1] = 1          # a 1-bit mask's foreground: allowed
    _grey(tmp_path / "m.png", values)
    report = validate_path(tmp_path / "m.png", binary=True)
    problem, = report.problems
    assert problem.kind is ProblemKind.INDEX_OUT_OF_RANGE and problem.first == (7, 9) and problem.count == 1
    assert "values 128" in problem.message and "--binary" in problem.message


def test_binary_decodes_to_class_indices(tmp_path):
    _grey(tmp_path / "m.png", MASK)
    result, decoded = check_label(LabelJob(tmp_path / "m.png"),
                                  ValidationOptions(ClassTable.from_names(["bg", "fg"]), binary=True))
    assert result.ok
    np.testing.assert_array_equal(decoded.label_map, (MASK == 255).astype(np.uint8))


def test_index_maps_and_palette_files_are_not_binary_masks(tmp_path):
    voc_void = np.zeros((8, 10), np.uint8)
    voc_void[0] = 255
    write_label_png(tmp_path / "palette.png", voc_void, ClassTable.from_names(["bg", "fg"]))  # VOC's void border
    _grey(tmp_path / "index.png", np.where(MASK == 255, 1, 0))
    _grey(tmp_path / "void.png", np.where(MASK == 255, 1, 255))  # class 1 + unlabelled: an index map
    _grey(tmp_path / "empty.png", np.zeros((8, 10)))
    assert validate_path(tmp_path).ok


def test_one_bit_masks_are_read(tmp_path):
    Image.fromarray(MASK == 255).convert("1").save(tmp_path / "bits.png")
    assert Image.open(tmp_path / "bits.png").mode == "1"
    assert validate_path(tmp_path / "bits.png").ok  # 0 and 1: two VOC classes
    assert validate_path(tmp_path / "bits.png", binary=True).ok


def test_binary_with_a_project_keeps_the_projects_table(tmp_path, capsys):
    project = Project.create(tmp_path / "proj", ClassTable.from_names(["background", "nucleus", "membrane"]))
    Image.new("RGB", (10, 8)).save(project.images_dir / "a.png")
    _grey(project.labels_dir / "a.png", MASK)
    assert main(["validate", str(project.root), "--binary", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["class_table"]["source"] == "project file segstudio.json"


def test_binary_needs_a_class_one(tmp_path, capsys):
    _grey(tmp_path / "m.png", MASK)
    one = tmp_path / "one.json"
    one.write_text(json.dumps({"names": ["only"]}))
    assert main(["validate", str(tmp_path / "m.png"), "--binary", "--classes", str(one)]) == 2
    err = capsys.readouterr().err
    assert "--binary reads 255 as class 1" in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_the_binary_mask_pixels_are_what_the_window_highlights(tmp_path):
    _grey(tmp_path / "m.png", MASK)
    assert ProblemKind.BINARY_MASK in PIXEL_KINDS
    np.testing.assert_array_equal(invalid_pixels(tmp_path / "m.png", ClassTable.from_names(["a", "b"])), MASK == 255)


def test_a_project_storing_binary_masks_reads_them_as_such(tmp_path):
    from dataclasses import replace

    from segmodels.formats.encodings import LabelEncoding

    project = Project.create(tmp_path / "cells", ClassTable.from_names(["background", "cell"]))
    replace(project, label_encoding=LabelEncoding.BINARY).save(force=True)
    Image.new("RGB", (10, 8)).save(project.images_dir / "a.png")
    _grey(project.labels_dir / "a.png", MASK)
    assert Project.open(project.root).label_encoding is LabelEncoding.BINARY
    assert validate_path(project.root).ok  # 255 is its foreground, not a suspicious "unlabelled"
    project.labels_dir.joinpath("a.png").unlink()
    _grey(project.labels_dir / "a.png", np.where(MASK == 255, 7, 0))
    assert [p.kind for p in validate_path(project.root).problems] == [ProblemKind.INDEX_OUT_OF_RANGE]
