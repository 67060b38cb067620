"""Bounded undo memory: steps are stored packed, and the steps of all open images hold at most
`document.undo_limit_bytes`; the oldest go first (across images), the status bar says so once, and
the steps that are kept still undo and redo bit for bit."""
from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from PIL import Image

from app.document.label_document import LabelDocument
from app.document.undo_budget import UNDO_LIMIT_BYTES, held_bytes
from segmodels.labels.classes import ClassTable
from segmodels.labels.project import Project
from support.projects import HEIGHT, WIDTH, make_project


@pytest.fixture
def document(qtbot, tmp_path, messages):
    document = LabelDocument()
    # 200 classes: the noisy steps paint values 0..199, and saving refuses values the project lacks.
    many = ClassTable.from_names([f"class {i}" for i in range(200)])
    document.open_project(make_project(tmp_path / "proj", count=2, labelled=0).with_classes(many))
    return document


def noisy_step(document, seed: int) -> np.ndarray:
    """Paint incompressible values over the whole image (one undo step); returns the map before."""
    before = document.label_map.copy()
    values = np.random.default_rng(seed).integers(0, 200, (HEIGHT, WIDTH)).astype(np.uint8)
    values[values == before] += 1  # every pixel changes
    assert document.apply_mask(0, 0, np.ones((HEIGHT, WIDTH), bool), values, f"step {seed}")
    return before


def step_bytes(document) -> list[int]:
    stack = document.undo_stack
    return [stack.command(i).nbytes for i in range(stack.count())]


def test_default_cap_is_512_mib(document):
    assert document.undo_limit_bytes == UNDO_LIMIT_BYTES == 512 * 2 ** 20


def test_the_cap_drops_the_oldest_steps_first_across_images_and_says_so_once(document):
    first, second = document.project.image_paths()
    notes = []
    document.status_message.connect(notes.append)
    noisy_step(document, 0)                           # step 0 on image a (the oldest)
    assert document.open_image(second)
    noisy_step(document, 1)                           # step 1 on image b
    assert document.open_image(first)
    noisy_step(document, 2)                           # step 2 on image a
    held = held_bytes(document.undo_group.stacks())
    assert held >= 3 * (HEIGHT * WIDTH)               # each step holds its incompressible values
    notes.clear()

    document.undo_limit_bytes = held - 1              # the next step needs room: the oldest two go
    noisy_step(document, 3)
    assert sum("oldest step(s) were dropped" in note for note in notes) == 1
    assert "2 oldest" in notes[-1]
    assert held_bytes(document.undo_group.stacks()) <= document.undo_limit_bytes
    assert [document.undo_stack.text(i) for i in range(document.undo_stack.count())] == ["step 2", "step 3"]
    assert document.open_image(second)                # b's only step (step 1) was older than step 2
    assert document.undo_stack.count() == 0 and not document.undo_stack.canUndo()
    assert document.open_image(first)

    noisy_step(document, 4)                           # drops again, but the status bar is not told twice
    assert sum("oldest step(s) were dropped" in note for note in notes) == 1
    assert [document.undo_stack.text(i) for i in range(document.undo_stack.count())] == ["step 3", "step 4"]


def test_undo_and_redo_of_the_kept_steps_stay_bit_exact_after_a_drop(document):
    history = [document.label_map.copy()]            # history[k]: the label map before step k
    for seed in range(5):
        noisy_step(document, seed)
        history.append(document.label_map.copy())
    document.undo_limit_bytes = sum(step_bytes(document)[-3:])  # room for three steps
    noisy_step(document, 5)
    history.append(document.label_map.copy())
    assert document.undo_stack.count() == 3 and document.undo_stack.index() == 3
    assert [document.undo_stack.text(i) for i in range(3)] == ["step 3", "step 4", "step 5"]
    for step in (5, 4, 3):
        document.undo()
        assert np.array_equal(document.label_map, history[step])
    assert not document.undo_stack.canUndo()          # the dropped steps cannot be undone
    assert document.is_dirty                          # and the saved state is out of reach
    for step in (3, 4, 5):
        document.redo()
        assert np.array_equal(document.label_map, history[step + 1])


def test_a_drop_below_the_saved_state_keeps_it_reachable(document):
    noisy_step(document, 0)
    assert document.save() and not document.is_dirty
    saved = document.label_map.copy()
    document.undo_limit_bytes = 1
    assert document.apply_mask(0, 0, np.ones((1, 1), bool), 250, "tiny")  # step 0 (below the saved state) goes
    assert [document.undo_stack.text(i) for i in range(document.undo_stack.count())] == ["tiny"]
    assert document.is_dirty
    document.undo()
    assert np.array_equal(document.label_map, saved) and not document.is_dirty


def test_redo_steps_are_not_dropped_and_still_redo(document):
    first, second = document.project.image_paths()
    history = [document.label_map.copy()]
    for seed in range(3):
        noisy_step(document, seed)
        history.append(document.label_map.copy())
    document.undo()                                   # step 2 becomes a redo step
    assert document.open_image(second)
    document.undo_limit_bytes = 1
    noisy_step(document, 9)                           # steps 0 and 1 of the first image go, step 2 stays
    assert document.open_image(first)
    assert document.undo_stack.count() == 1 and document.undo_stack.index() == 0
    assert np.array_equal(document.label_map, history[2]) and document.is_dirty
    document.redo()
    assert np.array_equal(document.label_map, history[3])


def test_a_step_larger_than_the_cap_alone_is_kept(document):
    document.undo_limit_bytes = 1
    before = noisy_step(document, 0)
    assert document.undo_stack.count() == 1
    document.undo()
    assert np.array_equal(document.label_map, before)


def test_memory_per_full_image_fill_on_2000x2000_is_far_below_the_raw_size(qtbot, tmp_path):
    project = Project.create(tmp_path / "big", ClassTable.from_names(["a", "b", "c"]))
    Image.fromarray(np.zeros((2000, 2000, 3), np.uint8)).save(project.images_dir / "big.png")
    document = LabelDocument()
    document.open_project(project)
    full = np.ones((2000, 2000), bool)
    raw_per_fill = full.nbytes + 2000 * 2000    # the uncompressed atom: mask + old values
    document.apply_mask(0, 0, full, 0, "Fill")  # warm up (first allocation of helpers)
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        for fill in range(10):
            assert document.apply_mask(0, 0, full, 1 + fill % 2, "Fill")
        grown = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
    assert document.undo_stack.count() == 11
    assert grown / 10 < raw_per_fill / 100      # tens of kilobytes per fill at most, not 8 MB
    assert max(step_bytes(document)) < 4096
    document.undo()
    assert (document.label_map == 1 + 8 % 2).all()
