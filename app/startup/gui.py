"""`run_gui(argv)`: start the window on PATH, or on the user's copy of the demo project.

    segstudio [PATH] [--debug]

PATH may be an image, a folder, a project or a VOC root. Without PATH the last project is reopened at
its last image (app/window/session.py) when it still exists; else (the first run) the bundled demo project
is used: written on first launch into the user's data folder (platformdirs; `SEGSTUDIO_HOME` overrides
it, as the tests do) so the user can edit it. The demo keeps reviewed labels for its first half and
leaves the rest unlabelled, so there is something to predict; the bundled demo model is copied into
its models/ when present. torch is never imported here: the window starts fast.
The start-up tricks `launch()` applies, each with what it buys, are in `app.startup.tricks`.
"""
from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from app.startup import tricks
from segmodels.errors import SegError, describe
from segmodels.resources import resource_path

log = logging.getLogger(__name__)

DEMO_IMAGE_COUNT = 48
DEMO_REVIEWED_COUNT = 24
#: Odd seeds draw handwriting the bundled model (trained on seed 0) has never seen, so its proposals
#: on the demo are honest, mistakes included: there is something real to correct.
DEMO_SEED = 1
DEMO_MODEL_FILES = ("demo_m2nist.pt", "demo_m2nist.json")


def user_home() -> Path:
    """Where segstudio keeps per-user data (the demo copy)."""
    override = os.environ.get("SEGSTUDIO_HOME")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("segstudio", appauthor=False))


def ensure_demo_project(home: Path | None = None) -> Path:
    """The user's demo project, written on first use; returns its folder.

    A `demo` folder that is not a complete demo (no segstudio.json: the user's own files, or a copy
    whose project file went missing) is never deleted, labels and models may be in it: the demo is
    then the first complete `demo-N` beside it, or a fresh one written as the next free `demo-N`.
    """
    home = home or user_home()
    for number in range(1, 1000):
        root = home / ("demo" if number == 1 else f"demo-{number}")
        if (root / "segstudio.json").is_file():
            return root
        if not root.exists():
            return _write_demo(home, root)
    raise SegError(f"{describe(home)} holds no usable demo folder among demo, demo-2 ... demo-999.")


#: Demo copies are written here first (one per process) and renamed into place only when complete.
PARTIAL_PREFIX = ".demo-partial-"


def _write_demo(home: Path, root: Path) -> Path:
    from segmodels.demo import write_demo_project

    home.mkdir(parents=True, exist_ok=True)
    _remove_partials_of_dead_processes(home)
    partial = home / f"{PARTIAL_PREFIX}{os.getpid()}"
    if partial.exists():
        shutil.rmtree(partial)  # this process's own earlier attempt
    try:
        project = write_demo_project(partial, seed=DEMO_SEED, count=DEMO_IMAGE_COUNT)
        for image in project.image_paths()[DEMO_REVIEWED_COUNT:]:
            project.label_path(image).unlink(missing_ok=True)  # unlabelled images to predict
        models = partial / "models"
        for name in DEMO_MODEL_FILES:
            source = resource_path("models", name)
            if source.is_file():
                models.mkdir(exist_ok=True)
                shutil.copy2(source, models / name)
        partial.rename(root)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)  # written by this call alone
        raise
    return root


def _remove_partials_of_dead_processes(home: Path) -> None:
    """An interrupted first launch leaves its `.demo-partial-<pid>`: segstudio's own, removed once
    that process is gone."""
    for folder in home.glob(f"{PARTIAL_PREFIX}*"):
        pid = folder.name.removeprefix(PARTIAL_PREFIX)
        if folder.is_dir() and not folder.is_symlink() and pid.isdigit() and not _process_alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="segstudio", description="Make and fix segmentation labels.")
    parser.add_argument("path", nargs="?",
                        help="image, folder, project or VOC root (default: the last project, else the demo project)")
    parser.add_argument("--debug", action="store_true", help="log details to stderr")
    return parser.parse_args(list(argv))


