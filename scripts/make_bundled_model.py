"""Regenerate resources/models/demo_m2nist.pt and demo_m2nist.json, the model the demo project ships with.

Trains m2nist_fcn with the `segstudio train` defaults on `segstudio demo` data (seed 0, default
count), then scores it on unseen demo data (seed 1: disjoint handwritten digits). The checkpoint is
the best epoch without optimiser state (well under 1 MB); the JSON holds the validation metrics of
training and the held-out seed-1 metrics.

    python scripts/make_bundled_model.py [--eval-count N]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from segmodels.atomic import atomic_write_bytes, atomic_write_text  # noqa: E402
from segmodels.cli.evaluate import evaluate_project  # noqa: E402
from segmodels.demo import write_demo_project  # noqa: E402
from segmodels.resources import resource_path  # noqa: E402
from segmodels.threads import thread_count  # noqa: E402
from segmodels.training import EpochReport, TrainConfig, run_to_end  # noqa: E402

MODEL_NAME = "demo_m2nist"


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-count", type=int, default=1000)
    args = parser.parse_args()
    torch.set_num_threads(thread_count())
    with tempfile.TemporaryDirectory() as tmp:
        train_dir, eval_dir = Path(tmp) / "seed0", Path(tmp) / "seed1"
        write_demo_project(train_dir, seed=0)
        start = time.perf_counter()

        def show(report: object) -> None:
            if isinstance(report, EpochReport):
                print(f"epoch {report.epoch}/{report.epochs}: val mIoU {report.miou:.4f}", flush=True)

        result = run_to_end(TrainConfig(project=str(train_dir), arch="m2nist_fcn"), on_report=show)
        seconds = time.perf_counter() - start
        write_demo_project(eval_dir, seed=1, count=args.eval_count)
        held_out = evaluate_project(str(eval_dir), str(result.best_checkpoint), "cpu")
        target = resource_path("models", f"{MODEL_NAME}.pt")
        atomic_write_bytes(target, result.best_checkpoint.read_bytes())
        trained = json.loads(result.best_checkpoint.with_suffix(".json").read_text())
    record = {"model": target.name, "trained_on": "segstudio demo --seed 0 (1000 images), segstudio train defaults",
              "train_seconds": round(seconds, 1), "validation": trained,
              "held_out_seed1": {k: held_out[k] for k in ("miou", "dice", "pixel_accuracy", "per_class_iou", "images")}}
    atomic_write_text(target.with_suffix(".json"), json.dumps(record, indent=2) + "\n")
    print(f"wrote {target} ({target.stat().st_size / 1024:.0f} KiB); held-out mIoU {held_out['miou']:.4f}")


if __name__ == "__main__":
    main()
