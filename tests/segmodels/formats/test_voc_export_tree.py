"""`export --layout voc` writes a tree torchvision's VOCSegmentation loads as it is, with the right masks;
`--format index` writes grey index PNGs; both round-trip index-exact."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from segmodels.cli import main
from segmodels.errors import SegError
from segmodels.formats.voc_export import VocExport
from segmodels.labels.project import Project
from support.projects import make_project
from support.voc_trees import labelme_label, make_labelme_tree


def _labelled_project(tmp_path, count=5):
    """A segstudio project with PNG images and labels holding every class and unlabelled pixels."""
    project = make_project(tmp_path / "p", count=count, labelled=count)
    rng = np.random.default_rng(7)
    labels = {}
    for image in project.image_paths():
        label = rng.integers(0, 3, (40, 60)).astype(np.uint8)
        label[:2] = 255
        project.write_label(image, label)
        labels[image.stem] = label
    return project, labels


def test_torchvision_loads_the_voc_export(tmp_path, capsys):
    torchvision = pytest.importorskip("torchvision")
    project, labels = _labelled_project(tmp_path)
    out = tmp_path / "out"
    assert main(["export", str(project.root), "--layout", "voc", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "5 images were not JPEG (5 PNG)" in printed and "re-encoded as JPEG" in printed
    root = out / "VOCdevkit" / "VOC2012"
    train = (root / "ImageSets" / "Segmentation" / "train.txt").read_text().split()
    val = (root / "ImageSets" / "Segmentation" / "val.txt").read_text().split()
    assert sorted(train + val) == sorted(labels) and len(val) == 1
    trainval = (root / "ImageSets" / "Segmentation" / "trainval.txt").read_text().split()
    assert trainval == sorted(labels)
    dataset = torchvision.datasets.VOCSegmentation(str(out), year="2012", image_set="train")
    assert len(dataset) == len(train)
    for index, item in enumerate(train):
        image, target = dataset[index]
        assert image.size == (60, 40) and target.mode == "P"
        assert np.array_equal(np.array(target), labels[item])  # indices exact, 255 kept as VOC's void
    assert np.array_equal(np.array(Image.open(root / "SegmentationClass" / f"{train[0]}.png").getpalette()[:9]),
                          np.array(project.classes.palette()[:3].flatten()))


def test_jpegs_are_copied_byte_for_byte_and_tree_reopens(tmp_path):
    root = make_labelme_tree(tmp_path / "voc", {f"im{i}": labelme_label(seed=i) for i in range(3)})
    project = Project.open(root)
    export = VocExport(project, tmp_path / "out")
    steps = list(export.steps())
    assert all(step.error is None for step in steps)
    tree = tmp_path / "out" / "VOCdevkit" / "VOC2012"
    for i in range(3):
        assert (tree / "JPEGImages" / f"im{i}.jpg").read_bytes() == (root / "JPEGImages" / f"im{i}.jpg").read_bytes()
    assert not any("re-encoded" in note for note in export.notes)
    reopened = Project.open(tree)
    assert reopened.classes == project.classes  # labelmap.txt carries names and colours
    for image in project.image_paths():
        again = reopened.images_dir / image.name
        assert np.array_equal(reopened.read_label(again), project.read_label(image))


def test_own_voc_split_is_kept(tmp_path):
    root = make_labelme_tree(tmp_path / "voc", {f"im{i}": labelme_label(seed=i) for i in range(4)})
    splits = root / "ImageSets" / "Segmentation"
    splits.mkdir(parents=True)
    (splits / "train.txt").write_text("im2\nim0\n")
    (splits / "val.txt").write_text("im1\n")
    export = VocExport(Project.open(root), tmp_path / "out")
    list(export.steps())
    tree = tmp_path / "out" / "VOCdevkit" / "VOC2012" / "ImageSets" / "Segmentation"
    assert (tree / "train.txt").read_text().split() == ["im2", "im0", "im3"]  # im3 was in no list
    assert (tree / "val.txt").read_text().split() == ["im1"]
    assert any("1 unlisted" in note for note in export.notes)


def test_index_format_writes_grey_pngs(tmp_path, capsys):
    project, labels = _labelled_project(tmp_path, count=2)
    out = tmp_path / "grey"
    assert main(["export", str(project.root), "--format", "index", "--out", str(out)]) == 0
    for stem, label in labels.items():
        saved = Image.open(out / f"{stem}.png")
        assert saved.mode == "L"
        assert np.array_equal(np.array(saved), label)
    voc_out = tmp_path / "v"
    assert main(["export", str(project.root), "--layout", "voc", "--format", "index", "--out", str(voc_out)]) == 0
    voc_label = Image.open(voc_out / "VOCdevkit" / "VOC2012" / "SegmentationClass" / f"{stem}.png")
    assert voc_label.mode == "L" and np.array_equal(np.array(voc_label), label)


def test_export_refuses_the_projects_own_folders(tmp_path):
    root = make_labelme_tree(tmp_path / "data" / "VOCdevkit" / "VOC2012", {"a": labelme_label()})
    with pytest.raises(SegError, match="nothing was written"):
        VocExport(Project.open(root), tmp_path / "data")


def test_voc_layout_rejects_colour_format(tmp_path, capsys):
    project, _labels = _labelled_project(tmp_path, count=1)
    out = str(tmp_path / "o")
    assert main(["export", str(project.root), "--layout", "voc", "--format", "color", "--out", out]) == 2
    assert "palette or index" in capsys.readouterr().err


def test_size_mismatch_is_skipped_with_one_sentence(tmp_path, capsys):
    project, _labels = _labelled_project(tmp_path, count=2)
    image = project.image_paths()[0]
    Image.fromarray(np.zeros((10, 10, 3), np.uint8)).save(image)
    assert main(["export", str(project.root), "--layout", "voc", "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "skipped" in err and "is 60x40 but its image is 10x10" in err
