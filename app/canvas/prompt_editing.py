"""What the prompt tools (GrabCut, app/canvas/prompt_tool.py; Segment Anything, app/canvas/sam_tool.py)
share: Enter or a double click keeps the previewed mask, Esc drops it, Backspace takes back the last
prompt, and the kept mask is painted with the active class as one undo step. The tools differ in how a
mask is computed (a worker per request, or an engine with an embedding cache), not in this."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from app.document.proposal import edit_shown


class PromptEditing:
    """Mixed into a prompt tool, which has `document`, `_clicks` ([(point, positive)]), `is_open`,
    `commit()`, `cancel()`, `_ask()` and `_take_back()` (True when there was a prompt to take back)."""

    document: Any
    _clicks: list

    def double_click(self, y: int, x: int) -> None:
        """Commit. The double click's first press added a click there: it was not meant as one."""
        if self._clicks and self._clicks[-1][0] == (y, x):
            self._clicks.pop()
            self._ask()
        self.commit()

    def key(self, key: int) -> bool:
        """Enter/Return commits, Esc cancels, Backspace takes back the last prompt; True when used."""
        if not self.is_open:
            return False
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.commit()
        elif key == Qt.Key.Key_Escape:
            self.cancel()
        elif key == Qt.Key.Key_Backspace and self._take_back():
            self._ask()
        else:
            return False
        return True

    def _paint(self, preview: tuple | None, name: str) -> bool:
        """The kept mask (y0, x0, mask) in the active class, one undo step; False when nothing was painted."""
        if preview is None or self.document.label_map is None or self.document.is_loading:
            return False
        y0, x0, mask = preview
        with edit_shown(self.document, name) as stroke:
            return stroke.paint(y0, x0, mask, self.document.view.active_class) is not None
