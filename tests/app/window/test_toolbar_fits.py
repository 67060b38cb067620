"""The real window's toolbar fits the first-run window on a 1366 x 768 laptop screen, with nothing in its
overflow menu, and every shortened caption keeps the full name (and key) in the menus and tooltip."""
from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QToolBar

from app.window.geometry import first_run_size
from app.window.toolbar_texts import SHORT_CAPTIONS
from support.projects import make_project


def test_toolbar_fits_a_laptop_first_run_window(qtbot, tmp_path, messages):
    from app.startup.gui import create_window

    window = create_window(str(make_project(tmp_path / "proj", count=2).root))
    qtbot.addWidget(window)
    bar = window.findChild(QToolBar, "tools_toolbar")
    laptop = first_run_size(QRect(0, 0, 1366, 768))
    assert bar.sizeHint().width() <= laptop.width(), "the toolbar would hide its end behind >>"
    window.resize(laptop)
    window.show()
    qtbot.waitExposed(window)
    hidden = [a.iconText() for a in bar.actions() if bar.widgetForAction(a) is not None
              and not bar.widgetForAction(a).isVisible() and not a.isSeparator()]
    assert hidden == []
    shortened = {a.text().replace("&", ""): a for a in bar.actions() if a.iconText() != a.text().replace("&", "")
                 and a.text()}
    assert set(SHORT_CAPTIONS) <= set(shortened)
    for text, action in shortened.items():
        if text in SHORT_CAPTIONS:
            assert action.iconText() == SHORT_CAPTIONS[text]
            assert action.toolTip().startswith(f"{text} (") and action.shortcut().toString() in action.toolTip()
    window.image_list.cancel_thumbnails()
