"""labelme JSON in (segmodels/formats/labelme.py): shapes drawn by labelme's own rules, labelme2voc's
classes and conventions, embedded images written out unchanged, every bad file named."""
from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from segmodels.cli import main
from segmodels.constants import IGNORE_INDEX
from segmodels.errors import SegError
from segmodels.formats.importing import iter_import
from segmodels.formats.labelme import LINE_WIDTH, plan_labelme_import, read_class_names
from segmodels.labels.project import Project
from support.annotations import (
    image_bytes,
    make_coco_dataset,
    shape,
    write_image,
    write_labelme,
    write_labels_txt,
)

H, W = 48, 64


def import_labelme(source, out, classes=None):
    plan = plan_labelme_import(source, out, classes)
    steps = list(iter_import(plan))
    return plan, steps, Project.open(out)


def labels_of(project: Project) -> dict[str, np.ndarray]:
    return {image.name: project.read_label(image) for image in project.labelled_images()}


def make_labelme_folder(root):
    """labelme's usual folder: each image with its <stem>.json beside it; b.json embeds its image."""
    write_image(root / "a.jpg", H, W, 1)
    write_labelme(root / "a.json", [
        shape("cat", [(10, 5), (30, 20)], "rectangle"),
        shape("dog", [(2, 40), (12, 40), (12, 46)]),                      # polygon
        shape("cat", [(50, 30), (50, 36)], "circle"),
        shape("__ignore__", [(25, 10), (28, 10), (28, 13), (25, 13)]),    # inside the rectangle: later wins
        shape("dog", [(40, 2), (60, 2)], "line"),
        shape("dog", [(5, 30)], "point"),
    ], "a.jpg", H, W)
    embedded = image_bytes(H, W, 2)
    write_labelme(root / "b.json", [shape("dog", [(30, 20), (10, 5)], "rectangle")], "b.png", H, W, embedded)
    return embedded


