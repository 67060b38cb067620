"""Every case of the generated bad-input corpus gets one sentence naming the file from the readers.

The CLI commands are checked in test_bad_input_cli.py and the window in test_bad_input_gui.py; this
file covers the segmodels readers themselves: images, labels, one-hot stacks, project JSON and
checkpoints (refused without running pickled code).
"""
from __future__ import annotations

import pickle

import numpy as np
import pytest

import corpus
from corpus import Expect, assert_one_sentence
from segmodels.classes import ClassTable
from segmodels.errors import SegError

def _image_case(image_cases, name):
    return next(c for c in image_cases if c.name == name)


IMAGE_CASES = ["truncated_png", "truncated_jpeg", "zero_bytes", "text_as_png", "header_bomb", "real_bomb", "jpeg_claims_huge",
               "png_named_jpg", "png_16bit", "one_bit", "cmyk_jpeg", "rgba", "palette"]


@pytest.mark.parametrize("name", IMAGE_CASES)
def test_read_image(image_cases, name):
    from segmodels.imageio import read_image

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
    from segmodels.imageio import image_size

    case = _image_case(image_cases, name)
    with pytest.raises(SegError) as info:
        image_size(case.path)
    assert_one_sentence(str(info.value), case.path)


@pytest.mark.parametrize("name", ["real_bomb", "jpeg_claims_huge"])
def test_bomb_is_refused_before_memory_is_spent(image_cases, name):
    """576 M pixels (or a 600-byte JPEG's 400 M) decoded would cost gigabytes; the refusal must come
    from the header (the JPEG took 24 s and 3.9 GB before the size/bytes check)."""
    import tracemalloc

    from segmodels.imageio import read_image

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
    from segmodels.imageio import RATIO_CHECK_PIXELS, oversize_reason

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

    from segmodels.imageio import read_image

    path = tmp_path / f"flat.{fmt.lower()}"
    Image.new(mode, (side, side)).save(path, format=fmt, **({"quality": 1} if fmt == "JPEG" else {}))
    assert read_image(path).rgb.shape == (side, side, 3)


@pytest.mark.parametrize("side", [7960, 2000])
def test_fuzz_regression_forged_jpeg_under_old_threshold(image_cases, side):
    """Found by fuzzing: an 854-byte JPEG claiming 7960 x 7960 (just under the first threshold of
    the bytes-per-pixel check) kept `segstudio validate` busy for 337 s."""
    import time

    from segmodels.imageio import read_image
    from segmodels.validation import LabelJob, ValidationOptions, check_label

    path = image_cases[0].path.parent / f"forged {side}.jpg"
    path.write_bytes(corpus.jpeg_claiming(side, side))
    started = time.monotonic()
    with pytest.raises(SegError) as info:
        read_image(path)
    assert_one_sentence(str(info.value), path)
    result, _ = check_label(LabelJob(path), ValidationOptions(ClassTable.from_names(["a", "b"])))
    assert "claims" in result.problems[0].message
    assert time.monotonic() - started < 1.0


def test_validator_counts_unknown_colours_in_linear_time(tmp_path):
    """np.unique(axis=0) over every unknown pixel took minutes on a large colour image; the flag
    table gives the same colours."""
    import time

    from PIL import Image

    from segmodels.validation import LabelJob, ValidationOptions, _distinct_colors, check_label

    rgb = np.random.default_rng(0).integers(0, 256, (1500, 2000, 3), dtype=np.uint8)
    unknown = np.ones(rgb.shape[:2], bool)
    unknown[::3] = False
    sample = rgb[:200]
    np.testing.assert_array_equal(_distinct_colors(sample, unknown[:200]),
                                  np.unique(sample[unknown[:200]].reshape(-1, 3), axis=0))
    path = tmp_path / "photo as label.png"
    Image.fromarray(rgb).save(path, compress_level=1)
    started = time.monotonic()
    result, _ = check_label(LabelJob(path), ValidationOptions(ClassTable.from_names(["a", "b"])))
    assert time.monotonic() - started < 10.0
    assert "such colours" in result.problems[0].message


def test_pixel_limit_is_restored_after_reading(image_cases):
    from PIL import Image

    from segmodels.imageio import read_image

    before = Image.MAX_IMAGE_PIXELS
    with pytest.raises(SegError):
        read_image(_image_case(image_cases, "header_bomb").path)
    read_image(_image_case(image_cases, "rgba").path)
    assert Image.MAX_IMAGE_PIXELS == before


