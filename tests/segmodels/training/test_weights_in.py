"""Issue 15 item 14 in training: `--arch A --from WEIGHTS`, a note that says what was loaded ("from
scratch" only when nothing was), and the crop, schedule, warm-up, weight decay and model options from
the command line into TrainConfig and the checkpoint."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from segmodels.cli import main
from segmodels.errors import SegError
from segmodels.labels.classes import ClassTable
from segmodels.models import get_model
from segmodels.models.catalog import training_defaults
from segmodels.models.checkpoint import load_checkpoint
from segmodels.training.build import FINAL_LR_FACTOR, ScheduleShape, build_model, schedule_factor
from segmodels.training.config import Schedule, TrainConfig, fine_tune_lr

CLASSES = ClassTable.from_names(["background", "road", "car"])


def test_arch_with_from_means_foreign_weights():
    config = TrainConfig(project="p", arch="unet", from_checkpoint="resnet.pth")
    assert config.foreign_weights
    resolved = config.resolved("unet")
    assert resolved.lr == training_defaults("unet")["lr"] != fine_tune_lr(training_defaults("unet")["lr"])
    assert config.default_out(Path("models"), "unet").name.startswith("unet-")  # not "resnet-finetuned-"
    assert not TrainConfig(project="p", from_checkpoint="a.pt").foreign_weights
    with pytest.raises(SegError, match="leave out --arch"):
        TrainConfig(project="p", arch="unet", resume="a.last.pt")


@pytest.mark.parametrize(("field", "value", "words"), [
    ("weight_decay", -0.1, "--weight-decay must be 0 or more"), ("warmup", 1.0, "--warmup is a share"),
    ("crop_size", 4, "--crop-size must be at least 8"), ("schedule", "linear", "cosine, constant, poly")])
def test_bad_settings_are_one_sentence(field, value, words):
    with pytest.raises(SegError, match=words):
        TrainConfig(project="p", arch="unet", **{field: value})


def test_poly_and_warm_up_shape_the_learning_rate():
    total = 100
    poly = [schedule_factor(step, total, Schedule.POLY) for step in range(total + 1)]
    assert poly[0] == 1.0 and all(a > b for a, b in zip(poly, poly[1:], strict=False))
    assert poly[-1] == pytest.approx(FINAL_LR_FACTOR)
    warm = [schedule_factor(step, total, Schedule.CONSTANT, warmup=0.2) for step in range(total)]
    assert warm[0] == FINAL_LR_FACTOR and warm[10] < warm[19] < 1.0 == warm[20] == warm[99]
    # one-cycle is cosine after its own warm-up of 15%: the same curve either way
    assert [schedule_factor(s, total, Schedule.ONECYCLE) for s in range(total)] == \
        [schedule_factor(s, total, Schedule.COSINE, warmup=0.15) for s in range(total)]
    shape = ScheduleShape(Schedule.POLY, total, warmup=0.1)
    again = ScheduleShape.from_json(shape.to_json(), Schedule.CONSTANT, 5)
    assert again == shape and again.continued(50, 200).warmup == 0.1


@pytest.fixture
def hub(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(torch.hub, "_hub_dir", None, raising=False)
    monkeypatch.setenv("SEGSTUDIO_OFFLINE", "1")
    return tmp_path / "torch" / "hub" / "checkpoints"


def test_the_note_says_from_scratch_only_when_nothing_was_loaded(hub, tmp_path):
    from torchvision.models import MobileNet_V3_Large_Weights, mobilenet_v3_large

    torch.manual_seed(0)
    hub.mkdir(parents=True)
    torch.save(mobilenet_v3_large().state_dict(),
               hub / os.path.basename(MobileNet_V3_Large_Weights.IMAGENET1K_V1.url))
    plain = build_model(TrainConfig(project="p", arch="lraspp_mobilenet_v3_large"), "lraspp_mobilenet_v3_large",
                        CLASSES, None)
    assert plain.note == "lraspp_mobilenet_v3_large initialised from scratch"
    config = TrainConfig(project="p", arch="lraspp_mobilenet_v3_large", pretrained_backbone=True)
    pretrained = build_model(config, "lraspp_mobilenet_v3_large", CLASSES, None)
    total = len(pretrained.model.state_dict())
    backbone = len(pretrained.model.net.backbone.state_dict())
    assert pretrained.note == (f"lraspp_mobilenet_v3_large: {backbone} of {total} tensors from ImageNet backbone "
                               f"weights, {total - backbone} fresh")
    weights = tmp_path / "theirs.pth"
    torch.save(plain.model.state_dict(), weights)
    foreign = build_model(TrainConfig(project="p", arch="lraspp_mobilenet_v3_large", from_checkpoint=str(weights)),
                          "lraspp_mobilenet_v3_large", CLASSES, None)
    assert foreign.note == f"lraspp_mobilenet_v3_large: '{weights}': loaded {total} of {total} tensors"


def test_cli_flags_reach_the_config_and_the_checkpoint(tiny_project: Path, tmp_path: Path, capsys):
    torch.manual_seed(0)
    theirs = get_model("m2nist_fcn", num_classes=4, width=16, context=64, dropout=0.1).state_dict()
    torch.save({"model": theirs}, tmp_path / "theirs.pth")
    out = tmp_path / "run.pt"
    assert main(["train", str(tiny_project), "--arch", "m2nist_fcn", "--from", str(tmp_path / "theirs.pth"),
                 "--epochs", "1", "--crop-size", "48", "--schedule", "poly", "--warmup", "0.1",
                 "--weight-decay", "0.0001", "--model-option", "dropout=0.1", "--threads", "1",
                 "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "loaded" in err and "from scratch" not in err
    checkpoint = load_checkpoint(out)
    recorded = checkpoint.train_config
    assert (recorded["crop_size"], recorded["schedule"], recorded["warmup"], recorded["weight_decay"]) == \
        (48, "poly", 0.1, 0.0001)
    assert checkpoint.arch_kwargs == recorded["model_kwargs"] == {"width": 16, "context": 64, "dropout": 0.1}
    kept = [k for k in theirs if theirs[k].shape == checkpoint.state_dict[k].shape]  # all but the class tensors
    assert f"loaded {len(kept)} of {len(checkpoint.state_dict)} tensors; " in err and len(kept) >= len(theirs) - 4


@pytest.mark.parametrize(("argv", "words"), [
    (["--from", "a.pt", "--model-option", "width=4"], "--model-option sets options of --arch"),
    (["--arch", "unet", "--model-option", "width"], "--model-option takes KEY=VALUE"),
    (["--arch", "unet", "--model-option", "widht=4"], "Architecture 'unet' has no option 'widht'; its options"),
])
def test_bad_model_options_are_one_sentence(tiny_project: Path, capsys, argv, words):
    assert main(["train", str(tiny_project), *argv, "--epochs", "1", "--threads", "1"]) != 0
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
