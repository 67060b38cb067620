"""Python warnings reach the terminal as one sentence: no source path, no code line (cli/_warnings.py)."""
from __future__ import annotations

import warnings

import pytest

import segmodels.cli.models as models_command
from segmodels.cli import main
from segmodels.cli._warnings import one_sentence, reported_warnings


@pytest.fixture
def offline_hub(tmp_path, monkeypatch):
    import torch

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(torch.hub, "_hub_dir", None, raising=False)
    monkeypatch.setenv("SEGSTUDIO_OFFLINE", "1")


def _fetch_pretrained_offline(_args) -> int:
    """What `train --pretrained` does first when offline: ask for ImageNet weights that are not cached."""
    from torchvision.models import MobileNet_V3_Large_Weights

    from segmodels.models.pretrained import fetch_state_dict

    assert fetch_state_dict(MobileNet_V3_Large_Weights.IMAGENET1K_V1, what="lraspp_mobilenet_v3_large") is None
    return 0


def test_offline_pretrained_warning_is_one_sentence(offline_hub, monkeypatch, capsys):
    monkeypatch.setattr(models_command, "run", _fetch_pretrained_offline)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        assert main(["models"]) == 0
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("segstudio models: warning: Pretrained ImageNet weights for lraspp_mobilenet_v3_large")
    assert "random initialisation" in lines[0]
    assert ".py" not in err.replace("segstudio", "") and "warnings.warn" not in err and "Warning:" not in err


def test_debug_leaves_warnings_to_python(offline_hub, monkeypatch, capsys):
    from segmodels.models.pretrained import PretrainedUnavailableWarning

    monkeypatch.setattr(models_command, "run", _fetch_pretrained_offline)
    with pytest.warns(PretrainedUnavailableWarning):  # Python's own machinery saw it, untouched
        assert main(["models", "--debug"]) == 0
    assert "segstudio models: warning" not in capsys.readouterr().err


def test_repeated_warning_is_said_once_and_the_hook_is_restored(capsys):
    before = warnings.showwarning
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        with reported_warnings("segstudio x"):
            for _ in range(3):
                warnings.warn("Same thing\nsecond line", UserWarning, stacklevel=1)
    assert capsys.readouterr().err == "segstudio x: warning: Same thing\n"
    assert warnings.showwarning is before


def test_one_sentence_of_an_empty_warning_names_its_kind():
    assert one_sentence(RuntimeWarning("")) == "RuntimeWarning"
