"""Startup benchmark: time until segstudio's main window is shown and painted with a project open,
against a bare PySide6 QMainWindow shown and painted the same way.

Each measurement is a fresh Python subprocess (so imports count, as they do for a user), run offscreen
(QT_QPA_PLATFORM=offscreen). The parent starts the clock before spawning the child and stops it when
the child reports, on stdout, that the target widget received its first paint event: for segstudio
the canvas viewport (the image is on screen), for the baseline the window's central widget. The
segstudio child runs `app.startup.launcher.main([PROJECT])`, exactly what the `segstudio PROJECT` command
runs. segstudio builds its docks (the image list among them) just after that first frame; `complete_s` is
the time until they are built and shown (the whole window), reported next to `startup_s` so nothing hides there. Rounds
alternate bare / segstudio so drift in machine load hits both equally; medians are quoted.

The project is generated into a temporary folder: 50 RGB images of 512 x 512 with reviewed labels.
Also checks that neither torch nor pyqtgraph was imported at startup (they load when first used).

    python benchmarks/startup.py [--rounds 15] [--images 50] [--without TRICK ...]

`--without TRICK` (a name from `app.startup.tricks.TRICKS`, repeatable) adds, to every round, one more
segstudio run with that trick replaced by a no-op, interleaved with the others; `tricks_ms` in the
JSON line then holds what each trick saves: the median over rounds of (time to first paint without it
minus with it, in the same round), in milliseconds. Pairing within a round cancels most load drift;
`tricks_cpu_ms` is the same for the CPU time the process used until its first paint (all threads),
steadier than wall time on a busy machine.

Also measured: `floor_s`, the bare window plus importing numpy, Pillow and OpenCV (what any label
editor on this stack pays), to show how much of the gap is segstudio's own.

Last line: {"startup_ratio": ..., "startup_s": ..., "bare_s": ..., "complete_s": ..., ...}; goal startup_ratio <= 2.0.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GOAL_RATIO = 2.0
READY = "PAINTED"
COMPLETE = "COMPLETE"


# -- the project ------------------------------------------------------------------------------------
def make_project(root: Path, count: int, size: int = 512) -> Path:
    """A project of `count` RGB images (smooth colour gradients plus noise) with blob labels."""
    import numpy as np
    from PIL import Image

    from segmodels.labels.classes import ClassTable
    from segmodels.labels.project import Project

    project = Project.create(root, ClassTable.from_names(["background", "cat", "dog", "car"]))
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:size, 0:size]
    for number in range(count):
        base = np.stack([xx * 255 // size, yy * 255 // size, np.full_like(xx, number * 5 % 256)], axis=-1)
        noise = rng.integers(0, 40, (size, size, 3))
        rgb = np.clip(base + noise, 0, 255).astype(np.uint8)
        image_path = project.images_dir / f"image_{number:03d}.png"
        Image.fromarray(rgb).save(image_path, compress_level=1)
        label_map = np.zeros((size, size), dtype=np.uint8)
        for class_id in (1, 2, 3):
            cy, cx, r = rng.integers(60, size - 60, 2).tolist() + [int(rng.integers(20, 60))]
            label_map[(yy - cy) ** 2 + (xx - cx) ** 2 < r * r] = class_id
        project.write_label(image_path, label_map)
    return root


# -- the child processes ----------------------------------------------------------------------------
def _wait_for_paint(app, target) -> None:
    """Process events until `target` has received a Paint event (it is on screen)."""
    from PySide6.QtCore import QEvent, QObject

    class PaintWatch(QObject):
        painted = False

        def eventFilter(self, watched, event):  # noqa: N802 (Qt name)
            if watched is target and event.type() == QEvent.Type.Paint:
                PaintWatch.painted = True
            return False

    watch = PaintWatch()
    target.installEventFilter(watch)
    deadline = time.monotonic() + 60
    while not PaintWatch.painted and time.monotonic() < deadline:
        app.processEvents()
    if not PaintWatch.painted:
        raise SystemExit("the window was never painted")


def child_floor() -> None:
    """The bare window plus the libraries any label editor needs (numpy, Pillow, OpenCV): the part
    of segstudio's start-up that no code of its own can remove."""
    import cv2  # noqa: F401
    import numpy  # noqa: F401
    from PIL import Image  # noqa: F401

    child_bare()


def child_bare() -> None:
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    app = QApplication([])
    window = QMainWindow()
    window.setWindowTitle("bare")
    central = QLabel("bare window")
    window.setCentralWidget(central)
    window.resize(1400, 900)  # the size segstudio's window opens at
    window.show()
    _wait_for_paint(app, central)
    print(READY, flush=True)
    print(COMPLETE, "torch" in sys.modules, flush=True)  # nothing is built later


def child_app(project: str, without: str | None = None) -> None:
    """`segstudio PROJECT` exactly (app.startup.launcher.main: command dispatch, argument parsing, then
    app.startup.gui.launch and the event loop), watched from inside: READY when the canvas is first
    painted, COMPLETE once the docks built after that frame are in and one more frame has run."""
    from app.startup import gui, tricks
    from app.startup.launcher import main

    if without:  # the same start-up with one trick switched off, to measure what it buys
        setattr(tricks, without, lambda *args: None)
    real_launch = gui.launch

    def watched_launch(path):
        app, window = real_launch(path)
        # Imported only now: launch() loads numpy (one BLAS thread, app/startup/tricks.py) before
        # PySide6, and importing PySide6 here first would time a start-up `segstudio` does not have.
        from PySide6.QtCore import QEvent, QObject, QTimer

        def complete() -> None:
            if not (hasattr(window, "model_docks") and hasattr(window, "label_docks")):
                QTimer.singleShot(1, complete)
                return
            # torch (models) and pyqtgraph (training curves) must wait until they are used.
            QTimer.singleShot(0, lambda: (print(COMPLETE, "torch" in sys.modules or "pyqtgraph" in sys.modules,
                                                flush=True), app.quit()))

        class PaintWatch(QObject):
            def eventFilter(self, watched, event):  # noqa: N802 (Qt name)
                if event.type() == QEvent.Type.Paint:
                    watched.removeEventFilter(self)
                    print(READY, time.process_time(), flush=True)  # CPU seconds, all threads
                    complete()
                return False

        window._startup_watch = PaintWatch(window)
        window.canvas.viewport().installEventFilter(window._startup_watch)
        return app, window

    gui.launch = watched_launch
    main([project])


