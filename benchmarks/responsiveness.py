"""Does the window keep answering while a model trains? Largest gap between ticks of a 10 ms QTimer.

Runs offscreen in one process: the real main window (with the model and training docks) on a fresh
demo project, then measures the gaps between ticks of a 10 ms timer

1. idle (the baseline: what the event loop does with nothing else running),
2. while the model backend imports torch in its worker thread (the first use of a model),
3. while the training run starts (fit() caches the images and builds the model) and
4. while the training dock runs segmodels' real fit() in its worker (m2nist_fcn on the demo digits),
   with the canvas zoomed every 100 ms so painting is part of the load.

Usage: python3 benchmarks/responsiveness.py [--images 200] [--seconds 12]
The last line is JSON: {"max_gap_ms_training": X, "max_gap_ms_idle": Y, ...}; goal: training <= 100.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

TICK_MS = 10


class GapMeter:
    """Records the time between consecutive ticks of a 10 ms timer."""

    def __init__(self) -> None:
        self.clock = QElapsedTimer()
        self.gaps: list[float] = []
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self._last: float | None = None

    def start(self) -> None:
        self.gaps.clear()
        self._last = None
        self.clock.start()
        self.timer.start()

    def stop(self) -> dict:
        self.timer.stop()
        gaps = self.gaps or [float("nan")]
        ordered = sorted(gaps)
        return {"max_ms": round(max(gaps), 1), "median_ms": round(statistics.median(gaps), 1),
                "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))], 1), "ticks": len(self.gaps)}

    def _tick(self) -> None:
        now = self.clock.nsecsElapsed() / 1e6
        if self._last is not None:
            self.gaps.append(now - self._last)
        self._last = now


def spin(app: QApplication, seconds: float, until=None) -> None:
    """Run a real event loop (as the program does, not processEvents) for `seconds` (or until `until()` is true, polled every 20 ms)."""
    loop = QEventLoop()
    deadline = time.monotonic() + seconds
    poll = QTimer()
    poll.setInterval(20)
    poll.timeout.connect(lambda: loop.quit() if time.monotonic() >= deadline or (until and until()) else None)
    poll.start()
    loop.exec()
    poll.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=12.0, help="how long to measure during training")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    from app.pyside_fix import protect_none

    protect_none()  # as run_gui does: PySide6 6.12 on Python 3.11 leaks references to None
    from app.main_window import MainWindow
    from app.model_docks import install_model_docks
    from segmodels.demo import write_demo_project

    workdir = Path(tempfile.mkdtemp(prefix="segstudio-resp-"))
    print(f"writing a demo project with {args.images} images…", file=sys.stderr)
    project = write_demo_project(workdir / "demo", count=args.images)
    window = MainWindow()
    docks = install_model_docks(window)
    window.open_path(project.root)
    window.resize(1400, 900)
    window.show()
    spin(app, 1.0)
    meter = GapMeter()

    print("idle…", file=sys.stderr)
    meter.start()
    spin(app, 3.0)
    idle = meter.stop()
    print(f"  idle: {idle}", file=sys.stderr)

    print("importing torch in the backend worker…", file=sys.stderr)
    meter.start()
    docks.backend.ensure_loaded()
    spin(app, 60.0, until=docks.backend.is_loaded)
    importing = meter.stop()
    print(f"  torch import: {importing}", file=sys.stderr)

    training = docks.training
    training.epochs_spin.setValue(1000)
    training.batch_spin.setValue(8)
    training.device_combo.setCurrentText("cpu")
    training.show()
    training.curves.ensure_plots()
    zoom = QTimer()
    zoom.setInterval(100)
    factors = iter([1.25, 0.8] * 10000)
    zoom.timeout.connect(lambda: window.canvas.set_zoom(window.canvas.transform().m11() * next(factors)))
    print("starting training (data loaded and cached, model built)…", file=sys.stderr)
    meter.start()
    training.start_button.click()
    spin(app, 60.0, until=lambda: len(training.curves.loss_y) > 0)
    starting = meter.stop()
    print(f"  start: {starting}", file=sys.stderr)
    print("training…", file=sys.stderr)
    zoom.start()
    meter.start()
    spin(app, args.seconds)
    during = meter.stop()
    zoom.stop()
    steps = len(training.curves.loss_y)
    print(f"  training: {during} ({steps} loss points shown)", file=sys.stderr)
    started = time.monotonic()
    training.cancel_button.click()
    spin(app, 60.0, until=lambda: not training.is_running())
    cancel_s = time.monotonic() - started
    print(f"  cancel took {cancel_s:.2f} s", file=sys.stderr)
    window.close()
    print(json.dumps({"max_gap_ms_training": during["max_ms"], "max_gap_ms_idle": idle["max_ms"],
                      "median_gap_ms_training": during["median_ms"], "p99_gap_ms_training": during["p99_ms"],
                      "median_gap_ms_idle": idle["median_ms"], "max_gap_ms_torch_import": importing["max_ms"],
                      "max_gap_ms_training_start": starting["max_ms"],
                      "cancel_s": round(cancel_s, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
