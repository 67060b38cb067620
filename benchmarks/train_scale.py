"""Training scale vs prediction scale (issue 15, item 6): held-out mIoU of unet before and after the fix.

A temporary project of 1024 x 1024 images holds discs of two classes told apart only by their size
(radius 12: "small", radius 28: "large"; same colour; about equal areas) on a noisy background. unet is
trained twice with identical settings and seed: once with the pipeline before the fix
(`v2.ScaleJitter(target_size=crop)`, which shrinks a 1024 image to crop/1024 of its size, times
0.75..1.25) and once with segstudio's current one (the same jitter around native resolution, then the
crop). Each model then predicts held-out images through `predict_image`, at native resolution as the
GUI and CLI do, and mIoU over the three classes is computed there. The discs are a deliberately
scale-sensitive task: it shows what a scale mismatch costs, not what it costs on any real dataset.
The last line is one JSON object.

It is sized for a shared 2-core CPU (unet at base width 8, 256-pixel crops, one validation image per
epoch); `--base-width 16 --crop 320` is segstudio's default unet and crop.

    python benchmarks/train_scale.py [--train 40] [--held-out 4] [--epochs 20] [--base-width 8] [--crop 256]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from segmodels.constants import IGNORE_INDEX  # noqa: E402
from segmodels.inference.predict import predict_image  # noqa: E402
from segmodels.labels.classes import ClassTable  # noqa: E402
from segmodels.labels.project import Project  # noqa: E402
from segmodels.models.checkpoint import load_checkpoint  # noqa: E402
from segmodels.training import run as run_module  # noqa: E402
from segmodels.training.config import TrainConfig  # noqa: E402
from segmodels.training.metrics import SegMetrics, confusion_matrix  # noqa: E402
from segmodels.training.trainer import run_to_end  # noqa: E402
from segmodels.training.transforms import AugmentSettings, PairedTransform, train_transform  # noqa: E402

SIDE = 1024
RADII = {1: 12, 2: 28}  # class -> disc radius in pixels
#: How often a 128-pixel cell holds nothing, a small or a large disc: about equal areas of the two classes.
KIND_WEIGHTS = (0.2, 0.6, 0.2)
CELL = 128


def draw(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One image and its label: a disc (none, small or large, by KIND_WEIGHTS) in each 128-pixel cell,
    at a random place in it."""
    rng = np.random.default_rng(seed)
    image = rng.normal(90, 25, (SIDE, SIDE, 3)).clip(0, 255).astype(np.uint8)
    label = np.zeros((SIDE, SIDE), np.uint8)
    rows, cols = np.mgrid[0:SIDE, 0:SIDE]
    for top in range(0, SIDE, CELL):
        for left in range(0, SIDE, CELL):
            kind = int(rng.choice(3, p=KIND_WEIGHTS))
            if kind == 0:
                continue
            radius = RADII[kind]
            cy = top + int(rng.integers(radius + 2, CELL - radius - 2))
            cx = left + int(rng.integers(radius + 2, CELL - radius - 2))
            window = (slice(max(cy - radius, 0), cy + radius + 1), slice(max(cx - radius, 0), cx + radius + 1))
            disc = (rows[window] - cy) ** 2 + (cols[window] - cx) ** 2 <= radius ** 2
            image[window][disc] = (200, 170, 60)
            label[window][disc] = kind
    return image, label


def old_train_transform(settings: AugmentSettings) -> PairedTransform:
    """The pipeline before the fix, as it was (ScaleJitter fits each image to the crop)."""
    from torchvision import tv_tensors
    from torchvision.transforms import v2

    height, width = settings.crop_size
    fill = {tv_tensors.Image: 0, tv_tensors.Mask: IGNORE_INDEX}
    return PairedTransform(v2.Compose([
        v2.RandomHorizontalFlip(p=settings.hflip),
        v2.ScaleJitter(target_size=(height, width), scale_range=settings.scale_range, antialias=True),
        v2.RandomCrop((height, width), pad_if_needed=True, fill=fill),
        v2.ColorJitter(brightness=settings.brightness, contrast=settings.contrast)]))


def held_out_miou(checkpoint: Path, held_out: list[tuple[np.ndarray, np.ndarray]]) -> tuple[float, list]:
    model = load_checkpoint(checkpoint).build_model()
    confusion = torch.zeros(3, 3, dtype=torch.int64)
    for image, label in held_out:
        predicted, _ = predict_image(model, image, device="cpu")
        confusion += confusion_matrix(torch.from_numpy(label).long(), torch.from_numpy(predicted).long(), 3)
    metrics = SegMetrics.from_confusion(confusion)
    return metrics.miou, [round(v, 3) for v in metrics.per_class_iou]


def train(project: Path, out: Path, args: argparse.Namespace, transform) -> tuple[Path, float]:
    run_module.train_transform = transform  # prepare_run builds the training pipeline through this name
    torch.manual_seed(0)
    start = time.perf_counter()
    # One validation image: fit() validates whole 1024 x 1024 images every epoch, which costs as much as training.
    result = run_to_end(TrainConfig(project=str(project), arch="unet", epochs=args.epochs, batch_size=args.batch_size,
                                    lr=args.lr, device="cpu", out=str(out), val_fraction=0.5 / args.train, seed=0,
                                    crop_size=args.crop, model_kwargs={"base_width": args.base_width},
                                    dice_weight=args.dice_weight))
    assert result.last_checkpoint is not None
    return result.last_checkpoint, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=40, help="training images")
    parser.add_argument("--held-out", type=int, default=4, help="held-out images (never trained on)")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--base-width", type=int, default=8, help="unet base width (segstudio's default is 16)")
    parser.add_argument("--crop", type=int, default=256, help="training crop side (segstudio's default is 320)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--dice-weight", type=float, default=0.5, help="soft Dice term (helps the small discs)")
    parser.add_argument("--pipelines", default="before,after", help="which pipelines to train (comma-separated)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    held_out = [draw(10_000 + i) for i in range(args.held_out)]
    result: dict = {"arch": "unet", "base_width": args.base_width, "image_side": SIDE,
                    "disc_radii": list(RADII.values()), "crop": args.crop,
                    "train_images": args.train, "held_out_images": args.held_out, "epochs": args.epochs,
                    "batch_size": args.batch_size, "lr": args.lr, "dice_weight": args.dice_weight}
    with tempfile.TemporaryDirectory() as tmp:
        project = Project.create(Path(tmp) / "discs", ClassTable.from_names(["background", "small", "large"]))
        for index in range(args.train):
            image, label = draw(index)
            path = project.images_dir / f"img_{index:03d}.png"
            Image.fromarray(image).save(path)
            project.write_label(path, label)
        pipelines = {"before": old_train_transform, "after": train_transform}
        for name in args.pipelines.split(","):
            transform = pipelines[name]
            checkpoint, seconds = train(project.root, Path(tmp) / f"{name}.pt", args, transform)
            miou, per_class = held_out_miou(checkpoint, held_out)
            result[f"miou_{name}"] = round(miou, 4)
            result[f"per_class_iou_{name}"] = per_class
            result[f"train_s_{name}"] = round(seconds, 1)
            print(f"{name}: held-out mIoU {miou:.4f} (IoU per class {per_class}), trained in {seconds:.0f} s",
                  flush=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
