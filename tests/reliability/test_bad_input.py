"""Every case of the generated bad-input corpus gets one sentence naming the file from the readers.

The CLI commands are checked in test_bad_input_cli.py and the window in test_bad_input_gui.py; this
file covers the segmodels readers themselves: images, labels, one-hot stacks, project JSON and
checkpoints (refused without running pickled code).
"""
from __future__ import annotations

import pickle

import corpus
import numpy as np
import pytest
from corpus import Expect, assert_one_sentence

from segmodels.errors import SegError


def _image_case(image_cases, name):
    return next(c for c in image_cases if c.name == name)


IMAGE_CASES = ["truncated_png", "truncated_jpeg", "zero_bytes", "text_as_png", "header_bomb", "real_bomb",
               "jpeg_claims_huge", "png_named_jpg", "png_16bit", "one_bit", "cmyk_jpeg", "rgba", "palette"]


@pytest.mark.parametrize("name", IMAGE_CASES)
def test_read_image(image_cases, name):
    from segmodels.labels.imageio import read_image

    case = _image_case(image_cases, name)
    if case.expect is Expect.REFUSE:
        with pytest.raises(SegError) as info:
            read_image(case.path)
        assert_one_sentence(str(info.value), case.path)
        assert case.note in str(info.value)
        assert info.value.path == str(case.path)
    else:
        loaded = read_image(case.path)
        assert loaded.rgb.dtype == np.uint8 and loaded.rgb.shape == (*corpus.SIZE, 3)
        assert case.note in " ".join(loaded.conversions), loaded.conversions
        if case.note:  # a real conversion is reported, an RGB file reports none
            assert loaded.conversions
        else:
            assert loaded.conversions == ()


@pytest.mark.parametrize("name", ["header_bomb", "real_bomb", "text_as_png", "zero_bytes"])
def test_image_size_refuses_without_decoding(image_cases, name):
    from segmodels.labels.imageio import image_size

    case = _image_case(image_cases, name)
    with pytest.raises(SegError) as info:
        image_size(case.path)
    assert_one_sentence(str(info.value), case.path)


