"""Issue 15 item 14: weights from outside segstudio load into a chosen architecture, tensor by tensor.

Every fixture is made here from a randomly initialised model: a plain state_dict as training scripts
save it, an ImageNet MobileNetV3 file, and torchvision's full COCO/VOC weights placed in a temporary
torch hub cache under the name the weights API expects.
"""
from __future__ import annotations

import os

import pytest
import torch

from segmodels.errors import SegError
from segmodels.models import get_model
from segmodels.models.foreign_weights import best_renaming, load_foreign

torch.set_num_threads(1)


class _Payload:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """An empty torch hub cache, offline (nothing is ever downloaded here)."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(torch.hub, "_hub_dir", None, raising=False)
    monkeypatch.setenv("SEGSTUDIO_OFFLINE", "1")
    return tmp_path / "torch" / "hub" / "checkpoints"


def _fitting(model: torch.nn.Module, state: dict[str, torch.Tensor], rename=lambda key: key) -> list[str]:
    own = model.state_dict()
    return [rename(k) for k, v in state.items() if rename(k) in own and own[rename(k)].shape == v.shape]


def test_a_wrapped_state_dict_loads_every_tensor_that_fits_and_says_so(tmp_path):
    torch.manual_seed(1)
    theirs = get_model("unet", num_classes=5).state_dict()
    path = tmp_path / "unet.pth"  # as DistributedDataParallel + a training script save it
    torch.save({"state_dict": {f"module.{k}": v for k, v in theirs.items()}, "epoch": 7}, path)
    torch.manual_seed(2)
    model = get_model("unet", num_classes=3)
    report = load_foreign(model, str(path), arch="unet", num_classes=3)
    total = len(model.state_dict())
    assert report.sentence() == (f"'{path}': loaded {total - 2} of {total} tensors; 2 new: the classifier for 3 "
                                 "classes; 2 of the source's tensors fit nothing here")
    own = model.state_dict()
    fitted = _fitting(model, theirs)
    assert len(fitted) == total - 2
    assert all(torch.equal(own[k], theirs[k]) for k in fitted)
    assert not torch.equal(own["head.weight"][:3], theirs["head.weight"][:3])  # fresh, not copied by position


def test_imagenet_backbone_file_finds_its_place_in_another_architecture(tmp_path):
    """An ImageNet MobileNetV3 file's `features.*` is deeplabv3plus's `backbone.features.*`, reached by
    --model-option backbone=mobilenet_v3_large; its classifier fits nothing and is counted as unused."""
    from torchvision.models import mobilenet_v3_large

    torch.manual_seed(3)
    theirs = mobilenet_v3_large().state_dict()
    path = tmp_path / "mobilenet_v3_large.pth"
    torch.save(theirs, path)
    model = get_model("deeplabv3plus", num_classes=4, backbone="mobilenet_v3_large")
    report = load_foreign(model, str(path), arch="deeplabv3plus", num_classes=4)
    features = [k for k in theirs if k.startswith("features.")]
    assert report.loaded == len(features) and report.unused == len(theirs) - len(features)
    assert torch.equal(model.state_dict()["backbone.features.0.0.weight"], theirs["features.0.0.weight"])
    assert report.new_class == ("classifier.weight", "classifier.bias")
    assert "the classifier for 4 classes and" in report.sentence()


def test_torchvision_full_weights_come_from_the_hub_cache(hub):
    from torchvision.models import get_model_weights
    from torchvision.models.segmentation import lraspp_mobilenet_v3_large

    from segmodels.models.pretrained import cache_path

    model = get_model("lraspp_mobilenet_v3_large", num_classes=3)
    with pytest.raises(SegError) as missing:  # offline and not cached: one sentence naming the file wanted
        load_foreign(model, "torchvision:COCO_WITH_VOC_LABELS_V1", arch="lraspp_mobilenet_v3_large", num_classes=3)
    weights = get_model_weights("lraspp_mobilenet_v3_large").COCO_WITH_VOC_LABELS_V1
    assert str(cache_path(weights)) in str(missing.value) and "COCO_WITH_VOC_LABELS_V1" in str(missing.value)
    assert "\n" not in str(missing.value)
    torch.manual_seed(4)
    theirs = lraspp_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=21).state_dict()
    hub.mkdir(parents=True)
    torch.save(theirs, hub / os.path.basename(weights.url))
    report = load_foreign(model, "torchvision", arch="lraspp_mobilenet_v3_large", num_classes=3)  # DEFAULT
    total = len(model.state_dict())
    assert report.sentence().startswith(f"torchvision COCO_WITH_VOC_LABELS_V1: loaded {total - 4} of {total} "
                                        "tensors; 4 new: the classifier for 3 classes")
    assert torch.equal(model.state_dict()["net.backbone.0.0.weight"], theirs["backbone.0.0.weight"])


def test_torchvision_head_rows_follow_the_category_names(hub):
    """The COCO/VOC weights name their 21 rows: a project's "background", "car" and "dog" take theirs."""
    from torchvision.models import get_model_weights
    from torchvision.models.segmentation import lraspp_mobilenet_v3_large

    weights = get_model_weights("lraspp_mobilenet_v3_large").COCO_WITH_VOC_LABELS_V1
    torch.manual_seed(6)
    theirs = lraspp_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=21).state_dict()
    hub.mkdir(parents=True)
    torch.save(theirs, hub / os.path.basename(weights.url))
    names = ("Background", "car", "unicorn", "dog")
    model = get_model("lraspp_mobilenet_v3_large", num_classes=len(names))
    fresh = model.state_dict()["net.classifier.high_classifier.weight"].clone()
    report = load_foreign(model, "torchvision", arch="lraspp_mobilenet_v3_large", num_classes=4, class_names=names)
    total = len(model.state_dict())
    assert report.sentence() == (f"torchvision COCO_WITH_VOC_LABELS_V1: loaded {total} of {total} tensors; the "
                                 "classifier's rows for 3 of 4 classes came from the source's categories by name "
                                 "(Background, car, dog), the other 1 class(es)' rows start fresh")
    categories = weights.meta["categories"]
    for key in ("classifier.high_classifier.weight", "classifier.low_classifier.bias"):
        rows = model.state_dict()[f"net.{key}"]
        for target, name in ((0, "__background__"), (1, "car"), (3, "dog")):
            assert torch.equal(rows[target], theirs[key][categories.index(name)])
    assert torch.equal(model.state_dict()["net.classifier.high_classifier.weight"][2], fresh[2])  # unicorn