def test_fuzz_regression_validator_decodes_forged_jpeg_label(image_cases):
    """Found by fuzzing: the validator decoded a tiny JPEG claiming 12616 x 12616 pixels for minutes
    (it opens labels with Pillow directly). It must refuse it from the header, at once."""
    import time

    from segmodels.validation import LabelJob, ProblemKind, ValidationOptions, check_label

    path = image_cases[0].path.parent / "forged label.jpg"
    path.write_bytes(corpus.jpeg_claiming(12616, 12616))
    started = time.monotonic()
    result, _ = check_label(LabelJob(path), ValidationOptions(ClassTable.from_names(["a", "b"])))
    assert time.monotonic() - started < 2.0
    assert [p.kind for p in result.problems] == [ProblemKind.UNREADABLE]
    assert "claims 12616x12616" in result.problems[0].message


# -- labels ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def label_cases(corpus_root):
    return {c.name: c for c in corpus.label_cases(corpus_root / "label project")}


@pytest.mark.parametrize("name", ["label_truncated", "label_unknown_colour"])
def test_read_label_png_refuses(label_cases, name):
    from segmodels.labelio import read_label_png

    case = label_cases[name]
    with pytest.raises(SegError) as info:
        read_label_png(case.path)
    assert_one_sentence(str(info.value), case.path)


def test_colour_label_reports_unknown_colours(label_cases):
    from segmodels.colorlabels import read_color_label
    from segmodels.project import Project

    case = label_cases["label_unknown_colour"]
    project = Project.open(case.path.parent.parent)
    label_map, unknown = read_color_label(case.path, project.classes)
    assert unknown.all() and (label_map == 255).all()


@pytest.mark.parametrize("name", ["label_wrong_size", "label_out_of_range", "label_truncated"])
def test_training_pairs_refuse_bad_labels(label_cases, name):
    pytest.importorskip("torch")
    from segmodels.project import Project
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
    from segmodels.project import Project
    from segmodels.validation import validate_path

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
    from segmodels.onehot import read_onehot

    result = read_onehot(onehot_cases[name].path, num_classes=3)
    assert result.defects["nan"].count == 1 and result.defects["nan"].first == (5, 6)
    assert result.label_map[5, 6] == 255


@pytest.mark.parametrize("name", ["onehot_rank2", "onehot_rank4", "onehot_strings", "onehot_garbage"])
def test_onehot_bad_shape_or_content_refused(onehot_cases, name):
    from segmodels.onehot import read_onehot

    case = onehot_cases[name]
    with pytest.raises(SegError) as info:
        read_onehot(case.path, num_classes=3)
    assert_one_sentence(str(info.value), case.path)
    assert "allow_pickle" not in str(info.value)  # never advise loading a label unsafely


