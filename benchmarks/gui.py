"""GUI benchmark on a large image (16384 x 16384 unless --side): brush dab -> repaint latency, full
repaint after an opacity change, and the program's memory beyond the image and the label, each against
a bare baseline in the same run (offscreen, QT_QPA_PLATFORM=offscreen).

- `dab_ms_median`: the real window (app.startup.gui.create_window) on a project holding one SIDE x SIDE
  RGB image with a label; the canvas viewport is 1920 x 1080 at 100 % zoom. One timed step is a QTest
  mouse move during a brush stroke (brush 20 px): canvas -> tool -> document -> label layer -> Qt
  repaint of the dirty rectangle, until the viewport has painted it. Also `dab_fit_ms_median` with
  the whole image fitted in the viewport. `brush` holds both figures for every size of `--brush`
  (default 20, 400 and 2000 px; each stroke paints another class, so every dab changes pixels); the
  top-level pair is the first size's. `dab_cpu_ms_median` / `dab_fit_cpu_ms_median`: the GUI thread's
  CPU time for the same steps (on a busy machine the wall time also counts waiting for a core).
  Baseline `bare_dab_ms_median`: a plain widget of the same
  size repainting a rectangle of the same size from a QImage.
- `opacity_ms`: the opacity slider moves; the whole 1920 x 1080 viewport repaints (image and label
  layers, at fit zoom where every pixel of the image is on screen, and at 100 %; the worse is
  quoted). Baseline `bare_full_ms`: the plain widget repainting all of itself from a QImage.
- `extra_mib`: resident memory of the real window with the image open, minus a bare process (Python,
  PySide6, a shown QMainWindow) holding an image and a label of the same size as numpy arrays; each
  measured in a fresh subprocess. `extra_mib_255_classes`: the same with a 255-class table (the
  colour table is 256 entries whatever the class count, so it must not grow).

    python benchmarks/gui.py [--repeats 60] [--side 16384] [--brush 20,400,2000] [--skip-memory]

Last line: one JSON object; goals: every dab median <= 8 (`goal_ms`), opacity_ms <= 30.
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

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DEFAULT_SIDE = 16384
SIDE = DEFAULT_SIDE  # --side
VIEWPORT = (1920, 1080)
BRUSHES = (20, 400, 2000)  # --brush
DAB_GOAL_MS = 8.0
#: GUI-thread CPU milliseconds of each step of the last `time_dabs`: on a shared machine the wall time
#: also counts waiting for a core, this does not.
CPU_MS: list[float] = []
GOALS = {"dab_ms_median": DAB_GOAL_MS, "opacity_ms": 30.0}


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# -- data ------------------------------------------------------------------------------------------
def make_rgb(side: int):
    import numpy as np

    ramp = (np.arange(side, dtype=np.uint32) * 255 // side).astype(np.uint8)
    rgb = np.empty((side, side, 3), np.uint8)
    rgb[..., 0] = ramp[None, :]
    rgb[..., 1] = ramp[:, None]
    rgb[..., 2] = 128
    return rgb


def make_label(side: int, num_classes: int):
    """Stripes of every class (so a 255-class table is really used), a quarter left unlabelled."""
    import numpy as np

    rows = (np.arange(side, dtype=np.uint32) // 64)[:, None]
    cols = (np.arange(side, dtype=np.uint32) // 64)[None, :]
    label = ((rows + cols) % num_classes).astype(np.uint8)
    label[: side // 4] = 255
    return label


def make_project(root: Path, num_classes: int) -> Path:
    from PIL import Image

    from segmodels.labels.classes import ClassTable
    from segmodels.labels.project import Project

    names = ["background"] + [f"class {i}" for i in range(1, num_classes)]
    project = Project.create(root, ClassTable.from_names(names))
    image = project.images_dir / "big.png"
    Image.fromarray(make_rgb(SIDE)).save(image, compress_level=1)
    project.write_label(image, make_label(SIDE, num_classes))
    return root


# -- repaint timing --------------------------------------------------------------------------------
class PaintWatch:
    """Event filter noting Paint events of one widget (and the rectangle painted)."""

    def __init__(self, widget) -> None:
        from PySide6.QtCore import QEvent, QObject, QRect

        self.rect = QRect()
        self.painted = False
        watch = self

        class Filter(QObject):
            def eventFilter(self, watched, event):  # noqa: N802 (Qt name)
                if watched is widget and event.type() == QEvent.Type.Paint:
                    watch.painted = True
                    watch.rect = watch.rect.united(event.rect())
                return False

        self._filter = Filter()
        widget.installEventFilter(self._filter)

    def reset(self) -> None:
        from PySide6.QtCore import QRect

        self.painted, self.rect = False, QRect()


def until_painted(app, watch: PaintWatch, action) -> float:
    """Milliseconds from `action()` until the watched widget has handled its Paint event."""
    watch.reset()
    start = time.perf_counter()
    action()
    while not watch.painted:
        app.processEvents()
        if time.perf_counter() - start > 20:
            raise SystemExit("no repaint within 20 s of the action")
    return (time.perf_counter() - start) * 1000.0


def bare_widget(app):
    """A plain widget the size of the viewport that paints from a QImage: Qt's floor per frame."""
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtWidgets import QWidget

    frame = make_rgb(2048)[: VIEWPORT[1], : VIEWPORT[0]].copy()
    qimage = QImage(frame.data, VIEWPORT[0], VIEWPORT[1], frame.strides[0], QImage.Format.Format_RGB888)

    class Bare(QWidget):
        def paintEvent(self, event):  # noqa: N802 (Qt name)
            painter = QPainter(self)
            painter.drawImage(event.rect(), qimage, event.rect())
            painter.end()

    widget = Bare()
    widget.frame = frame  # keep the buffer alive with the widget
    widget.resize(*VIEWPORT)
    widget.show()
    watch = PaintWatch(widget)
    while not watch.painted:
        app.processEvents()
    return widget, watch


