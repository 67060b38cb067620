"""The classes dock: a table of id, name, colour swatch and a "visible" checkbox, bound both ways.

Document -> widget: the table is rebuilt from `document.class_table` on `classes_changed`, the
checkboxes follow `view.hidden_classes_changed`, and the selected row follows `view.active_class_changed`.
Widget -> document: editing a name cell renames the class, the colour button (or a double-click on
the swatch) recolours it, "Add class" appends one, and every such change goes through
`document.set_classes` (which writes segstudio.json). A checkbox calls `view.set_class_visible` and
selecting a row calls `view.set_active_class`: view settings that change only the label layer's colour
table, never the label map.

The colour dialog is one injectable callable (`pick_color(initial, parent) -> QColor | None`), so
tests recolour a class without a dialog on screen.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QColorDialog,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import messages
from app.docks.class_actions import ClassActions
from app.document.label_document import LabelDocument
from segmodels.constants import MAX_CLASSES
from segmodels.labels.classes import ClassTable

ColorPicker = Callable[[QColor, QWidget | None], QColor | None]

ID_COLUMN, NAME_COLUMN, COLOR_COLUMN, VISIBLE_COLUMN = range(4)
HEADERS = ("Id", "Name", "Colour", "Visible")
SWATCH_SIZE = 16


def dialog_pick_color(initial: QColor, parent: QWidget | None) -> QColor | None:
    """The real colour dialog; None when the user cancels."""
    color = QColorDialog.getColor(initial, parent, "Class colour")
    return color if color.isValid() else None


def _swatch(rgb: tuple[int, int, int]) -> QIcon:
    pixmap = QPixmap(SWATCH_SIZE, SWATCH_SIZE)
    pixmap.fill(QColor(*rgb))
    icon = QIcon(pixmap)
    icon.addPixmap(pixmap, QIcon.Mode.Selected)  # the selected row must show the true colour, not a tint
    return icon


def _read_only(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    return item


class ClassesDock(QDockWidget):
    def __init__(self, document: LabelDocument, parent: QWidget | None = None,
                 pick_color: ColorPicker = dialog_pick_color) -> None:
        super().__init__("Classes", parent)
        self.setObjectName("classes_dock")
        self.document = document
        self.pick_color = pick_color
        self._filling = False  # True while the table is written from the document (no echo back)
        self.table = self._make_table()
        self.add_button = QPushButton("Add class")
        self.color_button = QPushButton("Colour…")
        self.add_button.setToolTip("Append a class; type its name in the new row")
        self.color_button.setToolTip("Change the selected class's colour (or double-click its swatch)")
        # (clicked passes `checked` = False, which add_class would take as the name and open no editor,
        # leaving the keys typed for the new name to the tool shortcuts)
        self.add_button.clicked.connect(lambda: self.add_class())
        self.color_button.clicked.connect(lambda: self.recolor_class(self.document.view.active_class))
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.color_button)
        buttons.addStretch(1)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self.setWidget(body)
        self.class_actions = ClassActions(self)  # delete, move, load: edits that rewrite label files
        document.classes_changed.connect(self.refresh)
        document.view.hidden_classes_changed.connect(self._show_visibility)
        document.view.active_class_changed.connect(self._show_active_class)
        self.refresh()

    def _make_table(self) -> QTableWidget:
        table = QTableWidget(0, len(HEADERS), self)
        table.setHorizontalHeaderLabels(HEADERS)
        table.verticalHeader().setVisible(False)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                              | QAbstractItemView.EditTrigger.EditKeyPressed)
        header = table.horizontalHeader()
        header.setSectionResizeMode(NAME_COLUMN, QHeaderView.ResizeMode.Stretch)
        for column in (ID_COLUMN, COLOR_COLUMN, VISIBLE_COLUMN):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        table.itemChanged.connect(self._on_item_changed)
        table.currentCellChanged.connect(self._on_current_cell_changed)
        table.cellDoubleClicked.connect(self._on_cell_double_clicked)
        return table

    # -- document -> widget --------------------------------------------------------------------------
    def refresh(self) -> None:
        """Show the document's class table. Rows are updated in place (an edited cell may still be
        inside its own itemChanged handler, so its item must not be deleted under it)."""
        class_table = self.document.class_table
        self._filling = True
        self.table.setRowCount(0 if class_table is None else len(class_table))
        hidden = self.document.view.hidden_classes
        for info in class_table or ():
            self._fill_row(info.id, info.name, info.color, info.id not in hidden)
        self._filling = False
        self.add_button.setEnabled(class_table is not None and len(class_table) < MAX_CLASSES)
        self.color_button.setEnabled(class_table is not None)
        self._show_active_class(self.document.view.active_class)

    def _fill_row(self, row: int, name: str, color: tuple[int, int, int], visible: bool) -> None:
        if self.table.item(row, ID_COLUMN) is None:
            self.table.setItem(row, ID_COLUMN, _read_only(str(row)))
            self.table.setItem(row, NAME_COLUMN, QTableWidgetItem())
            self.table.setItem(row, COLOR_COLUMN, _read_only(""))
            check = QTableWidgetItem()
            check.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsSelectable)
            self.table.setItem(row, VISIBLE_COLUMN, check)
        self.table.item(row, NAME_COLUMN).setText(name)
        swatch = self.table.item(row, COLOR_COLUMN)
        swatch.setIcon(_swatch(color))
        swatch.setData(Qt.ItemDataRole.UserRole, list(color))
        swatch.setToolTip(f"RGB {color[0]}, {color[1]}, {color[2]}; double-click to change")
        state = Qt.CheckState.Checked if visible else Qt.CheckState.Unchecked
        self.table.item(row, VISIBLE_COLUMN).setCheckState(state)

    def _show_visibility(self) -> None:
        hidden = self.document.view.hidden_classes
        self._filling = True
        for row in range(self.table.rowCount()):
            state = Qt.CheckState.Unchecked if row in hidden else Qt.CheckState.Checked
            self.table.item(row, VISIBLE_COLUMN).setCheckState(state)
        self._filling = False

    def _show_active_class(self, class_id: int) -> None:
        if not 0 <= class_id < self.table.rowCount() or self.table.currentRow() == class_id:
            return
        self._filling = True
        self.table.setCurrentCell(class_id, NAME_COLUMN)
        self._filling = False

    # -- widget -> document --------------------------------------------------------------------------
    def _on_current_cell_changed(self, row: int, column: int, previous_row: int, previous_column: int) -> None:
        if not self._filling and row >= 0:
            self.document.view.set_active_class(row)

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling:
            return
        if item.column() == VISIBLE_COLUMN:
            self.document.view.set_class_visible(item.row(), item.checkState() == Qt.CheckState.Checked)
        elif item.column() == NAME_COLUMN:
            self.rename_class(item.row(), item.text())

    def _on_cell_double_clicked(self, row: int, column: int) -> None:
        if column == COLOR_COLUMN:
            self.recolor_class(row)

    def _apply(self, class_table: ClassTable) -> bool:
        """Hand a new table to the document; on failure show the document's table again."""
        applied = self.document.set_classes(class_table)
        if not applied:
            self.refresh()
        return applied

    def rename_class(self, class_id: int, name: str) -> bool:
        class_table = self.document.class_table
        if class_table is None or not 0 <= class_id < len(class_table):
            return False
        name = name.strip()
        if name == class_table[class_id].name:
            return False
        problem = None
        if not name:
            problem = "A class needs a name."
        elif name in class_table.names:
            problem = f"There is already a class named '{name}'; pick another name."
        if problem is not None:
            messages.warning(self, problem)
            self.refresh()
            return False
        return self._apply(class_table.renamed(class_id, name))

    def recolor_class(self, class_id: int) -> bool:
        class_table = self.document.class_table
        if class_table is None or not 0 <= class_id < len(class_table):
            return False
        color = self.pick_color(QColor(*class_table[class_id].color), self)
        if color is None:
            return False
        rgb = (color.red(), color.green(), color.blue())
        if rgb == class_table[class_id].color:
            return False
        return self._apply(class_table.recolored(class_id, rgb))

    def add_class(self, name: str | None = None) -> bool:
        """Append a class (default name "class N") and start editing its name when none was given."""
        class_table = self.document.class_table
        if class_table is None or len(class_table) >= MAX_CLASSES:
            return False
        new_id = len(class_table)
        chosen = name or f"class {new_id}"
        while chosen in class_table.names:
            chosen += "'"
        if not self._apply(class_table.with_class(chosen)):
            return False
        self.document.view.set_active_class(new_id)
        if name is None and self.table.isVisible():
            self.table.editItem(self.table.item(new_id, NAME_COLUMN))
        return True
