"""COCO in and out (segmodels/formats/coco.py, coco_export.py): pycocotools rasterises what is read and
decodes what is written; both round trips are index-exact."""
from __future__ import annotations

import json

import numpy as np
import pytest
from pycocotools import mask as coco_mask
from pycocotools.coco import COCO

from segmodels.cli import main
from segmodels.constants import IGNORE_INDEX
from segmodels.errors import SegError
from segmodels.formats.coco import SIDE_FILE, plan_coco_import
from segmodels.formats.coco_export import iter_export_coco
from segmodels.formats.importing import iter_import
from segmodels.labels.classes import ClassTable
from segmodels.labels.project import Project
from support.annotations import (
    COCO_CLASSES,
    box,
    coco_annotation,
    compressed_rle,
    make_coco_dataset,
    write_coco,
    write_image,
)


def import_coco(annotations, images, out, cancel=None):
    plan = plan_coco_import(annotations, images, out)
    steps = list(iter_import(plan, cancel) if cancel else iter_import(plan))
    return plan, steps, Project.open(out)


def labels_of(project: Project) -> dict[str, np.ndarray]:
    return {image.name: project.read_label(image) for image in project.labelled_images()}


def test_import_rasterises_polygons_rle_and_crowd_the_later_annotation_wins(tmp_path):
    annotations, images, expected = make_coco_dataset(tmp_path / "coco")
    plan, steps, project = import_coco(annotations, images, tmp_path / "project")
    assert [s.error for s in steps] == [None, None] and all(not s.notes for s in steps)
    assert project.classes.names == COCO_CLASSES
    assert plan.notes == ()
    got = labels_of(project)
    assert set(got) == set(expected)
    for name, label in expected.items():
        assert np.array_equal(got[name], label), name
        assert (project.images_dir / name).read_bytes() == (images / name).read_bytes()  # copied unchanged
    assert project.label_encoding_of(project.label_path(project.images_dir / "a.jpg")).value == "palette"
    record = json.loads((project.root / SIDE_FILE).read_text())
    assert [(c["index"], c["id"]) for c in record["categories"]] == [(0, None), (1, 1), (2, 17), (3, 18)]


def test_import_then_export_pycocotools_decodes_our_label_maps(tmp_path):
    annotations, images, _ = make_coco_dataset(tmp_path / "coco")
    _, _, project = import_coco(annotations, images, tmp_path / "project")
    out = tmp_path / "export" / "coco.json"
    steps = list(iter_export_coco(project, out))
    assert [s.error for s in steps] == [None, None]
    coco = COCO(str(out))  # the reference reader loads it
    assert {c["id"]: c["name"] for c in coco.loadCats(coco.getCatIds())} == {1: "person", 17: "cat", 18: "dog"}
    source = json.loads(annotations.read_text())
    assert {(i["id"], i["file_name"]) for i in coco.dataset["images"]} == {(100, "a.jpg"), (7, "b.png")}
    assert coco.dataset["info"] == source["info"] and coco.dataset["licenses"] == source["licenses"]
    labels = labels_of(project)
    by_id = {c["id"]: project.classes.names.index(c["name"]) for c in coco.dataset["categories"]}
    for entry in coco.dataset["images"]:
        label = labels[entry["file_name"]]
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[entry["id"]]))
        assert len({a["category_id"] for a in anns}) == len(anns)  # one annotation per (image, class)
        seen = np.zeros(label.shape, bool)
        for ann in anns:
            assert isinstance(ann["segmentation"]["counts"], str) and ann["iscrowd"] == 0
            decoded = coco_mask.decode(ann["segmentation"]).astype(bool)
            assert np.array_equal(decoded, label == by_id[ann["category_id"]])
            assert np.array_equal(coco.annToMask(ann).astype(bool), decoded)
            assert ann["area"] == decoded.sum()
            seen |= decoded
        assert np.array_equal(~seen, label == 0)  # background is what no annotation covers


def test_renamed_and_added_classes_keep_and_get_category_ids(tmp_path):
    annotations, images, _ = make_coco_dataset(tmp_path / "coco")
    _, _, project = import_coco(annotations, images, tmp_path / "p")
    project = project.with_classes(project.classes.renamed(2, "kitty").with_class("bird")).save()
    label = project.read_label(project.images_dir / "b.png")
    label[0, 0] = 4
    project.write_label(project.images_dir / "b.png", label)
    out = tmp_path / "out.json"
    list(iter_export_coco(project, out))
    data = json.loads(out.read_text())
    assert [(c["id"], c["name"], c["supercategory"]) for c in data["categories"]] == [
        (1, "person", "person"), (17, "kitty", "animal"), (18, "dog", "animal"), (19, "bird", "")]
    bird = [a for a in data["annotations"] if a["category_id"] == 19]
    assert len(bird) == 1 and bird[0]["image_id"] == 7 and bird[0]["area"] == 1.0


