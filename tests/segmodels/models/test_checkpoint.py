"""Checkpoints round-trip, and a stranger's file is refused in one sentence without running code."""
from __future__ import annotations

import io
import zipfile

import pytest
import torch

from segmodels.errors import SegError
from segmodels.inference.preprocess import Normalization
from segmodels.labels.classes import ClassTable
from segmodels.models import get_model
from segmodels.models.checkpoint import FORMAT_TAG, load_checkpoint, save_checkpoint

torch.set_num_threads(2)


@pytest.fixture
def classes() -> ClassTable:
    return ClassTable.from_names(["background", "cat", "dog"])


@pytest.fixture
def saved(tmp_path, classes):
    torch.manual_seed(0)
    model = get_model("unet", num_classes=3, base_width=4, depth=2)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    model(torch.randn(1, 3, 16, 16)).sum().backward()
    optimizer.step()
    path = save_checkpoint(tmp_path / "model.pt", model, classes=classes,
                           normalization=Normalization((0.5, 0.5, 0.5), (0.25, 0.25, 0.25)),
                           train_config={"lr": 1e-4, "epochs": 3, "out": tmp_path / "x"},
                           metrics={"miou": 0.75, "iou": [0.9, 0.7, 0.65]},
                           optimizer_state=optimizer.state_dict(), epoch=3,
                           split={"train": ["a.png"], "val": ["b.png"]},
                           extra={"note": "hi"})
    return path, model


def test_round_trip_rebuilds_the_same_network(saved, classes):
    path, model = saved
    checkpoint = load_checkpoint(path, num_classes=3)
    assert checkpoint.arch == "unet" and checkpoint.arch_kwargs == {"base_width": 4, "depth": 2}
    assert checkpoint.classes == classes
    assert checkpoint.normalization == Normalization((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))
    assert checkpoint.metrics == {"miou": 0.75, "iou": [0.9, 0.7, 0.65]}
    assert checkpoint.train_config["epochs"] == 3 and isinstance(checkpoint.train_config["out"], str)
    assert checkpoint.epoch == 3 and checkpoint.split["val"] == ["b.png"] and checkpoint.extra == {"note": "hi"}
    assert checkpoint.optimizer_state["param_groups"][0]["lr"] == 1e-4
    rebuilt = checkpoint.build_model()
    model.eval()
    x = torch.randn(2, 3, 20, 28)
    with torch.no_grad():
        assert torch.equal(rebuilt(x), model(x))
    assert rebuilt.normalization == checkpoint.normalization
    # The optimiser state loads back into a fresh optimiser.
    torch.optim.Adam(rebuilt.parameters()).load_state_dict(checkpoint.optimizer_state)
    # Plain types only: a weights-only load of the raw file works.
    raw = torch.load(path, weights_only=True)
    assert raw["format"] == FORMAT_TAG and raw["version"] == 1


def test_pickled_code_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "payload_ran.txt"

    class Payload:
        def __reduce__(self):
            return (exec, (f"open({str(marker)!r}, 'w').write('pwned')",))

    evil = tmp_path / "evil.pt"
    torch.save({"format": FORMAT_TAG, "version": 1, "state_dict": {}, "x": Payload()}, evil)
    with pytest.raises(SegError) as info:
        load_checkpoint(evil)
    message = str(info.value)
    assert "evil.pt" in message and "refused" in message and "pickled code" in message
    assert message.count(". ") == 0  # one sentence
    assert not marker.exists()
    # Control: the payload is real, an unsafe load would have run it.
    torch.load(evil, weights_only=False)
    assert marker.read_text() == "pwned"


def test_foreign_file_is_refused(tmp_path):
    foreign = tmp_path / "resnet.pt"
    torch.save(get_model("m2nist_fcn", num_classes=3).state_dict(), foreign)
    with pytest.raises(SegError, match=r"'.*resnet\.pt' is not a segstudio checkpoint"):
        load_checkpoint(foreign)
    text = tmp_path / "notes.pt"
    text.write_text("hello, this is not a checkpoint")
    with pytest.raises(SegError, match="is not a PyTorch checkpoint file"):
        load_checkpoint(text)


def test_wrong_class_count_and_wrong_version(saved, tmp_path):
    path, _ = saved
    with pytest.raises(SegError, match="predicts 3 classes but 21 are needed"):
        load_checkpoint(path, num_classes=21)
    data = torch.load(path, weights_only=True)
    data["version"] = 99
    newer = tmp_path / "newer.pt"
    torch.save(data, newer)
    with pytest.raises(SegError, match="format version 99 .written by a newer segstudio."):
        load_checkpoint(newer)


@pytest.mark.parametrize("keep", [0, 10, 2000, -100])
def test_truncated_or_empty_file_is_refused(saved, tmp_path, keep):
    path, _ = saved
    data = path.read_bytes()
    broken = tmp_path / "broken.pt"
    broken.write_bytes(data[:keep] if keep >= 0 else data[:keep])
    with pytest.raises(SegError, match=r"'.*broken\.pt' is (empty|truncated or corrupt)"):
        load_checkpoint(broken)


def test_corrupted_bytes_inside_are_refused(saved, tmp_path):
    path, _ = saved
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = max(archive.infolist(), key=lambda i: i.file_size)
    offset = info.header_offset + 30 + len(info.filename) + len(info.extra) + 16
    data[offset: offset + 8] = b"\xff" * 8
    damaged = tmp_path / "damaged.pt"
    damaged.write_bytes(bytes(data))
    with pytest.raises(SegError, match="truncated or corrupt"):
        load_checkpoint(damaged)


def test_missing_file_and_mismatched_model(tmp_path, classes):
    with pytest.raises(SegError, match="does not exist"):
        load_checkpoint(tmp_path / "nope.pt")
    model = get_model("m2nist_fcn", num_classes=3)
    path = save_checkpoint(tmp_path / "m.pt", model, classes=classes)
    data = torch.load(path, weights_only=True)
    data["arch"] = "unet"
    torch.save(data, tmp_path / "swapped.pt")
    with pytest.raises(SegError, match="does not fit architecture 'unet'"):
        load_checkpoint(tmp_path / "swapped.pt").build_model()


def test_save_refuses_mismatched_classes_and_unplain_values(tmp_path, classes):
    model = get_model("m2nist_fcn", num_classes=2)
    with pytest.raises(SegError, match="predicts 2 classes but the class table has 3"):
        save_checkpoint(tmp_path / "a.pt", model, classes=classes)
    model = get_model("m2nist_fcn", num_classes=3)
    with pytest.raises(SegError, match="not a plain value"):
        save_checkpoint(tmp_path / "b.pt", model, classes=classes, extra={"f": object()})
    assert not (tmp_path / "b.pt").exists()
