"""The classes dock, both directions for every control: the document's class table, visibility and
active class show in the table; editing the table changes the document (and segstudio.json)."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from app.canvas.tools import ToolController
from app.canvas.view import Canvas
from app.docks.classes import COLOR_COLUMN, ID_COLUMN, NAME_COLUMN, VISIBLE_COLUMN, ClassesDock
from app.document.label_document import LabelDocument
from segmodels.labels.project import Project
from support.projects import make_project


class ScriptedPicker:
    """Stands in for QColorDialog: returns the scripted colour and records what it was shown."""

    def __init__(self, color: QColor | None) -> None:
        self.color = color
        self.initial: list[tuple[int, int, int]] = []

    def __call__(self, initial: QColor, parent) -> QColor | None:
        self.initial.append((initial.red(), initial.green(), initial.blue()))
        return self.color


@pytest.fixture
def setup(qtbot, tmp_path, messages):
    project = make_project(tmp_path / "proj", count=2, labelled=1)
    document = LabelDocument()
    canvas = Canvas(document, ToolController(document))
    dock = ClassesDock(document, pick_color=ScriptedPicker(QColor(10, 20, 30)))
    qtbot.addWidget(canvas)
    qtbot.addWidget(dock)
    assert document.open_project(project)
    return project, document, canvas, dock


def names_in(dock: ClassesDock) -> list[str]:
    return [dock.table.item(row, NAME_COLUMN).text() for row in range(dock.table.rowCount())]


def swatch_rgb(dock: ClassesDock, row: int) -> tuple[int, int, int]:
    return tuple(dock.table.item(row, COLOR_COLUMN).data(Qt.ItemDataRole.UserRole))


def checked(dock: ClassesDock, row: int) -> bool:
    return dock.table.item(row, VISIBLE_COLUMN).checkState() == Qt.CheckState.Checked


def saved_classes(project: Project) -> list[dict]:
    return json.loads(project.config_path.read_text())["classes"]


def test_table_shows_the_class_table(setup):
    project, document, canvas, dock = setup
    assert names_in(dock) == ["background", "cat", "dog"]
    assert [dock.table.item(r, ID_COLUMN).text() for r in range(3)] == ["0", "1", "2"]
    assert [swatch_rgb(dock, r) for r in range(3)] == [c.color for c in document.class_table]
    assert all(checked(dock, r) for r in range(3))


def test_document_class_edits_show_in_table(setup):
    project, document, canvas, dock = setup
    document.set_classes(document.class_table.renamed(2, "bird").recolored(1, (1, 2, 3)).with_class("tree"))
    assert names_in(dock) == ["background", "cat", "bird", "tree"]
    assert swatch_rgb(dock, 1) == (1, 2, 3)


def test_rename_by_editing_the_cell_saves_json(setup):
    project, document, canvas, dock = setup
    dock.table.item(1, NAME_COLUMN).setText("kitten")
    assert document.class_table.names == ["background", "kitten", "dog"]
    assert [c["name"] for c in saved_classes(project)] == ["background", "kitten", "dog"]


@pytest.mark.parametrize("bad_name", ["", "  ", "dog"])
def test_rename_to_empty_or_duplicate_is_refused(setup, messages, bad_name):
    project, document, canvas, dock = setup
    dock.table.item(1, NAME_COLUMN).setText(bad_name)
    assert document.class_table.names == ["background", "cat", "dog"]
    assert names_in(dock) == ["background", "cat", "dog"]  # the cell shows the real name again
    assert messages.texts("warning")


def test_recolor_through_the_injected_picker(setup):
    project, document, canvas, dock = setup
    before = canvas.label_layer.color_table
    original = document.class_table[2].color
    dock.table.cellDoubleClicked.emit(2, COLOR_COLUMN)
    assert dock.pick_color.initial == [original]  # the dialog opens on the current colour
    assert document.class_table[2].color == (10, 20, 30)
    assert saved_classes(project)[2]["color"] == [10, 20, 30]
    assert swatch_rgb(dock, 2) == (10, 20, 30)
    after = canvas.label_layer.color_table
    assert after[2] & 0xFFFFFF == (10 << 16) | (20 << 8) | 30 and after[2] != before[2]


def test_cancelled_colour_dialog_changes_nothing(setup):
    project, document, canvas, dock = setup
    dock.pick_color = ScriptedPicker(None)
    original = document.class_table
    dock.table.setCurrentCell(1, NAME_COLUMN)
    dock.color_button.click()
    assert dock.pick_color.initial == [original[1].color]
    assert document.class_table == original


def test_add_class(setup):
    project, document, canvas, dock = setup
    dock.add_button.click()
    assert document.class_table.names == ["background", "cat", "dog", "class 3"]
    assert names_in(dock)[-1] == "class 3"
    assert document.view.active_class == 3 and dock.table.currentRow() == 3
    assert len(saved_classes(project)) == 4


def test_visibility_checkbox_changes_only_the_colour_table(setup):
    project, document, canvas, dock = setup
    label_before = document.label_map.tobytes()
    table_before = canvas.label_layer.color_table
    assert (table_before[1] >> 24) > 0
    dock.table.item(1, VISIBLE_COLUMN).setCheckState(Qt.CheckState.Unchecked)
    assert document.view.hidden_classes == {1}
    table_after = canvas.label_layer.color_table
    assert table_after[1] >> 24 == 0  # class 1 is transparent now
    assert [i for i in range(256) if table_after[i] != table_before[i]] == [1]
    assert document.label_map.tobytes() == label_before  # the pixels are untouched
    assert canvas.label_layer.array is document.label_map
    dock.table.item(1, VISIBLE_COLUMN).setCheckState(Qt.CheckState.Checked)
    assert document.view.hidden_classes == frozenset()
    assert canvas.label_layer.color_table == table_before


def test_document_visibility_shows_in_checkbox(setup):
    project, document, canvas, dock = setup
    document.view.set_class_visible(2, False)
    assert not checked(dock, 2) and checked(dock, 1)
    document.view.set_hidden_classes(set())
    assert checked(dock, 2)


def test_selected_row_and_active_class_both_ways(setup):
    project, document, canvas, dock = setup
    document.view.set_active_class(2)
    assert dock.table.currentRow() == 2
    dock.table.setCurrentCell(0, NAME_COLUMN)
    assert document.view.active_class == 0
    document.view.set_active_class(1)
    assert dock.table.currentRow() == 1


def test_opacity_changes_only_the_colour_table(setup):
    project, document, canvas, dock = setup
    label_before = document.label_map.tobytes()
    document.view.set_opacity(1.0)
    assert canvas.label_layer.color_table[1] >> 24 == 255
    document.view.set_opacity(0.0)
    assert canvas.label_layer.color_table[1] >> 24 == 0
    assert np.array_equal(np.frombuffer(label_before, np.uint8), document.label_map.reshape(-1))