def time_child(mode: str, project: Path, without: str | None = None) -> tuple[float, float, bool, float]:
    """Seconds from spawning a fresh interpreter until its window reports the first paint, and
    until it is complete; whether torch or pyqtgraph had been imported by then; and the CPU seconds
    the segstudio child had used at its first paint (NaN for the others)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
    command = [sys.executable, __file__, "--child", mode, "--project", str(project)]
    if without:
        command += ["--without", without]
    start = time.perf_counter()
    painted, cpu = None, float("nan")
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as child:
        for line in child.stdout:
            if line.startswith(READY):
                painted = time.perf_counter() - start
                cpu = float(line.split()[1]) if len(line.split()) > 1 else cpu
            elif line.startswith(COMPLETE) and painted is not None:
                complete = time.perf_counter() - start
                child.kill()
                return painted, complete, line.split()[1] == "True", cpu
        child.wait()
        raise SystemExit(f"{mode} child failed:\n{child.stderr.read()}")


def paired_ms(without: list[float], with_: list[float]) -> float:
    """Median over rounds of (without - with), in milliseconds: what a trick saves."""
    return round(statistics.median(w - a for w, a in zip(without, with_, strict=True)) * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--images", type=int, default=50)
    parser.add_argument("--child", choices=("bare", "floor", "app"), help=argparse.SUPPRESS)
    parser.add_argument("--project", help=argparse.SUPPRESS)
    parser.add_argument("--without", action="append", default=[], metavar="TRICK",
                        help="also time segstudio with this start-up trick switched off (app.startup.tricks)")
    args = parser.parse_args()
    if args.child == "bare":
        return child_bare()
    if args.child == "floor":
        return child_floor()
    if args.child == "app":
        return child_app(args.project, args.without[0] if args.without else None)

    sys.path.insert(0, str(REPO))
    from app.startup.tricks import TRICKS

    unknown = sorted(set(args.without) - set(TRICKS))
    if unknown:
        parser.error(f"unknown trick(s) {', '.join(unknown)}; known: {', '.join(TRICKS)}")
    # An installed segstudio has byte-compiled modules (pip compiles them); a source checkout run
    # with PYTHONDONTWRITEBYTECODE would recompile every module in every child. Compile once here.
    import compileall

    for package in ("app", "segmodels"):
        compileall.compile_dir(REPO / package, quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        project = make_project(Path(tmp) / "project", args.images)
        print(f"project: {args.images} images 512x512 with labels", file=sys.stderr)
        time_child("bare", project)  # warm the OS file cache for both, unmeasured
        time_child("app", project)
        bare, floor, app, complete, torch_seen = [], [], [], [], False
        without: dict[str, list[float]] = {name: [] for name in args.without}
        without_cpu: dict[str, list[float]] = {name: [] for name in args.without}
        app_cpu: list[float] = []
        for round_number in range(args.rounds):
            bare.append(time_child("bare", project)[0])
            floor.append(time_child("floor", project)[0])
            painted, done, torch_loaded, cpu = time_child("app", project)
            app_cpu.append(cpu)
            app.append(painted)
            complete.append(done)
            torch_seen |= torch_loaded
            for name, times in without.items():
                painted, _done, _torch, cpu = time_child("app", project, without=name)
                times.append(painted)
                without_cpu[name].append(cpu)
            print(f"round {round_number + 1}/{args.rounds}: bare {bare[-1]:.3f} s, bare + numpy/Pillow/OpenCV "
                  f"{floor[-1]:.3f} s, segstudio {app[-1]:.3f} s (docks built {complete[-1]:.3f} s, "
                  f"cpu {app_cpu[-1]:.3f} s)"
                  + "".join(f", without {name} {times[-1]:.3f} s (cpu {without_cpu[name][-1]:.3f} s)"
                            for name, times in without.items()),
                  file=sys.stderr)
    bare_s, startup_s, floor_s = statistics.median(bare), statistics.median(app), statistics.median(floor)
    complete_s = statistics.median(complete)
    ratio = startup_s / bare_s
    print(f"goal startup_ratio <= {GOAL_RATIO}: {'met' if ratio <= GOAL_RATIO else 'MISSED'}; "
          f"torch or pyqtgraph imported at startup: {torch_seen}", file=sys.stderr)
    print(json.dumps({"startup_ratio": round(ratio, 3), "startup_s": round(startup_s, 4),
                      "bare_s": round(bare_s, 4), "complete_s": round(complete_s, 4),
                      "complete_ratio": round(complete_s / bare_s, 3), "floor_s": round(floor_s, 4),
                      "floor_ratio": round(floor_s / bare_s, 3), "rounds": args.rounds, "images": args.images,
                      "heavy_imports_at_startup": torch_seen, "goal_ratio": GOAL_RATIO,
                      "tricks_ms": {name: paired_ms(times, app) for name, times in without.items()},
                      "tricks_cpu_ms": {name: paired_ms(times, app_cpu) for name, times in without_cpu.items()}}))


if __name__ == "__main__":
    main()
