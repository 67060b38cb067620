"""Cityscapes opened, read and validated as cityscapesScripts made it (docs/formats.md, "Cityscapes"):
the layout, the 19 train classes, labelIds read as train ids (road, id 7, is train id 0), and the
label table checked against cityscapesScripts' own."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
from PIL import Image

from segmodels.cli import main
from segmodels.errors import StemClash
from segmodels.formats.cityscapes import CITYSCAPES
from segmodels.formats.encodings import LabelEncoding
from segmodels.labels.classes import cityscapes_classes, cityscapes_labels
from segmodels.labels.project import Project, open_path
from segmodels.validation.report import ProblemKind
from segmodels.validation.run import validate_path
from support.cityscapes import OFFICIAL_LABELS, label_file, make_cityscapes, official_labels, stored, tables

ROAD, EGO_VEHICLE, STATIC, POLEGROUP = 7, 1, 4, 18


def test_label_table_is_cityscapes_scripts_own():
    """Every label's id, name, train id and colour, against cityscapesScripts' helpers/labels.py
    (installed with the [test] extra; else against the copy in tests/support/cityscapes.py)."""
    ours = tuple((label.id, label.name, label.train_id, tuple(label.color)) for label in cityscapes_labels())
    assert ours == official_labels()
    assert official_labels() == OFFICIAL_LABELS  # the copy used without cityscapesScripts is the same table
    assert [c.name for c in cityscapes_classes()][:3] == ["road", "sidewalk", "building"]
    assert cityscapes_classes()[0].color == (128, 64, 128) and len(cityscapes_classes()) == 19


@pytest.mark.parametrize(("kinds", "encoding", "said"), [
    (("labelIds", "labelTrainIds", "color"), LabelEncoding.GREY, "labelTrainIds files hold the 19 train ids"),
    (("labelIds", "color"), LabelEncoding.LABEL_IDS, "labelIds files read as the 19 train ids"),
    (("color",), LabelEncoding.COLOR, "color files read by the official colours"),
    ((), LabelEncoding.LABEL_IDS, "no label files yet"),
])
def test_open_recognises_layout_classes_and_encoding(tmp_path, kinds, encoding, said):
    made = make_cityscapes(tmp_path / "cityscapes", kinds)
    project = Project.open(tmp_path / "cityscapes")
    assert project.layout is CITYSCAPES and project.classes == cityscapes_classes()
    assert project.label_encoding is encoding
    assert said in project.origin and "2 images in train, 2 in val." in project.origin
    assert project.image_paths() == sorted(made, key=lambda p: p.as_posix().lower())
    image = next(iter(made))
    kind = {LabelEncoding.GREY: "labelTrainIds", LabelEncoding.LABEL_IDS: "labelIds"}.get(encoding, "color")
    assert project.label_path(image) == label_file(project.root, image, kind)
    assert not (project.root / "segstudio.json").exists()  # worked on in place, nothing written at open


def test_labelids_read_as_train_ids(tmp_path):
    """The bug: a labelIds file read as train ids turned road (id 7) into traffic sign (train id 7)."""
    made = make_cityscapes(tmp_path / "cs", ("labelIds",))
    project = Project.open(tmp_path / "cs")
    train, _rgba = tables()
    for image, ids in made.items():
        label = project.read_label(image)
        assert np.array_equal(label, train[ids])
        assert (label[ids == ROAD] == 0).all() and (label[ids == ROAD] != 7).all()
        assert (label[(ids == EGO_VEHICLE) | (ids == STATIC)] == 255).all()


def test_colour_files_read_as_train_ids(tmp_path):
    """Colours of labels that are no train class (black, 'dynamic') read as unlabelled; 'polegroup'
    has the colour of 'pole', so a colour file cannot tell them apart."""
    made = make_cityscapes(tmp_path / "cs", ("color",))
    project = Project.open(tmp_path / "cs")
    train, _rgba = tables()
    for image, ids in made.items():
        expected = np.where(ids == POLEGROUP, np.uint8(5), train[ids])
        assert np.array_equal(project.read_label(image), expected)


def test_validate_root_is_clean_and_names_a_planted_id(tmp_path):
    made = make_cityscapes(tmp_path / "cs", ("labelIds", "color"))
    report = validate_path(tmp_path / "cs")
    assert report.ok and report.files_checked == len(made)  # labelIds only: no colour or instanceIds file
    bad = label_file(tmp_path / "cs", next(iter(made)), "labelIds")
    ids = stored(bad)
    ids[5, 6] = 40
    Image.fromarray(ids, mode="L").save(bad)
    report = validate_path(tmp_path / "cs")
    assert [(p.file, p.kind, p.count, p.first) for p in report.problems] == [
        (str(bad), ProblemKind.INDEX_OUT_OF_RANGE, 1, (5, 6))]
    assert "label ids outside 0..33 (values 40" in report.problems[0].message


def test_validate_trainids_root_checks_the_trainids_files_with_their_images(tmp_path):
    from segmodels.validation.targets import plan_validation

    made = make_cityscapes(tmp_path / "cs")
    table, jobs = plan_validation(tmp_path / "cs")
    assert table == cityscapes_classes()
    assert [(job.label.name, job.image) for job in jobs] == [
        (label_file(tmp_path / "cs", image, "labelTrainIds").name, image) for image in made]
    orphan = label_file(tmp_path / "cs", next(iter(made)), "labelTrainIds")
    shutil.copy(orphan, orphan.with_name("zz_000000_000001_gtFine_labelTrainIds.png"))
    report = validate_path(tmp_path / "cs")
    assert [p.kind for p in report.problems] == [ProblemKind.MISSING_IMAGE]


def test_validate_one_labelids_file_by_its_name_or_by_encoding(tmp_path, capsys):
    made = make_cityscapes(tmp_path / "cs", ("labelIds",))
    file = label_file(tmp_path / "cs", next(iter(made)), "labelIds")
    assert main(["validate", str(file)]) == 0  # in its tree: paired with its image, Cityscapes classes
    loose = tmp_path / "loose"
    loose.mkdir()
    named = shutil.copy(file, loose / file.name)
    assert main(["validate", str(named)]) == 0  # alone: the name says labelIds, and so Cityscapes
    plain = shutil.copy(file, loose / "plain.png")
    capsys.readouterr()
    assert main(["validate", str(plain), "--classes", "cityscapes"]) == 1  # ids read as train ids: car (26) > 18
    assert "index_out_of_range" in capsys.readouterr().out
    assert main(["validate", str(plain), "--encoding", "labelIds"]) == 0
    ids = stored(plain)
    ids[0, 0] = 40
    Image.fromarray(ids, mode="L").save(plain)
    assert main(["validate", str(plain), "--encoding", "labelIds", "--json"]) == 1
    assert '"first": [0, 0]' in capsys.readouterr().out


def test_validate_unknown_encoding_is_one_sentence(tmp_path, capsys):
    make_cityscapes(tmp_path / "cs", ("labelIds",))
    assert main(["validate", str(tmp_path / "cs"), "--encoding", "ids"]) == 2
    err = capsys.readouterr().err
    assert "Unknown label encoding 'ids'" in err and "Traceback" not in err


def test_validate_gtfine_split_checks_only_that_split(tmp_path):
    make_cityscapes(tmp_path / "cs", ("labelIds",))
    report = validate_path(tmp_path / "cs" / "gtFine" / "val")
    assert report.ok and report.files_checked == 2


def test_two_images_with_one_stem_in_a_city_are_refused(tmp_path):
    made = make_cityscapes(tmp_path / "cs", ("labelIds",))
    image = next(iter(made))
    Image.open(image).save(image.with_suffix(".jpg"))
    with pytest.raises(StemClash, match="share the name"):
        Project.open(tmp_path / "cs")


def test_same_stem_in_two_cities_is_fine(tmp_path):
    made = make_cityscapes(tmp_path / "cs", ("labelIds",))
    first, *_rest, last = made
    shutil.copy(first, last.parent / first.name)  # its label would be in the other city's folder
    assert len(Project.open(tmp_path / "cs").image_paths()) == len(made) + 1


def test_opening_an_image_opens_its_cityscapes_root(tmp_path):
    made = make_cityscapes(tmp_path / "cs", ("labelIds",))
    image = list(made)[2]
    project, selected = open_path(image)
    assert project.layout is CITYSCAPES and project.root == tmp_path / "cs" and selected == image


def test_json2labelimg_output_reads_as_its_train_ids(tmp_path):
    """Files made by cityscapesScripts itself (json2labelImg, from a polygons JSON): the labelIds file
    reads as exactly the labelTrainIds file, and the colour file as it too except polegroup."""
    json2label = pytest.importorskip("cityscapesscripts.preparation.json2labelImg")
    import json

    folder = tmp_path / "cs" / "gtFine" / "val" / "lindau"
    folder.mkdir(parents=True)
    images = tmp_path / "cs" / "leftImg8bit" / "val" / "lindau"
    images.mkdir(parents=True)
    Image.new("RGB", (64, 48)).save(images / "lindau_000000_000019_leftImg8bit.png")
    objects = [("road", [[0, 20], [63, 20], [63, 47], [0, 47]]), ("static", [[0, 0], [20, 0], [20, 20]]),
               ("car", [[30, 25], [50, 25], [50, 40], [30, 40]]), ("ego vehicle", [[0, 44], [63, 44], [63, 47]]),
               ("polegroup", [[55, 0], [60, 0], [60, 30], [55, 30]]), ("sky", [[21, 0], [50, 0], [50, 10]])]
    polygons = folder / "lindau_000000_000019_gtFine_polygons.json"
    polygons.write_text(json.dumps({"imgHeight": 48, "imgWidth": 64, "objects": [
        {"label": name, "polygon": polygon} for name, polygon in objects]}))
    for encoding, kind in (("ids", "labelIds"), ("trainIds", "labelTrainIds"), ("color", "color")):
        json2label.json2labelImg(str(polygons), str(folder / f"lindau_000000_000019_gtFine_{kind}.png"), encoding)
    project = Project.open(tmp_path / "cs")
    assert project.label_encoding is LabelEncoding.GREY
    train = stored(folder / "lindau_000000_000019_gtFine_labelTrainIds.png")
    ids = stored(folder / "lindau_000000_000019_gtFine_labelIds.png")
    assert (ids == ROAD).any() and (ids == STATIC).any() and (ids == EGO_VEHICLE).any()
    for kind in ("labelIds", "color"):
        label = project.read_label_file(folder / f"lindau_000000_000019_gtFine_{kind}.png")
        expected = np.where(ids == POLEGROUP, np.uint8(5), train) if kind == "color" else train
        assert np.array_equal(label, expected), kind
    assert validate_path(tmp_path / "cs").ok
