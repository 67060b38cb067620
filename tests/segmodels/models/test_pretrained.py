"""Pretrained backbones: cached weights load, offline means one warning (or an error), never a hang."""
from __future__ import annotations

import time
import warnings

import pytest
import torch

from segmodels.errors import SegError
from segmodels.models import get_model
from segmodels.models.pretrained import PretrainedUnavailableWarning, cache_path, fetch_state_dict

torch.set_num_threads(2)


@pytest.fixture
def empty_hub(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(torch.hub, "_hub_dir", None, raising=False)
    monkeypatch.setenv("SEGSTUDIO_OFFLINE", "1")
    return tmp_path / "torch"


def test_offline_gives_one_warning_and_random_init(empty_hub):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = get_model("lraspp_mobilenet_v3_large", num_classes=3, pretrained_backbone=True)
    relevant = [w for w in caught if issubclass(w.category, PretrainedUnavailableWarning)]
    assert len(relevant) == 1
    message = str(relevant[0].message)
    assert "random initialisation" in message and "lraspp_mobilenet_v3_large" in message
    assert model(torch.randn(1, 3, 32, 32)).shape == (1, 3, 32, 32)


def test_require_pretrained_turns_the_warning_into_an_error(empty_hub):
    with pytest.raises(SegError, match="pretrained weights were required"):
        get_model("deeplabv3plus", num_classes=3, pretrained_backbone=True, require_pretrained=True,
                  backbone="mobilenet_v3_large")


def test_unreachable_server_does_not_hang(empty_hub, monkeypatch):
    from torchvision.models import MobileNet_V3_Large_Weights

    monkeypatch.delenv("SEGSTUDIO_OFFLINE")
    monkeypatch.setattr("segmodels.models.pretrained._reachable", lambda url: False)
    started = time.monotonic()
    with pytest.warns(PretrainedUnavailableWarning, match="cannot be reached"):
        assert fetch_state_dict(MobileNet_V3_Large_Weights.IMAGENET1K_V1, what="test") is None
    assert time.monotonic() - started < 5


def test_probe_of_a_hanging_network_returns_within_its_deadline(monkeypatch):
    import socket
    import threading

    from segmodels.models.pretrained import _reachable

    release = threading.Event()

    def hanging_connect(*args, **kwargs):  # like a DNS lookup that never answers
        release.wait(30)
        raise OSError("gave up")

    monkeypatch.setattr(socket, "create_connection", hanging_connect)
    started = time.monotonic()
    try:
        assert _reachable("https://download.example/x", timeout=0.5) is False
        assert time.monotonic() - started < 2
    finally:
        release.set()


def test_cached_weights_are_loaded(empty_hub):
    from torchvision.models import MobileNet_V3_Large_Weights, mobilenet_v3_large

    torch.manual_seed(1)
    reference = mobilenet_v3_large(weights=None)
    target = cache_path(MobileNet_V3_Large_Weights.IMAGENET1K_V1)
    assert str(target).startswith(str(empty_hub))
    target.parent.mkdir(parents=True)
    torch.save(reference.state_dict(), target)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PretrainedUnavailableWarning)
        model = get_model("lraspp_mobilenet_v3_large", num_classes=3, pretrained_backbone=True)
    loaded = model.net.backbone["0"][0].weight
    assert torch.equal(loaded, reference.features[0][0].weight)
    assert "pretrained_backbone" not in model.arch_kwargs


def test_damaged_cache_file_warns_and_goes_on(empty_hub):
    from torchvision.models import ResNet50_Weights

    target = cache_path(ResNet50_Weights.IMAGENET1K_V1)
    target.parent.mkdir(parents=True)
    target.write_bytes(b"PK\x03\x04 broken")
    with pytest.warns(PretrainedUnavailableWarning, match="unreadable"):
        get_model("fcn_resnet50", num_classes=2, pretrained_backbone=True)


@pytest.mark.parametrize("arch,kwargs,backbone_of", [
    ("deeplabv3plus", {}, lambda m: m.backbone.body),
    ("fcn_resnet50", {"aux_loss": False}, lambda m: m.net.backbone),
])
def test_resnet50_imagenet_weights_land_in_the_backbone(monkeypatch, arch, kwargs, backbone_of):
    from torchvision.models import resnet50

    torch.manual_seed(3)
    reference = resnet50(weights=None).state_dict()
    monkeypatch.setattr("segmodels.models.pretrained.fetch_state_dict", lambda weights, **kw: reference)
    for module in ("segmodels.models.deeplabv3plus", "segmodels.models.torchvision_models"):
        monkeypatch.setattr(f"{module}.fetch_state_dict", lambda weights, **kw: reference)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PretrainedUnavailableWarning)
        model = get_model(arch, num_classes=3, pretrained_backbone=True, **kwargs)
    backbone = backbone_of(model).state_dict()
    assert torch.equal(backbone["layer4.2.conv3.weight"], reference["layer4.2.conv3.weight"])
    assert torch.equal(backbone["bn1.running_var"], reference["bn1.running_var"])