def wait_loaded(app, window) -> None:
    """A large image loads in a worker (LabelDocument.request_image): wait until it is shown."""
    while getattr(window.document, "is_loading", False):
        app.processEvents()
        time.sleep(0.005)


def size_viewport(app, window) -> None:
    """Resize the window until the canvas viewport is exactly VIEWPORT."""
    window.resize(VIEWPORT[0] + 700, VIEWPORT[1] + 200)
    for _ in range(5):
        app.processEvents()
        size = window.canvas.viewport().size()
        dw, dh = VIEWPORT[0] - size.width(), VIEWPORT[1] - size.height()
        if dw == 0 and dh == 0:
            return
        window.resize(window.width() + dw, window.height() + dh)
    raise SystemExit(f"could not size the viewport to {VIEWPORT}: {window.canvas.viewport().size()}")


def time_dabs(app, window, watch: PaintWatch, repeats: int) -> list[float]:
    """Timed mouse moves of one brush stroke, 9 screen pixels apart, across the viewport centre."""
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    viewport = window.canvas.viewport()
    y = viewport.height() // 2
    x = viewport.width() // 4
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(x, y))
    times, CPU_MS[:] = [], []
    for step in range(repeats):
        x += 9
        point = QPoint(x, y + (step % 3))
        started = time.thread_time()
        times.append(until_painted(app, watch, lambda point=point: QTest.mouseMove(viewport, point)))
        CPU_MS.append((time.thread_time() - started) * 1000.0)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(x, y))
    app.processEvents()
    return times


def time_opacity(app, window, watch: PaintWatch, repeats: int) -> list[float]:
    slider, canvas = window.opacity_slider, window.canvas
    # Everything showing the image must repaint (at fit zoom a square image leaves side bands).
    shown = canvas.mapFromScene(canvas.sceneRect()).boundingRect().intersected(canvas.viewport().rect())
    times = []
    for _ in range(repeats):
        value = 30 if slider.value() != 30 else 70  # always a change, so always a repaint
        times.append(until_painted(app, watch, lambda value=value: slider.setValue(value)))
        if not watch.rect.contains(shown.adjusted(1, 1, -1, -1)):
            raise SystemExit(f"the opacity change repainted {watch.rect}, not all of the image on screen {shown}")
    return times


def time_brushes(app, window, watch: PaintWatch, repeats: int, brushes: list[int]) -> dict[int, list[float]]:
    """One stroke per brush size, each in another class (a stroke over its own class changes nothing)."""
    times = {}
    classes = len(window.document.class_table)
    for index, size in enumerate(brushes):
        window.tools.set_brush_size(size)
        window.document.view.set_active_class(1 + index % (classes - 1))
        times[size] = time_dabs(app, window, watch, repeats)
        times[-size] = list(CPU_MS)  # negative keys: the CPU time of the same steps
        # The stroke's recovery file (a full-size label) is written by the autosave thread: not
        # during the next brush's timing, which would then measure that write too.
        window.autosave.flush(wait=True)
        log(f"brush {size}: median {statistics.median(times[size]):.2f} ms, CPU {statistics.median(CPU_MS):.2f} ms")
    return times


