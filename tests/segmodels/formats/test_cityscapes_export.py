"""Cityscapes written back (docs/formats.md, "Cityscapes"): an edit saved in place keeps the file's
kind with every untouched pixel byte-identical, and `export --format cityscapes-*` writes the three
kinds cityscapesScripts writes, equal to its files pixel for pixel, readable with its label table."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from segmodels.cli import main
from segmodels.formats.encodings import train_id_to_label_id
from segmodels.labels.export import iter_export
from segmodels.labels.project import Project
from support.cityscapes import label_file, make_cityscapes, stored, tables
from support.projects import make_project

KINDS = ("labelIds", "labelTrainIds", "color")
FORMATS = {"labelIds": "cityscapes-labelids", "labelTrainIds": "cityscapes-trainids", "color": "cityscapes-color"}
CAR, UNLABELLED = 13, 255


def paint(project: Project, image) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Car over one rectangle and 'unlabelled' over another, saved: (car pixels, pixels that became
    unlabelled, the new label). Painting unlabelled over ego vehicle or static changes no class, so
    those pixels keep their stored id."""
    label = project.read_label(image)
    before = label.copy()
    label[2:8, 3:12] = CAR
    label[12:15, 20:30] = UNLABELLED
    changed = label != before
    assert (changed[12:15, 20:30] != (before[12:15, 20:30] == UNLABELLED)).all()  # both cases are there
    project.write_label(image, label)
    return changed & (label == CAR), changed & (label == UNLABELLED), label


def test_edit_save_keeps_labelids_and_every_untouched_pixel(tmp_path):
    made = make_cityscapes(tmp_path / "cs", ("labelIds", "color"))
    project = Project.open(tmp_path / "cs")
    image, ids = next(iter(made.items()))
    file = project.label_path(image)
    car, cleared, label = paint(project, image)
    assert file.name.endswith("_gtFine_labelIds.png") and Image.open(file).mode == "L"
    after = stored(file)
    untouched = ~(car | cleared)
    assert np.array_equal(after[untouched], ids[untouched])  # ego vehicle (1), static (4), dynamic (5) kept
    assert set(np.unique(ids[untouched]).tolist()) >= {1, 4, 5, 18}
    assert (after[car] == 26).all() and (after[cleared] == 0).all()  # car = id 26; unlabelled = 0 'unlabeled'
    assert np.array_equal(Project.open(tmp_path / "cs").read_label(image), label)
    other = label_file(tmp_path / "cs", image, "color")
    assert np.array_equal(stored(other), tables()[1][ids])  # the colour file beside it is not touched


@pytest.mark.parametrize("mode", ["RGBA", "RGB"])
def test_edit_save_keeps_a_colour_file_mode_and_its_untouched_pixels(tmp_path, mode):
    """json2labelImg writes RGBA; a colour file some other tool re-saved as RGB stays RGB."""
    made = make_cityscapes(tmp_path / "cs", ("color",))
    project = Project.open(tmp_path / "cs")
    image, ids = next(iter(made.items()))
    Image.open(project.label_path(image)).convert(mode).save(project.label_path(image))
    before = stored(project.label_path(image))
    car, cleared, _label = paint(project, image)
    after = stored(project.label_path(image))
    assert after.shape == before.shape == ids.shape + (len(mode),)
    untouched = ~(car | cleared)
    assert np.array_equal(after[untouched], before[untouched])
    assert (after[car] == (0, 0, 142, 255)[:len(mode)]).all() and (after[cleared] == (0, 0, 0, 255)[:len(mode)]).all()


@pytest.mark.parametrize("source", [KINDS, ("labelIds",), ("color", "labelIds")])
def test_export_writes_what_cityscapes_scripts_wrote(tmp_path, source):
    """From a root with any of the kinds that keep label ids, each export equals the file cityscapesScripts
    made from the same ids: every byte of every pixel, RGBA colour files included."""
    made = make_cityscapes(tmp_path / "cs", source)
    reference = tmp_path / "reference"
    make_cityscapes(reference)
    project = Project.open(tmp_path / "cs")
    for kind, fmt in FORMATS.items():
        steps = list(iter_export(project, tmp_path / "out", fmt))
        assert [step.error for step in steps] == [None] * len(made)
        for image in made:
            exported = label_file(tmp_path / "out", image, kind)
            assert [s.written for s in steps if s.image == image] == [exported]
            assert Image.open(exported).mode == Image.open(label_file(reference, image, kind)).mode
            assert np.array_equal(stored(exported), stored(label_file(reference, image, kind))), kind


