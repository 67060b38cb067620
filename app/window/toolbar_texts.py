"""Short button captions for the tools toolbar, so the whole bar fits a first-run window on a
1366-pixel laptop screen (docs/guide.md, "The toolbar's short names"). Only the toolbar caption
(`iconText`) changes: the menus keep each action's full text and the tooltips keep the full name
with its key."""
from __future__ import annotations

from PySide6.QtWidgets import QToolBar

#: Full action text (without its & marker) -> the caption on the toolbar button.
SHORT_CAPTIONS = {"Flood fill": "Fill", "Accept region": "Accept", "Segment Anything": "SAM",
                  "Accept prediction": "Accept all", "Fit to window": "Fit"}


def shorten_captions(bar: QToolBar) -> None:
    for action in bar.actions():
        short = SHORT_CAPTIONS.get(action.text().replace("&", ""))
        if short is not None:
            action.setIconText(short)
