"""`segstudio predict PATH --model CKPT`: write model proposals for an image, a folder or a project.

Predictions go to PROJECT/predictions (the folder or the image's project) unless --out is given, as
palette PNGs named after each image, plus `<stem>.conf.png` confidence maps with --save-confidence.
A file that cannot be read is reported in one sentence and skipped; the others are processed.
Exit status: 0 all predicted, 1 some files failed, 2 could not run (bad checkpoint, no images).
Under `torchrun --nproc_per_node N -m segmodels predict ...` the files are shared across the N processes
(segmodels.inference.sharding); every process exits with the status of the whole run, and only rank 0
prints the summary.
"""
from __future__ import annotations

import argparse
import collections
import sys
from collections.abc import Iterable

from segmodels.models.catalog import DEVICE_CHOICES

#: Files whose read-time conversion is named one by one; beyond this, one summary line.
NAMED_CONVERSIONS = 3


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "predict", help="predict label maps with a checkpoint",
        description="Predict label maps for an image, a folder of images or a project with a segstudio "
                    "checkpoint. Results go to PROJECT/predictions/ (never into labels/) unless --out is given. "
                    "Under torchrun (torchrun --nproc_per_node N -m segmodels predict ...) the files are shared "
                    "across the N processes. Exit 0 = all predicted, 1 = some files failed, 2 = could not run.")
    parser.add_argument("path", metavar="PATH", help="an image, a folder of images, a project or a VOC root")
    parser.add_argument("--model", "-m", required=True, metavar="CKPT", help="segstudio checkpoint (.pt)")
    parser.add_argument("--out", metavar="DIR", default=None, help="output folder (default: PROJECT/predictions)")
    parser.add_argument("--device", default=DEVICE_CHOICES[0], metavar="|".join(DEVICE_CHOICES),
                        help="compute device, or cuda:N (default auto: CUDA, then Apple MPS, then CPU)")
    parser.add_argument("--batch-size", type=int, default=4, metavar="N", help="images per forward pass (default 4)")
    parser.add_argument("--num-workers", type=int, default=None, metavar="N",
                        help="image decoding processes at most (default 2 on a CPU, up to 8 on a GPU, where "
                             "decoding limits the speed; 0 = decode in the main process). "
                             "On a CPU whose cores the model already uses, fewer are started: a decode "
                             "process there only slows the forward pass")
    parser.add_argument("--save-confidence", action="store_true",
                        help="also write <stem>.conf.png: max softmax per pixel as 8-bit grey (255 = 1.0)")
    parser.add_argument("--tile-size", type=int, default=1024, metavar="N",
                        help="images with a side above N run as overlapping tiles (default 1024)")
    return parser


def _make_out_dir(out_dir: object) -> None:
    """One sentence, before any image is read, when --out cannot be made a folder (not one per image);
    an --out that is an existing file was refused earlier, with the other output checks."""
    from pathlib import Path

    from segmodels.errors import SegError, describe

    out_dir = Path(str(out_dir))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SegError(f"--out {describe(out_dir)} cannot be made a folder ({exc.strerror or exc}); "
                       "nothing was predicted.", path=out_dir) from None


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from segmodels.errors import SegError, describe
    from segmodels.inference import sharding
    from segmodels.labels.outputs import ProtectedData, check_output_folder, real
    from segmodels.labels.project import ProjectKind, open_path, refuse_symlinked_folder
    from segmodels.labels.review import class_mismatch
    from segmodels.models.checkpoint import load_checkpoint

    for option in ("batch_size", "tile_size"):
        if getattr(args, option) < 1:
            raise SegError(f"--{option.replace('_', '-')} must be at least 1, got {getattr(args, option)}.")
    project, image = open_path(args.path)
    paths = [image] if image is not None else project.image_paths()
    if not paths:
        raise SegError(f"No images found in {describe(project.images_dir)}.", path=project.images_dir)
    out_dir = Path(args.out) if args.out else project.predictions_dir
    into_project = real(out_dir) == real(project.predictions_dir)
    if into_project:
        refuse_symlinked_folder(project.predictions_dir)
    check_output_folder(out_dir, ProtectedData.of_project(project, own=project.predictions_dir), "--out")
    # A real project (or VOC root) fixes the classes, so the checkpoint must match them (count, names and
    # order); a plain folder takes the checkpoint's own classes.
    project_classes = None if project.kind is ProjectKind.FOLDER else project.classes
    checkpoint = load_checkpoint(args.model, num_classes=None if project_classes is None else len(project_classes))
    model_path = Path(args.model)
    mismatch = None if project_classes is None else class_mismatch(model_path, checkpoint.classes, project_classes)
    if mismatch:  # by name and order, as the window checks: a reordered table passed the count check
        raise SegError(mismatch, path=model_path)
    _make_out_dir(out_dir)
    ctx, device = sharding.start(args.device)
    try:
        results = sharding.predict_shard(checkpoint, paths, ctx, out_dir=out_dir, classes=project_classes,
                                         device=device, batch_size=args.batch_size, num_workers=args.num_workers,
                                         save_confidence=args.save_confidence, tile_size=args.tile_size,
                                         refuse=project.refuse_prediction_clash if into_project else None)
        mine = len(sharding.own_files(paths, ctx))
        share = f", process {ctx.rank + 1} of {ctx.world_size} ({mine} of the {len(paths)} images)"
        tally = _report(results, mine, checkpoint.arch, share if ctx.enabled else "", ctx.is_main)
        done, failed, converted = sharding.combine(tally, ctx, _add)
    finally:
        sharding.finish(ctx)
    if not ctx.is_main:
        return 1 if failed else 0
    if sum(converted.values()) > NAMED_CONVERSIONS:
        kinds = "; ".join(f"{kind} ({count})" for kind, count in converted.most_common())
        print(f"segstudio predict: {sum(converted.values())} images were read with conversions: {kinds}.",
              file=sys.stderr)
    print(f"{done} of {len(paths)} images predicted into {out_dir}"
          + (f"; {failed} failed." if failed else "."))
    return 1 if failed else 0


Tally = tuple[int, int, "collections.Counter[str]"]  # predicted, failed, read-time conversions by kind


def _add(one: Tally, other: Tally) -> Tally:
    return one[0] + other[0], one[1] + other[1], one[2] + other[2]


def _report(results: Iterable, total: int, arch: str, share: str, main: bool) -> Tally:
    """Print the model and device, a line per skipped file and the first few conversions (a bar on the
    main process's terminal); count them."""
    from tqdm import tqdm

    from segmodels.cli.common import progress
    from segmodels.errors import describe

    failed = done = 0
    device_line = ""
    converted: collections.Counter[str] = collections.Counter()
    for result in progress(results, total=total, desc="predict", unit="image", enabled=main and sys.stderr.isatty()):
        if not device_line:
            device_line = result.device
            tqdm.write(f"segstudio predict: {arch} on {device_line}{share}", file=sys.stderr)
        if result.ok:
            done += 1
            # Shown, not hidden (the model saw a converted image), but a folder of 1000 grey images
            # gets a few named examples and one summary line instead of 1000 lines.
            if result.conversions and sum(converted.values()) < NAMED_CONVERSIONS:
                tqdm.write(f"segstudio predict: {describe(result.path)} read with conversion: "
                           f"{', '.join(result.conversions)}.", file=sys.stderr)
            converted.update([", ".join(result.conversions)] if result.conversions else [])
        else:
            failed += 1
            tqdm.write(f"segstudio predict: skipped: {result.error}", file=sys.stderr)
    return done, failed, converted
