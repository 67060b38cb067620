"""Regression tests for what fuzzing found (tests/reliability/fuzzing.py, docs/reliability.md).

Each input is rebuilt by hand in its smallest form, and each test names the exception or the time
that escaped before the fix.
"""
from __future__ import annotations

import corpus
import numpy as np
import pytest
from corpus import assert_one_sentence

from segmodels.errors import SegError
from segmodels.labels.classes import ClassTable


@pytest.fixture
def torch_available():
    pytest.importorskip("torch")


@pytest.mark.parametrize("side", [7960, 2000])
def test_fuzz_regression_forged_jpeg_under_old_threshold(image_cases, side):
    """Found by fuzzing: an 854-byte JPEG claiming 7960 x 7960 (just under the first threshold of
    the bytes-per-pixel check) kept `segstudio validate` busy for 337 s."""
    import time

    from segmodels.labels.imageio import read_image
    from segmodels.validation.report import LabelJob, ValidationOptions
    from segmodels.validation.run import check_label

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

    from segmodels.validation.decode import _distinct_colors
    from segmodels.validation.report import LabelJob, ValidationOptions
    from segmodels.validation.run import check_label

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


def test_fuzz_regression_validator_decodes_forged_jpeg_label(image_cases):
    """Found by fuzzing: the validator decoded a tiny JPEG claiming 12616 x 12616 pixels for minutes
    (it opens labels with Pillow directly). It must refuse it from the header, at once."""
    import time

    from segmodels.validation.report import LabelJob, ProblemKind, ValidationOptions
    from segmodels.validation.run import check_label

    path = image_cases[0].path.parent / "forged label.jpg"
    path.write_bytes(corpus.jpeg_claiming(12616, 12616))
    started = time.monotonic()
    result, _ = check_label(LabelJob(path), ValidationOptions(ClassTable.from_names(["a", "b"])))
    assert time.monotonic() - started < 2.0
    assert [p.kind for p in result.problems] == [ProblemKind.UNREADABLE]
    assert "claims 12616x12616" in result.problems[0].message


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
    from segmodels.labels.classes import ClassTable
    from segmodels.labels.onehot import read_onehot
    from segmodels.validation.report import LabelJob, ValidationOptions
    from segmodels.validation.run import check_label

    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(SegError) as info:
        read_onehot(path, num_classes=3)
    assert_one_sentence(str(info.value), path)
    result, _ = check_label(LabelJob(path), ValidationOptions(ClassTable.from_names(["a", "b", "c"])))
    assert result.problems and all("\n" not in p.message for p in result.problems)


def _zip_with_undecodable_member_name(good: bytes) -> bytes:
    """A torch zip checkpoint whose first member name is invalid UTF-8 with the UTF-8 flag set."""
    data = bytearray(good)
    central = data.index(b"PK\x01\x02")
    flags = int.from_bytes(data[central + 8:central + 10], "little") | 0x800
    data[central + 8:central + 10] = flags.to_bytes(2, "little")
    data[central + 46] = 0xFF   # first byte of the member's name
    return bytes(data)


def test_fuzz_regression_checkpoint_member_name(tmp_path):
    """Found by fuzzing: zipfile raised UnicodeDecodeError on a damaged member name, which escaped
    load_checkpoint's CRC check as a traceback."""
    import zipfile

    pytest.importorskip("torch")
    from segmodels.models.checkpoint import load_checkpoint

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
def test_fuzz_regressions_checkpoint_pickle(torch_available, tmp_path, name, pickle_bytes):
    """Found by fuzzing the pickle inside a checkpoint: torch's AssertionError ("saved_id must be a
    tuple") and an IndexError in naming the blocked global escaped load_checkpoint."""
    from segmodels.models.checkpoint import _blocked_global, load_checkpoint

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

    from segmodels.labels.onehot import read_onehot

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
