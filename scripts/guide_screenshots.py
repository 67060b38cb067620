"""Take the user guide's screenshots (docs/guide_*.png) from the real window on a fresh demo project.

    xvfb-run -a -s "-screen 0 1400x900x24" python scripts/guide_screenshots.py [--out docs]

A first run, step by step, through the window's public objects (as a user's clicks would): open the
demo, predict this image, correct it (accept the proposal, paint a stroke), save, predict all and rank
by uncertainty, fine-tune one epoch, export. Settings and the demo copy go to a temporary folder, so
the user's own are never touched. Each grab is scaled to SHOT_WIDTH pixels wide to keep docs/ small.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHOT_WIDTH = 900


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs")
    args = parser.parse_args(argv)
    home = Path(tempfile.mkdtemp(prefix="segstudio-guide-"))
    os.environ.update(SEGSTUDIO_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"))
    sys.path.insert(0, str(REPO))
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from app.startup.gui import create_window, ensure_demo_project

    _answer_messages_in_the_terminal()
    app = QApplication(sys.argv[:1])
    app.setApplicationName("segstudio")
    app.setOrganizationName("segstudio")

    def wait(condition: Callable[[], bool], seconds: float = 60) -> None:
        end = time.monotonic() + seconds
        while not condition() and time.monotonic() < end:
            app.processEvents()
            time.sleep(0.02)
        for _ in range(20):  # let the last paint land
            app.processEvents()

    def save(image, name: str) -> None:
        image = image.scaledToWidth(min(SHOT_WIDTH, image.width()), Qt.TransformationMode.SmoothTransformation)
        path = args.out / f"guide_{name}.png"
        image.save(str(path), "PNG")
        from PIL import Image

        with Image.open(path) as saved:  # 256 colours: a third of the bytes, no visible change for a UI
            small = saved.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT)
        small.save(path, optimize=True)
        print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")

    def shot(widget, name: str) -> None:
        wait(lambda: False, 0.3)
        save(widget.grab().toImage(), name)

    def menu_shot(window, title: str, name: str) -> None:
        """The window with one menu open: a menu is a window of its own, so the screen is grabbed."""
        menu = next(a.menu() for a in window.menuBar().actions() if a.text() == title)
        bar = window.menuBar().actionGeometry(next(a for a in window.menuBar().actions() if a.menu() is menu))
        menu.popup(window.menuBar().mapToGlobal(bar.bottomLeft()))
        wait(lambda: menu.isVisible(), 5)
        wait(lambda: False, 0.3)
        frame = window.frameGeometry()
        image = window.screen().grabWindow(0, frame.x(), frame.y(), frame.width(), frame.height()).toImage()
        menu.hide()
        save(image, name)

    window = create_window(str(ensure_demo_project()))
    window.resize(1280, 800)
    window.show()
    document, model = window.document, window.model_docks.model
    wait(lambda: document.image_path is not None, 10)
    shot(window, "open")
    menu_shot(window, "&View", "menus")

    unreviewed = [p for p in document.project.image_paths() if not document.project.label_path(p).exists()]
    window.image_list.list_widget.setCurrentRow(window.image_list.paths().index(unreviewed[0]))
    wait(lambda: document.image_path == unreviewed[0], 10)
    model.predict_button.click()
    wait(lambda: document.prediction is not None and not model.is_busy(), 120)
    shot(window, "predict")

    window.actions_by_name["accept_prediction"].trigger()
    height, width = document.label_map.shape
    stroke = document.begin_stroke("Brush")
    import numpy as np

    stroke.paint(height // 3, width // 3, np.ones((height // 8, width // 8), dtype=bool), 1)
    stroke.finish()
    window.actions_by_name["save"].trigger()
    shot(window, "correct_save")

    model.predict_all_button.click()
    wait(lambda: not model.is_busy(), 300)
    model.rank_button.click()
    wait(lambda: not model.is_busy() and "Rank" in model.status_label.text(), 60)
    window.image_list.next_unreviewed()  # N: the most uncertain image, at the top of the list
    wait(lambda: document.prediction is not None, 10)
    shot(window, "rank")

    training = window.model_docks.training
    training.show()
    training.raise_()
    training.set_fine_tune(model.selected_checkpoint())
    training.epochs_spin.setValue(1)
    training.start_button.click()
    wait(lambda: not training.is_running(), 300)
    shot(window, "fine_tune")

    from app.window.label_wiring import open_export_dialog

    dialog = open_export_dialog(window)
    wait(lambda: dialog.isVisible(), 5)
    shot(dialog, "export")
    dialog.reject()
    window.close()
    return 0


def _answer_messages_in_the_terminal() -> None:
    """Nobody is at this screen: a message is printed (and a question answered Yes) instead of a box
    that would wait for a click forever."""
    from app import messages

    class Printed:
        def __getattr__(self, kind: str):
            def say(parent, title, text="", *rest, **options):
                print(f"{kind}: {text or title}")
                return messages.Answer.YES if kind == "ask" else None
            return say

    messages.backend = Printed()


if __name__ == "__main__":
    sys.exit(main())
