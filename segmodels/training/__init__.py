"""Training: the reviewed-label dataset, paired augmentation, metrics, the loops and the `fit` generator.

`fit(TrainConfig(...))` yields StepReport / EpochReport objects and ends with a FitResult; the GUI runs
it in a worker thread, the CLI (`segstudio train`) prints it with a progress bar. Under `torchrun` the
same code trains with DistributedDataParallel.
"""
from __future__ import annotations

from segmodels.training.config import TrainConfig
from segmodels.training.loops import evaluate, train_one_epoch
from segmodels.training.metrics import SegMetrics, confusion_matrix
from segmodels.training.trainer import EpochReport, FitResult, StepReport, fit, run_to_end

__all__ = ["EpochReport", "FitResult", "SegMetrics", "StepReport", "TrainConfig", "confusion_matrix", "evaluate",
           "fit", "run_to_end", "train_one_epoch"]
