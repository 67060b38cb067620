"""What the training dock's progress bar and status line say after a step (pure text, no widgets).

The bar names the learning rate of the step just taken (`StepUpdate.lr`, read before the scheduler
moves on: docs/training.md#resuming), written as the CLI's progress bar writes it (`.2g`), so a
one-cycle warm-up or a cosine decay can be watched in the window as on the command line.
"""
from __future__ import annotations

import math

from app.jobs.train import StepUpdate, format_eta


def format_lr(lr: float) -> str:
    """'lr 0.0003', 'lr 3e-05' (the CLI's `.2g`); empty when the report carries none."""
    return f"lr {lr:.2g}" if math.isfinite(lr) else ""


def step_bar_format(report: StepUpdate) -> str:
    """The bar's format string: 'epoch 2/10 · %p% · lr 0.00031 · ETA 1:15' (Qt fills in %p)."""
    parts = [f"epoch {report.epoch}/{report.epochs}", "%p%", format_lr(report.lr), format_eta(report.eta_s)]
    return " · ".join(part for part in parts if part)


def step_status(report: StepUpdate) -> str:
    """The line under the bar: 'Epoch 2/10, step 5/40, loss 0.4123, learning rate 0.00031'."""
    rate = f", learning rate {report.lr:.2g}" if math.isfinite(report.lr) else ""
    return f"Epoch {report.epoch}/{report.epochs}, step {report.step}/{report.steps}, loss {report.loss:.4f}{rate}"