def install_docks(window) -> None:
    """The window's chrome (if it was deferred: toolbar, menus, status bar, image list), then the
    model, training, classes and validation docks, with their menu entries, then what the window
    remembers (dock layout, tool settings, recent projects: app/window/session.py)."""
    from app.window.label_wiring import install_label_docks
    from app.window.model_wiring import install_model_docks
    from app.window.session import install_session

    window.install_chrome()  # the toolbar, menus, status bar and image list come first
    model = install_model_docks(window).model
    classes = install_label_docks(window).classes  # after the model docks: validation is tabbed with them
    from app.window.help_menu import install_help_menu

    install_help_menu(window)  # last in the menu bar: keyboard shortcuts, user guide, about
    restored = install_session(window)
    from app.window.accessible import install_accessible_names

    install_accessible_names(window)  # every control and dock gets a name and a tooltip
    if window.isVisible() and not restored:  # the new docks are laid out on the next turn of the event loop
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, window, lambda: _size_like_before_showing(window, classes, model))


def _size_like_before_showing(window, classes, model) -> None:
    """Docks added to a window already on screen get only what the canvas leaves them. Give them
    what a window built before showing gives them from their size hints (the widest hint on each
    side, the left side split by height hints), so building them late changes nothing visible."""
    from PySide6.QtCore import Qt

    image_list = window.image_list
    left = max(image_list.sizeHint().width(), classes.sizeHint().width())
    window.resizeDocks([image_list, model], [left, model.sizeHint().width()], Qt.Orientation.Horizontal)
    total = image_list.height() + classes.height()
    top_hint, bottom_hint = image_list.sizeHint().height(), classes.sizeHint().height()
    top = total * top_hint // (top_hint + bottom_hint)
    window.resizeDocks([image_list, classes], [top, total - top], Qt.Orientation.Vertical)


def create_window(path: str | None, *, defer_docks: bool = False):
    """Build the main window showing `path` (or the last project, or the demo); errors become a
    message, not a crash.

    With `defer_docks` only the canvas is built before the image is first painted: the toolbar,
    menus, status bar and docks (their imports and widgets) follow one frame later, so the image is on
    screen sooner. Without it (tests) the window is complete when this returns. Either way the docks
    and what the window remembers (the tool among them) come after the project has opened, which
    chooses the brush.
    """
    from app.window.main_window import MainWindow

    window = MainWindow(defer_chrome=defer_docks)
    if defer_docks:
        from app.startup.first_paint import after_first_paint

        after_first_paint(window.canvas.viewport(), lambda: (install_docks(window), tricks.resume_gc()))
    _open_first(window, path)
    if not defer_docks:
        install_docks(window)
    return window


def _open_first(window, path: str | None) -> None:
    """`path`, else the last project at its last image, else (first run, or the last one no longer
    opens) the demo project."""
    from app import messages
    from app.window.session import last_session

    last = None if path else last_session()
    image = last[1] if last is not None else None
    try:
        target = Path(path) if path else last[0] if last is not None else ensure_demo_project()
    except (SegError, OSError) as exc:
        messages.error(window, f"Could not prepare the demo project: {exc}")
        return
    if not target.exists():
        messages.error(window, f"{describe(target)} does not exist.")
        return
    if not window.open_path(target, image) and last is not None:  # the last project no longer opens (said why)
        try:
            window.open_path(ensure_demo_project())
        except (SegError, OSError) as exc:
            messages.error(window, f"Could not prepare the demo project: {exc}")


def launch(path: str | None):
    """Create the application and show the window on `path`: everything `segstudio` does before its
    event loop (benchmarks/startup.py times it through `segstudio PROJECT`). Returns (app, window)."""
    tricks.pause_gc()  # resumed once the docks are built, just after the first frame
    tricks.single_thread_blas()
    tricks.preload_qt_free_modules()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("segstudio")
    app.setOrganizationName("segstudio")
    window = create_window(path, defer_docks=True)
    from app.window.warnings_route import route_warnings

    route_warnings(window)  # Python warnings as one sentence in a box, not on a hidden terminal
    window.show()
    return app, window


def run_gui(argv: Sequence[str]) -> int:
    args = _parse(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING)
    app, _window = launch(args.path)
    return app.exec()