def test_export_then_import_gives_the_same_label_maps(tmp_path):
    classes = ClassTable.from_names(["background", "road", "car", "tree"])
    project = Project.create(tmp_path / "mine", classes)
    rng = np.random.default_rng(3)
    maps = {}
    for index in range(3):
        image = project.images_dir / f"im{index}.png"
        write_image(image, 24, 32, index)
        maps[image.name] = rng.integers(0, 4, (24, 32)).astype(np.uint8)
        project.write_label(image, maps[image.name])
    out = tmp_path / "out.json"
    assert all(s.error is None for s in iter_export_coco(project, out))
    data = json.loads(out.read_text())
    assert [c["id"] for c in data["categories"]] == [1, 2, 3]  # no recorded ids: the class index
    _, steps, back = import_coco(out, project.images_dir, tmp_path / "back")
    assert all(s.error is None and not s.notes for s in steps)
    assert back.classes.names == classes.names
    assert {k: v.tolist() for k, v in labels_of(back).items()} == {k: v.tolist() for k, v in maps.items()}


def test_a_background_category_is_class_zero_as_labelme2coco_writes_it(tmp_path):
    write_image(tmp_path / "JPEGImages" / "x.jpg", 10, 10)
    categories = [{"id": 0, "name": "_background_", "supercategory": None},
                  {"id": 1, "name": "cat", "supercategory": None}]
    annotations = write_coco(tmp_path / "annotations.json",
                             [{"id": 0, "file_name": "JPEGImages/x.jpg", "height": 10, "width": 10}],
                             [coco_annotation(0, 0, 1, [[2, 2, 8, 2, 8, 8, 2, 8]])], categories)
    _, steps, project = import_coco(annotations, tmp_path, tmp_path / "p")
    assert project.classes.names == ["_background_", "cat"]
    assert labels_of(project)["x.jpg"][2:8, 2:8].tolist() == [[1] * 6] * 6
    out = tmp_path / "again.json"
    list(iter_export_coco(project, out))
    data = json.loads(out.read_text())
    assert data["categories"] == [{"id": 1, "name": "cat", "supercategory": ""}]  # background not exported
    assert data["images"][0]["file_name"] == "JPEGImages/x.jpg"  # as recorded: it finds the original images


def test_bad_annotations_are_named_and_the_rest_imported(tmp_path):
    images = tmp_path / "images"
    for name in ("ok.png", "short.png", "wrong_size.png"):
        write_image(images / name, 12, 16)
    entries = [{"id": i, "file_name": n, "height": 12, "width": 16}
               for i, n in enumerate(["ok.png", "short.png", "wrong_size.png", "missing.png"], start=1)]
    annotations = write_coco(tmp_path / "bad.json", entries, [
        coco_annotation(1, 1, 5, compressed_rle(box(12, 16, slice(0, 4), slice(0, 4)))),   # no category 5
        coco_annotation(2, 1, 1, [[1, 1, 9, 1, 9, 9, 1, 9]]),
        coco_annotation(3, 2, 1, [[1, 1, 9, 9]]),                                            # 2 points
        coco_annotation(4, 3, 1, compressed_rle(box(10, 16, slice(0, 4), slice(0, 4)))),    # another size
        coco_annotation(5, 99, 1, [[1, 1, 9, 1, 9, 9]]),                                     # no image 99
    ], [{"id": 1, "name": "thing"}])
    plan, steps, project = import_coco(annotations, images, tmp_path / "p")
    assert len(plan.notes) == 1 and "annotation 5" in plan.notes[0] and "bad.json" in plan.notes[0]
    by_name = {s.source.name: s for s in steps}
    ok = labels_of(project)["ok.png"]
    assert (ok[0, 0:4] == IGNORE_INDEX).all() and (ok[0:4, 0] == IGNORE_INDEX).all()
    assert (ok[1:9, 1:9] == 1).all()  # the polygon after the unknown category's RLE covers their overlap
    assert "category_id 5" in by_name["ok.png"].notes[0] and "unlabelled" in by_name["ok.png"].notes[0]
    assert "fewer than 3 points" in by_name["short.png"].notes[0] and by_name["short.png"].error is None
    assert not labels_of(project)["short.png"].any()
    assert "RLE of size [10, 16]" in by_name["wrong_size.png"].error
    assert "is not in" in by_name["missing.png"].error
    assert not (project.images_dir / "wrong_size.png").exists()  # a skipped image is not copied
    for sentence in [*plan.notes, *(n for s in steps for n in s.notes), *(s.error for s in steps if s.error)]:
        assert "\n" not in sentence and "bad.json" in sentence


