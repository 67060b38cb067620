"""`segstudio evaluate PROJECT --model CKPT [--json] [--tile-size N]`: score a checkpoint on reviewed labels.

Each reviewed image is predicted alone, exactly as `segstudio predict` writes it (the same function,
tiles and blending: segmodels.inference.predict.predict_label_map), so memory is bounded by the tile
size, not the number or size of the images. One confusion matrix over every reviewed image (ignore
pixels excluded) gives per-class IoU, mIoU over the classes that occur, Dice and pixel accuracy.
`--json` prints one object with at least miou, per_class_iou, dice and pixel_accuracy (per-class values
keyed by class name; null = class absent from both labels and predictions). Unreadable images or labels
are skipped: each is printed to stderr as a "warning:" line naming the file, and listed under "skipped"
in the JSON; when none can be read the command fails with one sentence.
"""
from __future__ import annotations

import argparse
import json
import sys

from segmodels.models.catalog import DEVICE_CHOICES

#: Images with a side above this run as overlapping tiles; the same default as `segstudio predict`
#: (segmodels.inference.predict.DEFAULT_TILE_SIZE, which imports torch, so a test keeps them equal).
TILE_SIZE = 1024


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "evaluate", help="per-class IoU, mIoU, Dice and pixel accuracy of a checkpoint on reviewed labels",
        description="Run a checkpoint over every image with a reviewed label and compare.")
    parser.add_argument("project", help="project folder")
    parser.add_argument("--model", required=True, metavar="CKPT", help="segstudio checkpoint (.pt)")
    parser.add_argument("--device", default=DEVICE_CHOICES[0],
                        help=f"{', '.join(DEVICE_CHOICES)} or cuda:N (default {DEVICE_CHOICES[0]})")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--tile-size", type=int, default=TILE_SIZE, metavar="N",
                        help=f"images with a side above N run as overlapping tiles, as in predict "
                             f"(default {TILE_SIZE})")
    return parser


def evaluate_project(project_path: str, checkpoint_path: str, device_name: str = DEVICE_CHOICES[0], *,
                     tile_size: int = TILE_SIZE) -> dict:
    """Metrics of a checkpoint over a project's reviewed labels, as a JSON-ready dict."""
    from segmodels.errors import SegError, describe
    from segmodels.inference.device import select_device
    from segmodels.inference.predict import prepare_model
    from segmodels.labels.project import Project
    from segmodels.models.checkpoint import load_checkpoint
    from segmodels.training.dataset import LabelledImages, reviewed_images
    from segmodels.training.loops import evaluate

    if tile_size < 1:
        raise SegError(f"--tile-size must be at least 1, got {tile_size}.")
    project = Project.open(project_path)
    checkpoint = load_checkpoint(checkpoint_path, num_classes=len(project.classes))
    device, _ = select_device(device_name)
    model = prepare_model(checkpoint.build_model(), device)  # as predict_files prepares it
    reviewed = reviewed_images(project)
    dataset = LabelledImages(project, reviewed)
    if not len(dataset):
        first = next(iter(dataset.skipped.values()), "")
        raise SegError(f"None of the {len(reviewed)} reviewed image(s) in {describe(project.root)} could be read "
                       f"(first: {first.rstrip('.')}).", path=project.root)
    # One image at a time (decoded as it is scored when the project is too large to cache).
    pairs = (dataset.raw(index) for index in range(len(dataset)))
    batches = (None if pair is None else (pair[0][None], pair[1][None].long()) for pair in pairs)
    metrics = evaluate(model, batches, len(project.classes), device=device, normalization=checkpoint.normalization,
                       amp=device.type == "cuda", tile_size=tile_size)
    skipped = list(dataset.skipped.values())
    return {**metrics.to_json(project.classes.names), "images": len(dataset) - (0 if dataset.cached else len(skipped)),
            "model": str(checkpoint_path), "arch": checkpoint.arch, "classes": project.classes.names,
            "skipped": skipped}


def run(args: argparse.Namespace) -> int:
    from segmodels.cli.train import format_iou_table

    result = evaluate_project(args.project, args.model, args.device, tile_size=args.tile_size)
    for message in result["skipped"]:
        print(f"warning: skipped: {message}", file=sys.stderr)
    if args.json:
        print(json.dumps(result))
        return 0
    names = result["classes"]
    nan = float("nan")
    iou, dice = result["per_class_iou"], result["per_class_dice"]
    print(format_iou_table(names, [iou[n] if iou[n] is not None else nan for n in names],
                           [dice[n] if dice[n] is not None else nan for n in names]))
    print(f"mIoU {result['miou']:.4f}  Dice {result['dice']:.4f}  pixel accuracy {result['pixel_accuracy']:.4f}  "
          f"({result['images']} images)")
    return 0
