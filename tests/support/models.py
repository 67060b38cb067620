"""Shared helpers for the model/training dock tests: a small demo project, checkpoints, fake hosts."""
from __future__ import annotations

from pathlib import Path

from segmodels.labels.classes import ClassTable
from segmodels.labels.project import Project

#: Per-model builder arguments for tests that build every architecture: FCN-8s keeps its architecture
#: but with fc6/fc7 of 512 instead of 4096 channels, because initialising (and back-propagating through)
#: 120 M random fc weights dominates a test's time on a 2-core machine. (The 4096 default is checked by
#: the parameter count in test_inference.)
SMALL_MODEL_KWARGS: dict[str, dict] = {"fcn8s_vgg16": {"fc_channels": 512}}


class ProjectHost:
    """A DockHost (app.jobs.backend) for a dock shown without the main window: a fixed project and
    current image; it remembers the order the dock asked for."""

    def __init__(self, project: Project | None, current: Path | None = None) -> None:
        self._project = project
        self.current = current
        self.order: list[Path] | None = None
        self.notes: dict[Path, str] | None = None

    def project(self) -> Project | None:
        return self._project

    def current_image(self) -> Path | None:
        return self.current

    def prediction_written(self, image: Path) -> None:
        pass

    def set_image_order(self, images: list[Path], notes: dict[Path, str] | None = None) -> None:
        self.order = list(images)
        self.notes = notes


class FakeHost(ProjectHost):
    """The DockHost a dock sees, also recording which predictions the dock announced."""

    def __init__(self, project: Project | None, current: Path | None = None) -> None:
        super().__init__(project, current)
        self.written: list[Path] = []

    def prediction_written(self, image: Path) -> None:
        self.written.append(Path(image))


def demo_project(root: Path, count: int = 6) -> Project:
    from segmodels.demo import write_demo_project

    return write_demo_project(root, count=count)


def random_checkpoint(path: Path, classes: ClassTable, seed: int = 0) -> Path:
    """An untrained m2nist_fcn checkpoint for `classes` (weights fixed by `seed`)."""
    import torch

    from segmodels.models import get_model
    from segmodels.models.checkpoint import save_checkpoint

    torch.manual_seed(seed)
    model = get_model("m2nist_fcn", num_classes=len(classes))
    return save_checkpoint(path, model, classes=classes)