@pytest.mark.parametrize("name", ["real_bomb", "jpeg_claims_huge"])
def test_bomb_is_refused_before_memory_is_spent(image_cases, name):
    """576 M pixels (or a 600-byte JPEG's 400 M) decoded would cost gigabytes; the refusal must come
    from the header (the JPEG took 24 s and 3.9 GB before the size/bytes check)."""
    import tracemalloc

    from segmodels.labels.imageio import read_image

    case = _image_case(image_cases, name)
    tracemalloc.start()
    try:
        with pytest.raises(SegError):
            read_image(case.path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB while refusing a bomb"


def test_ratio_check_spares_real_large_images(tmp_path):
    """A complete blank 1-bit PNG (deflate's best case) above the checked size is not refused."""
    from segmodels.labels.imageio import RATIO_CHECK_PIXELS, oversize_reason

    side = 8200
    assert side * side > RATIO_CHECK_PIXELS
    size = len(corpus.real_bomb_png(side))
    assert oversize_reason("PNG", side, side, size) is None
    assert "bytes" in oversize_reason("PNG", side * 2, side * 2, size)
    assert oversize_reason("TIFF", side * 2, side * 2, size) is None   # left to the pixel limit


@pytest.mark.parametrize("fmt, mode, side", [("JPEG", "RGB", 600), ("JPEG", "L", 2000), ("PNG", "1", 2000),
                                             ("PNG", "L", 2000), ("PNG", "P", 1200)])
def test_flat_real_images_are_not_refused(tmp_path, fmt, mode, side):
    """Blank images compress best of all; complete ones of every size must still load."""
    from PIL import Image

    from segmodels.labels.imageio import read_image

    path = tmp_path / f"flat.{fmt.lower()}"
    Image.new(mode, (side, side)).save(path, format=fmt, **({"quality": 1} if fmt == "JPEG" else {}))
    assert read_image(path).rgb.shape == (side, side, 3)


def test_pixel_limit_is_restored_after_reading(image_cases):
    from PIL import Image

    from segmodels.labels.imageio import read_image

    before = Image.MAX_IMAGE_PIXELS
    with pytest.raises(SegError):
        read_image(_image_case(image_cases, "header_bomb").path)
    read_image(_image_case(image_cases, "rgba").path)
    assert Image.MAX_IMAGE_PIXELS == before


# -- labels ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def label_cases(corpus_root):
    return {c.name: c for c in corpus.label_cases(corpus_root / "label project")}


@pytest.mark.parametrize("name", ["label_truncated", "label_unknown_colour"])
def test_read_label_png_refuses(label_cases, name):
    from segmodels.labels.labelio import read_label_png

    case = label_cases[name]
    with pytest.raises(SegError) as info:
        read_label_png(case.path)
    assert_one_sentence(str(info.value), case.path)


def test_colour_label_reports_unknown_colours(label_cases):
    from segmodels.labels.colorlabels import read_color_label
    from segmodels.labels.project import Project

    case = label_cases["label_unknown_colour"]
    project = Project.open(case.path.parent.parent)
    label_map, unknown = read_color_label(case.path, project.classes)
    assert unknown.all() and (label_map == 255).all()


@pytest.mark.parametrize("name", ["label_wrong_size", "label_out_of_range", "label_truncated"])
def test_training_pairs_refuse_bad_labels(label_cases, name):
    pytest.importorskip("torch")
    from segmodels.labels.project import Project
    from segmodels.training.dataset import load_pair

    case = label_cases[name]
    project = Project.open(case.path.parent.parent)
    image = next(p for p in project.image_paths() if p.stem == case.path.stem)
    with pytest.raises(SegError) as info:
        load_pair(project, image)
    assert_one_sentence(str(info.value), case.path)
    assert case.note in str(info.value)


@pytest.mark.parametrize("name", ["label_wrong_size", "label_out_of_range", "label_unknown_colour",
                                  "label_truncated"])
def test_validator_names_each_bad_label(label_cases, name):
    from segmodels.labels.project import Project
    from segmodels.validation.run import validate_path

    case = label_cases[name]
    report = validate_path(case.path.parent.parent, Project.open(case.path.parent.parent).classes)
    bad = {str(f).rsplit("/", 1)[-1] for f in report.bad_files()}
    assert case.path.name in bad, f"{case.path.name} not flagged; flagged: {sorted(bad)}"
    assert len(bad) == 4, sorted(bad)  # the three valid labels pass
    for problem in report.problems:
        assert "Traceback" not in problem.message and "\n" not in problem.message


# -- one-hot stacks -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def onehot_cases(corpus_root):
    return {c.name: c for c in corpus.onehot_cases(corpus_root / "onehot")}


@pytest.mark.parametrize("name", ["onehot_nan", "onehot_npz_nan"])
def test_onehot_nan_is_reported_not_decoded(onehot_cases, name):
    from segmodels.labels.onehot import read_onehot

    result = read_onehot(onehot_cases[name].path, num_classes=3)
    assert result.defects["nan"].count == 1 and result.defects["nan"].first == (5, 6)
    assert result.label_map[5, 6] == 255


@pytest.mark.parametrize("name", ["onehot_rank2", "onehot_rank4", "onehot_strings", "onehot_garbage"])
def test_onehot_bad_shape_or_content_refused(onehot_cases, name):
    from segmodels.labels.onehot import read_onehot

    case = onehot_cases[name]
    with pytest.raises(SegError) as info:
        read_onehot(case.path, num_classes=3)
    assert_one_sentence(str(info.value), case.path)
    assert "allow_pickle" not in str(info.value)  # never advise loading a label unsafely


# -- project JSON ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def project_cases(corpus_root):
    return corpus.project_json_cases(corpus_root / "projects")


def test_every_broken_project_json_is_one_sentence(project_cases):
    from segmodels.labels.project import Project, open_path

    assert len(project_cases) >= 8
    for case in project_cases:
        attempts = ((Project.open, case.path.parent), (open_path, case.path),
                    (open_path, case.path.parent / "images" / "a.png"))
        for opener, target in attempts:
            with pytest.raises(SegError) as info:
                opener(target)
            assert_one_sentence(str(info.value), case.path)


def test_project_json_left_untouched_when_refused(project_cases):
    from segmodels.labels.project import Project

    for case in project_cases:
        before = case.path.read_bytes()
        with pytest.raises(SegError):
            Project.open(case.path.parent)
        assert case.path.read_bytes() == before


# -- checkpoints ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def checkpoint_cases(corpus_root):
    pytest.importorskip("torch")
    cases, marker = corpus.checkpoint_cases(corpus_root / "checkpoints")
    return {c.name: c for c in cases}, marker


@pytest.mark.parametrize("name", ["ckpt_wrong_classes", "ckpt_foreign", "ckpt_incomplete", "ckpt_pickled_code",
                                  "ckpt_legacy_pickle", "ckpt_text", "ckpt_empty", "ckpt_truncated"])
def test_load_checkpoint_refuses(checkpoint_cases, name):
    from segmodels.models.checkpoint import load_checkpoint

    cases, marker = checkpoint_cases
    case = cases[name]
    with pytest.raises(SegError) as info:
        load_checkpoint(case.path, num_classes=3)
    assert_one_sentence(str(info.value), case.path)
    assert case.note in str(info.value)
    assert not marker.exists(), "a pickled payload ran while loading a checkpoint"


def test_pickled_payload_is_real(checkpoint_cases, tmp_path):
    """The payload does run under an unsafe loader, so its refusal above means something."""
    cases, _ = checkpoint_cases
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(corpus._RunsCode(marker)))
    assert marker.exists()


def test_size_limit_does_not_depend_on_pillows_global(image_cases, monkeypatch):
    """Regression: the limit used to be swapped into Pillow's global around each open, which raced
    between threads (thumbnails, workers); a header-only size read then let a bomb through."""
    from PIL import Image

    from segmodels.labels.imageio import MAX_IMAGE_PIXELS, image_size

    assert Image.MAX_IMAGE_PIXELS == MAX_IMAGE_PIXELS
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)   # as if another thread had changed it
    case = _image_case(image_cases, "real_bomb")
    with pytest.raises(SegError) as info:
        image_size(case.path)
    assert_one_sentence(str(info.value), case.path)
