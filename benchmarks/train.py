"""Training throughput: segstudio's fit() loop vs a bare PyTorch loop, same model/data/batch, same run.

Both train m2nist_fcn on the same in-memory demo images (a temporary `segstudio demo` project) with
the same batch size and Adam. segstudio's figure counts only the time between its step reports
(validation and checkpoint writes excluded: the bare loop has neither); the bare loop indexes stacked
tensors, normalises, runs forward/backward/step. Rounds alternate between the two so machine load
affects both alike; medians are quoted. The last line is JSON with loop_ratio (segstudio / bare,
goal >= 0.9) and images_per_s.

    python benchmarks/train.py [--images 512] [--batch-size 32] [--rounds 3] [--device cpu|cuda] [--no-amp]
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
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from segmodels.constants import IGNORE_INDEX  # noqa: E402
from segmodels.demo import write_demo_project  # noqa: E402
from segmodels.inference.preprocess import to_input_tensor  # noqa: E402
from segmodels.labels.project import Project  # noqa: E402
from segmodels.models import get_model  # noqa: E402
from segmodels.models.catalog import training_defaults  # noqa: E402
from segmodels.training import StepReport, TrainConfig, fit  # noqa: E402

#: The network `segstudio train --arch m2nist_fcn` builds by default; the bare loop builds the same.
MODEL_KWARGS = training_defaults("m2nist_fcn")["model_kwargs"]
from segmodels.training.dataset import LabelledImages  # noqa: E402


def segstudio_round(project: Path, args: argparse.Namespace, round_number: int) -> float:
    """Images/s over fit()'s training steps (first step of the run left out as warm-up)."""
    out = project / f"bench-{round_number}.pt"  # a training run never replaces a checkpoint
    config = TrainConfig(project=str(project), arch="m2nist_fcn", epochs=args.epochs, batch_size=args.batch_size,
                         lr=3e-3, device=args.device, amp=args.amp, val_fraction=0.05, out=str(out),
                         augment=False, dice_weight=0.0, model_kwargs=MODEL_KWARGS)  # the bare loop's work: CE only
    images, seconds, last = 0, 0.0, None
    for report in fit(config):
        now = time.perf_counter()
        if isinstance(report, StepReport):
            if last is not None and report.step > 1:  # the gap before step 1 holds validation + checkpoint
                images += args.batch_size
                seconds += now - last
            last = now
        else:
            last = None
    return images / seconds


def bare_round(data: tuple[torch.Tensor, torch.Tensor], args: argparse.Namespace) -> float:
    device = torch.device(args.device)
    model = get_model("m2nist_fcn", num_classes=11, **MODEL_KWARGS).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    scaler = torch.amp.GradScaler("cuda") if device.type == "cuda" and args.amp else None
    images, labels = data
    count, seconds = 0, 0.0
    for _ in range(args.epochs):
        order = torch.randperm(len(images))
        for start in range(0, len(images) - args.batch_size + 1, args.batch_size):
            tick = time.perf_counter()
            index = order[start:start + args.batch_size]
            x = to_input_tensor(images[index], model.normalization, device)
            y = labels[index].to(device).long()
            with torch.autocast(device.type, dtype=torch.float16, enabled=scaler is not None):
                loss = F.cross_entropy(model(x).float(), y, ignore_index=IGNORE_INDEX)
            optimizer.zero_grad(set_to_none=True)
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
            else:
                loss.backward()
                optimizer.step()
            loss.item()  # fit() reads the loss every step too (to report it and catch NaN)
            if start:  # first step of each epoch left out, as for segstudio
                count += args.batch_size
                seconds += time.perf_counter() - tick
    return count / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--no-amp", dest="amp", action="store_false")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = leave as is)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        project_dir = Path(tmp) / "demo"
        print(f"writing a {args.images}-image demo project ...", flush=True)
        project = write_demo_project(project_dir, seed=0, count=args.images)
        pairs = LabelledImages(project, Project.open(project_dir).labelled_images())
        images = torch.stack([pairs.raw(i)[0] for i in range(len(pairs))]).permute(0, 2, 3, 1).contiguous()
        labels = torch.stack([pairs.raw(i)[1] for i in range(len(pairs))])
        ours, bare = [], []
        for round_number in range(1, args.rounds + 1):
            ours.append(segstudio_round(project_dir, args, round_number))
            bare.append(bare_round((images, labels), args))
            print(f"round {round_number}: segstudio {ours[-1]:.1f} img/s, bare PyTorch {bare[-1]:.1f} img/s",
                  flush=True)
    result = {"loop_ratio": round(statistics.median(ours) / statistics.median(bare), 3),
              "images_per_s": round(statistics.median(ours), 1), "bare_images_per_s": round(statistics.median(bare), 1),
              "device": args.device, "amp": bool(args.amp and args.device.startswith("cuda")),
              "batch_size": args.batch_size, "threads": torch.get_num_threads()}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
