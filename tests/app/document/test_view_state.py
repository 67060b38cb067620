"""ViewState (`document.view`): each setting clamps or ignores bad input and signals only a real change;
the document's class table bounds the active class; view settings never touch the label map."""
from __future__ import annotations

import numpy as np
import pytest

from app.document.label_document import LabelDocument
from app.document.view_state import DEFAULT_OPACITY, ViewMode, ViewState
from support.projects import make_project


def test_defaults_and_clamped_opacity(qtbot):
    view = ViewState(lambda: None)
    assert (view.opacity, view.hidden_classes, view.view_mode, view.active_class) == (
        DEFAULT_OPACITY, frozenset(), ViewMode.LABEL, 1)
    seen = []
    view.opacity_changed.connect(seen.append)
    view.set_opacity(7)
    view.set_opacity(-1)
    view.set_opacity(0.0)  # already 0 after clamping: no signal
    assert seen == [1.0, 0.0] and view.opacity == 0.0


def test_hidden_classes_signal_once_per_change(qtbot):
    view = ViewState(lambda: 3)
    changes = []
    view.hidden_classes_changed.connect(lambda: changes.append(view.hidden_classes))
    view.set_class_visible(2, False)
    view.set_class_visible(2, False)
    view.set_hidden_classes({2})
    view.set_class_visible(2, True)
    assert changes == [frozenset({2}), frozenset()]


def test_view_mode_signals_the_new_mode(qtbot):
    view = ViewState(lambda: None)
    with qtbot.waitSignal(view.view_mode_changed) as blocker:
        view.set_view_mode(ViewMode.CONFIDENCE)
    assert blocker.args == [ViewMode.CONFIDENCE]
    with qtbot.assertNotEmitted(view.view_mode_changed):
        view.set_view_mode(ViewMode.CONFIDENCE)


@pytest.mark.parametrize(("count", "asked", "kept"), [(3, 2, 2), (3, 3, 1), (3, -1, 1), (None, 40, 40)])
def test_active_class_stays_inside_the_class_table(qtbot, count, asked, kept):
    view = ViewState(lambda: count)
    view.set_active_class(asked)
    assert view.active_class == kept


def test_document_view_follows_its_class_table_and_leaves_the_label_map_alone(qtbot, tmp_path):
    document = LabelDocument()
    assert document.view.parent() is document
    document.view.set_active_class(9)  # no project yet: any id is taken
    assert document.view.active_class == 9
    document.open_project(make_project(tmp_path / "proj", count=1, labelled=1))
    before = document.label_map.copy()
    document.view.set_active_class(len(document.class_table))  # one past the table: ignored
    assert document.view.active_class == 9
    document.view.set_active_class(2)
    document.view.set_opacity(0.2)
    document.view.set_class_visible(1, False)
    document.view.set_view_mode(ViewMode.PREDICTION)
    assert document.view.active_class == 2
    assert np.array_equal(document.label_map, before) and not document.is_dirty
