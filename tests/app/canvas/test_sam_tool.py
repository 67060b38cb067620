"""The Segment Anything tool (S) with a fake mask function in its worker, and once with a tiny real
model: the object under the mouse is previewed, clicks and a box refine it, Enter commits it with the
active class as one undo step writing only the mask's pixels, Esc cancels; a burst of prompts while
one is computed sends only the newest; without a checkpoint the tool says where to get one and GrabCut
is used."""
from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.canvas.sam_tool import SamTool, engine
from app.canvas.tools import Tool
from app.preferences import DEFAULT_DEVICE, SAM_WEIGHTS_PATH, Preferences
from segmodels.errors import SegError
from segmodels.prompts.base import NO_WEIGHTS
from support.canvas import click, disc_project, drag, open_canvas, view_point

SHIFT = Qt.KeyboardModifier.ShiftModifier
RADIUS = 10


class FakeSam:
    """A disc of RADIUS around each positive point, minus one around each negative, inside the box."""

    def __init__(self) -> None:
        self.requests, self.gate = [], threading.Event()
        self.gate.set()

    def __call__(self, key, rgb, request):
        self.gate.wait(10)
        self.requests.append(request)
        yy, xx = np.mgrid[:rgb.shape[0], :rgb.shape[1]]
        mask = np.zeros(rgb.shape[:2], bool)
        for (x, y), label in sorted(zip(request.points, request.labels, strict=True), key=lambda p: -p[1]):
            disc = (yy + 0.5 - y) ** 2 + (xx + 0.5 - x) ** 2 <= RADIUS ** 2
            mask = mask | disc if label else mask & ~disc
        if request.box is not None:
            x0, y0, x1, y1 = request.box
            inside = (xx >= x0) & (xx <= x1) & (yy >= y0) & (yy <= y1)
            mask = inside if not request.points else mask & inside
        return mask


@pytest.fixture
def sam(qtbot, tmp_path, messages):
    project, _ = disc_project(tmp_path / "p")
    document, tools, canvas = open_canvas(qtbot, project, 3.0)
    (tmp_path / "chosen.pth").write_bytes(b"")  # chosen, so S is available; the fake never reads it
    Preferences().store(SAM_WEIGHTS_PATH, str(tmp_path / "chosen.pth"))
    fake = FakeSam()
    tool = SamTool(document, tools, mask_function=fake)
    tools.register(Tool.SAM, tool)
    tools.set_tool(Tool.SAM)
    document.view.set_active_class(2)
    return document, tools, canvas, tool, fake


def hover(canvas, y, x):
    QTest.mouseMove(canvas.viewport(), view_point(canvas, y, x))


def wait_idle(qtbot, tool):
    qtbot.waitUntil(lambda: tool._in_flight is None and tool._waiting is None, timeout=10000)


def test_hover_previews_click_and_enter_commit_only_the_mask(qtbot, sam):
    document, tools, canvas, tool, fake = sam
    hover(canvas, 60, 80)
    qtbot.waitUntil(lambda: tool.preview is not None, timeout=10000)
    assert fake.requests[-1].labels == (1,) and tool.prompt.positives == ()  # provisional: no marker
    assert canvas.tool_overlays.preview.isVisible() and (document.label_map == 255).all()
    click(canvas, 30, 40)
    wait_idle(qtbot, tool)
    assert fake.requests[-1].points == ((40.5, 30.5),)  # the click replaced the hover point
    hover(canvas, 100, 100)  # after a click the mouse no longer moves the prompt
    wait_idle(qtbot, tool)
    assert fake.requests[-1].points == ((40.5, 30.5),)
    QTest.keyClick(canvas, Qt.Key.Key_Return)
    expected = FakeSam()(None, document.image, fake.requests[-1])
    assert ((document.label_map == 2) == expected).all() and (document.label_map[~expected] == 255).all()
    assert document.undo_stack.count() == 1 and document.undo_stack.text(0) == "Segment Anything"
    assert not canvas.tool_overlays.preview.isVisible()
    document.undo()
    assert (document.label_map == 255).all()


def test_negative_click_box_backspace_and_escape(qtbot, sam):
    document, tools, canvas, tool, fake = sam
    click(canvas, 60, 80)
    click(canvas, 60, 88, SHIFT)
    wait_idle(qtbot, tool)
    assert fake.requests[-1].labels == (1, 0) and tool.prompt.negatives == ((60, 88),)
    y0, x0, mask = tool.preview
    assert mask[60 - y0, 75 - x0] and not (x0 + mask.shape[1] > 88 and mask[60 - y0, 88 - x0])
    QTest.keyClick(canvas, Qt.Key.Key_Backspace)
    wait_idle(qtbot, tool)
    assert fake.requests[-1].labels == (1,)
    drag(canvas, [(20, 30), (50, 70), (80, 110)])
    wait_idle(qtbot, tool)
    assert fake.requests[-1].box == (30, 20, 110, 80) and canvas.tool_overlays.box.isVisible()
    QTest.keyClick(canvas, Qt.Key.Key_Escape)
    assert tool.preview is None and not tool.is_open and not canvas.tool_overlays.box.isVisible()
    assert document.undo_stack.count() == 0 and (document.label_map == 255).all()