def timing_run(repeats: int, brushes: list[int]) -> dict:
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    from app.startup.gui import create_window

    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        log(f"writing a project with one {SIDE}x{SIDE} image and its label...")
        project = make_project(Path(tmp) / "big", num_classes=21)
        started = time.perf_counter()
        window = create_window(str(project))
        window.show()
        wait_loaded(app, window)
        size_viewport(app, window)
        watch = PaintWatch(window.canvas.viewport())
        until_painted(app, watch, window.canvas.fit_to_window)
        log(f"window open with the image: {time.perf_counter() - started:.2f} s")
        dab_fit = time_brushes(app, window, watch, repeats, brushes)
        opacity_fit = time_opacity(app, window, watch, repeats // 2)
        window.canvas.set_zoom(1.0)
        window.canvas.centerOn(SIDE / 2, SIDE / 2)
        until_painted(app, watch, window.canvas.viewport().update)
        dab = time_brushes(app, window, watch, repeats, brushes)
        opacity_100 = time_opacity(app, window, watch, repeats // 2)
        window.autosave.discard(window.document.unsaved_images())  # no recovery files of the strokes
        window.document.undo_stack.setClean()  # closing must not ask about the benchmark's strokes
        window.close()
    bare, bare_watch = bare_widget(app)
    from PySide6.QtCore import QRect

    dab_rect = QRect(0, 0, brushes[0] * 2, brushes[0] * 2)
    bare_dab = [until_painted(app, bare_watch, lambda i=i: bare.update(dab_rect.translated(40 * (i % 20), 300)))
                for i in range(repeats)]
    bare_full = [until_painted(app, bare_watch, bare.update) for _ in range(repeats // 2)]
    med = statistics.median
    per_brush = {str(size): {"dab_ms_median": round(med(dab[size]), 2),
                             "dab_fit_ms_median": round(med(dab_fit[size]), 2),
                             "dab_cpu_ms_median": round(med(dab[-size]), 2),
                             "dab_fit_cpu_ms_median": round(med(dab_fit[-size]), 2)} for size in brushes}
    first = {name: value for name, value in per_brush[str(brushes[0])].items() if "cpu" not in name}
    return {**first, "brush": per_brush, "goal_ms": DAB_GOAL_MS, "side": SIDE,
            "opacity_ms": round(max(med(opacity_fit), med(opacity_100)), 2),
            "opacity_fit_ms": round(med(opacity_fit), 2), "opacity_100_ms": round(med(opacity_100), 2),
            "bare_dab_ms_median": round(med(bare_dab), 3), "bare_full_ms": round(med(bare_full), 2)}


# -- memory (fresh subprocesses) -------------------------------------------------------------------
def rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmRSS")


def child_memory_app(project: str) -> None:
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    from app.startup.gui import create_window

    window = create_window(project)
    window.show()
    wait_loaded(app, window)
    size_viewport(app, window)
    watch = PaintWatch(window.canvas.viewport())
    until_painted(app, watch, window.canvas.fit_to_window)
    time_dabs(app, window, watch, 10)  # a stroke: the undo step and the pyramid update count too
    window.image_list.cancel_thumbnails()
    app.processEvents()
    print("RSS", rss_mib(), flush=True)
    window.document.undo_stack.setClean()
    os._exit(0)  # skip teardown: only the number matters


def child_memory_bare() -> None:
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    app = QApplication([])
    import numpy as np

    rgb = make_rgb(SIDE)
    label = make_label(SIDE, 21)
    window = QMainWindow()
    window.setCentralWidget(QLabel("bare"))
    window.resize(VIEWPORT[0] + 700, VIEWPORT[1] + 200)
    window.show()
    watch = PaintWatch(window.centralWidget())
    while not watch.painted:
        app.processEvents()
    assert int(np.count_nonzero(label)) > 0 and rgb.nbytes > 0
    print("RSS", rss_mib(), flush=True)
    os._exit(0)


def measure_child(*args: str) -> float:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
    command = [sys.executable, __file__, "--side", str(SIDE), "--child", *args]
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    for line in result.stdout.splitlines():
        if line.startswith("RSS"):
            return float(line.split()[1])
    raise SystemExit(f"memory child {args} failed:\n{result.stderr[-3000:]}")


def memory_run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        bare = measure_child("bare-memory")
        log(f"bare process with image + label arrays: {bare:.0f} MiB")
        for classes in (2, 255):
            project = make_project(Path(tmp) / f"classes{classes}", num_classes=classes)
            results[classes] = measure_child("app-memory", str(project))
            log(f"segstudio, {classes} classes: {results[classes]:.0f} MiB")
    return {"extra_mib": round(results[2] - bare, 1), "extra_mib_255_classes": round(results[255] - bare, 1),
            "bare_rss_mib": round(bare, 1)}


def main() -> None:
    global SIDE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=60)
    parser.add_argument("--side", type=int, default=DEFAULT_SIDE, help="image side in pixels (default %(default)s)")
    parser.add_argument("--brush", default=",".join(map(str, BRUSHES)),
                        help="brush sizes to time, comma-separated (default %(default)s)")
    parser.add_argument("--skip-memory", action="store_true", help="only the timings (the memory children "
                        "write and open two more projects of the same size)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    SIDE = args.side
    if args.child:
        return child_memory_app(args.child[1]) if args.child[0] == "app-memory" else child_memory_bare()
    import compileall

    for package in ("app", "segmodels"):  # as installed: byte-compiled
        compileall.compile_dir(REPO / package, quiet=1)
    brushes = [int(size) for size in args.brush.split(",") if size.strip()]
    figures = timing_run(args.repeats, brushes)
    log(f"dab {figures['dab_ms_median']} ms (fit {figures['dab_fit_ms_median']} ms) vs bare "
        f"{figures['bare_dab_ms_median']} ms; opacity {figures['opacity_ms']} ms vs bare {figures['bare_full_ms']} ms")
    if not args.skip_memory:
        figures.update(memory_run())
    dabs = [value for sizes in figures["brush"].values() for name, value in sizes.items() if "cpu" not in name]
    figures["goals_met"] = figures["opacity_ms"] <= GOALS["opacity_ms"] and all(v <= DAB_GOAL_MS for v in dabs)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
