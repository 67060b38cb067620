"""Why a file failed travels as a type, not as words in a sentence: readers raise `TruncatedFile`
(a SegError) for a cut or damaged file and plain SegError otherwise; the validator sorts by type, and
the sentences a user reads are unchanged."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from segmodels.errors import SegError, TruncatedFile
from segmodels.labels.classes import voc_classes
from segmodels.labels.imageio import read_image
from segmodels.labels.onehot import load_array
from segmodels.validation.report import LabelJob, ProblemKind, ValidationOptions
from segmodels.validation.run import check_label


def _kinds(path: Path) -> list[ProblemKind]:
    result, _ = check_label(LabelJob(path), ValidationOptions(voc_classes()))
    return [problem.kind for problem in result.problems]


def _cut_png(tmp_path: Path) -> Path:
    rgb = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "full.png")
    data = (tmp_path / "full.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    return tmp_path / "cut.png"


def test_a_cut_image_is_a_truncated_file_with_the_same_sentence(tmp_path):
    with pytest.raises(TruncatedFile) as info:
        read_image(_cut_png(tmp_path))
    assert isinstance(info.value, SegError)
    assert str(info.value) == f"Image '{tmp_path / 'cut.png'}' is truncated or corrupt."


def test_a_missing_or_foreign_image_is_not_truncated(tmp_path):
    (tmp_path / "notes.png").write_text("hello")
    for path in (tmp_path / "notes.png", tmp_path / "missing.png"):
        with pytest.raises(SegError) as info:
            read_image(path)
        assert not isinstance(info.value, TruncatedFile)


def test_a_cut_npy_is_a_truncated_file_and_the_validator_says_so(tmp_path):
    np.save(tmp_path / "full.npy", np.eye(4, dtype=np.uint8)[np.zeros((20, 30), int)])
    data = (tmp_path / "full.npy").read_bytes()
    (tmp_path / "cut.npy").write_bytes(data[: len(data) - 50])
    with pytest.raises(TruncatedFile, match="is truncated or corrupt"):
        load_array(tmp_path / "cut.npy")
    assert _kinds(tmp_path / "cut.npy") == [ProblemKind.TRUNCATED]


def test_the_word_truncated_in_a_sentence_no_longer_decides_the_kind(tmp_path):
    """An archive whose arrays happen to be called 'truncated' is unreadable (no label array), not
    truncated: matching the message text reported it as TRUNCATED."""
    np.savez(tmp_path / "odd.npz", truncated=np.zeros((4, 4)), other=np.ones((4, 4)))
    with pytest.raises(SegError, match="holds arrays truncated, other") as info:
        load_array(tmp_path / "odd.npz")
    assert not isinstance(info.value, TruncatedFile)
    assert _kinds(tmp_path / "odd.npz") == [ProblemKind.UNREADABLE]
