"""Issue 13, items 2, 11 (checkpoints), 12 (checkpoint, train, predict, demo) and 13: checkpoints are
never replaced by a new run, hostile checkpoints are one sentence before anything large is allocated,
and loading a checkpoint never reaches the network.

Each test plants the case (a second run, a tampered checkpoint dict, an existing --out file) and
asserts the exact behaviour: the file names, the bytes left untouched, the sentence.
"""
from __future__ import annotations

import hashlib
import io
import sys
import zipfile
from datetime import datetime
from pathlib import Path

import corpus
import pytest
import torch

from segmodels.errors import SegError
from segmodels.models.checkpoint import load_checkpoint
from segmodels.training import FitResult, TrainConfig, fit
from segmodels.training.config import base_stem, new_checkpoint_path, run_files

CLASSES = ("background", "digit", "edge")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(config: TrainConfig) -> FitResult:
    result = None
    for report in fit(config):
        result = report
    assert isinstance(result, FitResult)
    return result


def _config(project: Path, **kw) -> TrainConfig:
    settings = dict(epochs=1, batch_size=2, device="cpu", augment=False)
    return TrainConfig(project=str(project), **{**settings, **kw})


def _tampered(tmp_path: Path, name: str, **changes) -> Path:
    """A good checkpoint whose stored dict has `changes` applied (as a stranger could write it)."""
    good = corpus.save_good_checkpoint(tmp_path / "good.pt", CLASSES)
    payload = torch.load(good, weights_only=True)
    for key, value in changes.items():
        if callable(value):
            value(payload)
        else:
            payload[key] = value
    path = tmp_path / name
    torch.save(payload, path)
    return path


def _refused(path: Path, match: str) -> str:
    with pytest.raises(SegError, match=match) as caught:
        load_checkpoint(path).build_model()
    corpus.assert_one_sentence(str(caught.value), path)
    return str(caught.value)


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    from segmodels.cli import main

    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- item 2: a new run never replaces a checkpoint ------------------------------------------------
@pytest.fixture()
def project(tmp_path: Path) -> Path:
    return corpus.make_project(tmp_path / "project", n_images=4, classes=CLASSES)


def test_checkpoint_names_are_new_per_run_and_minute(tmp_path: Path) -> None:
    now = datetime(2026, 1, 2, 9, 30)
    first = new_checkpoint_path(tmp_path, "unet", now)
    assert first == tmp_path / "unet-20260102-0930.pt"
    first.write_bytes(b"x")
    second = new_checkpoint_path(tmp_path, "unet", now)
    assert second == tmp_path / "unet-20260102-0930-2.pt"
    run_files(second)[2].write_text("{}")  # a stray .json of that name takes the name too
    assert new_checkpoint_path(tmp_path, "unet", now) == tmp_path / "unet-20260102-0930-3.pt"
    assert run_files(first) == (first, tmp_path / "unet-20260102-0930.last.pt", tmp_path / "unet-20260102-0930.json")
    assert base_stem("unet-finetuned-20260102-0930-2.pt") == "unet"
    assert base_stem("m2nist_fcn-20260102-0930.last.pt") == "m2nist_fcn"
    assert base_stem("my_model.pt") == "my_model"


def test_second_training_run_keeps_the_first_checkpoint(project: Path) -> None:
    first = _run(_config(project, arch="m2nist_fcn"))
    kept = {path: _digest(path) for path in run_files(first.best_checkpoint)}
    second = _run(_config(project, arch="m2nist_fcn"))
    assert second.best_checkpoint != first.best_checkpoint
    assert second.best_checkpoint.name.startswith("m2nist_fcn-") and second.last_checkpoint.is_file()
    assert {path: _digest(path) for path in kept} == kept  # byte for byte


def test_fine_tuning_twice_writes_two_new_checkpoints(project: Path) -> None:
    source = corpus.save_good_checkpoint(project / "models" / "base.pt", CLASSES)
    before = _digest(source)
    tuned = [_run(_config(project, from_checkpoint=str(source))).best_checkpoint for _ in range(2)]
    assert tuned[0] != tuned[1] and all(p.name.startswith("base-finetuned-") for p in tuned)
    assert all(p.is_file() for p in tuned) and _digest(source) == before
    assert not (project / "models" / "base_finetuned.pt").exists()


def test_explicit_out_that_exists_is_refused_before_training(project: Path) -> None:
    taken = corpus.save_good_checkpoint(project / "models" / "mine.pt", CLASSES)
    before = _digest(taken)
    with pytest.raises(SegError, match="already exists; a new training run never replaces") as caught:
        _run(_config(project, arch="m2nist_fcn", out=str(taken)))
    corpus.assert_one_sentence(str(caught.value), taken)
    assert _digest(taken) == before and not (project / "models" / "mine.last.pt").exists()
    # The metrics JSON beside a new name counts too (it would be replaced by the run's).
    metrics = project / "models" / "other.json"
    metrics.write_text('{"mine": 1}')
    with pytest.raises(SegError, match="other.json' already exists"):
        _run(_config(project, arch="m2nist_fcn", out=str(project / "models" / "other.pt")))
    assert metrics.read_text() == '{"mine": 1}'


