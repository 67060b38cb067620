"""Training: the reviewed-label dataset, paired augmentation, metrics, the loops and the `fit` generator.

`fit(TrainConfig(...))` yields a DataReport, then StepReport / EpochReport objects, and ends with a
FitResult; the GUI runs it in a worker thread, the CLI (`segstudio train`) prints it with a progress
bar. Under `torchrun` the same code trains with DistributedDataParallel.

Importing this package is light: `segmodels.training.config` (TrainConfig, defaults, Schedule) never
imports torch, and the torch-backed names below load on first use.
"""
from __future__ import annotations

from segmodels.lazy import lazy_exports

_LAZY = {
    "TrainConfig": "segmodels.training.config",
    "Schedule": "segmodels.training.config",
    "evaluate": "segmodels.training.loops",
    "train_one_epoch": "segmodels.training.loops",
    "SegMetrics": "segmodels.training.metrics",
    "confusion_matrix": "segmodels.training.metrics",
    "DataReport": "segmodels.training.trainer",
    "EpochReport": "segmodels.training.trainer",
    "FitResult": "segmodels.training.trainer",
    "StepReport": "segmodels.training.trainer",
    "fit": "segmodels.training.trainer",
    "run_to_end": "segmodels.training.trainer",
}

__all__ = sorted(_LAZY)

__getattr__ = lazy_exports(__name__, _LAZY, globals())
