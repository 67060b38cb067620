"""Resuming replays nothing, a longer run does not jump the learning rate, and each step reports its
own rate (issue 15, item 13)."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
import torch

from segmodels.models.catalog import training_defaults
from segmodels.models.checkpoint import load_checkpoint
from segmodels.training import EpochReport, FitResult, StepReport, TrainConfig, fit
from segmodels.training.build import FINAL_LR_FACTOR, ScheduleShape, schedule_factor
from segmodels.training.config import Schedule
from segmodels.training.resume import random_state, restore_random_state
from segmodels.training.trainer import run_to_end

LR = training_defaults("m2nist_fcn")["lr"]


def _config(project: Path, out: Path, **kw) -> TrainConfig:
    # m2nist_fcn's defaults augment (random affine), so the random state decides what epoch 2 sees.
    # On the CPU: CUDA training is not bit-reproducible even without a stop (on an H200, two uninterrupted
    # runs differed by up to 8e-2 with AMP, 2e-3 without; a resumed run by as much; docs/training.md).
    return TrainConfig(project=str(project), **{"arch": "m2nist_fcn", "epochs": 2, "batch_size": 4, "out": str(out),
                                                "device": "cpu", **kw})


def _lrs(reports: list) -> list[float]:
    return [r.lr for r in reports if isinstance(r, StepReport)]


def test_a_stopped_and_resumed_run_ends_with_the_weights_of_an_uninterrupted_one(tiny_project: Path) -> None:
    whole = run_to_end(_config(tiny_project, tiny_project / "whole.pt"))
    stop = threading.Event()
    for report in fit(_config(tiny_project, tiny_project / "parts.pt"), cancel=stop.is_set):
        if isinstance(report, EpochReport):
            stop.set()  # after epoch 1 of 2
        result = report
    assert isinstance(result, FitResult) and result.cancelled and result.epochs_done == 1
    resumed = run_to_end(TrainConfig(project=str(tiny_project), resume=str(result.last_checkpoint),
                                     device="cpu"))
    assert "random state" not in resumed.note
    expected = load_checkpoint(whole.last_checkpoint).state_dict
    got = load_checkpoint(resumed.last_checkpoint).state_dict
    assert load_checkpoint(resumed.last_checkpoint).epoch == 2
    for key, value in expected.items():
        assert torch.allclose(got[key].float(), value.float(), atol=1e-6), key


def test_extending_a_finished_run_goes_on_from_its_last_rate(tiny_project: Path) -> None:
    first = list(fit(_config(tiny_project, tiny_project / "m.pt", epochs=1)))
    steps = len(_lrs(first))
    finished = first[-1]
    more = list(fit(TrainConfig(project=str(tiny_project), resume=str(finished.last_checkpoint), epochs=3)))
    extension = _lrs(more)
    assert len(extension) == 2 * steps
    # The old curve ended at its final factor; the extension starts there and never climbs.
    assert extension[0] == pytest.approx(LR * schedule_factor(steps, steps, Schedule.ONECYCLE))
    assert all(later <= earlier * (1 + 1e-9) for earlier, later in zip(extension, extension[1:], strict=False))
    assert "grows from 1 to 3 epochs" in more[-1].note
    recorded = load_checkpoint(finished.last_checkpoint).extra["schedule"]
    assert recorded["restart_step"] == steps and recorded["total_steps"] == 3 * steps


def test_each_step_reports_the_rate_it_used(tiny_project: Path) -> None:
    reports = list(fit(_config(tiny_project, tiny_project / "m.pt", epochs=1)))
    lrs = _lrs(reports)
    assert lrs[0] == pytest.approx(LR * FINAL_LR_FACTOR)  # one-cycle starts low: step 0's rate
    assert lrs == pytest.approx([LR * schedule_factor(i, len(lrs), Schedule.ONECYCLE) for i in range(len(lrs))])


def test_a_continued_schedule_starts_at_the_factor_it_had_reached() -> None:
    shape = ScheduleShape(Schedule.ONECYCLE, 100)
    longer = shape.continued(40, 300)
    assert longer.factor(40) == pytest.approx(shape.factor(40))
    assert longer.factor(299) < longer.factor(170) < longer.factor(41) <= shape.factor(40)
    assert ScheduleShape.from_json(longer.to_json(), Schedule.COSINE, 1) == longer
    assert ScheduleShape.from_json({"kind": "weekly"}, Schedule.COSINE, 7) == ScheduleShape(Schedule.COSINE, 7)
    assert ScheduleShape(Schedule.CONSTANT, 10).continued(10, 20).factor(15) == 1.0


def test_a_missing_or_damaged_random_state_changes_nothing() -> None:
    sampler = torch.utils.data.RandomSampler(range(5), generator=torch.Generator().manual_seed(0))
    state = random_state(sampler, torch.device("cpu"))
    before = torch.get_rng_state()
    assert not restore_random_state(None, sampler, torch.device("cpu"))
    assert not restore_random_state({**state, "sampler": "x"}, sampler, torch.device("cpu"))
    assert torch.equal(torch.get_rng_state(), before)
    first = list(sampler)
    assert restore_random_state(state, sampler, torch.device("cpu"))
    assert list(sampler) == first  # the same order again: the sampler's generator was restored
