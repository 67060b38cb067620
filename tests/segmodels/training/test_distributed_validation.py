"""A two-process (gloo) run reports the validation metrics a single process gets from its checkpoint.

Each rank's last training forward updates its own BatchNorm statistics; the run must validate with rank
0's (what the checkpoint holds), not each rank with its own (docs/training.md#distributed-runs).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import torch

from segmodels.labels.project import Project
from segmodels.models.checkpoint import load_checkpoint
from segmodels.training.build import make_batches
from segmodels.training.dataset import LabelledImages, split_images
from segmodels.training.loops import evaluate
from support.torchrun import torchrun

RANK_SCRIPT = r'''
import json, os, sys
import torch
torch.set_num_threads(1)
from segmodels.training import EpochReport, TrainConfig, fit

config = TrainConfig(project=sys.argv[1], arch="m2nist_fcn", epochs=2, batch_size=2, lr=3e-3, val_fraction=0.5,
                     device="cpu", out=os.path.join(sys.argv[1], "models", "ddp.pt"))
last = [r for r in fit(config) if isinstance(r, EpochReport)][-1]
rank = os.environ["RANK"]
with open(os.path.join(sys.argv[2], f"rank{rank}.json"), "w") as handle:
    json.dump({"miou": last.miou, "per_class_iou": last.per_class_iou, "pixels": last.metrics.per_class_pixels,
               "is_best": last.is_best}, handle)
'''


def _single_process_metrics(project_root: Path, checkpoint_path: Path):
    checkpoint = load_checkpoint(checkpoint_path)
    project = Project.open(project_root)
    val = LabelledImages(project, split_images(project, checkpoint.split, "val"))
    batches = make_batches(val, 1, torch.utils.data.SequentialSampler(val), drop_last=False, num_workers=0,
                           pin_memory=False)
    return evaluate(checkpoint.build_model(), batches, len(project.classes), device=torch.device("cpu"),
                    normalization=checkpoint.normalization)


def test_reported_validation_equals_single_process_evaluation_of_the_checkpoint(tiny_project: Path,
                                                                               tmp_path: Path) -> None:
    script = tmp_path / "rank.py"
    script.write_text(RANK_SCRIPT)
    done = torchrun([str(script), str(tiny_project), str(tmp_path)])
    assert done.returncode == 0, done.stderr[-3000:]
    rank0, rank1 = (json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1))
    assert rank0 == rank1
    checkpoint = tiny_project / "models" / ("ddp.pt" if rank0["is_best"] else "ddp.last.pt")
    single = _single_process_metrics(tiny_project, checkpoint)
    assert sum(single.per_class_pixels) > 0 and len(single.per_class_pixels) == len(rank0["pixels"])
    assert list(single.per_class_pixels) == rank0["pixels"]  # the same validation pixels, each counted once
    assert single.miou == rank0["miou"]
    assert _same(single.per_class_iou, rank0["per_class_iou"])


def _same(values: tuple[float, ...], reported: list[float]) -> bool:
    """Equal to the last bits, NaN (a class absent from the split) equal to NaN."""
    return len(values) == len(reported) and all(a == b or (math.isnan(a) and math.isnan(b))
                                                 for a, b in zip(values, reported, strict=True))
