"""Batch prediction shared by the processes of a `torchrun` launch (datasets that outgrow one machine).

`torchrun --nproc_per_node N -m segmodels predict ...` starts N copies of the command; `start` joins
them into one process group (gloo on the CPU, nccl with each rank on its LOCAL_RANK GPU:
segmodels.training.distributed.setup). Rank r takes the files i with i % N == r (`own_files`), so the
work needs no coordination and every output file is written by exactly one process. Outputs are those
of one process: each file is predicted by the same model with the same settings, and two files with
one stem are refused by every rank exactly as one process refuses them (the clash is found over the
whole list, not over one rank's share, where the twin may be missing: segmodels.labels.stems).
`combine` sums each rank's tallies, so the summary counts every file; the CLI prints it on rank 0 only.
Without torchrun every helper is a no-op: one process takes every file.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from segmodels.inference.batch import FileResult, predict_files
from segmodels.labels.stems import clash_error, find_stem_clashes, folds_case
from segmodels.training import distributed
from segmodels.training.distributed import DistContext

T = TypeVar("T")


def start(device_name: str) -> tuple[DistContext, str]:
    """(this process's context, the device it should use): under torchrun the process group is started
    and a CUDA request (or auto on a CUDA machine) becomes this rank's own GPU; else (single, as given)."""
    ctx = DistContext.from_env()
    if not ctx.enabled:
        return ctx, device_name
    from segmodels.inference.device import select_device

    device, _ = select_device(device_name)
    ctx, device = distributed.setup(ctx, device)
    return ctx, (str(device) if device.type == "cuda" else device_name)


def finish(ctx: DistContext) -> None:
    """Leave the process group `start` joined (no barrier: a rank that failed must not wait for the others;
    torchrun stops them)."""
    distributed.teardown(ctx)


def own_files(paths: Sequence[T], ctx: DistContext) -> list[T]:
    """This rank's share: the files i with i % world_size == rank (all of them in one process)."""
    return list(paths[ctx.rank::ctx.world_size])


def predict_shard(checkpoint: Any, paths: Sequence[Path], ctx: DistContext, *, out_dir: Path,
                  **options: Any) -> Iterator[FileResult]:
    """`predict_files` over this rank's share of `paths`, one FileResult each (index and total refer to
    the whole list); a file sharing its stem with any file of the whole list is refused, as in one process."""
    if not ctx.enabled:
        yield from predict_files(checkpoint, paths, out_dir=out_dir, **options)
        return
    paths = [Path(p) for p in paths]
    clashes = find_stem_clashes(paths, fold_case=folds_case(out_dir))
    mine = own_files(range(len(paths)), ctx)
    index_of = {paths[i]: i for i in mine}
    refused = {i: str(clash_error(paths[i], clashes[paths[i]], out_dir / f"{paths[i].stem}.png", "prediction file"))
               for i in mine if paths[i] in clashes}
    results = predict_files(checkpoint, [paths[i] for i in mine if i not in refused], out_dir=out_dir, **options)
    description = ""
    for result in results:
        description = result.device
        index = index_of[result.path]
        while refused and min(refused) < index:  # keep this rank's results in input order
            yield _refusal(paths, refused, description)
        yield dataclasses.replace(result, index=index, total=len(paths))
    while refused:
        yield _refusal(paths, refused, description)


def _refusal(paths: list[Path], refused: dict[int, str], description: str) -> FileResult:
    index = min(refused)
    return FileResult(paths[index], False, refused.pop(index), (), index, len(paths), description)


def combine(tally: T, ctx: DistContext, add: Callable[[T, T], T]) -> T:
    """Every rank's `tally` folded with `add` (on every rank; the tally itself in one process)."""
    tallies = distributed.gather(tally, ctx)
    total = tallies[0]
    for other in tallies[1:]:
        total = add(total, other)
    return total
