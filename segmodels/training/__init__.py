"""Training: the reviewed-label dataset, paired augmentation, metrics, the loops and the `fit` generator.

`fit(TrainConfig(...))` yields StepReport / EpochReport objects and ends with a FitResult; the GUI runs
it in a worker thread, the CLI (`segstudio train`) prints it with a progress bar. Under `torchrun` the
same code trains with DistributedDataParallel.

Importing this package is light: `segmodels.training.config` (TrainConfig, defaults, Schedule) never
imports torch, and the torch-backed names below load on first use.
"""
from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "TrainConfig": "segmodels.training.config",
    "Schedule": "segmodels.training.config",
    "evaluate": "segmodels.training.loops",
    "train_one_epoch": "segmodels.training.loops",
    "SegMetrics": "segmodels.training.metrics",
    "confusion_matrix": "segmodels.training.metrics",
    "EpochReport": "segmodels.training.trainer",
    "FitResult": "segmodels.training.trainer",
    "StepReport": "segmodels.training.trainer",
    "fit": "segmodels.training.trainer",
    "run_to_end": "segmodels.training.trainer",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'segmodels.training' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups (and monkeypatch's restore) skip this function
    return value