def test_shapes_are_drawn_as_labelme_draws_them(tmp_path):
    make_labelme_folder(tmp_path / "lm")
    classes = write_labels_txt(tmp_path / "labels.txt", ["cat", "dog"])
    _, steps, project = import_labelme(tmp_path / "lm", tmp_path / "p", classes)
    assert [s.error for s in steps] == [None, None] and not any(s.notes for s in steps)
    assert project.classes.names == ["_background_", "cat", "dog"]
    a = labels_of(project)["a.jpg"]
    rectangle = np.zeros((H, W), bool)
    rectangle[5:21, 10:31] = True                         # both corners included
    rectangle[10:14, 25:29] = False                       # the __ignore__ square drawn after it
    assert (a[rectangle] == 1).all() and (a[10:14, 25:29] == IGNORE_INDEX).all()
    assert a[42, 10] == 2 and a[41, 3] == 0               # inside / outside the triangle
    assert a[30, 50] == 1 and a[30, 56] == 1 and a[30, 57] == 0 and a[36, 50] == 1 and a[37, 50] == 0
    assert (a[0:LINE_WIDTH // 2 + 1 + 2, 45] == 2).all()   # the line is 10 px wide around y = 2
    assert a[30, 5] == 2 and a[30, 10] == 2 and a[30, 11] == 0  # a point is a disc of radius 5
    b = labels_of(project)["b.png"]
    assert (b[5:21, 10:31] == 2).all() and int((b == 2).sum()) == 16 * 21  # a rectangle drawn from either corner


def test_embedded_image_is_written_out_unchanged_and_a_file_on_disk_is_copied(tmp_path):
    embedded = make_labelme_folder(tmp_path / "lm")
    _, _, project = import_labelme(tmp_path / "lm", tmp_path / "p")
    assert (project.images_dir / "b.png").read_bytes() == embedded
    assert (project.images_dir / "a.jpg").read_bytes() == (tmp_path / "lm" / "a.jpg").read_bytes()


def test_classes_found_are_sorted_after_background(tmp_path):
    make_labelme_folder(tmp_path / "lm")
    _, _, project = import_labelme(tmp_path / "lm", tmp_path / "p")
    assert project.classes.names == ["_background_", "cat", "dog"]
    assert project.classes.colors().tolist() == [[0, 0, 0], [128, 0, 0], [0, 128, 0]]  # labelme's VOC colours


def test_labels_outside_the_class_list_are_unlabelled_and_named(tmp_path, capsys):
    make_labelme_folder(tmp_path / "lm")
    classes = write_labels_txt(tmp_path / "labels.txt", ["cat"])
    _, steps, project = import_labelme(tmp_path / "lm", tmp_path / "p", classes)
    notes = [n for s in steps for n in s.notes]
    assert len(notes) == 4 and all("'dog'" in n and "unlabelled (255)" in n for n in notes)
    assert (labels_of(project)["b.png"][5:21, 10:31] == IGNORE_INDEX).all()
    code = main(["import", "labelme", str(tmp_path / "lm"), "--out", str(tmp_path / "q"), "--classes", str(classes)])
    assert code == 1 and capsys.readouterr().err.count("'dog'") == 4


def test_class_list_files(tmp_path):
    (tmp_path / "class_names.txt").write_text("_background_\ncat\ndog\n")  # what labelme2voc writes
    assert read_class_names(tmp_path / "class_names.txt").names == ["_background_", "cat", "dog"]
    (tmp_path / "no_bg.txt").write_text("cat\ndog\n")
    with pytest.raises(SegError, match="must start with _background_"):
        read_class_names(tmp_path / "no_bg.txt")
    assert read_class_names(Path("voc")).names[:2] == ["background", "aeroplane"]


def test_mask_shapes_and_windows_image_paths(tmp_path):
    write_image(tmp_path / "imgs" / "c.png", H, W)
    small = np.zeros((4, 6), np.uint8)
    small[1:3, 2:5] = 1
    buffer = io.BytesIO()
    Image.fromarray(small).save(buffer, format="PNG")
    mask_shape = shape("cat", [(10, 20), (15, 23)], "mask", mask=base64.b64encode(buffer.getvalue()).decode())
    write_labelme(tmp_path / "ann" / "c.json", [mask_shape], "..\\imgs\\c.png", H, W)
    _, steps, project = import_labelme(tmp_path / "ann", tmp_path / "p")
    assert steps[0].error is None
    c = labels_of(project)["c.png"]
    expected = np.zeros((H, W), np.uint8)
    expected[21:23, 12:15] = 1
    assert np.array_equal(c, expected)


def test_bad_files_and_shapes_are_named_and_the_rest_imported(tmp_path):
    folder = tmp_path / "lm"
    make_labelme_folder(folder)
    (folder / "broken.json").write_text("{\"shapes\": [")
    write_labelme(folder / "short.json", [shape("cat", [(1, 1), (5, 5)])], None, H, W, image_bytes(H, W))
    write_labelme(folder / "gone.json", [], "gone.jpg", H, W)
    write_image(folder / "small.png", 10, 10)
    write_labelme(folder / "small.json", [], "small.png", H, W)  # says 64x48, the image is 10x10
    write_labelme(folder / "odd.json", [shape("cat", [(1, 1)], "star")], None, H, W, image_bytes(H, W))
    coco, _, _ = make_coco_dataset(tmp_path / "coco")
    (folder / "instances.json").write_bytes(coco.read_bytes())
    _, steps, project = import_labelme(folder, tmp_path / "p")
    by_name = {s.source.name: s for s in steps}
    assert by_name["a.json"].error is None and by_name["b.json"].error is None
    assert "not valid JSON" in by_name["broken.json"].error
    assert "fewer than 3 points" in by_name["short.json"].notes[0] and by_name["short.json"].error is None
    assert "gone.jpg', which does not exist," in by_name["gone.json"].error
    assert "says its image is 64x48" in by_name["small.json"].error and "10x10" in by_name["small.json"].error
    assert '"star"' in by_name["odd.json"].error
    error = by_name["instances.json"].error
    assert "is a COCO annotation file, not a labelme annotation" in error and "segstudio import coco" in error
    for step in steps:
        for sentence in [*step.notes, *([step.error] if step.error else [])]:
            assert "\n" not in sentence and step.source.name in sentence
    assert sorted(p.name for p in project.image_paths()) == ["a.jpg", "b.png", "short.png"]


def test_cli_exit_codes(tmp_path, capsys):
    make_labelme_folder(tmp_path / "lm")
    assert main(["import", "labelme", str(tmp_path / "lm"), "--out", str(tmp_path / "p")]) == 0
    assert "Imported 2 of 2 images from labelme" in capsys.readouterr().out
    assert main(["import", "labelme", str(tmp_path / "lm"), "--out", str(tmp_path / "p")]) == 0  # already there
    assert "2 were already there" in capsys.readouterr().out
    (tmp_path / "empty").mkdir()
    assert main(["import", "labelme", str(tmp_path / "empty"), "--out", str(tmp_path / "q")]) == 2
    err = capsys.readouterr().err
    assert "holds no labelme .json files" in err and len(err.strip().splitlines()) == 1
    assert main(["import", "labelme", str(tmp_path / "lm"), "--out", str(tmp_path / "lm")]) == 2
    assert "not empty and not a segstudio project" in capsys.readouterr().err
    assert main(["import", "yolo", str(tmp_path / "lm"), "--out", str(tmp_path / "r")]) == 2
    assert "invalid choice" in capsys.readouterr().err
    data = json.loads((tmp_path / "p" / "segstudio.json").read_text())
    assert data["label_encoding"] == "palette" and [c["name"] for c in data["classes"]][0] == "_background_"


def _labelme_shape_to_mask(size, points, kind):
    """labelme.utils.shape_to_mask (labelme 5), one shape on its own canvas, written out independently."""
    from PIL import ImageDraw

    mask = Image.new("1", (size[1], size[0]), 0)
    draw = ImageDraw.Draw(mask)
    xy = [tuple(p) for p in points]
    if kind == "circle":
        (cx, cy), (px, py) = xy
        d = ((cx - px) ** 2 + (cy - py) ** 2) ** 0.5
        draw.ellipse([cx - d, cy - d, cx + d, cy + d], outline=1, fill=1)
    elif kind == "rectangle":
        (x0, y0), (x1, y1) = xy
        draw.rectangle([min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)], outline=1, fill=1)
    elif kind in ("line", "linestrip"):
        draw.line(xy=xy, fill=1, width=LINE_WIDTH)
    elif kind == "point":
        (cx, cy), r = xy[0], 5
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=1, fill=1)
    else:
        draw.polygon(xy=xy, outline=1, fill=1)
    return np.array(mask, dtype=bool)


