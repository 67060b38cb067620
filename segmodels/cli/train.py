"""`segstudio train PROJECT --arch NAME [--from WEIGHTS] | --from CKPT | --resume CKPT [...]`: train on reviewed labels.

Prints a tqdm bar (loss, lr, images/s) per epoch and a per-class IoU table at the end; writes
PROJECT/models/<arch>-<YYYYmmdd-HHMM>.pt (best epoch; a new name for every run, never replacing one)
with its .json metrics and .last.pt (for --resume) beside it, or the --out path, which must be new.
Works unchanged under `torchrun --nproc_per_node=N -m segmodels train ...`: only rank 0 prints and
writes. Unreadable images or labels are skipped; each is printed once to stderr
as a "warning:" line naming the file.
"""
from __future__ import annotations

import argparse
import math
import os
import sys

from segmodels.cli.train_options import add_train_options, config_fields
from segmodels.models.catalog import ARCHITECTURES, DEVICE_CHOICES, GENERIC_TRAINING
from segmodels.training.config import TrainConfig
from segmodels.training.loss_kinds import LOSSES


def _defaults_sentence() -> str:
    """The per-architecture defaults, written from the catalog (the table the GUI reads too)."""
    def settings(values: dict) -> str:
        augment = ", augmentation" if values["augment"] else ""
        return f"{values['epochs']} epochs, batch {values['batch_size']}, Adam lr {values['lr']:g}{augment}"

    own = [f"{name}: {settings(entry.training_defaults())}" for name, entry in ARCHITECTURES.items() if entry.training]
    return "; ".join([*own, f"others: {settings(dict(GENERIC_TRAINING))}"])


def _loss_defaults() -> str:
    """The default loss from the catalog: the generic one, and any architecture's own."""
    own = [f"{name} {entry.training['loss']}" for name, entry in ARCHITECTURES.items()
           if entry.training.get("loss", GENERIC_TRAINING["loss"]) != GENERIC_TRAINING["loss"]]
    if not own:
        return f"{GENERIC_TRAINING['loss']} for every architecture"
    return ", ".join([*own, f"others {GENERIC_TRAINING['loss']}"])


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "train", help="train a model on the project's reviewed labels",
        description="Train on the images that have reviewed labels (labels/; predictions are never used). "
                    f"Defaults depend on the architecture ({_defaults_sentence()}; "
                    f"{TrainConfig.schedule.value} schedule). "
                    "Under torchrun the same command trains on several GPUs/processes with "
                    "DistributedDataParallel.")
    parser.add_argument("--arch", choices=tuple(ARCHITECTURES), metavar="ARCH",
                        help="architecture to train from scratch: " + ", ".join(ARCHITECTURES)
                             + " (see `segstudio models`)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--from", dest="from_checkpoint", metavar="CKPT",
                        help="checkpoint to fine-tune (head rows follow the class names; new classes start fresh); "
                             "with --arch: any weights file (a plain state_dict, a torchvision .pth) or "
                             "torchvision[:NAME] (e.g. torchvision:COCO_WITH_VOC_LABELS_V1, from the torch hub "
                             "cache), whose tensors that fit by name and shape are loaded into ARCH")
    source.add_argument("--resume", metavar="CKPT", help="continue a run from its .last.pt checkpoint")
    parser.add_argument("project", help="project folder")
    parser.add_argument("--epochs", type=int, help="total number of epochs")
    parser.add_argument("--batch-size", type=int, help="images per step (per process under torchrun)")
    parser.add_argument("--lr", type=float, help="Adam learning rate")
    parser.add_argument("--out", help="checkpoint path, which must not exist yet (default: a new "
                        "PROJECT/models/<arch>-<YYYYmmdd-HHMM>.pt for every run)")
    parser.add_argument("--device", default=DEVICE_CHOICES[0],
                        help=f"{', '.join(DEVICE_CHOICES)} or cuda:N (default {DEVICE_CHOICES[0]})")
    parser.add_argument("--seed", type=int, default=0, help="seed of the split, initialisation and shuffling")
    parser.add_argument("--val-fraction", type=float, default=0.1,
                        help="share of images held out (default 0.1); fine-tuning keeps the source checkpoint's split")
    parser.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                        help="paired flips, scale+crop and colour jitter (default per architecture)")
    parser.add_argument("--loss", metavar="LOSS", help=f"{', '.join(LOSSES)} (default: {_loss_defaults()})")
    parser.add_argument("--dice-weight", type=float,
                        help="weight of the Dice term of a '+dice' loss (default per architecture); "
                             "without --loss, 0 turns the default's Dice term off and above 0 turns it on")
    parser.add_argument("--num-workers", type=int, default=0, help="DataLoader worker processes (spawned)")
    parser.add_argument("--no-amp", action="store_true", help="no mixed precision on CUDA")
    parser.add_argument("--pretrained", action="store_true", help="start from ImageNet backbone weights if available")
    parser.add_argument("--require-pretrained", action="store_true",
                        help="fail instead of training from random weights when pretrained weights are missing")
    add_train_options(parser)
    return parser