def test_resume_continues_its_own_run(project: Path) -> None:
    first = _run(_config(project, arch="m2nist_fcn"))
    resumed = _run(TrainConfig(project=str(project), resume=str(first.last_checkpoint), epochs=2, device="cpu"))
    assert resumed.last_checkpoint == first.last_checkpoint and load_checkpoint(first.last_checkpoint).epoch == 2
    # ... also when --out names that same run
    again = _run(TrainConfig(project=str(project), resume=str(first.last_checkpoint), epochs=3, device="cpu",
                             out=str(first.best_checkpoint)))
    assert again.last_checkpoint == first.last_checkpoint


def test_train_out_in_an_unwritable_place_fails_before_the_first_epoch(project: Path, capsys) -> None:
    blocker = project / "not a folder.txt"
    blocker.write_text("x")
    target = blocker / "x.pt"
    reports = fit(_config(project, arch="m2nist_fcn", out=str(target)))
    with pytest.raises(SegError, match="Cannot write the checkpoint") as caught:
        next(reports)  # the very first report: no step, no epoch was run
    corpus.assert_one_sentence(str(caught.value), target)
    code, out, err = run_cli(capsys, "train", project, "--arch", "m2nist_fcn", "--epochs", "1", "--out", target)
    assert code != 0 and "epoch 1" not in err and "x.pt" in err and "Traceback" not in err


def test_train_cli_refuses_an_existing_out(project: Path, capsys) -> None:
    taken = project / "models" / "keep.pt"
    corpus.save_good_checkpoint(taken, CLASSES)
    before = _digest(taken)
    code, out, err = run_cli(capsys, "train", project, "--arch", "m2nist_fcn", "--epochs", "1", "--out", taken)
    assert code != 0 and len(err.strip().splitlines()) == 1 and "keep.pt' already exists" in err
    assert _digest(taken) == before


# -- items 11 and 12: hostile checkpoints are one sentence -----------------------------------------
def test_state_dict_shapes_that_do_not_fit(tmp_path: Path) -> None:
    def widen(payload):
        key = next(k for k, v in payload["state_dict"].items() if v.ndim == 4)
        payload["state_dict"][key] = torch.zeros(5, *payload["state_dict"][key].shape[1:])
    path = _tampered(tmp_path, "wrong shapes.pt", _=widen)
    text = _refused(path, "does not fit architecture 'm2nist_fcn': weight .* has shape \\(5,")
    assert "needs" in text


@pytest.mark.parametrize("epoch", ["three", [1], 1.5, -1, True])
def test_epoch_that_is_not_a_number(tmp_path: Path, epoch) -> None:
    path = _tampered(tmp_path, "bad epoch.pt", epoch=epoch)
    _refused(path, "its epoch is .* not a whole number")


def test_epoch_stored_as_a_whole_float_still_loads(tmp_path: Path) -> None:
    assert load_checkpoint(_tampered(tmp_path, "float epoch.pt", epoch=4.0)).epoch == 4


@pytest.mark.parametrize("kwargs", ["width=6000", [["width", 8]], 7])
def test_arch_kwargs_that_are_not_a_mapping(tmp_path: Path, kwargs) -> None:
    path = _tampered(tmp_path, "bad kwargs.pt", arch_kwargs=kwargs)
    _refused(path, "model arguments \\(arch_kwargs\\) are a .*not a mapping")


def test_arch_kwargs_nested_3000_deep(tmp_path: Path) -> None:
    nested: dict = {}
    inner = nested
    for _ in range(3000):
        inner["x"] = {}
        inner = inner["x"]
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(20_000)  # only to write the hostile file (pickling recurses; loading does not)
    try:
        path = _tampered(tmp_path, "deep kwargs.pt", arch_kwargs=nested)
    finally:
        sys.setrecursionlimit(limit)
    _refused(path, "nested more than 8 levels deep")


