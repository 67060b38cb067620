"""The model dock's architecture and device choices come from the torch-free catalog: complete on the
first frame; every device is listed (MPS too) and the device sentence says when one is not there."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app.docks.model import ModelDock
from app.jobs.backend import ModelBackend
from segmodels.models.catalog import ARCHITECTURES, DEFAULT_ARCH, DEVICE_CHOICES
from support.models import FakeHost, demo_project

WAIT_MS = 20000


@pytest.fixture
def dock(qtbot, tmp_path, messages):
    project = demo_project(tmp_path / "demo", count=2)
    dock = ModelDock(FakeHost(project, project.image_paths()[0]), ModelBackend(), choose_file=lambda parent: None)
    qtbot.addWidget(dock)
    yield dock
    dock.backend.pool.waitForDone(WAIT_MS)


def test_architectures_and_devices_are_listed_before_torch_loads(dock):
    assert not dock.backend.is_loaded()
    combo = dock.arch_combo
    assert [combo.itemData(i) for i in range(combo.count())] == list(ARCHITECTURES)
    assert combo.isEnabled() and combo.currentData() == DEFAULT_ARCH
    assert combo.itemData(combo.currentIndex(), Qt.ItemDataRole.ToolTipRole) == ARCHITECTURES[DEFAULT_ARCH].description
    assert tuple(dock.device_combo.itemText(i) for i in range(dock.device_combo.count())) == DEVICE_CHOICES


def test_device_sentence_follows_the_choice(dock, qtbot):
    from segmodels.errors import SegError
    from segmodels.inference.device import select_device

    with qtbot.waitSignal(dock.backend.ready, timeout=WAIT_MS):
        dock.backend.ensure_loaded()
    assert dock.device_label.text() == select_device("auto")[1]
    assert tuple(dock.backend.info.device_sentences) == DEVICE_CHOICES   # a sentence for every listed device
    for choice in ("mps", "cuda", "cpu", "auto"):
        dock.device_combo.setCurrentText(choice)          # widget -> sentence
        try:
            expected = select_device(choice)[1]
        except SegError as exc:                           # listed, but this machine lacks it: say so
            expected = str(exc)
            assert "not available" in expected or "no usable" in expected
        assert dock.device_label.text() == expected