def _config(args: argparse.Namespace) -> TrainConfig:
    return TrainConfig(project=args.project, arch=args.arch, from_checkpoint=args.from_checkpoint,
                       resume=args.resume, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                       device=args.device, out=args.out, seed=args.seed, val_fraction=args.val_fraction,
                       augment=args.augment, num_workers=args.num_workers, dice_weight=args.dice_weight,
                       loss=args.loss,
                       amp=not args.no_amp, pretrained_backbone=args.pretrained or args.require_pretrained,
                       require_pretrained=args.require_pretrained, **config_fields(args))


def format_iou_table(class_names: list[str] | tuple[str, ...], per_class_iou: list[float] | tuple[float, ...],
                     per_class_dice: list[float] | tuple[float, ...], per_class_pixels: tuple[int, ...] = ()) -> str:
    """The per-class table; with `per_class_pixels`, a column of what each IoU rests on."""
    from segmodels.cli.common import format_table

    def cell(value: float | None) -> str:
        return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3f}"

    rows = [[str(i), name, cell(iou), cell(dice)]
            for i, (name, iou, dice) in enumerate(zip(class_names, per_class_iou, per_class_dice, strict=False))]
    if per_class_pixels:
        rows = [row + [f"{pixels:,}"] for row, pixels in zip(rows, per_class_pixels, strict=False)]
    return format_table(rows, ["id", "class", "IoU", "Dice"] + (["val pixels"] if per_class_pixels else []))


def _warn_skipped(skipped: tuple[str, ...], warned: set[str]) -> None:
    """Print each skipped-file sentence once (the reports repeat the growing list every epoch)."""
    for message in skipped:
        if message not in warned:
            warned.add(message)
            print(f"warning: skipped: {message}", file=sys.stderr)


def _refuse_project_data(out: str, project_root: str) -> None:
    """`train --out` must not land on the project's data; replacing any existing file is refused by
    the run itself (a new run never replaces a checkpoint)."""
    from pathlib import Path

    from segmodels.errors import SegError, describe
    from segmodels.labels.outputs import ProtectedData, real
    from segmodels.labels.project import Project
    from segmodels.training.config import run_files

    protected = ProtectedData.of_project(Project.open(project_root), folders=False)
    for path in (Path(out), *run_files(out)):  # `--out segstudio.json` is a slip even though .pt is added
        clash = protected.clash(real(path))
        if clash is not None:
            raise SegError(f"--out would write {describe(path)}, which is {clash}; nothing was written. "
                           "Choose another path.", path=path)


def run(args: argparse.Namespace) -> int:
    import torch
    from tqdm import tqdm

    from segmodels.threads import thread_count
    from segmodels.training import DataReport, EpochReport, FitResult, StepReport, fit
    from segmodels.training.data_size import validation_summary

    torch.set_num_threads(thread_count(args.threads, world_size=int(os.environ.get("WORLD_SIZE", "1"))))
    quiet = int(os.environ.get("RANK", "0")) != 0  # under torchrun only rank 0 talks
    if args.out:  # before any training: a refused path must not cost an epoch
        _refuse_project_data(args.out, args.project)
    bar, result, warned, data = None, None, set(), None
    for report in fit(_config(args)):
        if isinstance(report, DataReport):
            data = report
            for sentence in () if quiet else report.warnings:  # before the first step: too little data
                print(f"warning: {sentence}", file=sys.stderr)
        elif isinstance(report, StepReport) and not quiet:
            if bar is None:
                bar = tqdm(total=report.steps_per_epoch, desc=f"epoch {report.epoch}/{report.epochs}",
                           unit="step", file=sys.stderr, dynamic_ncols=True, leave=False)
            bar.update(1)
            bar.set_postfix(loss=f"{report.loss:.4f}", lr=f"{report.lr:.2g}", img_s=f"{report.images_per_s:.0f}",
                            eta=f"{report.eta_s:.0f}s", refresh=False)
        elif isinstance(report, EpochReport):
            if bar is not None:
                bar.close()
                bar = None
            if not quiet:
                _warn_skipped(report.skipped, warned)  # after the bar closed: a line of its own
                print(f"epoch {report.epoch}/{report.epochs}: train loss {report.train_loss:.4f}, "
                      f"val mIoU {report.miou:.4f}, Dice {report.dice:.4f}, pixel accuracy "
                      f"{report.pixel_accuracy:.4f}{' (best)' if report.is_best else ''} [{report.seconds:.1f}s]",
                      file=sys.stderr)
        elif isinstance(report, FitResult):
            result = report
    if quiet or result is None:
        return 0
    _warn_skipped(result.skipped, warned)  # only those not printed after an epoch
    print(result.note, file=sys.stderr)
    if result.metrics is not None:
        print(format_iou_table(result.class_names, result.metrics.per_class_iou, result.metrics.per_class_dice,
                               result.metrics.per_class_pixels))
        print(f"mIoU {result.metrics.miou:.4f}  Dice {result.metrics.dice:.4f}  "
              f"pixel accuracy {result.metrics.pixel_accuracy:.4f}  (validation split, best epoch)")
        if data is not None:
            print(validation_summary(data.val_images, result.metrics.per_class_pixels, result.class_names))
    print(f"Best checkpoint: {result.best_checkpoint}")
    print(f"Last checkpoint: {result.last_checkpoint}")
    return 0
