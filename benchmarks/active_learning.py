"""Active learning: does correcting the images segstudio ranks first teach the model more than
correcting random ones? A simulated annotator on the demo generator's ground truth, both in one run.

Per seed: a pool of unreviewed demo images (odd demo seeds: handwriting the bundled model never saw)
and a held-out test project of the same handwriting. A starting model is trained from scratch on a
small random reviewed set (`--start scratch`, the default) or is the bundled demo model (`--start
bundled`). Then, for each strategy, `--rounds` times:

1. ranking: segstudio predicts the unreviewed pool images with the current model (confidence maps
   included, `segmodels.inference.batch.predict_files`) and ranks them as "Rank by uncertainty" does
   (`segmodels.inference.uncertainty`: unreviewed only, most unsure pixels first); random: a seeded
   random draw of unreviewed images;
2. the annotator corrects the first `--fraction` of the pool: its ground-truth label is saved as the
   reviewed label (a perfect correction of whatever the model proposed);
3. segstudio fine-tunes the current model on every reviewed label (`fit()` with `from_checkpoint`,
   batch 8, `--lr` 2e-3: the training dock's suggested 5e-4 leaves these small models undertrained, and
   then every curve measures training time rather than which images were corrected), and `segstudio
   evaluate`'s code measures the held-out mIoU of the last epoch's weights.

Goal: after `--rounds` (3) rounds, ranking beats random by at least 0.03 held-out mIoU, as the median
over `--seeds` (3) seeds. The curves (median and per seed) are drawn to `--plot` (matplotlib if
installed, else Pillow). The last line is one JSON object: `gain` (median over seeds of ranking minus
random after the last round), `goal_met`, the median curves and every seed's figures.

    python benchmarks/active_learning.py [--seeds 3] [--pool 200] [--test 200] [--fraction 0.1] [--rounds 3]
        [--start scratch|bundled] [--initial 30] [--initial-epochs 60] [--epochs 20] [--lr 2e-3]
        [--score unsure|mean] [--device cpu] [--threads 1] [--plot docs/active_learning.png]

The default run takes about 8 minutes on a busy 2-core CPU (each round trains m2nist_fcn on the
64x84 demo images); bigger runs: more --seeds, a larger --pool, --device cuda.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from segmodels.cli.evaluate import evaluate_project  # noqa: E402
from segmodels.demo import write_demo_project  # noqa: E402
from segmodels.inference.batch import predict_files  # noqa: E402
from segmodels.inference.uncertainty import (  # noqa: E402
    RankingMode,
    confidence_scores,
    uncertainty_order,
    unreviewed_images,
)
from segmodels.labels.project import Project  # noqa: E402
from segmodels.models.catalog import training_defaults  # noqa: E402
from segmodels.models.checkpoint import load_checkpoint  # noqa: E402
from segmodels.resources import resource_path  # noqa: E402
from segmodels.training import TrainConfig, run_to_end  # noqa: E402
from segmodels.training.config import fine_tune_lr  # noqa: E402

ARCH = "m2nist_fcn"
STRATEGIES = ("ranking", "random")


def held_out_miou(checkpoint: Path, test_root: Path, device: str) -> float:
    return float(evaluate_project(str(test_root), str(checkpoint), device)["miou"])


def train(project: Path, out: Path, args: argparse.Namespace, *, start: Path | None, seed: int) -> Path:
    """A fit() run on the project's reviewed labels; the last epoch's weights (no validation split:
    every reviewed image trains, as a small project would want)."""
    defaults = training_defaults(ARCH)
    config = TrainConfig(project=str(project), arch=None if start else ARCH,
                         from_checkpoint=str(start) if start else None,
                         epochs=args.epochs if start else args.initial_epochs, batch_size=args.batch_size,
                         lr=(args.lr or fine_tune_lr(defaults["lr"])) if start else defaults["lr"],
                         device=args.device, out=str(out), seed=seed, val_fraction=0.0, num_workers=0)
    result = run_to_end(config)
    assert result.last_checkpoint is not None
    return result.last_checkpoint


def pick(project: Project, model: Path, strategy: str, count: int, rng: np.random.Generator,
         args: argparse.Namespace) -> list[Path]:
    """The images the annotator corrects this round."""
    todo = unreviewed_images(project)
    if strategy == "random":
        return [todo[i] for i in sorted(rng.choice(len(todo), size=min(count, len(todo)), replace=False))]
    checkpoint = load_checkpoint(model, num_classes=len(project.classes))
    for result in predict_files(checkpoint, todo, out_dir=project.predictions_dir, classes=project.classes,
                                device=args.device, num_workers=0, save_confidence=True):
        assert result.ok, result.error
    return uncertainty_order(todo, confidence_scores(project, todo, RankingMode(args.score)))[:count]


def run_seed(seed: int, args: argparse.Namespace, tmp: Path) -> dict:
    pool = write_demo_project(tmp / "pool", seed=2 * seed + 1, count=args.pool)
    write_demo_project(tmp / "test", seed=2 * seed + 101, count=args.test)
    truth = {image.name: pool.read_label(image) for image in pool.image_paths()}
    for image in pool.image_paths():
        pool.label_path(image).unlink()  # the annotator's answers, not yet given
    rng = np.random.default_rng(seed)
    if args.start == "bundled":
        start = resource_path("models", "demo_m2nist.pt")
    else:
        names = sorted(truth)
        for index in rng.choice(len(names), size=args.initial, replace=False):
            pool.write_label(pool.images_dir / names[index], truth[names[index]])
        start = train(pool.root, tmp / "start.pt", args, start=None, seed=seed)
    start_miou = held_out_miou(start, tmp / "test", args.device)
    curves: dict[str, list[float]] = {}
    per_round = round(args.fraction * args.pool)
    for strategy in STRATEGIES:
        root = tmp / strategy
        shutil.copytree(pool.root, root)
        project = Project.open(root)
        model, curve = start, [start_miou]
        draw = np.random.default_rng(1000 + seed)
        for number in range(1, args.rounds + 1):
            for image in pick(project, model, strategy, per_round, draw, args):
                project.write_label(image, truth[image.name])
            model = train(root, tmp / f"{strategy}-{number}.pt", args, start=model, seed=seed)
            curve.append(held_out_miou(model, tmp / "test", args.device))
            print(f"seed {seed} {strategy:7s} round {number}: {len(project.labelled_images())} reviewed, "
                  f"held-out mIoU {curve[-1]:.4f}", flush=True)
        curves[strategy] = curve
    return {"seed": seed, "start_reviewed": 0 if args.start == "bundled" else args.initial, **curves,
            "gain": curves["ranking"][-1] - curves["random"][-1]}


def plot(path: Path, reviewed: list[int], seeds: list[dict], goal: float) -> str:
    """Held-out mIoU against reviewed images, median and per seed; returns the library used."""
    medians = {s: [statistics.median(r[s][i] for r in seeds) for i in range(len(reviewed))] for s in STRATEGIES}
    colours = {"ranking": (31, 119, 180), "random": (214, 39, 40)}
    title = f"Held-out mIoU: segstudio's ranking vs random, median of {len(seeds)} seed(s) (goal: +{goal:g})"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot
    except ImportError:
        return _plot_pillow(path, reviewed, seeds, medians, colours, title)
    figure, axes = pyplot.subplots(figsize=(7, 4.2), dpi=110)
    for strategy in STRATEGIES:
        colour = tuple(c / 255 for c in colours[strategy])
        for run in seeds:
            axes.plot(reviewed, run[strategy], color=colour, alpha=0.25, linewidth=1)
        axes.plot(reviewed, medians[strategy], color=colour, marker="o", linewidth=2.2,
                  label=f"{'uncertainty ranking' if strategy == 'ranking' else 'random'} (median)")
    axes.set_xlabel("reviewed images in the pool")
    axes.set_ylabel("held-out mIoU")
    axes.set_title(title, fontsize=9)
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)
    return "matplotlib"


def _plot_pillow(path: Path, reviewed: list[int], seeds: list[dict], medians: dict[str, list[float]],
                 colours: dict[str, tuple[int, int, int]], title: str) -> str:
    from PIL import Image, ImageDraw

    width, height, margin = 760, 460, 60
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    values = [v for run in seeds for s in STRATEGIES for v in run[s]]
    low, high = min(values) - 0.01, max(values) + 0.01

    def xy(x: float, y: float) -> tuple[float, float]:
        fx = (x - reviewed[0]) / max(reviewed[-1] - reviewed[0], 1)
        return margin + fx * (width - 2 * margin), height - margin - (y - low) / (high - low) * (height - 2 * margin)

    draw.rectangle([margin, margin, width - margin, height - margin], outline="black")
    draw.text((margin, 20), title, fill="black")
    draw.text((margin, height - 35), f"reviewed images {reviewed[0]} .. {reviewed[-1]}; mIoU {low:.2f} .. {high:.2f}",
              fill="black")
    for strategy in STRATEGIES:
        draw.line([xy(x, y) for x, y in zip(reviewed, medians[strategy], strict=True)], fill=colours[strategy], width=3)
        draw.text((width - margin - 150, margin + 10 + 15 * STRATEGIES.index(strategy)), strategy,
                  fill=colours[strategy])
    image.save(path)
    return "pillow"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--pool", type=int, default=200, help="unreviewed demo images to pick from")
    parser.add_argument("--test", type=int, default=200, help="held-out demo images")
    parser.add_argument("--fraction", type=float, default=0.1, help="share of the pool corrected per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--start", choices=("scratch", "bundled"), default="scratch")
    parser.add_argument("--initial", type=int, default=30, help="random reviewed images the scratch model starts on")
    parser.add_argument("--initial-epochs", type=int, default=60)
    parser.add_argument("--epochs", type=int, default=20, help="fine-tuning epochs per round")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--lr", type=float, default=2e-3,
                        help="fine-tuning learning rate (default 2e-3; 0 = segstudio's fine-tune default, 5e-4, "
                             "which leaves a model started on 30 images undertrained after 20 epochs)")
    parser.add_argument("--score", choices=[mode.value for mode in RankingMode], default=RankingMode.UNSURE.value,
                        help="the ranking's score (the model dock's choice; default: its default)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (default 1: on a busy 2-core machine more threads spin against each "
                             "other and run 3x slower; 0 = torch's default)")
    parser.add_argument("--goal", type=float, default=0.03)
    parser.add_argument("--plot", type=Path, default=ROOT / "docs" / "active_learning.png")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    started = time.perf_counter()
    seeds = []
    for seed in range(args.seeds):
        with tempfile.TemporaryDirectory() as tmp:
            seeds.append(run_seed(seed, args, Path(tmp)))
    start = 0 if args.start == "bundled" else args.initial
    reviewed = [start + i * round(args.fraction * args.pool) for i in range(args.rounds + 1)]
    drawn_with = plot(args.plot, reviewed, seeds, args.goal)
    gain = statistics.median(run["gain"] for run in seeds)
    medians = {s: [round(statistics.median(r[s][i] for r in seeds), 4) for i in range(args.rounds + 1)]
               for s in STRATEGIES}
    print(json.dumps({"gain": round(gain, 4), "goal": args.goal, "goal_met": gain >= args.goal,
                      "reviewed": reviewed, "ranking_miou": medians["ranking"], "random_miou": medians["random"],
                      "gain_per_seed": [round(r["gain"], 4) for r in seeds], "start": args.start, "score": args.score,
                      "pool": args.pool, "test": args.test, "fraction": args.fraction, "epochs": args.epochs,
                      "plot": str(args.plot), "plot_library": drawn_with,
                      "seconds": round(time.perf_counter() - started, 1), "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
