"""The start-up tricks (app/startup/tricks.py) do what they claim and nothing more: the BLAS setting
is limited to numpy's load (which pulls in neither Qt nor torch), and the paused garbage collector
runs again, with the start-up objects frozen."""
from __future__ import annotations

import gc
import os
import subprocess
import sys

from app.startup import tricks
from support import REPO


def _run(code: str, **env_extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), **env_extra}
    if "OPENBLAS_NUM_THREADS" not in env_extra:
        env.pop("OPENBLAS_NUM_THREADS", None)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)


def test_single_thread_blas_loads_numpy_alone_and_restores_the_environment():
    """The setting is for numpy's load only, and that load pulls in neither Qt nor torch."""
    out = _run("import sys, os\nfrom app.startup import tricks\ntricks.single_thread_blas()\n"
               "assert 'numpy' in sys.modules\n"
               "assert 'OPENBLAS_NUM_THREADS' not in os.environ  # set for numpy's load only\n"
               "print(sorted(name for name in sys.modules if name.startswith(('PySide6', 'torch'))))")
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


def test_a_users_blas_setting_wins_and_stays():
    out = _run("import os\nfrom app.startup import tricks\ntricks.single_thread_blas()\n"
               "print(os.environ['OPENBLAS_NUM_THREADS'])", OPENBLAS_NUM_THREADS="3")
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "3"


def test_pause_then_resume_gc_freezes_start_up_objects(monkeypatch):
    assert gc.isenabled()
    frozen_before = gc.get_freeze_count()
    try:
        tricks.pause_gc()
        assert not gc.isenabled()
        tricks.resume_gc()
        assert gc.isenabled() and gc.get_freeze_count() > frozen_before
        tricks.resume_gc()  # a second call changes nothing
        assert gc.isenabled()
    finally:
        gc.unfreeze()
        gc.enable()


def test_resume_without_pause_leaves_a_disabled_collector_alone():
    """A program (or test) that disabled gc itself keeps it disabled: resume_gc undoes only its own pause."""
    gc.disable()
    try:
        tricks.pause_gc()
        tricks.resume_gc()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_every_named_trick_is_a_function_here():
    """benchmarks/startup.py --without NAME replaces these by no-ops to measure them."""
    assert all(callable(getattr(tricks, name)) for name in tricks.TRICKS)


def test_preloaded_modules_are_qt_free_and_the_first_frame_uses_each(tmp_path):
    """The list is imported before PySide6, so it must not pull Qt in; and a module the first frame
    no longer uses would only cost time, so each must be loaded by the first paint without it."""
    from support.projects import make_project

    out = _run("import sys\nfrom app.startup import tricks\ntricks.preload_qt_free_modules()\n"
               "print(sorted(name for name in sys.modules if name.startswith(('PySide6', 'torch'))))")
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"
    project = make_project(tmp_path / "p", count=2)
    code = ("import sys\nfrom app.startup import tricks\n"
            "tricks.preload_qt_free_modules = lambda: None  # what the first frame imports by itself\n"
            "from app.startup.gui import launch\n"
            f"app, w = launch({str(project.root)!r})\n"
            "from PySide6.QtCore import QEvent, QObject\n"
            "class Probe(QObject):\n"
            "    def eventFilter(self, watched, event):\n"
            "        if event.type() == QEvent.Type.Paint:\n"
            "            print([n for n in tricks.QT_FREE_MODULES if n not in sys.modules], flush=True)\n"
            "            app.quit()\n"
            "        return False\n"
            "probe = Probe()\nw.canvas.viewport().installEventFilter(probe)\napp.exec()\n")
    # Without SEGSTUDIO_HOME, as for a user: the recovery folder's fallback asks platformdirs (which
    # the suite's XDG_* variables point into a temporary folder).
    env = {key: value for key, value in os.environ.items() if key != "SEGSTUDIO_HOME"}
    env.update(PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[0] == "[]"
