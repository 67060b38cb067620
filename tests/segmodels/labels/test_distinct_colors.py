"""New classes get well-separated colours (segmodels/labels/distinct_colors.py)."""
from __future__ import annotations

from segmodels.labels.classes import ClassTable, voc_classes, voc_palette
from segmodels.labels.distinct_colors import RESERVED, distinct_color, min_distance

THRESHOLD = 30.0  # CIELAB delta E: clearly different colours side by side


def test_added_classes_are_far_apart_where_voc_colours_are_not():
    table = ClassTable.from_names(["background"])
    for index in range(12):
        table = table.with_class(f"class {index + 1}")
    assert min_distance(table.colors()) > THRESHOLD
    assert min_distance(voc_palette()[:13]) < THRESHOLD  # (128, 0, 0) next to (64, 0, 0)...
    assert min_distance([*table.colors(), *RESERVED]) > THRESHOLD / 2  # nor like invalid magenta or the tint


def test_existing_colours_are_kept_and_the_choice_is_repeatable():
    voc = voc_classes()
    grown = voc.with_class("bird")
    assert grown.colors()[:21].tolist() == voc.colors().tolist()
    assert grown[21].color == distinct_color(voc.colors()) == voc.with_class("bird")[21].color
    assert voc.with_class("given", (5, 6, 7))[21].color == (5, 6, 7)
