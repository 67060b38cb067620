"""Issue 15 item 14: the Model dock's Open… takes another program's weights (a plain state_dict) into the
architecture chosen in the dock, as a new project checkpoint, and says how many tensors it loaded; a
pickle that carries code is refused with one sentence naming the file, and runs nothing."""
from __future__ import annotations

import os

import pytest

from app.docks.model import ModelDock
from app.jobs.backend import ModelBackend
from support.models import FakeHost, demo_project

WAIT_MS = 30000


class _Payload:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


@pytest.fixture
def dock(qtbot, tmp_path, messages):
    project = demo_project(tmp_path / "demo", count=3)
    dock = ModelDock(FakeHost(project, project.image_paths()[0]), ModelBackend(), choose_file=lambda parent: None)
    qtbot.addWidget(dock)
    yield dock
    dock.backend.pool.waitForDone(WAIT_MS)


def _state_dict_file(path, num_classes: int):
    import torch

    from segmodels.models import get_model

    torch.set_num_threads(1)
    torch.manual_seed(5)
    model = get_model("m2nist_fcn", num_classes=num_classes, width=16, context=64)  # the catalog's options
    torch.save({"state_dict": {f"module.{k}": v for k, v in model.state_dict().items()}}, path)
    return model.state_dict()


def test_open_loads_a_plain_state_dict_into_the_chosen_architecture(dock, qtbot, tmp_path):
    import torch

    from segmodels.models.checkpoint import load_checkpoint

    project = dock.host.project()
    source = _state_dict_file(tmp_path / "their model.pth", num_classes=5)
    dock.arch_combo.setCurrentIndex(dock.arch_combo.findData("m2nist_fcn"))
    dock.choose_file = lambda parent: str(tmp_path / "their model.pth")
    dock.open_button.click()
    qtbot.waitUntil(lambda: not dock.is_busy() and dock.selected_checkpoint() is not None
                    and dock.selected_checkpoint().name.startswith("m2nist_fcn-imported-"), timeout=WAIT_MS)
    created = dock.selected_checkpoint()
    assert created.parent == project.models_dir
    checkpoint = load_checkpoint(created)
    assert checkpoint.classes.names == project.classes.names
    # The tensors with a class axis (the head, and m2nist_fcn's C x C upsampling kernels) differ in shape.
    kept = [k for k in source if source[k].shape == checkpoint.state_dict[k].shape]
    total, new = len(source), len(source) - len(kept)
    assert 0 < new <= 4
    assert all(torch.equal(source[k], checkpoint.state_dict[k]) for k in kept)
    text = dock.status_label.text()
    assert (f"'{tmp_path / 'their model.pth'}': loaded {len(kept)} of {total} tensors; {new} new: the classifier "
            f"for {len(project.classes)} classes") in text
    assert created.name in text and "fine-tune" in text
    assert not dock.host.project().predictions_dir.exists() or not any(project.predictions_dir.iterdir())


def test_open_refuses_a_pickle_with_code(dock, qtbot, tmp_path, messages):
    import torch

    marker = tmp_path / "ran"
    evil = tmp_path / "weights.pth"
    torch.save({"conv.weight": torch.zeros(1), "x": _Payload(str(marker))}, evil)
    before = set(dock.host.project().models_dir.glob("*")) if dock.host.project().models_dir.exists() else set()
    dock.choose_file = lambda parent: str(evil)
    dock.open_button.click()
    qtbot.waitUntil(lambda: bool(messages.shown) and not dock.is_busy(), timeout=WAIT_MS)
    errors = messages.texts("error")
    assert len(errors) == 1 and "weights.pth" in errors[0] and "pickled code" in errors[0]
    assert not marker.exists()
    models = dock.host.project().models_dir
    assert (set(models.glob("*")) if models.exists() else set()) == before