def test_torchvision_names_that_do_not_exist_are_one_sentence(hub):
    model = get_model("unet", num_classes=3)
    with pytest.raises(SegError, match="torchvision has no weights for architecture 'unet'"):
        load_foreign(model, "torchvision", arch="unet", num_classes=3)
    model = get_model("lraspp_mobilenet_v3_large", num_classes=3)
    with pytest.raises(SegError, match="no weights 'IMAGENET' for lraspp_mobilenet_v3_large; it has "
                                       "COCO_WITH_VOC_LABELS_V1"):
        load_foreign(model, "torchvision:IMAGENET", arch="lraspp_mobilenet_v3_large", num_classes=3)


def test_a_pickle_with_code_is_refused_before_it_runs(tmp_path):
    marker, path = tmp_path / "ran", tmp_path / "weights.pth"
    torch.save({"conv.weight": torch.zeros(2), "hook": _Payload(str(marker))}, path)
    with pytest.raises(SegError) as refused:
        load_foreign(get_model("unet", num_classes=3), str(path), arch="unet", num_classes=3)
    assert str(refused.value).startswith(f"Weights file '{path}' was refused because it contains pickled code")
    assert not marker.exists()


@pytest.mark.parametrize("content, expected", [
    ({"epoch": 3, "notes": "none"}, "holds no named tensors"),
    ({"something.else.weight": torch.zeros(7, 7)}, "has no tensor that fits architecture 'unet'"),
])
def test_files_that_give_nothing_are_one_sentence(tmp_path, content, expected):
    path = tmp_path / "other.pth"
    torch.save(content, path)
    with pytest.raises(SegError, match=expected) as refused:
        load_foreign(get_model("unet", num_classes=3), str(path), arch="unet", num_classes=3)
    assert f"'{path}'" in str(refused.value)


def test_renaming_prefers_the_names_as_they_are_on_a_tie():
    own = {"a.weight": torch.zeros(2), "net.a.weight": torch.zeros(2)}
    assert list(best_renaming({"a.weight": torch.ones(2)}, own)[1]) == ["a.weight"]
    assert list(best_renaming({"model.net.a.weight": torch.ones(3)}, own)[1]) == []  # shape decides too
