"""Class imbalance (issue 15, item 12): held-out mIoU of each architecture with each loss, on the demo generator.

Per seed s: a training project of `--train` demo images (demo seed 2s: even-indexed handwriting) and a
held-out project of `--test` images (demo seed 2s+1: the odd-indexed handwriting, never trained on).
Each architecture is trained from scratch with each loss (`segmodels.training.loss_kinds`), everything
else at the architecture's catalog defaults except `--epochs` when given (the same for every loss),
same seed; `segstudio evaluate`'s code then measures the held-out mIoU of the run's best checkpoint
(best by validation mIoU on the training project's own split, as for a user).
On the demo, background is most of each image and each digit a few percent, so plain cross-entropy
learns background first: the imbalance this item is about.

The last line is one JSON object: {"benchmark": "losses", "miou": {arch: {loss: median over seeds}},
"defaults": {arch: the loss with the highest median}, "per_seed": ..., "seconds": ...}.

    python benchmarks/losses.py [--archs unet,m2nist_fcn] [--losses ce,weighted_ce,ce+dice,weighted_ce+dice]
        [--seeds 0] [--train 300] [--test 100] [--epochs N] [--threads 1]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from segmodels.cli.evaluate import evaluate_project  # noqa: E402
from segmodels.demo import write_demo_project  # noqa: E402
from segmodels.training import TrainConfig, run_to_end  # noqa: E402
from segmodels.training.loss_kinds import LOSSES  # noqa: E402


def train_and_score(arch: str, loss: str, train_root: Path, test_root: Path, out: Path,
                    args: argparse.Namespace, seed: int) -> float:
    config = TrainConfig(project=str(train_root), arch=arch, loss=loss, epochs=args.epochs, device="cpu",
                         out=str(out), seed=seed)
    result = run_to_end(config)
    assert result.best_checkpoint is not None
    return float(evaluate_project(str(test_root), str(result.best_checkpoint), "cpu")["miou"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", default="unet,m2nist_fcn")
    parser.add_argument("--losses", default=",".join(LOSSES))
    parser.add_argument("--seeds", type=int, default=1, help="how many seeds (0, 1, ...)")
    parser.add_argument("--train", type=int, default=300, help="training demo images")
    parser.add_argument("--test", type=int, default=100, help="held-out demo images (unseen handwriting)")
    parser.add_argument("--epochs", type=int, help="epochs for every run (default: each architecture's own)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    archs, losses = args.archs.split(","), args.losses.split(",")
    per_seed: dict[str, dict[str, list[float]]] = {arch: {loss: [] for loss in losses} for arch in archs}
    seconds: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for seed in range(args.seeds):
            train_root, test_root = tmp / f"train{seed}", tmp / f"test{seed}"
            write_demo_project(train_root, seed=2 * seed, count=args.train)
            write_demo_project(test_root, seed=2 * seed + 1, count=args.test)
            for arch in archs:
                for loss in losses:
                    start = time.perf_counter()
                    out = tmp / f"{arch}-{loss.replace('+', '_')}-{seed}.pt"
                    miou = train_and_score(arch, loss, train_root, test_root, out, args, seed)
                    seconds[f"{arch}/{loss}"] = round(time.perf_counter() - start, 1)
                    per_seed[arch][loss].append(round(miou, 4))
                    print(f"seed {seed} {arch:28s} {loss:17s} held-out mIoU {miou:.4f} "
                          f"({seconds[f'{arch}/{loss}']:.0f} s)", flush=True)
    medians = {arch: {loss: round(statistics.median(v), 4) for loss, v in by_loss.items()}
               for arch, by_loss in per_seed.items()}
    defaults = {arch: max(by_loss, key=by_loss.__getitem__) for arch, by_loss in medians.items()}
    print(json.dumps({"benchmark": "losses", "miou": medians, "defaults": defaults, "seeds": args.seeds,
                      "train_images": args.train, "test_images": args.test, "epochs": args.epochs,
                      "per_seed": per_seed, "seconds": seconds}))


if __name__ == "__main__":
    main()