def test_huge_model_arguments_are_refused_before_allocating(tmp_path: Path, monkeypatch) -> None:
    import segmodels.models.checkpoint as checkpoint_module

    path = _tampered(tmp_path, "huge width.pt", arch_kwargs={"width": 6000, "context": 64})
    assert path.stat().st_size < 300_000
    built_on: list[str] = []
    real = torch.nn.Conv2d.__init__

    def spy(self, *args, **kw):  # where each convolution's weights would live
        real(self, *args, **kw)
        built_on.append(self.weight.device.type)
    monkeypatch.setattr(torch.nn.Conv2d, "__init__", spy)
    _refused(path, "does not fit architecture 'm2nist_fcn'")
    assert built_on and set(built_on) == {"meta"}  # the 6000-wide model never got real memory
    # Beyond the absolute bound the sentence names the size, whatever the stored weights.
    monkeypatch.setattr(checkpoint_module, "MAX_PARAMETERS", 1000)
    _refused(_tampered(tmp_path, "big.pt"), "weights .*more than 1,000 is refused")


def test_zip_members_declaring_more_than_the_file_holds(tmp_path: Path) -> None:
    good = corpus.save_good_checkpoint(tmp_path / "good.pt", CLASSES)
    with zipfile.ZipFile(good) as source:
        members = [(info, source.read(info)) for info in source.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as bomb:
        for info, data in members:
            bomb.writestr(info.filename, data)
        bomb.writestr(members[0][0].filename.split("/")[0] + "/data/999", b"\0" * (64 << 20))  # 64 MiB of zeros
    path = tmp_path / "zip bomb.pt"
    path.write_bytes(buffer.getvalue())
    assert path.stat().st_size < 1 << 20
    with pytest.raises(SegError, match="declares .* bytes of content in a file of") as caught:
        load_checkpoint(path)
    corpus.assert_one_sentence(str(caught.value), path)


def test_bad_checkpoints_through_predict_are_one_line(tmp_path: Path, project: Path, capsys) -> None:
    path = _tampered(tmp_path, "bad epoch.pt", epoch="three")
    code, out, err = run_cli(capsys, "predict", project, "--model", path, "--device", "cpu")
    assert code == 2 and len(err.strip().splitlines()) == 1
    corpus.assert_one_sentence(err, path)
    assert not any((project / "predictions").glob("*.png"))


def test_predict_out_that_is_a_file_is_one_line_and_stops(tmp_path: Path, project: Path, capsys) -> None:
    model = corpus.save_good_checkpoint(tmp_path / "model.pt", CLASSES)
    target = tmp_path / "results.txt"
    target.write_text("mine")
    code, out, err = run_cli(capsys, "predict", project, "--model", model, "--out", target, "--device", "cpu")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "not a folder" in err and "results.txt" in err
    corpus.assert_one_sentence(err, target)
    assert target.read_text() == "mine"


def test_demo_with_a_negative_seed(tmp_path: Path, capsys) -> None:
    target = tmp_path / "demo folder"
    code, out, err = run_cli(capsys, "demo", target, "--seed", "-1", "--count", "2")
    assert code == 2 and "The demo seed must be 0 or more, got --seed -1" in err
    corpus.assert_one_sentence(err, target)
    assert not target.exists()


# -- item 13: loading a checkpoint never downloads -------------------------------------------------
def test_loading_a_checkpoint_never_downloads(tmp_path: Path, monkeypatch) -> None:
    import segmodels.models.pretrained as pretrained
    from segmodels.labels.classes import ClassTable
    from segmodels.models import get_model
    from segmodels.models.checkpoint import save_checkpoint

    model = get_model("lraspp_mobilenet_v3_large", num_classes=3)
    good = save_checkpoint(tmp_path / "good.pt", model, classes=ClassTable.from_names(list(CLASSES)))
    payload = torch.load(good, weights_only=True)
    payload["arch_kwargs"] = {**payload["arch_kwargs"], "pretrained_backbone": True, "require_pretrained": True}
    path = tmp_path / "asks for weights.pt"
    torch.save(payload, path)

    def no_network(*args, **kwargs):
        pytest.fail("loading a checkpoint tried to reach the network")
    monkeypatch.delenv("SEGSTUDIO_OFFLINE", raising=False)
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "empty hub"))  # no cached weights
    import segmodels.models.deeplabv3plus as deeplabv3plus
    import segmodels.models.fcn8s as fcn8s
    import segmodels.models.torchvision_models as torchvision_models

    for name in ("_reachable", "_download", "fetch_state_dict"):
        monkeypatch.setattr(pretrained, name, no_network)
    for module in (deeplabv3plus, fcn8s, torchvision_models):  # each imported the function by name
        monkeypatch.setattr(module, "fetch_state_dict", no_network)
    monkeypatch.setattr(torch.hub, "download_url_to_file", no_network)
    checkpoint = load_checkpoint(path)
    rebuilt = checkpoint.build_model()  # require_pretrained would raise if it were honoured offline
    assert torch.equal(rebuilt.state_dict()[next(iter(payload["state_dict"]))],
                       next(iter(payload["state_dict"].values())))
    assert checkpoint.build_architecture(5).num_classes == 5  # fine-tuning's rebuild: no download either
