"""Start-up tricks: the few things segstudio does only to put the window on screen sooner.

Each trick states what it buys, measured with `benchmarks/startup.py --without NAME` on the 2-core
development machine (the window on a 50-image project, offscreen, 31 rounds interleaving the window
with and without the trick; the machine was busy, so paired medians of wall time and of the CPU time
used until the first paint are both quoted). A trick that stops paying is removed; ordinary code never
has to know about them. `launch()` calls them through this module (`tricks.pause_gc()`), and the
canvas calls `tricks.own_viewport(self)`, so the benchmark can switch any one off.

Removed after measuring (2026-11, PySide6 6.11):
- keeping PySide's `Qt` namespace out of the first frame (the old `app/qt_enums.py`): ordinary code
  names `Qt` now. Building the namespace costs the first paint 29-46 ms (paired medians of 21 and 41
  rounds against the old code); `preload_qt_free_modules` wins most of it back.
"""
from __future__ import annotations

import gc
import importlib
import os

#: Names `benchmarks/startup.py --without` accepts: each a function here that it replaces by a no-op.
TRICKS = ("pause_gc", "single_thread_blas", "preload_qt_free_modules", "own_viewport")


def single_thread_blas() -> None:
    """Load numpy with OpenBLAS limited to one thread: saves 76-89 ms to the first paint (paired wall
    medians of two 25-31-round runs; 24-61 ms of CPU time).

    numpy's OpenBLAS starts a thread per core when it loads, and on a 2-core machine they compete with
    the start-up for the second core; the window does no BLAS work. OpenBLAS reads the setting once, as
    numpy loads, so it is set for that import only: a BLAS that torch brings later still sees the
    user's environment. A user's own setting wins.
    """
    user_setting = os.environ.get("OPENBLAS_NUM_THREADS")
    os.environ["OPENBLAS_NUM_THREADS"] = user_setting or "1"
    try:
        importlib.import_module("numpy")
    finally:
        if user_setting is None:
            del os.environ["OPENBLAS_NUM_THREADS"]


#: The Qt-free modules the first frame needs (image and label I/O, the project, the recovery folder's
#: platformdirs), imported before PySide6 by `preload_qt_free_modules`. A module missing here is only
#: imported later, more slowly; tests/app/startup/test_tricks.py keeps the list Qt-free and checks
#: that the first frame uses each.
QT_FREE_MODULES = (
    "PIL.Image", "PIL.PngImagePlugin", "platformdirs", "hashlib", "json", "dataclasses",
    "segmodels.labels.classes", "segmodels.labels.colortable", "segmodels.labels.edits",
    "segmodels.labels.imageio", "segmodels.labels.labelio", "segmodels.labels.project",
    "segmodels.labels.pyramid", "segmodels.cancel",
)


def preload_qt_free_modules() -> None:
    """Import the Qt-free modules of the first frame before PySide6: saves up to ~25 ms to the first
    paint. Measured: 16 and 32 ms (paired medians of two 15-round `benchmarks/startup.py` runs; 15
    and 34 ms of CPU time), but -8 ms in a third, noisy run; over 12 interleaved launches, 0.7 ms on
    the median and 25 ms on the fastest launch. This machine's noise is of the same size.

    Once PySide6.QtCore is loaded, its `__feature__` import hook reads the source of every module
    imported afterwards (`inspect.getsource`, to see whether the module names PySide6): ~0.2 ms a
    module, 19 ms over the ~100 modules the first frame imports after PySide6 (measured by wrapping
    the hook). About 60 of them are Qt-free (Pillow and its PNG plugin, json, dataclasses,
    platformdirs, segmodels.labels); imported first, they skip it.
    """
    for name in QT_FREE_MODULES:
        importlib.import_module(name)


def own_viewport(view) -> None:
    """Give a scroll area (the canvas) a viewport widget made in Python: saves ~10-20 ms to the first
    paint (12 interleaved launches: 10 ms on the median, 20 ms on the fastest; building the window
    alone, five runs: 1.5-2.3 ms with it against 20.8-31.8 ms without).

    The viewport a QAbstractScrollArea makes itself is a C++ object of no exported type; the first
    time Python touches it, PySide searches every QWidget subclass for the best wrapper type and so
    builds each one's Python type and enums. A viewport made here already has its wrapper. The
    canvas calls this from its constructor; the view works the same either way.
    """
    from PySide6.QtWidgets import QWidget

    view.setViewport(QWidget())


_gc_paused = False


def pause_gc() -> None:
    """Pause the cyclic garbage collector until the window is complete (`resume_gc`): saves 16-49 ms
    to the first paint (paired wall medians; 5-12 ms of CPU time).

    Start-up makes tens of thousands of long-lived objects (modules, classes, widgets) and next to no
    garbage, yet with the collector on it ran 75 collections over them before the first frame, 13-59 ms
    in all (median 21 ms, timed with `gc.callbacks`).
    """
    global _gc_paused
    if gc.isenabled():
        gc.disable()
        _gc_paused = True


def resume_gc() -> None:
    """Undo `pause_gc`, moving the start-up objects out of later collections (`gc.freeze`): they live
    as long as the window, so collections while painting get shorter."""
    global _gc_paused
    if _gc_paused:
        _gc_paused = False
        gc.freeze()
        gc.enable()
