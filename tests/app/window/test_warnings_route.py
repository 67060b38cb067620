"""Python warnings in the window become one message-box sentence, once, also from a worker thread."""
from __future__ import annotations

import threading
import warnings

from PySide6.QtWidgets import QWidget

from app.window.warnings_route import route_warnings


def test_warning_is_one_sentence_once_and_the_hook_goes_back(qtbot, messages):
    parent = QWidget()
    qtbot.addWidget(parent)
    before = warnings.showwarning
    route = route_warnings(parent)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            for _ in range(3):
                warnings.warn("Pretrained weights are not available (offline)\n  detail line", UserWarning,
                              stacklevel=1)
            worker = threading.Thread(target=lambda: warnings.warn("From a worker", RuntimeWarning, stacklevel=1))
            worker.start()
            worker.join()
        qtbot.waitUntil(lambda: len(messages.texts("warning")) == 2)
        assert messages.texts("warning") == ["Pretrained weights are not available (offline)", "From a worker"]
        assert not any(".py" in text for text in messages.texts())
    finally:
        route.uninstall()
    assert warnings.showwarning is before
