"""`segstudio evaluate PROJECT --model CKPT [--json]`: score a checkpoint on the project's reviewed labels.

One confusion matrix over every reviewed image (ignore pixels excluded) gives per-class IoU, mIoU
over the classes that occur, Dice and pixel accuracy. `--json` prints one object with at least
miou, per_class_iou, dice and pixel_accuracy (per-class values keyed by class name; null = class
absent from both labels and predictions). Unreadable images or labels are skipped: each is printed
to stderr as a "warning:" line naming the file, and listed under "skipped" in the JSON; when none
can be read the command fails with one sentence.
"""
from __future__ import annotations

import argparse
import json
import sys

from segmodels.models.catalog import DEVICE_CHOICES

#: Images per forward pass when every image has the same size (mixed sizes go one at a time).
EVAL_BATCH = 32


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "evaluate", help="per-class IoU, mIoU, Dice and pixel accuracy of a checkpoint on reviewed labels",
        description="Run a checkpoint over every image with a reviewed label and compare.")
    parser.add_argument("project", help="project folder")
    parser.add_argument("--model", required=True, metavar="CKPT", help="segstudio checkpoint (.pt)")
    parser.add_argument("--device", default=DEVICE_CHOICES[0],
                        help=f"{', '.join(DEVICE_CHOICES)} or cuda:N (default {DEVICE_CHOICES[0]})")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    return parser


def evaluate_project(project_path: str, checkpoint_path: str, device_name: str = DEVICE_CHOICES[0]) -> dict:
    """Metrics of a checkpoint over a project's reviewed labels, as a JSON-ready dict."""
    import torch

    from segmodels.errors import SegError, describe
    from segmodels.inference.device import select_device
    from segmodels.labels.project import Project
    from segmodels.models.checkpoint import load_checkpoint
    from segmodels.training.build import make_batches
    from segmodels.training.dataset import LabelledImages, reviewed_images
    from segmodels.training.loops import evaluate

    project = Project.open(project_path)
    checkpoint = load_checkpoint(checkpoint_path, num_classes=len(project.classes))
    device, _ = select_device(device_name)
    model = checkpoint.build_model().to(device)
    reviewed = reviewed_images(project)
    dataset = LabelledImages(project, reviewed)
    if not len(dataset):
        first = next(iter(dataset.skipped.values()), "")
        raise SegError(f"None of the {len(reviewed)} reviewed image(s) in {describe(project.root)} could be read "
                       f"(first: {first.rstrip('.')}).", path=project.root)
    batch = EVAL_BATCH if len(dataset.sizes()) == 1 else 1
    batches = make_batches(dataset, batch, torch.utils.data.SequentialSampler(dataset), drop_last=False,
                           num_workers=0, pin_memory=False)
    metrics = evaluate(model, batches, len(project.classes), device=device, normalization=checkpoint.normalization)
    skipped = list(dataset.skipped.values())
    return {**metrics.to_json(project.classes.names), "images": len(dataset) - (0 if dataset.cached else len(skipped)),
            "model": str(checkpoint_path), "arch": checkpoint.arch, "classes": project.classes.names,
            "skipped": skipped}


def run(args: argparse.Namespace) -> int:
    from segmodels.cli.train import format_iou_table

    result = evaluate_project(args.project, args.model, args.device)
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