def test_export_from_train_ids_alone_maps_each_train_id_to_its_label_id(tmp_path):
    """With only labelTrainIds files, ids of no train class are unknown: unlabelled becomes id 0."""
    made = make_cityscapes(tmp_path / "cs", ("labelTrainIds",))
    project = Project.open(tmp_path / "cs")
    assert main(["export", str(tmp_path / "cs"), "--format", "cityscapes-labelids", "--out", str(tmp_path / "o")]) == 0
    train, rgba = tables()
    for image, ids in made.items():
        written = stored(label_file(tmp_path / "o", image, "labelIds"))
        assert np.array_equal(written, train_id_to_label_id()[train[ids]])
        assert np.array_equal(train[written], train[ids])  # same train ids: same meaning to a trainer
        assert (written[train[ids] == 255] == 0).all()
    assert project.label_encoding.value == "grey"


def test_export_after_an_edit_keeps_untouched_ids_and_writes_the_painted_ones(tmp_path):
    made = make_cityscapes(tmp_path / "cs", KINDS)  # edits go to labelTrainIds; labelIds is now stale
    project = Project.open(tmp_path / "cs")
    image, ids = next(iter(made.items()))
    car, cleared, label = paint(project, image)
    for fmt in FORMATS.values():
        list(iter_export(project, tmp_path / "out", fmt))
    written = stored(label_file(tmp_path / "out", image, "labelIds"))
    untouched = ~(car | cleared)
    assert np.array_equal(written[untouched], ids[untouched])
    assert (written[car] == 26).all() and (written[cleared] == 0).all()
    assert np.array_equal(stored(label_file(tmp_path / "out", image, "labelTrainIds")), label)
    colours = stored(label_file(tmp_path / "out", image, "color"))
    assert np.array_equal(colours, tables()[1][written])


def test_exported_files_read_with_cityscapes_scripts_label_table(tmp_path):
    """A reader using cityscapesScripts' own id2label gets our trainIds and colours from our labelIds."""
    labels = pytest.importorskip("cityscapesscripts.helpers.labels")
    made = make_cityscapes(tmp_path / "cs", ("labelIds",))
    project = Project.open(tmp_path / "cs")
    for fmt in FORMATS.values():
        list(iter_export(project, tmp_path / "out", fmt))
    for image in made:
        ids = stored(label_file(tmp_path / "out", image, "labelIds"))
        train_ids = np.vectorize(lambda i: labels.id2label[int(i)].trainId)(ids)
        assert np.array_equal(stored(label_file(tmp_path / "out", image, "labelTrainIds")), train_ids)
        colours = np.array([labels.id2label[int(i)].color for i in ids.reshape(-1)]).reshape(ids.shape + (3,))
        assert np.array_equal(stored(label_file(tmp_path / "out", image, "color"))[..., :3], colours)


def test_export_refuses_a_project_without_the_cityscapes_classes(tmp_path, capsys):
    make_project(tmp_path / "proj", count=2, labelled=2)
    code = main(["export", str(tmp_path / "proj"), "--format", "cityscapes-trainids", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "not the 19 Cityscapes train classes" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "o" / "gtFine").exists()


def test_export_skips_a_label_with_an_id_above_33_naming_it(tmp_path, capsys):
    made = make_cityscapes(tmp_path / "cs", ("labelIds",))
    bad = label_file(tmp_path / "cs", next(iter(made)), "labelIds")
    ids = stored(bad)
    ids[0, 0] = 40
    Image.fromarray(ids, mode="L").save(bad)
    code = main(["export", str(tmp_path / "cs"), "--format", "cityscapes-color", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 1 and "holds label id 40" in err and bad.name in err
    assert len(list((tmp_path / "o").rglob("*_gtFine_color.png"))) == len(made) - 1


def test_export_into_the_dataset_itself_is_refused(tmp_path, capsys):
    make_cityscapes(tmp_path / "cs", ("labelIds",))
    before = sorted(p.name for p in (tmp_path / "cs").rglob("*"))
    code = main(["export", str(tmp_path / "cs"), "--format", "cityscapes-labelids",
                 "--out", str(tmp_path / "cs" / "gtFine")])
    assert code == 2 and "--out" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "cs").rglob("*")) == before