def test_prompts_made_while_one_computes_send_only_the_newest(qtbot, sam):
    document, tools, canvas, tool, fake = sam
    fake.gate.clear()  # the first request blocks in the worker
    for x in range(20, 60, 5):
        hover(canvas, 50, x)
    fake.gate.set()
    wait_idle(qtbot, tool)
    assert [r.points[0][0] for r in fake.requests] == [20.5, 55.5]  # first and newest, nothing between
    fake.gate.clear()
    click(canvas, 40, 40)
    QTest.keyClick(canvas, Qt.Key.Key_Return)  # before the answer: committed when it arrives
    assert document.undo_stack.count() == 0
    fake.gate.set()
    qtbot.waitUntil(lambda: document.undo_stack.count() == 1, timeout=10000)
    assert document.label_map[40, 40] == 2


def test_a_failure_is_one_message_and_hovering_does_not_repeat_it(qtbot, sam):
    document, tools, canvas, tool, fake = sam
    errors = []
    document.error.connect(errors.append)
    tool._mask_function = lambda key, rgb, request: (_ for _ in ()).throw(SegError("'x.pth' is corrupt."))
    hover(canvas, 50, 50)
    qtbot.waitUntil(lambda: errors == ["'x.pth' is corrupt."], timeout=10000)
    hover(canvas, 52, 52)
    wait_idle(qtbot, tool)
    assert errors == ["'x.pth' is corrupt."] and tool.preview is None


def test_without_weights_the_sentence_and_grabcut(qtbot, tmp_path, messages):
    project, _ = disc_project(tmp_path / "p")
    document, tools, canvas = open_canvas(qtbot, project, 3.0)
    notes = []
    document.status_message.connect(notes.append)
    changed = []
    tools.tool_changed.connect(changed.append)
    tools.set_tool(Tool.SAM)
    assert tools.tool is Tool.GRABCUT and Tool.SAM not in tools.interactive
    assert notes == [NO_WEIGHTS[:-1] + "; GrabCut (G) is used until then."]
    tools.set_tool(Tool.SAM)  # again, while GrabCut is the tool: the GrabCut action is checked again
    assert tools.tool is Tool.GRABCUT and changed == [Tool.GRABCUT, Tool.GRABCUT]
    Preferences().store(SAM_WEIGHTS_PATH, str(tmp_path / "moved away.pth"))
    tools.set_tool(Tool.SAM)
    assert tools.tool is Tool.GRABCUT and "moved away.pth' does not exist" in notes[-1]


def test_tiny_real_model_embeds_in_the_worker_then_previews(qtbot, tmp_path, messages):
    pytest.importorskip("segment_anything")
    from support.sam import tiny_sam_v1

    Preferences().store(SAM_WEIGHTS_PATH, str(tiny_sam_v1(tmp_path / "tiny.pth")))
    Preferences().store(DEFAULT_DEVICE, "cpu")
    project, _ = disc_project(tmp_path / "p")
    document, tools, canvas = open_canvas(qtbot, project, 3.0)
    notes, busy = [], []
    document.status_message.connect(notes.append)
    tools.set_tool(Tool.SAM)
    tool = tools.interactive[Tool.SAM]
    tool.busy_changed.connect(busy.append)
    hover(canvas, 60, 80)
    assert busy == [True] and "reading the image" in notes[-1]  # at once: the encoder runs in the worker
    qtbot.waitUntil(lambda: tool.preview is not None or busy == [True, False], timeout=120000)
    wait_idle(qtbot, tool)
    assert busy == [True, False]
    assert engine().device == "cpu" and engine()._backend_key[-1] == "cpu"  # the jobs' device preference
    weights = str(tmp_path / "tiny.pth")
    expected = engine().mask(weights, "auto", tool._image_key(), document.image, [(80.5, 60.5)], [1], None)
    assert engine().cache.hits >= 1 and not engine().needs_embedding(weights, "auto", tool._image_key())
    shown = np.zeros_like(expected)
    if tool.preview is not None:
        y0, x0, crop = tool.preview
        shown[y0:y0 + crop.shape[0], x0:x0 + crop.shape[1]] = crop
    assert (shown == expected).all()  # the preview is the model's answer for the hovered pixel
    QTest.keyClick(canvas, Qt.Key.Key_Return)
    assert ((document.label_map == document.view.active_class) == expected).all()
    assert document.undo_stack.count() == (1 if expected.any() else 0)
