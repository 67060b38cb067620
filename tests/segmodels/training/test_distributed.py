"""Two CPU processes on gloo under torchrun: ranks agree and only rank 0 writes checkpoints."""
from __future__ import annotations

import json
from pathlib import Path

from segmodels.models.checkpoint import load_checkpoint
from support.torchrun import torchrun

RANK_SCRIPT = r'''
import hashlib, json, os, sys
import torch
torch.set_num_threads(1)
import segmodels.training.run as run
import segmodels.training.trainer as trainer
from segmodels.training import EpochReport, TrainConfig, fit

rank = int(os.environ["RANK"])
writes = []
real_save = run.save_checkpoint
run.save_checkpoint = lambda path, *a, **k: (writes.append(str(path)), real_save(path, *a, **k))[1]
states = []
real_prepare = trainer.prepare_run
trainer.prepare_run = lambda config: states.append(real_prepare(config)) or states[-1]

config = TrainConfig(project=sys.argv[1], arch="m2nist_fcn", epochs=1, batch_size=4, device="cpu")
epochs = [r for r in fit(config) if isinstance(r, EpochReport)]
state = states[0]
params = b"".join(p.detach().numpy().tobytes() for p in state.model.parameters())
with open(os.path.join(sys.argv[2], f"rank{rank}.json"), "w") as handle:
    json.dump({"miou": epochs[-1].miou, "train_loss": epochs[-1].train_loss, "writes": writes,
               "params": hashlib.sha256(params).hexdigest(), "train_images": len(state.train_sampler),
               "world_size": state.ctx.world_size, "ddp": type(state.train_model).__name__}, handle)
'''


def test_two_gloo_processes_agree_and_write_one_checkpoint(tiny_project: Path, tmp_path: Path) -> None:
    script = tmp_path / "rank.py"
    script.write_text(RANK_SCRIPT)
    done = torchrun([str(script), str(tiny_project), str(tmp_path)])
    assert done.returncode == 0, done.stderr[-3000:]
    rank0, rank1 = (json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1))
    assert rank0["world_size"] == rank1["world_size"] == 2
    assert rank0["ddp"] == "DistributedDataParallel"
    assert rank0["params"] == rank1["params"]  # DDP kept the replicas identical
    assert rank0["miou"] == rank1["miou"] and rank0["train_loss"] == rank1["train_loss"]  # reduced over ranks
    assert rank0["train_images"] + rank1["train_images"] >= 14  # the DistributedSampler split the data
    assert rank1["writes"] == [] and len(rank0["writes"]) == 2  # best + last, by rank 0 only
    best, = (p for p in (tiny_project / "models").glob("m2nist_fcn-*.pt") if not p.name.endswith(".last.pt"))
    checkpoint = load_checkpoint(best)
    assert checkpoint.extra["world_size"] == 2 and checkpoint.epoch == 1