def _npy_with_unterminated_header() -> bytes:
    header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (12, 16, 3"
    header += b" " * (54 - len(header) - 1) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + b"\x00" * 64


def _npz_with_unknown_compression() -> bytes:
    import io

    buffer = io.BytesIO()
    np.savez(buffer, onehot=np.zeros((4, 4, 2), np.float32))
    data = bytearray(buffer.getvalue())
    central = data.index(b"PK\x01\x02")
    data[central + 10:central + 12] = (99).to_bytes(2, "little")  # compression method 99
    return bytes(data)


@pytest.mark.parametrize("name, data", [("tokenize error.npy", _npy_with_unterminated_header()),
                                        ("unknown compression.npz", _npz_with_unknown_compression())])
def test_fuzz_regressions_onehot(tmp_path, name, data):
    """Found by fuzzing: numpy's header parser raised tokenize.TokenError, zipfile raised
    NotImplementedError; both escaped as tracebacks from read_onehot (and `segstudio validate`)."""
    from segmodels.onehot import read_onehot
    from segmodels.validation import LabelJob, ValidationOptions, check_label
    from segmodels.classes import ClassTable

    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(SegError) as info:
        read_onehot(path, num_classes=3)
    assert_one_sentence(str(info.value), path)
    result, _ = check_label(LabelJob(path), ValidationOptions(ClassTable.from_names(["a", "b", "c"])))
    assert result.problems and all("\n" not in p.message for p in result.problems)


# -- project JSON ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def project_cases(corpus_root):
    return corpus.project_json_cases(corpus_root / "projects")


def test_every_broken_project_json_is_one_sentence(project_cases):
    from segmodels.project import Project, open_path

    assert len(project_cases) >= 8
    for case in project_cases:
        for opener in (lambda: Project.open(case.path.parent), lambda: open_path(case.path),
                       lambda: open_path(case.path.parent / "images" / "a.png")):
            with pytest.raises(SegError) as info:
                opener()
            assert_one_sentence(str(info.value), case.path)


def test_project_json_left_untouched_when_refused(project_cases):
    from segmodels.project import Project

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
    from segmodels.checkpoint import load_checkpoint

    cases, marker = checkpoint_cases
    case = cases[name]
    with pytest.raises(SegError) as info:
        load_checkpoint(case.path, num_classes=3)
    assert_one_sentence(str(info.value), case.path)
    assert case.note in str(info.value)
    assert not marker.exists(), "a pickled payload ran while loading a checkpoint"


def _zip_with_undecodable_member_name(good: bytes) -> bytes:
    """A torch zip checkpoint whose first member name is invalid UTF-8 with the UTF-8 flag set."""
    data = bytearray(good)
    central = data.index(b"PK\x01\x02")
    flags = int.from_bytes(data[central + 8:central + 10], "little") | 0x800
    data[central + 8:central + 10] = flags.to_bytes(2, "little")
    data[central + 46] = 0xFF   # first byte of the member's name
    return bytes(data)


def test_fuzz_regression_checkpoint_member_name(checkpoint_cases, tmp_path):
    """Found by fuzzing: zipfile raised UnicodeDecodeError on a damaged member name, which escaped
    load_checkpoint's CRC check as a traceback."""
    import zipfile

    from segmodels.checkpoint import load_checkpoint

    good = corpus.save_good_checkpoint(tmp_path / "good.pt").read_bytes()
    path = tmp_path / "bad name ü.pt"
    path.write_bytes(_zip_with_undecodable_member_name(good))
    with pytest.raises(UnicodeDecodeError):
        zipfile.ZipFile(path)   # what used to escape
    with pytest.raises(SegError) as info:
        load_checkpoint(path, num_classes=3)
    assert_one_sentence(str(info.value), path)


def _checkpoint_with_pickle(good: bytes, pickle_bytes: bytes) -> bytes:
    import io
    import zipfile

    source, out = zipfile.ZipFile(io.BytesIO(good)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            member = pickle_bytes if info.filename.endswith("data.pkl") else source.read(info)
            target.writestr(info.filename, member)
    return out.getvalue()


@pytest.mark.parametrize("name, pickle_bytes", [
    ("int persistent id.pt", b"\x80\x02K\x01Q."),     # BININT1 1, BINPERSID: torch asserts on it
    ("bare global.pt", b"\x80\x02c\n\n."),             # GLOBAL with empty names
])
def test_fuzz_regressions_checkpoint_pickle(checkpoint_cases, tmp_path, name, pickle_bytes):
    """Found by fuzzing the pickle inside a checkpoint: torch's AssertionError ("saved_id must be a
    tuple") and an IndexError in naming the blocked global escaped load_checkpoint."""
    from segmodels.checkpoint import _blocked_global, load_checkpoint

    good = corpus.save_good_checkpoint(tmp_path / "good.pt").read_bytes()
    path = tmp_path / name
    path.write_bytes(_checkpoint_with_pickle(good, pickle_bytes))
    with pytest.raises(SegError) as info:
        load_checkpoint(path, num_classes=3)
    assert_one_sentence(str(info.value), path)
    assert _blocked_global("Unsupported global: GLOBAL") == ""


def test_fuzz_regression_encrypted_npz(tmp_path):
    """Found by fuzzing: an .npz member flagged as encrypted raised RuntimeError from zipfile."""
    import io

    from segmodels.onehot import read_onehot

    buffer = io.BytesIO()
    np.savez(buffer, onehot=np.zeros((4, 4, 2), np.float32))
    data = bytearray(buffer.getvalue())
    central = data.index(b"PK\x01\x02")
    data[central + 8] |= 0x01   # general purpose flag bit 0: encrypted
    path = tmp_path / "encrypted ü.npz"
    path.write_bytes(bytes(data))
    with pytest.raises(SegError) as info:
        read_onehot(path, num_classes=2)
    assert_one_sentence(str(info.value), path)


def test_pickled_payload_is_real(checkpoint_cases, tmp_path):
    """The payload does run under an unsafe loader, so its refusal above means something."""
    cases, _ = checkpoint_cases
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(corpus._RunsCode(marker)))
    assert marker.exists()