@pytest.mark.parametrize("content, words", [("{not json", "is not valid JSON"),
                                            ('{"shapes": []}', "is not a COCO annotation file")])
def test_a_file_that_is_not_coco_is_one_sentence_and_exit_2(tmp_path, capsys, content, words):
    (tmp_path / "images").mkdir()
    (tmp_path / "a.json").write_text(content)
    with pytest.raises(SegError, match=words):
        plan_coco_import(tmp_path / "a.json", tmp_path / "images", tmp_path / "p")
    assert main(["import", "coco", str(tmp_path / "a.json"), "--images", str(tmp_path / "images"),
                 "--out", str(tmp_path / "p")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and words in err and "Traceback" not in err
    assert not (tmp_path / "p").exists()


def test_output_is_new_empty_or_a_project_of_the_same_classes_and_nothing_is_replaced(tmp_path):
    annotations, images, expected = make_coco_dataset(tmp_path / "coco")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    with pytest.raises(SegError, match="not empty and not a segstudio project"):
        plan_coco_import(annotations, images, tmp_path / "full")
    Project.create(tmp_path / "other", ClassTable.from_names(["background", "x"]))
    with pytest.raises(SegError, match="other classes"):
        plan_coco_import(annotations, images, tmp_path / "other")
    _, _, project = import_coco(annotations, images, tmp_path / "p")
    _, steps, _ = import_coco(annotations, images, tmp_path / "p")  # again: the same images and labels
    assert all(s.already and s.error is None for s in steps)
    changed = expected["a.jpg"].copy()
    changed[0, 0] = 3
    project.write_label(project.images_dir / "a.jpg", changed)
    _, steps, project = import_coco(annotations, images, tmp_path / "p")
    assert "already has a different label" in steps[0].error
    assert np.array_equal(labels_of(project)["a.jpg"], changed)  # the user's edit is kept


def test_cancel_keeps_what_was_imported_and_writes_no_half_export(tmp_path):
    annotations, images, _ = make_coco_dataset(tmp_path / "coco")
    calls = iter([False, True])
    _, steps, project = import_coco(annotations, images, tmp_path / "p", cancel=lambda: next(calls))
    assert len(steps) == 1 and [p.name for p in project.labelled_images()] == ["a.jpg"]
    stop = iter([False, True, True])
    out = tmp_path / "half.json"
    assert len(list(iter_export_coco(project, out, lambda: next(stop)))) == 1
    assert not out.exists()


def test_cli_import_and_export_exit_codes(tmp_path, capsys):
    annotations, images, _ = make_coco_dataset(tmp_path / "coco")
    project = tmp_path / "p"
    assert main(["import", "coco", str(annotations), "--images", str(images), "--out", str(project)]) == 0
    assert "Imported 2 of 2 images from COCO" in capsys.readouterr().out
    out = tmp_path / "out.json"
    assert main(["export", str(project), "--format", "coco", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["annotations"]
    assert main(["export", str(project), "--format", "coco", "--out", str(out)]) == 2  # never replaced
    assert "already exists" in capsys.readouterr().err
    assert main(["export", str(project), "--format", "coco", "--out", str(project / "labels" / "x.json")]) == 2
    assert "label folder" in capsys.readouterr().err
    with_hole = Project.open(project)
    label = with_hole.read_label(with_hole.images_dir / "b.png")
    label[0, :3] = IGNORE_INDEX
    with_hole.write_label(with_hole.images_dir / "b.png", label)
    assert main(["export", str(project), "--format", "coco", "--out", str(tmp_path / "hole.json")]) == 0
    err = capsys.readouterr().err
    assert "b.png" in err and "3 unlabelled (255) pixel(s)" in err
    bad = write_coco(tmp_path / "bad.json", [{"id": 1, "file_name": "a.jpg", "height": 30, "width": 40}],
                     [coco_annotation(1, 1, 1, [[1, 1, 2, 2]])], [{"id": 1, "name": "person"}])
    assert main(["import", "coco", str(bad), "--images", str(images), "--out", str(tmp_path / "q")]) == 1
    err = capsys.readouterr().err
    assert "fewer than 3 points" in err and "Traceback" not in err
