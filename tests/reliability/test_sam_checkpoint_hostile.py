"""Issue 16 item 4, hostile input: every bad file chosen as the Segment Anything checkpoint is one
sentence naming it (a SegError), and no pickled payload runs; an unset path is the sentence that says
where to get weights."""
from __future__ import annotations

import corpus
import pytest

from segmodels.errors import SegError
from segmodels.prompts.base import NO_WEIGHTS, NoWeights
from segmodels.prompts.engine import SamEngine, load_backend

BAD = ["ckpt_foreign", "ckpt_incomplete", "ckpt_pickled_code", "ckpt_legacy_pickle", "ckpt_text", "ckpt_empty",
       "ckpt_truncated"]


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sam weights") / corpus.ODD_FOLDER
    cases, marker = corpus.checkpoint_cases(folder)
    return {c.name: c for c in cases}, marker


@pytest.mark.parametrize("name", BAD)
def test_bad_checkpoint_is_one_sentence_naming_it(checkpoints, name):
    cases, marker = checkpoints
    path = cases[name].path
    with pytest.raises(SegError) as caught:
        load_backend(path)
    sentence = str(caught.value)
    assert str(path) in sentence and "\n" not in sentence and sentence.endswith(".")
    assert not marker.exists(), "a pickled payload ran"


def test_no_checkpoint_configured_says_where_to_get_one(tmp_path):
    engine = SamEngine()
    with pytest.raises(NoWeights) as caught:
        engine.mask("", "auto", ("a.png", 1), None, [(1, 1)], [1], None)
    assert str(caught.value) == NO_WEIGHTS
    assert "sam_vit_b_01ec64.pth" in NO_WEIGHTS and "Edit > Preferences" in NO_WEIGHTS
    assert not engine.needs_embedding("", "auto", ("a.png", 1))  # nothing to embed with


def test_a_missing_checkpoint_file_is_named(tmp_path):
    with pytest.raises(SegError, match="gone.pth' does not exist"):
        SamEngine().backend(str(tmp_path / "gone.pth"), "auto")
