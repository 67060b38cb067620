"""Every registered architecture meets the SegmentationModel contract (any H x W, backward works)."""
from __future__ import annotations

import pytest
import torch

from segmodels.errors import SegError
from segmodels.models import SegmentationModel, get_model, list_models, register_model
from support.models import SMALL_MODEL_KWARGS

torch.set_num_threads(2)

EXPECTED = {"m2nist_fcn", "fcn8s_vgg16", "unet", "deeplabv3plus", "fcn_resnet50", "deeplabv3_resnet50",
            "deeplabv3_mobilenet_v3_large", "lraspp_mobilenet_v3_large"}

def test_all_architectures_are_registered():
    assert EXPECTED <= set(list_models())


@pytest.mark.parametrize("name", list_models())
def test_odd_sized_input_gives_same_size_logits_and_gradients(name):
    torch.manual_seed(0)
    model = get_model(name, num_classes=3, **SMALL_MODEL_KWARGS.get(name, {}))
    assert isinstance(model, SegmentationModel)
    assert model.arch == name and model.num_classes == 3 and model.stride >= 1
    # Training mode with a batch of one image: what `--batch-size 1`, a split that leaves one image and
    # the GUI's "retry at half the batch" all feed (BatchNorm included; issue 15, item 7).
    model.train()
    x = torch.randn(1, 3, 67, 93, requires_grad=True)
    logits, aux = model.forward_with_aux(x)
    assert logits.shape == (1, 3, 67, 93)
    assert aux is None or aux.shape == (1, 3, 67, 93)
    assert model.has_aux == (aux is not None)
    loss = logits.logsumexp(1).mean() + (0 if aux is None else aux.logsumexp(1).mean())
    loss.backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    trainable = [p for p in model.parameters() if p.requires_grad]
    assert sum(p.grad is not None for p in trainable) > len(trainable) // 2


@pytest.mark.parametrize("name", ["deeplabv3_mobilenet_v3_large", "deeplabv3_resnet50"])
def test_deeplabv3_pooling_branch_keeps_torchvision_names_and_uses_no_batch_statistics(name):
    from torchvision.models import segmentation

    torch.manual_seed(0)
    ours = get_model(name, num_classes=21)
    theirs = getattr(segmentation, name)(weights=None, weights_backbone=None, num_classes=21, aux_loss=True)
    ours.net.load_state_dict(theirs.state_dict(), strict=True)  # torchvision's weights still load as they are
    pooling_norm = ours.net.classifier[0].convs[-1][2]
    before = pooling_norm.running_mean.clone()
    ours.train()
    ours.forward_with_aux(torch.randn(2, 3, 64, 64))
    assert torch.equal(pooling_norm.running_mean, before)  # stored statistics only, at any batch size


def test_forward_equals_forward_with_aux_main_output():
    model = get_model("fcn_resnet50", num_classes=2).eval()
    x = torch.randn(1, 3, 40, 50)
    with torch.no_grad():
        assert torch.allclose(model(x), model.forward_with_aux(x)[0], atol=1e-5)


def test_duplicate_name_is_an_error():
    with pytest.raises(ValueError, match="already registered"):
        register_model("unet")(lambda **kw: None)


def test_unknown_name_and_bad_class_count_are_one_sentence():
    with pytest.raises(SegError, match="Unknown architecture 'nope'; known: .*unet"):
        get_model("nope", num_classes=3)
    with pytest.raises(SegError, match="positive number of classes"):
        get_model("unet", num_classes=0)


def test_builder_kwargs_are_recorded_for_rebuilding():
    model = get_model("unet", num_classes=4, base_width=8, pretrained_backbone=False)
    assert model.arch_kwargs == {"base_width": 8}
    assert model.encoders[0][0].out_channels == 8
    default = get_model("unet", num_classes=4)
    assert sum(p.numel() for p in default.parameters()) < 5_000_000  # CPU-friendly default


def test_deeplabv3plus_mobilenet_option_and_output_stride_16():
    model = get_model("deeplabv3plus", num_classes=5, backbone="mobilenet_v3_large").eval()
    with torch.no_grad():
        low, high = model.backbone(torch.randn(1, 3, 64, 96))
    assert low.shape[-2:] == (16, 24) and high.shape[-2:] == (4, 6)
    resnet = get_model("deeplabv3plus", num_classes=5).eval()
    with torch.no_grad():
        low, high = resnet.backbone(torch.randn(1, 3, 64, 96))
    assert low.shape[1] == 256 and high.shape[-2:] == (4, 6) and high.shape[1] == 2048
    with pytest.raises(SegError, match="no backbone 'vgg'"):
        get_model("deeplabv3plus", num_classes=5, backbone="vgg")


def test_non_plain_builder_argument_is_refused():
    with pytest.raises(SegError, match="plain value"):
        get_model("unet", num_classes=2, base_width=object())


def test_fcn8s_convolutionalised_fc6_equals_the_dense_layer():
    """ImageNet VGG16 weights load into FCN-8s: convs as they are, fc6 as a 7x7 conv that computes
    exactly what the dense layer computed on a 7x7x512 volume (fc width 8 here to stay small)."""
    from torchvision.models.vgg import cfgs, make_layers

    torch.manual_seed(0)
    features = make_layers(cfgs["D"])
    state = {f"features.{k}": v for k, v in features.state_dict().items()}
    fc6, fc7 = torch.nn.Linear(512 * 7 * 7, 8), torch.nn.Linear(8, 8)
    state.update({"classifier.0.weight": fc6.weight, "classifier.0.bias": fc6.bias,
                  "classifier.3.weight": fc7.weight, "classifier.3.bias": fc7.bias})
    model = get_model("fcn8s_vgg16", num_classes=2, fc_channels=8)
    model.load_imagenet(state)
    assert torch.equal(model.to_pool4[0].weight, features[17].weight)  # slice position 0 = features[17]
    volume = torch.randn(1, 512, 7, 7)
    with torch.no_grad():
        as_conv = torch.nn.functional.conv2d(volume, model.fc6.weight, model.fc6.bias)  # no padding: 1x1 out
        assert torch.allclose(as_conv.flatten(), fc6(volume.flatten(1)).flatten(), atol=1e-4)
        assert torch.allclose(model.fc7(as_conv).flatten(), fc7(fc6(volume.flatten(1))).flatten(), atol=1e-4)
