"""Issue 15 item 14, hostile input: every bad file given as weights (`train --arch A --from FILE`) is one
sentence naming it, exit status 2, no traceback, and no pickled payload runs; nothing is written."""
from __future__ import annotations

import corpus
import pytest

from segmodels.cli import main

REFUSED = ["ckpt_foreign", "ckpt_incomplete", "ckpt_pickled_code", "ckpt_legacy_pickle", "ckpt_text", "ckpt_empty",
           "ckpt_truncated"]


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    pytest.importorskip("torch")
    folder = tmp_path_factory.mktemp("weights") / corpus.ODD_FOLDER
    cases, marker = corpus.checkpoint_cases(folder)
    return {c.name: c for c in cases}, marker


@pytest.mark.parametrize("name", REFUSED)
def test_bad_weights_file_is_one_sentence(capsys, checkpoints, tmp_path, name):
    cases, marker = checkpoints
    case = cases[name]
    root = corpus.make_project(tmp_path / "good project")
    out_path = tmp_path / "run.pt"
    code = main(["train", str(root), "--arch", "m2nist_fcn", "--from", str(case.path), "--epochs", "1",
                 "--device", "cpu", "--threads", "1", "--out", str(out_path)])
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert "Traceback" not in out + err
    lines = [line for line in (out + err).splitlines() if case.path.name in line]
    assert len(lines) == 1 and len(err.strip().splitlines()) == 1, err
    assert not marker.exists(), "a pickled payload ran"
    assert not out_path.exists()
