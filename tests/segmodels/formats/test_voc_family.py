"""VOC-style roots made as labelme2voc, the VOC devkit and CVAT make them open with their own classes,
colours and encodings, validate against them, and survive edit-save with untouched pixels identical."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from segmodels.errors import SegError
from segmodels.formats.encodings import LabelEncoding
from segmodels.formats.voc import voc_splits
from segmodels.labels.classes import voc_palette
from segmodels.labels.project import Project, ProjectKind
from segmodels.validation.run import validate_path
from support.voc_trees import (
    CVAT_LABELMAP,
    LABELME_NAMES,
    cvat_label,
    labelme_label,
    make_cvat_tree,
    make_labelme_tree,
)


def test_labelme_tree_opens_with_labelme_classes(tmp_path):
    root = make_labelme_tree(tmp_path / "voc", {"a": labelme_label(seed=1), "b": labelme_label(seed=2)})
    project = Project.open(root)
    assert project.kind is ProjectKind.VOC
    assert project.classes.names == LABELME_NAMES
    assert project.classes[1].name == "person"  # not VOC's "aeroplane"
    assert project.classes[1].color == tuple(voc_palette()[1])
    assert project.label_encoding is LabelEncoding.PALETTE
    assert "class_names.txt" in project.origin and "7 classes" in project.origin
    label = project.read_label(project.images_dir / "a.jpg")
    expected = labelme_label(seed=1).astype(np.uint8)  # -1 (__ignore__) is stored as 255
    assert np.array_equal(label, expected)
    assert label[0, 0] == 255


def test_labelme_out_of_range_index_fails_validation(tmp_path):
    bad = labelme_label(seed=3)
    bad[10, 10] = 12  # 12 in a 7-class dataset
    root = make_labelme_tree(tmp_path / "voc", {"a": labelme_label(seed=1), "b": bad})
    report = validate_path(root)
    assert report.files_checked == 2
    assert [p.kind.value for p in report.problems] == ["index_out_of_range"]
    assert report.problems[0].file.endswith("b.png")
    assert "outside 0..6" in report.problems[0].message


def test_same_tree_without_class_list_is_voc_and_passes(tmp_path):
    bad = labelme_label(seed=3)
    bad[10, 10] = 12
    root = make_labelme_tree(tmp_path / "voc", {"b": bad})
    (root / "class_names.txt").unlink()
    project = Project.open(root)
    assert len(project.classes) == 21 and "21 VOC classes" in project.origin
    assert validate_path(root).ok  # 12 is a VOC class: which table was used decides validity


def test_labelme_edit_save_keeps_palette_and_untouched_pixels(tmp_path):
    root = make_labelme_tree(tmp_path / "voc", {"a": labelme_label(seed=1)})
    project = Project.open(root)
    image = project.images_dir / "a.jpg"
    path = project.label_path(image)
    before = Image.open(path)
    old_palette, old_pixels = before.getpalette(), np.array(before)
    label = project.read_label(image)
    label[5:8, 5:8] = 1
    project.write_label(image, label)
    after = Image.open(path)
    assert after.mode == "P"
    assert after.getpalette()[: 3 * 7] == old_palette[: 3 * 7]
    assert after.getpalette()[3 * 255: 3 * 256] == old_palette[3 * 255: 3 * 256]
    pixels = np.array(after)
    untouched = np.ones(pixels.shape, bool)
    untouched[5:8, 5:8] = False
    assert np.array_equal(pixels[untouched], old_pixels[untouched])
    assert (pixels[5:8, 5:8] == 1).all()


def test_labelme_colours_come_from_the_palette(tmp_path):
    root = make_labelme_tree(tmp_path / "voc", {"a": labelme_label(seed=1)})
    path = root / "SegmentationClass" / "a.png"
    image = Image.open(path)
    palette = np.array(image.getpalette(), np.uint8).reshape(-1, 3)
    palette[1] = (10, 20, 30)  # a tool with its own colour map
    image.putpalette(palette.flatten().tolist())
    image.save(path)
    project = Project.open(root)
    assert project.classes[1].color == (10, 20, 30)
    assert "palette" in project.origin


def test_old_labelme_layout_uses_segmentation_class_png(tmp_path):
    root = make_labelme_tree(tmp_path / "voc", {"a": labelme_label(seed=1)})
    (root / "SegmentationClass").rename(root / "SegmentationClassPNG")
    (root / "SegmentationClass").mkdir()
    np.save(root / "SegmentationClass" / "a.npy", labelme_label(seed=1))  # labelme2voc before 4.x
    project = Project.open(root)
    assert project.labels_dir.name == "SegmentationClassPNG"
    assert project.read_label(project.images_dir / "a.jpg")[5, 5] == labelme_label(seed=1)[5, 5]
    edited = project.read_label(project.images_dir / "a.jpg")
    edited[5, 5] = 6
    project.write_label(project.images_dir / "a.jpg", edited)
    assert np.load(root / "SegmentationClass" / "a.npy")[5, 5] == 6  # its .npy copy follows


def test_segmentation_class_aug_grey_is_used_and_kept_grey(tmp_path):
    root = tmp_path / "VOC2012"
    (root / "JPEGImages").mkdir(parents=True)
    (root / "SegmentationClassAug").mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(root / "JPEGImages" / "x.jpg")
    grey = np.full((8, 8), 15, np.uint8)
    grey[0] = 255
    Image.fromarray(grey, mode="L").save(root / "SegmentationClassAug" / "x.png")
    project = Project.open(root)
    assert project.labels_dir.name == "SegmentationClassAug"
    assert project.label_encoding is LabelEncoding.GREY and len(project.classes) == 21
    image = project.images_dir / "x.jpg"
    label = project.read_label(image)
    label[4, 4] = 3
    project.write_label(image, label)
    saved = Image.open(project.label_path(image))
    assert saved.mode == "L"
    expected = grey.copy()
    expected[4, 4] = 3
    assert np.array_equal(np.array(saved), expected)
    assert validate_path(root).ok


def test_cvat_tree_opens_with_labelmap_colours_and_colour_encoding(tmp_path):
    labels = {"frame_000000": cvat_label(seed=0), "frame_000001": cvat_label(seed=1)}
    root = make_cvat_tree(tmp_path / "cvat", labels)
    project = Project.open(root)
    assert project.classes.names == [n for n, _c in CVAT_LABELMAP]
    assert [c.color for c in project.classes] == [c for _n, c in CVAT_LABELMAP]
    assert project.label_encoding is LabelEncoding.COLOR
    assert "labelmap.txt" in project.origin and "splits default 2" in project.origin
    image = project.images_dir / "frame_000001.jpg"
    assert np.array_equal(project.read_label(image), labels["frame_000001"])
    assert validate_path(root).ok


def test_cvat_undeclared_colour_fails_validation(tmp_path):
    root = make_cvat_tree(tmp_path / "cvat", {"a": cvat_label(seed=0)})
    path = root / "SegmentationClass" / "a.png"
    rgb = np.array(Image.open(path))
    rgb[0, 0] = (1, 2, 3)
    Image.fromarray(rgb).save(path)
    report = validate_path(root)
    assert [p.kind.value for p in report.problems] == ["unknown_color"]


def test_cvat_edit_save_stays_colour_with_untouched_pixels_identical(tmp_path):
    root = make_cvat_tree(tmp_path / "cvat", {"a": cvat_label(seed=0)})
    project = Project.open(root)
    image = project.images_dir / "a.jpg"
    path = project.label_path(image)
    old = np.array(Image.open(path))
    label = project.read_label(image)
    label[2:4, 2:4] = 3
    project.write_label(image, label)
    saved = Image.open(path)
    assert saved.mode == "RGB"
    new = np.array(saved)
    untouched = np.ones(new.shape[:2], bool)
    untouched[2:4, 2:4] = False
    assert np.array_equal(new[untouched], old[untouched])
    assert (new[2:4, 2:4] == (61, 245, 61)).all()


def test_cvat_annotation_only_export_opens_without_images(tmp_path):
    root = make_cvat_tree(tmp_path / "cvat", {"a": cvat_label(seed=0)}, images=False)
    project = Project.open(root)
    assert project.image_paths() == []
    assert "no JPEGImages/" in project.origin


def test_broken_labelmap_is_refused_not_replaced_by_voc(tmp_path):
    root = make_cvat_tree(tmp_path / "cvat", {"a": cvat_label(seed=0)})
    (root / "labelmap.txt").write_text("background:0,0,0::\ncat:999,0,0::\n")
    with pytest.raises(SegError, match="labelmap.txt"):
        Project.open(root)


def test_voc_splits_are_read_and_used_for_training(tmp_path):
    labels = {f"im{i}": labelme_label(seed=i) for i in range(5)}
    root = make_labelme_tree(tmp_path / "voc", labels)
    splits = root / "ImageSets" / "Segmentation"
    splits.mkdir(parents=True)
    (splits / "train.txt").write_text("im0\nim1\nim2\nmissing\n")
    (splits / "val.txt").write_text("im3\nim4\n")
    (splits / "cat_train.txt").write_text("im0  1\n")  # a classification list: not a split
    assert voc_splits(root) == {"train": ["im0", "im1", "im2", "missing"], "val": ["im3", "im4"]}
    from segmodels.training.dataset import make_split

    split = make_split(Project.open(root), 0.5, seed=3)
    assert split["train"] == ["im0", "im1", "im2"] and split["val"] == ["im3", "im4"]
    assert "ImageSets/Segmentation" in split["source"] and "1 listed ids have no reviewed label" in split["source"]


def test_projects_without_voc_splits_still_draw_a_seeded_split(tmp_path):
    from segmodels.training.dataset import make_split
    from support.projects import make_project

    project = make_project(tmp_path / "p", count=6, labelled=6)
    split = make_split(project, 0.34, seed=0)
    assert len(split["val"]) == 2 and "source" not in split
    assert split == make_split(project, 0.34, seed=0)


def test_saving_a_labelme_label_rewrites_its_npy_copy_with_minus_one_kept(tmp_path):
    """labelme2voc writes each label as a PNG and as SegmentationClassNpy/<base>.npy; an edit must
    reach both, or the dataset holds two answers for one image."""
    original = labelme_label(seed=3)
    root = make_labelme_tree(tmp_path / "voc", {"a": original})
    project = Project.open(root)
    image = project.images_dir / "a.jpg"
    label = project.read_label(image)
    label[10:12, 10:14] = 5
    label[20, 0] = 255  # erased
    project.write_label(image, label)

    twin = np.load(root / "SegmentationClassNpy" / "a.npy")
    assert twin.dtype == np.int32 and twin.shape == original.shape
    expected = original.copy()
    expected[10:12, 10:14] = 5
    expected[20, 0] = -1
    np.testing.assert_array_equal(twin, expected)  # -1 stays labelme's ignore, every other pixel as before
    np.testing.assert_array_equal(Project.open(root).read_label(image), label)


def test_a_label_without_an_npy_copy_gets_none(tmp_path):
    root = make_labelme_tree(tmp_path / "voc", {"a": labelme_label(seed=3)})
    (root / "SegmentationClassNpy" / "a.npy").unlink()
    project = Project.open(root)
    image = project.images_dir / "a.jpg"
    project.write_label(image, project.read_label(image))
    assert not (root / "SegmentationClassNpy" / "a.npy").exists()  # nothing invented
