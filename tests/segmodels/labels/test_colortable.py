"""Colour tables for Indexed8 overlays (no Qt): class colours with opacity, hidden classes and
unlabelled transparent, invalid values in magenta; the confidence ramps."""
from __future__ import annotations

import pytest

from segmodels.labels.classes import ClassTable
from segmodels.labels.colortable import INVALID_RGB, confidence_color_table, label_color_table


def test_label_color_table_alpha_visibility_and_ignore():
    table = ClassTable.from_names(["background", "cat", "dog"])
    colors = label_color_table(table, 0.5, {2})
    assert len(colors) == 256
    alpha = [c >> 24 for c in colors]
    assert alpha[0] == alpha[1] == 128 and alpha[2] == 0 and alpha[255] == 0
    assert colors[1] & 0xFFFFFF == (128 << 16)  # VOC colour of class 1
    assert colors[7] & 0xFFFFFF == (INVALID_RGB[0] << 16) | (INVALID_RGB[1] << 8) | INVALID_RGB[2]
    assert [c >> 24 for c in label_color_table(table, 1.0)][0] == 255


@pytest.mark.parametrize("heat", [True, False])
def test_confidence_color_table_ramps(heat):
    colors = confidence_color_table(1.0, heat=heat)
    assert len(colors) == 256 and colors[0] != colors[255]
    assert all(0 <= c < 1 << 32 for c in colors)


def test_confidence_heat_fades_sure_pixels():
    colors = confidence_color_table(1.0, heat=True)
    assert colors[0] >> 24 == 255 and abs((colors[255] >> 24) - 255 * 0.3) <= 1  # sure pixels stay faint
    assert colors[0] & 0xFFFFFF == 0xFF0000 and colors[255] & 0xFFFFFF == 0x00FF00  # unsure red, sure green
