"""Reach of each architecture: how far from a tile edge a pixel must be for its logits to match the whole image.

For a smooth random S x S image, the logits of a 2-stride block at the centre are computed once on the
whole image and once on centred crops with a margin of m pixels on every side (m a multiple of the
stride, so the crop keeps the whole image's pooling grid). A crop edge is what a tile edge is: the
model sees padding there instead of the image. The relative error at margin m is
mean |crop logits - whole logits| / standard deviation of the whole image's logits; the reach is the
smallest margin whose error is below THRESHOLD. Models are random-initialised, which measures the
geometry (kernels, dilations, strides), not what training makes of it; their BatchNorm statistics are
first estimated on the image itself (`calibrate`), since with the initial ones (mean 0, variance 1)
the deeper torchvision networks output a constant and every margin would look enough. Architectures with an
image-pooling branch (DeepLabV3, DeepLabV3+, LR-ASPP) see the whole input through it, so their error
never reaches zero; the floor is printed.

    python benchmarks/receptive_field.py [--archs a,b] [--size 768] [--threshold 0.05]
Prints one line per margin on stderr and ONE line of JSON {arch: {"reach": px, "errors": {m: err}}} on stdout.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

THRESHOLD = 0.05


def smooth_image(size: int, seed: int = 0) -> np.ndarray:
    """Blobs at several scales plus fine noise: more like a photograph than white noise."""
    import cv2

    rng = np.random.default_rng(seed)
    image = np.zeros((size, size, 3), np.float32)
    for cells, amplitude in ((4, 80.0), (16, 50.0), (64, 30.0)):
        coarse = rng.normal(0, 1, (cells, cells, 3)).astype(np.float32)
        image += amplitude * cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC)
    image += rng.normal(0, 8, image.shape)
    return np.clip(image + 128, 0, 255).astype(np.uint8)


def calibrate(model, rgb: np.ndarray) -> None:
    """BatchNorm running statistics from the image (cumulative average), so activations are well scaled."""
    import torch

    from segmodels.inference.preprocess import to_input_tensor

    for module in model.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.reset_running_stats()
            module.momentum = None
    model.train()
    with torch.no_grad():
        model(to_input_tensor(rgb, model.normalization))
    model.eval()


def logits_of(model, rgb: np.ndarray):
    import torch

    from segmodels.inference.preprocess import to_input_tensor

    with torch.inference_mode():
        return model(to_input_tensor(rgb, model.normalization)).float()[0]


def measure(arch: str, size: int, threshold: float, margins_step: int) -> dict:
    import torch

    from segmodels.models import get_model
    from segmodels.models.catalog import training_defaults

    torch.manual_seed(0)
    # As `segstudio train` builds it (m2nist_fcn's default is its wider-context variant).
    model = get_model(arch, num_classes=3, **training_defaults(arch)["model_kwargs"])
    stride = model.stride
    rgb = smooth_image(size)
    calibrate(model, rgb)
    whole = logits_of(model, rgb)
    spread = float(whole.std(dim=(1, 2)).mean())
    centre = (size // 2) // stride * stride
    block = 2 * stride
    target = whole[:, centre:centre + block, centre:centre + block]
    step = max(stride, margins_step // stride * stride)
    errors: dict[int, float] = {}
    reach = None
    for margin in range(step, centre + 1, step):
        crop = rgb[centre - margin:centre + block + margin, centre - margin:centre + block + margin]
        inner = logits_of(model, crop)[:, margin:margin + block, margin:margin + block]
        errors[margin] = float((inner - target).abs().mean()) / max(spread, 1e-12)
        print(f"{arch}: margin {margin:4d} px  error {errors[margin]:.4f}", file=sys.stderr, flush=True)
        if errors[margin] < threshold:
            reach = margin
            break
    return {"reach": reach, "stride": stride, "size": size, "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", default="m2nist_fcn,unet,lraspp_mobilenet_v3_large,deeplabv3_mobilenet_v3_large")
    parser.add_argument("--size", type=int, default=768)
    parser.add_argument("--step", type=int, default=32, help="margins tried: multiples of this (and of the stride)")
    parser.add_argument("--threshold", type=float, default=THRESHOLD)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(2)
    print(json.dumps({arch: measure(arch, args.size, args.threshold, args.step) for arch in args.archs.split(",")}))


if __name__ == "__main__":
    main()
