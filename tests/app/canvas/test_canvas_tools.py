"""Canvas and tools: a real mouse drag paints exactly the expected pixels, undo/redo bit for bit,
the class picker, flood fill, colour-table-only visibility changes, zoom and pan."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from app.canvas.tools import Tool, ToolController
from app.canvas.view import Canvas
from app.document.label_document import LabelDocument, ViewMode
from segmodels.labels.edits import stroke_segment
from support.canvas import open_canvas, view_point
from support.projects import make_project


@pytest.fixture
def setup(qtbot, tmp_path, messages):
    project = make_project(tmp_path / "proj", count=2, labelled=1, predicted=1)
    document, tools, canvas = open_canvas(qtbot, project)  # 60 x 40 image -> 240 x 160 screen pixels, centred
    return project, document, tools, canvas


def drag(canvas: Canvas, points: list[QPoint], modifier=Qt.KeyboardModifier.NoModifier) -> None:
    viewport = canvas.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, modifier, points[0])
    for point in points[1:]:
        QTest.mouseMove(viewport, point)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, modifier, points[-1])


def test_mouse_drag_paints_exactly_the_swept_brush(setup):
    _, document, tools, canvas = setup
    tools.set_brush_size(3)
    document.view.set_active_class(2)
    before = document.label_map.copy()
    image_points = [(5, 5), (5, 25), (30, 40)]  # a fast drag: far apart mouse events
    drag(canvas, [view_point(canvas, y, x) for y, x in image_points])
    expected = before.copy()
    for a, b in zip(image_points, image_points[1:], strict=False):
        y0, x0, mask = stroke_segment(a, b, 3)
        region = expected[max(y0, 0):y0 + mask.shape[0], max(x0, 0):x0 + mask.shape[1]]
        region[mask[max(-y0, 0):, max(-x0, 0):][: region.shape[0], : region.shape[1]]] = 2
    assert np.array_equal(document.label_map, expected)
    # no gaps along the first leg: every pixel of row 5 between the points is painted
    assert (document.label_map[4:7, 5:26] == 2).all()
    assert document.undo_stack.count() == 1


def test_undo_restores_bit_for_bit_and_redo_repeats(setup):
    _, document, tools, canvas = setup
    tools.set_brush_size(7)
    before = document.label_map.copy()
    drag(canvas, [view_point(canvas, 10, 10), view_point(canvas, 20, 50)])
    after = document.label_map.copy()
    assert not np.array_equal(before, after)
    document.undo_stack.undo()
    assert np.array_equal(document.label_map, before)
    document.undo_stack.redo()
    assert np.array_equal(document.label_map, after)


def test_eraser_sets_unlabelled(setup):
    _, document, tools, canvas = setup
    tools.set_tool(Tool.ERASER)
    tools.set_brush_size(1)
    drag(canvas, [view_point(canvas, 3, 3), view_point(canvas, 3, 8)])
    assert (document.label_map[3, 3:9] == 255).all() and document.label_at(4, 3) == 1


def test_flood_fill_click_fills_the_region(setup):
    _, document, tools, canvas = setup
    tools.set_tool(Tool.FILL)
    document.view.set_active_class(2)
    drag(canvas, [view_point(canvas, 2, 50)])   # right half is class 0
    assert (document.label_map[:, 30:] == 2).all() and (document.label_map[:, :30] == 1).all()
    assert document.undo_stack.count() == 1 and document.undo_stack.text(0) == "Fill"  # one grouped edit


def test_alt_click_picks_the_class_under_the_cursor(setup):
    _, document, tools, canvas = setup
    document.view.set_active_class(2)
    before = document.label_map.copy()
    drag(canvas, [view_point(canvas, 5, 5)], Qt.KeyboardModifier.AltModifier)
    assert document.view.active_class == 1
    assert np.array_equal(document.label_map, before)  # picking never paints


def test_class_keys_and_bracket_keys(setup):
    _, document, tools, _ = setup
    assert tools.pick_class_key("2") and document.view.active_class == 2
    assert tools.pick_class_key("`") and document.view.active_class == 0
    assert not tools.pick_class_key("9")     # the table has 3 classes
    size = tools.brush_size
    tools.grow_brush()
    assert tools.brush_size > size
    tools.shrink_brush()
    tools.shrink_brush()
    assert tools.brush_size < size


def test_visibility_and_opacity_change_only_the_colour_table(setup):
    _, document, _, canvas = setup
    layer = canvas.label_layer
    pixels_before = layer.array.copy()
    buffer_before = layer.levels[0].qimage.constBits().tobytes()
    table_before = layer.color_table
    document.view.set_class_visible(1, False)
    assert layer.color_table[1] >> 24 == 0 and table_before[1] >> 24 > 0
    document.view.set_opacity(0.9)
    assert layer.color_table[0] >> 24 == round(0.9 * 255)
    assert layer.array is document.label_map and np.array_equal(layer.array, pixels_before)
    assert layer.levels[0].qimage.constBits().tobytes() == buffer_before


def test_view_modes_show_prediction_and_confidence(setup):
    project, document, tools, canvas = setup
    document.open_image(project.image_paths()[1])
    document.view.set_view_mode(ViewMode.PREDICTION)
    assert canvas.label_layer.array is document.prediction
    document.view.set_view_mode(ViewMode.CONFIDENCE)
    assert canvas.label_layer.array is document.confidence
    # painting switches back to the label, which is what the brush edits
    drag(canvas, [view_point(canvas, 5, 5)])
    assert document.view.view_mode is ViewMode.LABEL and canvas.label_layer.array is document.label_map


def test_cursor_position_and_wheel_zoom_about_cursor(setup, qtbot):
    _, document, _, canvas = setup
    canvas.set_zoom(20.0)
    point = view_point(canvas, 12, 30)
    with qtbot.waitSignal(canvas.cursor_moved) as blocker:
        QTest.mouseMove(canvas.viewport(), point)
    assert blocker.args == [30, 12]
    scene_before = canvas.mapToScene(point)
    canvas.set_zoom(canvas.zoom * 1.25, point)
    assert abs(canvas.mapToScene(point).x() - scene_before.x()) < 0.2
    assert canvas.zoom == pytest.approx(25.0)
    canvas.fit_to_window()
    assert canvas.mapToScene(canvas.viewport().rect()).boundingRect().contains(canvas.sceneRect())


def test_middle_button_pans(setup):
    _, _, _, canvas = setup
    canvas.set_zoom(30.0)
    scroll = canvas.horizontalScrollBar().value()
    viewport = canvas.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, QPoint(300, 200))
    QTest.mouseMove(viewport, QPoint(250, 200))
    QTest.mouseRelease(viewport, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, QPoint(250, 200))
    assert canvas.horizontalScrollBar().value() == scroll + 50


def test_pyramid_levels_follow_dabs_on_a_large_image(qtbot, tmp_path, messages):
    from PIL import Image

    from segmodels.labels.classes import ClassTable
    from segmodels.labels.project import Project

    project = Project.create(tmp_path / "big", ClassTable.from_names(["bg", "a"]))
    Image.new("RGB", (1100, 1030), (90, 90, 90)).save(project.images_dir / "big.png")
    document = LabelDocument()
    canvas = Canvas(document, ToolController(document))
    qtbot.addWidget(canvas)
    document.open_project(project)
    levels = canvas.label_layer.levels
    assert len(levels) >= 2
    document.apply_mask(101, 203, np.ones((37, 55), bool), 1, "Fill")
    document.apply_mask(600, 0, np.ones((1, 1100), bool), 0, "Fill")  # a one-pixel line
    levels = canvas.label_layer.levels  # smaller levels catch up when looked at (a paint, or this)
    for level, stride in zip(levels[1:], (2, 4, 8), strict=False):
        assert np.array_equal(level.array, block_top_class(document.label_map, stride))
        assert (level.array[600 // stride] == 0).all()  # the line is still there, all along


def block_top_class(labels: np.ndarray, stride: int) -> np.ndarray:
    """Reference for the class levels, written independently: the highest class of each
    stride x stride block, unlabelled (255) lowest."""
    h, w = labels.shape
    padded = np.full((-(-h // stride) * stride, -(-w // stride) * stride), 255, np.uint8)
    padded[:h, :w] = labels
    shifted = (padded.astype(np.int16) + 1) % 256
    blocks = shifted.reshape(padded.shape[0] // stride, stride, padded.shape[1] // stride, stride)
    return ((blocks.max(axis=(1, 3)) - 1) % 256).astype(np.uint8)


def test_class_levels_keep_thin_strokes_and_make_no_new_values(qtbot):
    from app.canvas.layers import IndexedLayer

    labels = np.full((1024, 1024), 255, np.uint8)
    labels[700:, :] = 0                       # background below
    labels[:, 301] = 3                        # a one-pixel column of class 3, over both
    labels[900, 5] = 7                        # one pixel of class 7
    layer = IndexedLayer()
    layer.set_array(labels)
    for index, level in enumerate(layer.levels[1:], start=1):
        stride = 2 ** index
        assert (level.array[:, 301 // stride] == 3).all()       # visible at every zoom-out level
        assert level.array[900 // stride, 5 // stride] == 7
        assert set(np.unique(level.array)) <= {0, 3, 7, 255}
        assert (level.array[:600 // stride, 0] == 255).all()    # unlabelled stays unlabelled
    sampled = IndexedLayer()                                    # the control: a plain subsample
    sampled.set_array(labels, classes=False)
    assert not (sampled.levels[1].array == 3).any()             # drops the odd column entirely


def test_a_dab_updates_class_levels_like_a_rebuild(qtbot):
    from app.canvas.layers import IndexedLayer

    rng = np.random.default_rng(3)
    labels = rng.choice(np.array([0, 1, 2, 255], np.uint8), size=(777, 1031))
    layer = IndexedLayer()
    layer.set_array(labels)
    built = layer.levels  # every level exists before the edit
    labels[333:336, 500:509] = 2
    layer.update_region((333, 500, 336, 509))
    fresh = IndexedLayer()
    fresh.set_array(labels.copy())
    assert layer.levels[1] is built[1]  # the same level objects, refreshed when looked at
    for edited, rebuilt in zip(built, fresh.levels, strict=False):
        np.testing.assert_array_equal(edited.array, rebuilt.array)


def test_undo_during_a_drag_commits_the_stroke_first(setup):
    _, document, tools, canvas = setup
    before = document.label_map.copy()
    document.apply_mask(0, 0, np.ones((4, 4), bool), 2, "Fill")
    tools.set_brush_size(3)
    tools.press(2, 2)
    tools.move(2, 10)
    document.undo()              # Ctrl+Z with the mouse still down: undoes the stroke, not the fill
    tools.move(2, 20)            # the rest of the drag paints nothing
    tools.release(2, 20)
    assert document.undo_stack.count() == 2 and document.undo_stack.index() == 1
    assert (document.label_map[:4, :4] == 2).all()
    document.undo()
    assert np.array_equal(document.label_map, before)
