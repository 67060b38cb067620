"""Drive the real segstudio window from outside, for tests that need a separate process.

    python tests/support/window_driver.py [PATH] [--stroke Y,X,H,W,CLASS] [--report FILE]
                                               [--image NAME] [--geometry X,Y,W,H]
                                               [--screenshot FILE [--delay-ms MS]]

It runs `segstudio PATH` in this process (no PATH: the demo project, as `segstudio` opens it):
`app.startup.launcher.main`, which starts the window with `app.startup.gui.launch` and runs the event
loop. Once `launch` has returned the window, the driver works through the window's public objects only,
before the event loop starts:

- `--report FILE`: once the project is open (recovered edits restored), writes FILE.npy (the open
  image's label map) and then FILE (JSON: project, image, dirty, unsaved images, status-bar notice,
  undo text, the window's geometry as x, y, width, height).
  FILE appears last and atomically, so a reader that sees it can read both.
- `--stroke Y,X,H,W,CLASS`: paints that rectangle through the document as one stroke, on the first
  turn of the event loop (autosave then writes its recovery file as after any stroke).
- `--image NAME`: opens that image of the project, as a click in the image list would.
- `--geometry X,Y,W,H`: moves and sizes the window, as the user would with the mouse.
- `--screenshot FILE`: saves a grab of the window after `--delay-ms` (first paint and thumbnails),
  then closes the window as File > Quit does (so what it remembers is saved) and quits. Under Xvfb
  this makes the README's screenshot of the demo project (an empty settings folder: a first run, which
  opens the demo rather than the last project):
  `XDG_CONFIG_HOME=$(mktemp -d) xvfb-run -s "-screen 0 1400x900x24" python tests/support/window_driver.py
  --screenshot docs/screenshot.png`

Without --screenshot the program runs until it is closed or killed (the kill -9 recovery tests).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DELAY_MS = 800  # time for the first paint and the first thumbnails


def write_report(window, report: Path) -> None:
    """The document's state as the user would see it, for a test in another process."""
    import numpy as np

    document = window.document
    if document.label_map is not None:
        np.save(str(report) + ".npy", document.label_map)
    rect = window.geometry()
    state = {"project": str(document.project.root) if document.project else None,
             "image": document.image_path.name if document.image_path else None,
             "geometry": [rect.x(), rect.y(), rect.width(), rect.height()],
             "dirty": document.is_dirty, "unsaved": [p.name for p in document.unsaved_images()],
             "notice": getattr(window, "notice_bar", None) and window.notice_bar.text()
             or window.statusBar().currentMessage(),  # the lasting notice (crash recovery), else the passing one
             "undo_text": document.undo_stack.undoText() if document.undo_stack else ""}
    partial = report.with_name(report.name + ".partial")
    partial.write_text(json.dumps(state))
    os.replace(partial, report)


def paint_rectangle(document, y: int, x: int, h: int, w: int, value: int) -> None:
    """One brush stroke filling the rectangle, through the document as a tool would paint it."""
    import numpy as np

    stroke = document.begin_stroke("Brush")
    if stroke is None:
        raise SystemExit("no image is open to paint on")
    stroke.paint(y, x, np.ones((h, w), dtype=bool), value)
    stroke.finish()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", help="image, folder or project (default: the demo project)")
    parser.add_argument("--stroke", help="Y,X,H,W,CLASS: paint this rectangle as one stroke")
    parser.add_argument("--report", type=Path, help="write the document's state here once open")
    parser.add_argument("--image", help="open this image of the project (file name)")
    parser.add_argument("--geometry", help="X,Y,W,H: move and size the window")
    parser.add_argument("--screenshot", type=Path, help="save a grab of the window here, then quit")
    parser.add_argument("--delay-ms", type=int, default=DEFAULT_DELAY_MS)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from app.startup import gui
    from app.startup.launcher import main as segstudio

    real_launch = gui.launch

    def launch_and_drive(path: str | None):
        app, window = real_launch(path)
        drive(app, window, args)
        return app, window

    gui.launch = launch_and_drive
    return segstudio([args.path] if args.path else [])


def drive(app, window, args: argparse.Namespace) -> None:
    """Report, paint and grab as `args` asks, through the window's public objects."""
    from PySide6.QtCore import QTimer  # here, not at the top: launch() chooses what loads before PySide6

    if args.image:
        document = window.document
        [path] = [p for p in document.project.image_paths() if p.name == args.image]
        document.request_image(path)
    if args.geometry:
        x, y, w, h = (int(v) for v in args.geometry.split(","))
        window.setGeometry(x, y, w, h)
    if args.report:
        write_report(window, args.report)
    if args.stroke:
        y, x, h, w, value = (int(v) for v in args.stroke.split(","))
        QTimer.singleShot(0, window, lambda: paint_rectangle(window.document, y, x, h, w, value))
    if args.screenshot:
        def grab_and_quit() -> None:
            if not window.grab().save(str(args.screenshot)):
                print(f"could not save {args.screenshot}", file=sys.stderr)
                app.exit(1)
                return
            if not window.document.unsaved_images():  # else closing would ask, and nobody answers here
                window.close()  # File > Quit: the window saves what it remembers
            app.quit()

        QTimer.singleShot(args.delay_ms, window, grab_and_quit)


if __name__ == "__main__":
    sys.exit(main())
