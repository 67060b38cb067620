"""Multi-process training under `torchrun` (DistributedDataParallel), and the one-process case.

`torchrun --nproc_per_node=N -m segmodels train ...` sets RANK, WORLD_SIZE and LOCAL_RANK; `DistContext`
reads them. With a world size above one, `setup` starts the process group (nccl on CUDA, each rank on
its LOCAL_RANK device; gloo on CPU), `wrap_model` converts BatchNorm to SyncBatchNorm (CUDA only:
PyTorch's SyncBatchNorm has no CPU kernel, and on CPU DDP's buffer broadcast keeps ranks identical)
and wraps the model in DDP. Metrics are made global by summing each rank's confusion matrix
(`all_reduce_sum`); only rank 0 writes checkpoints (`ctx.is_main`), the others wait at `barrier`.
Before validation `broadcast_buffers` gives every rank rank 0's BatchNorm statistics, so the metric a run
reports is that of the checkpoint rank 0 writes (docs/training.md#distributed-runs). `gather` collects one
small picklable value per rank (what `segstudio predict` under torchrun counts).
Without torchrun every helper is a no-op, so the trainer has a single code path.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    owns_group: bool = False  # whether we started the process group (and so must end it)

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_env(cls) -> DistContext:
        world_size = int(os.environ.get("WORLD_SIZE", "1"))
        if world_size <= 1:
            return cls()
        return cls(rank=int(os.environ.get("RANK", "0")), world_size=world_size,
                   local_rank=int(os.environ.get("LOCAL_RANK", "0")))


#: The context of a plain single-process run (the default of every loop).
SINGLE_PROCESS = DistContext()


def setup(ctx: DistContext, device: torch.device) -> tuple[DistContext, torch.device]:
    """Start the process group if needed; on CUDA each rank uses its own GPU."""
    if not ctx.enabled:
        return ctx, device
    if device.type == "cuda":
        device = torch.device("cuda", ctx.local_rank % max(torch.cuda.device_count(), 1))
        torch.cuda.set_device(device)
    owns = False
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
        owns = True
    return DistContext(ctx.rank, ctx.world_size, ctx.local_rank, owns), device


def teardown(ctx: DistContext) -> None:
    if ctx.enabled and ctx.owns_group and dist.is_initialized():
        dist.destroy_process_group()


def wrap_model(model: torch.nn.Module, ctx: DistContext, device: torch.device) -> torch.nn.Module:
    """DDP (+ SyncBatchNorm on CUDA) across ranks; the model itself when not distributed."""
    if not ctx.enabled:
        return model
    from torch.nn.parallel import DistributedDataParallel

    if device.type == "cuda":
        model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
        return DistributedDataParallel(model, device_ids=[device.index])
    return DistributedDataParallel(model)


def all_reduce_sum(tensor: torch.Tensor, ctx: DistContext) -> torch.Tensor:
    """Sum a tensor over all ranks in place (no-op when not distributed)."""
    if ctx.enabled:
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def barrier(ctx: DistContext) -> None:
    if ctx.enabled:
        dist.barrier()


def broadcast_buffers(model: torch.nn.Module, ctx: DistContext) -> None:
    """Copy rank 0's buffers (BatchNorm running statistics) to every rank (no-op when not distributed).

    DDP broadcasts buffers at the start of each forward pass, but every rank's last training forward
    then updates its own running statistics from its own batch: without this, each rank would validate
    its shard with statistics no checkpoint holds (docs/training.md#distributed-runs)."""
    if not ctx.enabled:
        return
    with torch.no_grad():
        for buffer in model.buffers():
            dist.broadcast(buffer, src=0)


def gather(value: object, ctx: DistContext) -> list[object]:
    """Every rank's `value`, in rank order, on every rank (`[value]` when not distributed)."""
    if not ctx.enabled:
        return [value]
    values: list[object] = [None] * ctx.world_size
    dist.all_gather_object(values, value)
    return values
