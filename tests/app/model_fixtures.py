"""Shared helpers for the model/training dock tests: a small demo project, checkpoints, a fake host."""
from __future__ import annotations

from pathlib import Path

from segmodels.classes import ClassTable
from segmodels.project import Project


class FakeHost:
    """The DockHost a dock sees, recording what the dock asks of the window."""

    def __init__(self, project: Project | None, current: Path | None = None) -> None:
        self._project = project
        self.current = current
        self.written: list[Path] = []
        self.order: list[Path] | None = None

    def project(self) -> Project | None:
        return self._project

    def current_image(self) -> Path | None:
        return self.current

    def prediction_written(self, image: Path) -> None:
        self.written.append(Path(image))

    def set_image_order(self, images: list[Path]) -> None:
        self.order = list(images)

def demo_project(root: Path, count: int = 6) -> Project:
    from segmodels.demo import write_demo_project

    return write_demo_project(root, count=count)


def random_checkpoint(path: Path, classes: ClassTable, seed: int = 0) -> Path:
    """An untrained m2nist_fcn checkpoint for `classes` (weights fixed by `seed`)."""
    import torch

    from segmodels.checkpoint import save_checkpoint
    from segmodels.models import get_model

    torch.manual_seed(seed)
    model = get_model("m2nist_fcn", num_classes=len(classes))
    return save_checkpoint(path, model, classes=classes)
