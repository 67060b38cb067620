"""Issue 15 item 12, class imbalance: the losses (cross-entropy, class-weighted cross-entropy, Dice and
their sums), the class weights from the training labels, and how the choice travels (CLI, config,
checkpoint, resume)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from segmodels.cli import main as cli_main
from segmodels.constants import IGNORE_INDEX
from segmodels.errors import SegError
from segmodels.labels.project import Project
from segmodels.models import get_model, list_models
from segmodels.models.catalog import training_defaults
from segmodels.models.checkpoint import load_checkpoint
from segmodels.training import TrainConfig, run_to_end
from segmodels.training.class_weights import MAX_WEIGHT, MIN_WEIGHT, frequency_weights, label_histogram
from segmodels.training.loss_kinds import LOSSES, LossKind, recorded_loss
from segmodels.training.losses import LossSettings, cross_entropy, loss_settings, segmentation_loss, soft_dice_loss
from support.models import SMALL_MODEL_KWARGS


def test_weights_from_a_known_label_histogram() -> None:
    label_map = np.full((10, 10), IGNORE_INDEX, np.uint8)
    label_map.flat[:64] = 0      # 64 background pixels
    label_map.flat[64:80] = 1    # 16
    label_map.flat[80:84] = 2    # 4; class 3 absent; 16 pixels stay 255
    counts = label_histogram([label_map, label_map], num_classes=4)
    assert counts.tolist() == [128, 32, 8, 0]  # 255 never counted
    weights = frequency_weights(counts)
    # frequencies 128/168, 32/168, 8/168; the median one (class 1) weighs 1, the others sqrt(median / own)
    assert weights == pytest.approx((0.5, 1.0, 2.0, 1.0))
    assert weights[3] == 1.0  # absent: no target pixel carries it


def test_counts_are_the_same_from_cached_and_uncached_data(tiny_project: Path) -> None:
    from segmodels.training.class_weights import class_pixel_counts
    from segmodels.training.dataset import LabelledImages

    project = Project.open(tiny_project)
    images = project.labelled_images()
    cached = class_pixel_counts(LabelledImages(project, images, cache=True), len(project.classes))
    read = class_pixel_counts(LabelledImages(project, images, cache=False), len(project.classes))
    assert cached.tolist() == read.tolist() and cached.sum() > 0 and (cached > 0).sum() > 2


def test_weights_are_clipped() -> None:
    weights = frequency_weights([10_000_000, 1, 10_000_000, 10_000_000])
    assert weights[1] == MAX_WEIGHT and weights[0] == pytest.approx(1.0)
    assert frequency_weights([1, 1, 100_000_000])[2] == MIN_WEIGHT
    assert frequency_weights([0, 0]) == (1.0, 1.0)  # no labelled pixel at all: nothing to weigh


def test_dice_has_gradient_on_labelled_pixels_and_none_on_ignored_ones() -> None:
    torch.manual_seed(0)
    logits = torch.randn(2, 3, 6, 7, requires_grad=True)
    target = torch.randint(0, 3, (2, 6, 7))
    target[:, :3] = IGNORE_INDEX
    loss = soft_dice_loss(logits, target)
    loss.backward()
    assert logits.grad[:, :, 3:].abs().sum() > 0
    assert logits.grad[:, :, :3].abs().sum() == 0
    changed = logits.detach().clone()
    changed[:, :, :3] = torch.randn(2, 3, 3, 7) * 10  # whatever the model says on ignored pixels
    assert float(soft_dice_loss(changed, target)) == pytest.approx(float(loss.detach()))


def test_weighted_cross_entropy_is_torchs_weighted_mean_and_zero_over_no_pixel() -> None:
    torch.manual_seed(0)
    logits = torch.randn(2, 3, 5, 5)
    target = torch.randint(0, 3, (2, 5, 5))
    target[0, 0] = IGNORE_INDEX
    weight = torch.tensor([0.2, 1.0, 3.0])
    expected = F.cross_entropy(logits, target, weight=weight, ignore_index=IGNORE_INDEX)
    assert float(cross_entropy(logits, target, weight)) == pytest.approx(float(expected), rel=1e-5)
    plain = F.cross_entropy(logits, target, ignore_index=IGNORE_INDEX)
    assert float(cross_entropy(logits, target, weight)) != pytest.approx(float(plain), rel=1e-3)
    nothing = torch.full_like(target, IGNORE_INDEX)
    assert float(segmentation_loss(logits, logits, nothing, LossSettings(0.5, 0.4, (0.2, 1.0, 3.0)))) == 0.0


def test_a_config_turns_its_loss_word_into_settings() -> None:
    weights = (0.5, 1.0, 2.0)
    config = TrainConfig(project="p", arch="unet", loss="weighted_ce+dice", dice_weight=0.3, class_weights=weights)
    assert loss_settings(config.resolved("unet")) == LossSettings(0.3, 0.4, weights)
    plain = TrainConfig(project="p", arch="unet", loss="ce", class_weights=weights).resolved("unet")
    assert loss_settings(plain) == LossSettings(0.0, 0.4, None)


@pytest.mark.parametrize("arch", list_models())
def test_each_loss_trains_each_architecture_for_a_step(arch: str) -> None:
    torch.manual_seed(0)
    model = get_model(arch, num_classes=3, **SMALL_MODEL_KWARGS.get(arch, {}))
    model.train()
    target = torch.randint(0, 3, (2, 48, 48))
    target[:, :8] = IGNORE_INDEX
    logits, aux = model.forward_with_aux(torch.randn(2, 3, 48, 48))
    total = logits.new_zeros(())
    for word in LOSSES:
        config = TrainConfig(project="p", arch=arch, loss=word, class_weights=(0.3, 1.0, 2.0)).resolved(arch)
        loss = segmentation_loss(logits, aux, target, loss_settings(config))
        assert torch.isfinite(loss), (arch, word)
        outputs = (logits,) if aux is None else (logits, aux)
        grads = torch.autograd.grad(loss, outputs, retain_graph=True)  # each loss reaches every head
        assert all(g.abs().sum() > 0 for g in grads), (arch, word)
        total = total + loss
    total.backward()  # and one backward through the whole model (one step's worth of work per loss, summed)
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad), arch


def test_an_unknown_loss_is_one_sentence(tiny_project: Path, capsys) -> None:
    with pytest.raises(SegError, match=r"^Unknown loss 'focal'; use one of ce, weighted_ce, ce\+dice, "
                                       r"weighted_ce\+dice\.$"):
        TrainConfig(project="p", arch="unet", loss="focal")
    code = cli_main(["train", str(tiny_project), "--arch", "m2nist_fcn", "--loss", "focal"])
    out, err = capsys.readouterr()
    assert code != 0 and "Traceback" not in err
    assert err.strip().splitlines()[-1].endswith("Unknown loss 'focal'; use one of ce, weighted_ce, ce+dice, "
                                                 "weighted_ce+dice.")


def test_dice_weight_and_loss_agree() -> None:
    arch_default = LossKind(training_defaults("m2nist_fcn")["loss"])
    off = TrainConfig(project="p", arch="m2nist_fcn", dice_weight=0.0).resolved("m2nist_fcn")
    assert off.loss is arch_default.with_dice(False)   # --dice-weight 0 keeps its old meaning: no Dice
    on = TrainConfig(project="p", arch="m2nist_fcn", dice_weight=0.7, class_weights=(1.0,) * 11).resolved("m2nist_fcn")
    assert on.loss is arch_default.with_dice(True) and loss_settings(on).dice_weight == 0.7
    with pytest.raises(SegError, match="has a Dice term, so --dice-weight must be above 0"):
        TrainConfig(project="p", arch="unet", loss="ce+dice", dice_weight=0.0)


def test_the_cli_flag_reaches_the_config_and_help_shows_the_default(capsys) -> None:
    from segmodels.cli import build_parser
    from segmodels.cli.train import _config

    config = _config(build_parser().parse_args(["train", "p", "--arch", "unet", "--loss", "weighted_ce+dice"]))
    assert config.loss is LossKind.WEIGHTED_CE_DICE
    assert _config(build_parser().parse_args(["train", "p", "--arch", "unet"])).loss is None  # the arch's default
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    loss_help = help_text[help_text.index("--loss LOSS ce,"):help_text.index("--dice-weight DICE_WEIGHT weight")]
    assert "(default: " in loss_help
    for arch in ("m2nist_fcn", "unet"):
        assert training_defaults(arch)["loss"] in loss_help.split("(default: ")[1]


def test_an_old_record_resumes_with_the_loss_it_used() -> None:
    assert recorded_loss({"dice_weight": 0.0}) == "ce"
    assert recorded_loss({"dice_weight": 0.5}) == "ce+dice"
    assert recorded_loss({"loss": "weighted_ce", "dice_weight": 0.5}) == "weighted_ce"


def _config(project: Path, **kw) -> TrainConfig:
    return TrainConfig(project=str(project), **{"arch": "m2nist_fcn", "epochs": 1, "batch_size": 4, "device": "cpu",
                                                "augment": False, **kw})


def test_the_checkpoint_records_the_loss_and_resume_keeps_its_weights(tiny_project: Path) -> None:
    first = run_to_end(_config(tiny_project, loss="weighted_ce+dice"))
    recorded = load_checkpoint(first.best_checkpoint).train_config
    assert recorded["loss"] == "weighted_ce+dice"
    weights = recorded["class_weights"]
    assert len(weights) == 11 and weights[0] < 1.0 < max(weights)  # background is most pixels of the demo
    project = Project.open(tiny_project)
    for image in project.image_paths():  # new labels would count differently; a resumed run must not recount
        label_map = project.read_label(image)
        project.write_label(image, np.where(label_map == IGNORE_INDEX, label_map, 1).astype(np.uint8))
    run_to_end(TrainConfig(project=str(tiny_project), resume=str(first.last_checkpoint), epochs=2))
    resumed = load_checkpoint(first.last_checkpoint).train_config
    assert resumed["loss"] == "weighted_ce+dice" and resumed["class_weights"] == pytest.approx(weights)
