"""Opening a huge image: how long the GUI thread is blocked, against a blocking decode of the same file.

The real main window (offscreen) shows a small image of a two-image project; then the user selects
the 8192 x 8192 RGB PNG (with its label) in the image list, as a click would. A 10 ms QTimer runs on
the GUI thread throughout; the longest gap between its ticks is how long the window was frozen
(`async_max_gap_ms`), and `async_total_s` is the time until the big image is on screen. For the
same round the synchronous path (`LabelDocument.open_image`, what the list used before images loaded
in a worker) is timed the same way (`sync_max_gap_ms`). Baseline in the same run: `pillow_decode_s`,
Pillow decoding the PNG and nothing else (what any loader that decodes on the GUI thread blocks at
least), and `read_image_s`, segmodels' reader (Pillow's header checks, decode, RGB array).

    python benchmarks/open_large.py [--rounds 3] [--side 8192]

Last line: one JSON object with the medians.
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
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def make_project(root: Path, side: int) -> tuple[Path, Path, Path]:
    """A project with a 512 x 512 image and a side x side one (gradients plus noise, with a label)."""
    import numpy as np
    from PIL import Image

    from segmodels.labels.classes import ClassTable
    from segmodels.labels.project import Project

    project = Project.create(root, ClassTable.from_names(["background", "thing", "stuff"]))
    paths = []
    for name, size in (("a_small.png", 512), ("b_big.png", side)):
        ramp = np.linspace(0, 255, size, dtype=np.float32)
        rgb = np.empty((size, size, 3), dtype=np.uint8)
        rgb[..., 0] = ramp[None, :]
        rgb[..., 1] = ramp[:, None]
        rgb[..., 2] = np.random.default_rng(0).integers(0, 64, (size, size), dtype=np.uint8)
        path = project.images_dir / name
        Image.fromarray(rgb).save(path, compress_level=1)
        label_map = np.zeros((size, size), dtype=np.uint8)
        label_map[size // 4:size // 2, size // 4:size // 2] = 1
        label_map[size // 2:, size // 2:] = 2
        project.write_label(path, label_map)
        paths.append(path)
    return root, paths[0], paths[1]


class GapMeter:
    """A 10 ms timer on the GUI thread; the longest gap between ticks is the longest freeze."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.last = self.worst = 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        self.worst = max(self.worst, now - self.last)
        self.last = now

    def start(self) -> None:
        self.last, self.worst = time.perf_counter(), 0.0
        self.timer.start()

    def stop(self) -> float:
        self._tick()
        self.timer.stop()
        return self.worst


def time_open(app, window, big: Path, action) -> tuple[float, float]:
    """(longest GUI freeze, seconds until `big` is shown and painted) while `action` opens it."""
    meter = GapMeter()
    meter.start()
    started = time.perf_counter()
    action()
    while window.document.image_path != big or getattr(window.document, "is_loading", False):
        app.processEvents()
        time.sleep(0.002)
    window.canvas.viewport().repaint()
    app.processEvents()
    total = time.perf_counter() - started
    return meter.stop(), total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--side", type=int, default=8192)
    args = parser.parse_args()
    from PIL import Image
    from PySide6.QtWidgets import QApplication

    from segmodels.labels.imageio import read_image

    app = QApplication([])
    from app.window.main_window import MainWindow

    results: dict[str, list[float]] = {k: [] for k in ("async_gap", "async_total", "sync_gap", "sync_total",
                                                       "pillow", "read_image")}
    with tempfile.TemporaryDirectory() as tmp:
        log(f"writing a project with a {args.side}x{args.side} image...")
        root, small, big = make_project(Path(tmp) / "project", args.side)
        window = MainWindow()
        window.resize(1400, 900)
        window.show()
        window.open_path(root)
        app.processEvents()
        for round_number in range(args.rounds):
            window.document.open_image(small)
            app.processEvents()
            row = window.image_list.paths().index(big)
            gap, total = time_open(app, window, big, lambda row=row: window.image_list.list_widget.setCurrentRow(row))
            results["async_gap"].append(gap)
            results["async_total"].append(total)
            window.document.open_image(small)
            app.processEvents()
            gap, total = time_open(app, window, big, lambda: window.document.open_image(big))
            results["sync_gap"].append(gap)
            results["sync_total"].append(total)
            started = time.perf_counter()
            with Image.open(big) as image:
                image.load()
            results["pillow"].append(time.perf_counter() - started)
            started = time.perf_counter()
            read_image(big)
            results["read_image"].append(time.perf_counter() - started)
            log(f"round {round_number + 1}/{args.rounds}: list click freezes {results['async_gap'][-1] * 1000:.0f} ms "
                f"(shown after {results['async_total'][-1]:.2f} s); synchronous open freezes "
                f"{results['sync_gap'][-1] * 1000:.0f} ms; Pillow decode {results['pillow'][-1]:.2f} s, "
                f"read_image {results['read_image'][-1]:.2f} s")
        window.image_list.cancel_thumbnails()
        window.document.undo_stack.setClean()
        window.close()
    med = statistics.median
    print(json.dumps({"async_max_gap_ms": round(med(results["async_gap"]) * 1000, 1),
                      "async_total_s": round(med(results["async_total"]), 3),
                      "sync_max_gap_ms": round(med(results["sync_gap"]) * 1000, 1),
                      "sync_total_s": round(med(results["sync_total"]), 3),
                      "pillow_decode_s": round(med(results["pillow"]), 3),
                      "read_image_s": round(med(results["read_image"]), 3),
                      "side": args.side, "rounds": args.rounds}))


if __name__ == "__main__":
    main()