def test_shapes_drawn_into_one_label_equal_labelme2voc_mask_by_mask():
    """Every shape is drawn straight into the label (one canvas, no mask per shape); the result must be
    labelme2voc's `label[mask] = class` over each shape's own mask, in file order, pixel for pixel."""
    from segmodels.formats.labelme import BACKGROUND, shapes_to_label
    from segmodels.labels.classes import ClassTable

    rng = np.random.default_rng(3)
    kinds = {"polygon": 6, "rectangle": 2, "circle": 2, "line": 2, "linestrip": 4, "point": 1}
    shapes = []
    for number in range(16):
        kind = list(kinds)[number % len(kinds)]
        centre = rng.uniform(-2, [W + 2, H + 2])  # some shapes cross the border
        points = (centre + rng.uniform(-12, 12, (kinds[kind], 2))).round(1).tolist()
        shapes.append(shape(["cat", "dog", "__ignore__", "bird"][number % 4], points, kind))
    shapes.append(shape("dog", [[1, 1], [9, 9]]))  # a polygon of 2 points: no area, left out
    classes = ClassTable.from_names([BACKGROUND, "cat", "dog"])  # 'bird' is none of them
    label, notes = shapes_to_label(shapes, (H, W), classes, "x.json")
    expected = np.zeros((H, W), np.uint8)
    index = {"cat": 1, "dog": 2, "__ignore__": IGNORE_INDEX, "bird": IGNORE_INDEX}
    for item in shapes[:-1]:
        expected[_labelme_shape_to_mask((H, W), item["points"], item["shape_type"])] = index[item["label"]]
    assert np.array_equal(label, expected)
    assert len(set(np.unique(label).tolist()) & {0, 1, 2, IGNORE_INDEX}) == 4  # every kind of value is seen
    assert sum("not one of the 3 classes" in note for note in notes) == 4
    assert "fewer than 3 points" in notes[-1]
