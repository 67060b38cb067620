"""`segstudio convert`: label files between encodings, index-exact, never over the sources unless
--in-place (then with the originals kept), and projects of every encoding train and evaluate."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from segmodels.cli import main as cli_main
from segmodels.constants import IGNORE_INDEX
from segmodels.demo import write_demo_project
from segmodels.formats.encodings import LabelEncoding, detect_encoding, read_label_file
from segmodels.labels.classes import voc_classes
from segmodels.labels.labelio import write_label_png
from segmodels.labels.project import Project


def voc_labels(folder: Path, count: int = 3) -> dict[str, np.ndarray]:
    """SegmentationClass-style palette PNGs with the 21 VOC classes and 255 borders."""
    folder.mkdir(parents=True)
    maps = {}
    for index in range(count):
        label_map = np.random.default_rng(index).integers(0, 21, (10, 12), dtype=np.uint8)
        label_map[0] = IGNORE_INDEX
        write_label_png(folder / f"2007_00000{index}.png", label_map, voc_classes())
        maps[f"2007_00000{index}"] = label_map
    return maps


@pytest.mark.parametrize(("to", "suffix"), [("grey", ".png"), ("color", ".png"), ("onehot", ".npy"),
                                            ("palette", ".png")])
def test_folder_converts_index_exact_and_back(tmp_path, capsys, to, suffix):
    maps = voc_labels(tmp_path / "SegmentationClass")
    assert cli_main(["convert", str(tmp_path / "SegmentationClass"), "--to", to, "--out", str(tmp_path / "out")]) == 0
    assert "Converted 3 of 3 label file(s)" in capsys.readouterr().out
    for stem, label_map in maps.items():
        written = tmp_path / "out" / f"{stem}{suffix}"
        assert detect_encoding(written) is LabelEncoding(to)
        assert np.array_equal(read_label_file(written, voc_classes()), label_map)
    if to == "grey":
        assert np.array_equal(cv2.imread(str(tmp_path / "out" / "2007_000001.png"), cv2.IMREAD_GRAYSCALE),
                              maps["2007_000001"])
    assert cli_main(["convert", str(tmp_path / "out"), "--to", "palette", "--out", str(tmp_path / "back")]) == 0
    for stem, label_map in maps.items():
        back = tmp_path / "back" / f"{stem}.png"
        assert Image.open(back).mode == "P" and np.array_equal(np.array(Image.open(back)), label_map)
    assert sorted(p.name for p in (tmp_path / "SegmentationClass").iterdir()) == [f"{s}.png" for s in maps]


def test_one_file_and_a_bad_file_among_good_ones(tmp_path, capsys):
    maps = voc_labels(tmp_path / "labels")
    (tmp_path / "labels" / "broken.png").write_text("not a png")
    assert cli_main(["convert", str(tmp_path / "labels" / "2007_000000.png"), "--to", "grey",
                     "--out", str(tmp_path / "one")]) == 0
    assert [p.name for p in (tmp_path / "one").iterdir()] == ["2007_000000.png"]
    capsys.readouterr()
    assert cli_main(["convert", str(tmp_path / "labels"), "--to", "onehot", "--out", str(tmp_path / "out")]) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "broken.png" in lines[0] and "Traceback" not in captured.err
    assert "Converted 3 of 4" in captured.out and "1 skipped" in captured.out
    assert len(list((tmp_path / "out").iterdir())) == len(maps)


@pytest.mark.parametrize("args", [[], ["--out", "x", "--in-place"]])
def test_out_or_in_place_is_required(tmp_path, capsys, args):
    voc_labels(tmp_path / "labels")
    assert cli_main(["convert", str(tmp_path / "labels"), "--to", "grey", *args]) == 2
    assert "--out" in capsys.readouterr().err


def test_output_on_the_sources_is_refused(tmp_path, capsys):
    voc_labels(tmp_path / "labels")
    before = {p.name: p.read_bytes() for p in (tmp_path / "labels").iterdir()}
    assert cli_main(["convert", str(tmp_path / "labels"), "--to", "grey", "--out", str(tmp_path / "labels")]) == 2
    assert "nothing was written" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in (tmp_path / "labels").iterdir()} == before


def test_colour_with_an_unknown_colour_is_one_sentence_with_where(tmp_path, capsys):
    folder = tmp_path / "cvat"
    folder.mkdir()
    rgb = voc_classes().palette()[np.zeros((5, 6), np.uint8)]
    rgb[2, 3] = (7, 7, 7)
    Image.fromarray(rgb).save(folder / "frame_000000.png")
    assert cli_main(["convert", str(folder), "--to", "grey", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "(7, 7, 7) at [y, x] = [2, 3]" in err and err.count("\n") == 1


def test_cityscapes_names_are_never_made_to_lie(tmp_path, capsys):
    folder = tmp_path / "gtFine"
    folder.mkdir()
    Image.fromarray(np.full((4, 4), 7, np.uint8), mode="L").save(folder / "a_gtFine_labelIds.png")
    assert cli_main(["convert", str(folder), "--to", "grey", "--out", str(tmp_path / "out")]) == 1
    assert "names its encoding (labelIds)" in capsys.readouterr().err


def test_in_place_keeps_the_originals_and_records_the_encoding(tmp_path, capsys):
    project = write_demo_project(tmp_path / "demo", seed=1, count=4)
    before = {p.name: p.read_bytes() for p in project.labels_dir.iterdir()}
    maps = {image.stem: project.read_label(image) for image in project.image_paths()}
    assert cli_main(["convert", str(project.root), "--to", "onehot", "--in-place"]) == 0
    out = capsys.readouterr().out
    backup, = (p for p in project.root.iterdir() if p.name.startswith("labels-before-convert-"))
    assert {p.name: p.read_bytes() for p in backup.iterdir()} == before and str(backup) in out
    assert sorted(p.name for p in project.labels_dir.iterdir()) == sorted(f"{s}.npy" for s in maps)
    assert json.loads(project.config_path.read_text())["label_encoding"] == "onehot"
    again = Project.open(project.root)
    assert again.label_encoding is LabelEncoding.ONEHOT and len(again.labelled_images()) == 4
    assert all(np.array_equal(again.read_label(image), maps[image.stem]) for image in again.image_paths())
    assert np.load(again.label_path(again.image_paths()[0])).shape == (11, 64, 84)


def test_plain_folder_in_place_becomes_a_project_with_the_classes_used(tmp_path, capsys):
    root = tmp_path / "plain"
    (root / "images").mkdir(parents=True)
    maps = voc_labels(root / "labels")
    for stem in maps:
        Image.new("RGB", (12, 10)).save(root / "images" / f"{stem}.jpg")
    assert cli_main(["convert", str(root), "--to", "color", "--in-place", "--classes", "voc"]) == 0
    project = Project.open(root)
    assert project.label_encoding is LabelEncoding.COLOR and project.classes == voc_classes()
    assert all(np.array_equal(project.read_label(image), maps[image.stem]) for image in project.image_paths())


@pytest.mark.slow
def test_one_hot_and_colour_projects_train_evaluate_and_export(tmp_path, capsys):
    """What items 6 and 7 ask: such projects are trained on, evaluated and exported like palette ones."""
    project = write_demo_project(tmp_path / "demo", seed=2, count=8)
    maps = {image.stem: project.read_label(image) for image in project.image_paths()}
    assert cli_main(["convert", str(project.root), "--to", "onehot", "--in-place"]) == 0
    assert cli_main(["train", str(project.root), "--arch", "m2nist_fcn", "--epochs", "1", "--batch-size", "8"]) == 0
    checkpoint, = (p for p in project.models_dir.glob("m2nist_fcn-*.pt") if not p.name.endswith(".last.pt"))
    capsys.readouterr()
    for encoding in ("onehot", "color"):
        if encoding == "color":
            assert cli_main(["convert", str(project.root), "--to", "color", "--in-place"]) == 0
            capsys.readouterr()
        assert cli_main(["evaluate", str(project.root), "--model", str(checkpoint), "--json"]) == 0
        result = json.loads(capsys.readouterr().out)
        assert result["images"] == 8 and not result["skipped"]
        out = tmp_path / f"export-{encoding}"
        assert cli_main(["export", str(project.root), "--format", "palette", "--out", str(out)]) == 0
        assert all(np.array_equal(np.array(Image.open(out / f"{s}.png")), m) for s, m in maps.items())


def test_from_reads_grey_masks_as_binary(tmp_path, capsys):
    folder = tmp_path / "masks"
    folder.mkdir()
    Image.fromarray(np.array([[0, 255], [255, 0]], np.uint8), mode="L").save(folder / "m.png")
    assert cli_main(["convert", str(folder), "--to", "grey", "--from", "binary", "--out", str(tmp_path / "out")]) == 0
    assert np.array(Image.open(tmp_path / "out" / "m.png")).tolist() == [[0, 1], [1, 0]]
    assert cli_main(["convert", str(folder), "--to", "grey", "--from", "jpeg", "--out", str(tmp_path / "x")]) == 2
    assert "Unknown label encoding 'jpeg'" in capsys.readouterr().err
