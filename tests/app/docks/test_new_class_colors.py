"""Classes added in the classes dock get colours far from every colour already in the table."""
from __future__ import annotations

from app.docks.classes import ClassesDock
from app.document.label_document import LabelDocument
from segmodels.labels.distinct_colors import min_distance
from support.projects import make_project


def test_added_classes_get_well_separated_colours(qtbot, tmp_path, messages):
    document = LabelDocument()
    dock = ClassesDock(document)
    qtbot.addWidget(dock)
    assert document.open_project(make_project(tmp_path / "proj", count=1))
    for _ in range(8):
        assert dock.add_class()
    colors = document.class_table.colors()
    assert len(colors) == 11
    assert min_distance(colors) > 30  # CIELAB delta E between the two most alike classes
