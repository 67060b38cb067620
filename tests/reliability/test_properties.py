"""Property tests (hypothesis): label I/O round trips, the validator's verdicts, undo/redo, fuzzing.

- Any label map (any shape, any class table of 1..255 classes, 255 anywhere) survives a palette PNG
  write/read bit for bit, with the class colours as its palette; class tables survive segstudio.json.
- The validator passes every clean label (index map and one-hot) and flags every planted defect
  (out-of-range index, wrong size, truncated file, empty / multiple / NaN one-hot rows) at the
  planted place.
- For any stroke sequence on the document, undoing k steps gives the state after n-k strokes and
  redoing brings each state back: undo then redo is the identity.
- Mutated bytes of valid PNG/JPEG/NPY files make each reader return a well-formed result or raise a
  SegError naming the file, nothing else (bounded: `FUZZ_EXAMPLES`, a few seconds; the long run is
  `python tests/reliability/fuzzing.py --inputs N`).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import fuzzing
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from PIL import Image

from segmodels.constants import IGNORE_INDEX
from segmodels.labels.classes import ClassTable

FUZZ_EXAMPLES = int(os.environ.get("SEGSTUDIO_FUZZ_EXAMPLES", "150"))
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

colors = st.tuples(*[st.integers(0, 255)] * 3)


@st.composite
def class_tables(draw, min_classes: int = 1, max_classes: int = 255) -> ClassTable:
    """Any class count; names from drawn text (unicode, spaces), colours from a drawn seed (drawing
    255 colour tuples one by one would make each example slow without finding more)."""
    count = draw(st.integers(min_classes, max_classes))
    stems = draw(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    chosen = [tuple(int(v) for v in c) for c in rng.integers(0, 256, (count, 3))]
    chosen[0] = draw(colors)
    return ClassTable.from_names([f"{stems[i % len(stems)]} {i}" for i in range(count)], chosen)


@st.composite
def labelled(draw, max_side: int = 48) -> tuple[ClassTable, np.ndarray]:
    """A label map of any shape whose values are classes of the table or 255 (seeded fill plus a
    few drawn pixels, including the corners where off-by-one errors live)."""
    table = draw(class_tables())
    shape = draw(st.tuples(st.integers(1, max_side), st.integers(1, max_side)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    label_map = rng.integers(0, len(table), shape).astype(np.uint8)
    label_map[rng.random(shape) < draw(st.floats(0, 1))] = IGNORE_INDEX
    values = st.one_of(st.integers(0, len(table) - 1), st.just(IGNORE_INDEX))
    label_map[0, 0], label_map[-1, -1] = draw(values), draw(values)
    return table, label_map


# -- label I/O ---------------------------------------------------------------------------------------
@FAST
@given(labelled())
def test_label_png_round_trip(case):
    from segmodels.labels.labelio import read_label_palette, read_label_png, write_label_png

    table, label_map = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "label ü.png"
        write_label_png(path, label_map, table)
        np.testing.assert_array_equal(read_label_png(path), label_map)
        np.testing.assert_array_equal(read_label_palette(path)[: len(table)], table.colors())
        assert sorted(os.listdir(folder)) == ["label ü.png"]


@FAST
@given(class_tables())
def test_class_table_round_trip_through_project_json(table):
    from segmodels.labels.project import Project

    with tempfile.TemporaryDirectory() as folder:
        Project.create(Path(folder) / "p", table)
        assert Project.open(Path(folder) / "p").classes == table


# -- the validator -----------------------------------------------------------------------------------
def _check(label: Path, image: Path | None, table: ClassTable):
    from segmodels.validation.report import LabelJob, ValidationOptions
    from segmodels.validation.run import check_label

    result, _ = check_label(LabelJob(label, image, expect_image=image is not None), ValidationOptions(table))
    return result.problems


def _write_image(path: Path, shape: tuple[int, int]) -> Path:
    Image.fromarray(np.zeros((*shape, 3), np.uint8)).save(path)
    return path


@FAST
@given(labelled(max_side=32))
def test_validator_passes_clean_labels(case):
    from segmodels.labels.labelio import write_label_png

    table, label_map = case
    with tempfile.TemporaryDirectory() as folder:
        label = Path(folder) / "a.png"
        write_label_png(label, label_map, table)
        assert _check(label, _write_image(Path(folder) / "a image.png", label_map.shape), table) == ()


@FAST
@given(labelled(max_side=32), st.data())
def test_validator_flags_planted_indices(case, data):
    from segmodels.labels.labelio import write_label_png
    from segmodels.validation.report import ProblemKind

    table, label_map = case
    assume(len(table) < IGNORE_INDEX)  # with 255 classes no index is out of range
    h, w = label_map.shape
    spots = data.draw(st.lists(st.tuples(st.integers(0, h - 1), st.integers(0, w - 1)), min_size=1, max_size=5,
                               unique=True))
    bad = data.draw(st.integers(len(table), IGNORE_INDEX - 1))
    for y, x in spots:
        label_map[y, x] = bad
    with tempfile.TemporaryDirectory() as folder:
        label = Path(folder) / "a.png"
        write_label_png(label, label_map, table)
        problems = _check(label, None, table)
    assert [p.kind for p in problems] == [ProblemKind.INDEX_OUT_OF_RANGE]
    assert problems[0].count == len(spots) and problems[0].first == min(spots)


@FAST
@given(labelled(max_side=24), st.integers(1, 5), st.booleans())
def test_validator_flags_size_mismatch(case, grow, wider):
    from segmodels.labels.labelio import write_label_png
    from segmodels.validation.report import ProblemKind

    table, label_map = case
    h, w = label_map.shape
    with tempfile.TemporaryDirectory() as folder:
        label = Path(folder) / "a.png"
        write_label_png(label, label_map, table)
        image = _write_image(Path(folder) / "a.jpg", (h, w + grow) if wider else (h + grow, w))
        assert [p.kind for p in _check(label, image, table)] == [ProblemKind.SIZE_MISMATCH]


@FAST
@given(labelled(max_side=24), st.data())
def test_validator_flags_truncated_files(case, data):
    from segmodels.labels.labelio import encode_label_png

    table, label_map = case
    encoded = encode_label_png(label_map, table)
    cut = data.draw(st.integers(0, len(encoded) - 1))
    with tempfile.TemporaryDirectory() as folder:
        label = Path(folder) / "a.png"
        label.write_bytes(encoded[:cut])
        assert _check(label, None, table), f"a PNG cut at {cut} of {len(encoded)} bytes passed"


@FAST
@given(st.integers(2, 6), st.tuples(st.integers(1, 20), st.integers(1, 20)), st.data())
def test_validator_onehot_clean_and_planted(channels, shape, data):
    from segmodels.validation.report import ProblemKind

    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    stack = np.eye(channels, dtype=np.float32)[rng.integers(0, channels, shape)]
    table = ClassTable.from_names([f"c{i}" for i in range(channels)])
    defect = data.draw(st.sampled_from(["none", "empty", "multiple", "nan"]))
    y, x = data.draw(st.integers(0, shape[0] - 1)), data.draw(st.integers(0, shape[1] - 1))
    if defect == "empty":
        stack[y, x] = 0
    elif defect == "multiple":
        stack[y, x] = 1
    elif defect == "nan":
        stack[y, x, data.draw(st.integers(0, channels - 1))] = np.nan
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "stack.npy"
        np.save(path, stack)
        problems = _check(path, None, table)
    if defect == "none":
        assert problems == ()
    else:
        kind = {"empty": ProblemKind.ONEHOT_EMPTY, "multiple": ProblemKind.ONEHOT_MULTIPLE,
                "nan": ProblemKind.ONEHOT_NAN}[defect]
        assert [p.kind for p in problems] == [kind] and problems[0].first == (y, x) and problems[0].count == 1


# -- undo / redo ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_project(tmp_path_factory):
    import corpus

    from segmodels.labels.project import Project

    return Project.open(corpus.make_project(tmp_path_factory.mktemp("undo") / "p", n_images=1))


dabs = st.tuples(st.integers(-4, 26), st.integers(-4, 34), st.integers(1, 9), st.integers(1, 9),
                 st.sampled_from([0, 1, 2, IGNORE_INDEX]))
strokes = st.lists(st.lists(dabs, min_size=1, max_size=4), min_size=1, max_size=12)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(strokes, st.lists(st.sampled_from(["undo", "redo"]), max_size=30))
def test_undo_redo_is_identity(qapp, messages, small_project, stroke_list, moves):
    from app.document.label_document import LabelDocument

    document = LabelDocument()
    assert document.open_project(small_project)
    states = {document.undo_stack.index(): document.label_map.copy()}
    for dab_list in stroke_list:
        stroke = document.begin_stroke("Brush")
        for y, x, h, w, value in dab_list:
            stroke.paint(y, x, np.ones((h, w), bool), value)
        stroke.finish()
        states[document.undo_stack.index()] = document.label_map.copy()
    stack = document.undo_stack
    top = stack.index()
    assert sorted(states) == list(range(top + 1))   # one undo step per stroke that changed pixels
    for move in moves:  # any walk through the history shows exactly the state of that step
        stack.undo() if move == "undo" else stack.redo()
        np.testing.assert_array_equal(document.label_map, states[stack.index()])
    while stack.canUndo():
        stack.undo()
    np.testing.assert_array_equal(document.label_map, states[0])
    while stack.canRedo():
        stack.redo()
    np.testing.assert_array_equal(document.label_map, states[top])
    document.deleteLater()


# -- bounded fuzzing --------------------------------------------------------------------------------
SEEDS = fuzzing.seeds()
ops = st.lists(st.tuples(st.sampled_from(fuzzing.OP_KINDS), st.integers(0, 1 << 20), st.integers(0, 1 << 16)),
               min_size=1, max_size=4)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(SEEDS)), ops)
def test_fuzz_readers_refuse_or_load(seed_name, op_list):
    suffix, data = SEEDS[seed_name]
    with tempfile.TemporaryDirectory(prefix="fuzz ü ") as folder:
        path = fuzzing.write_input(Path(folder), 0, seed_name, suffix, fuzzing.mutate(data, op_list))
        for reader in fuzzing.readers_for(seed_name):
            assert fuzzing.check_reader(reader, path) in ("ok", "refused")


@pytest.fixture(scope="module")
def checkpoint_seed():
    pytest.importorskip("torch")
    return fuzzing.checkpoint_seed()


@settings(max_examples=max(10, FUZZ_EXAMPLES // 3), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.booleans(), ops)
def test_fuzz_checkpoints_refuse_or_load(checkpoint_seed, inside_pickle, op_list):
    """Mutated checkpoints, raw or with only the pickle mutated (valid CRCs), never crash the loader."""
    suffix, data = checkpoint_seed
    mutated = fuzzing.mutate_pickle_member(data, op_list) if inside_pickle else fuzzing.mutate(data, op_list)
    with tempfile.TemporaryDirectory(prefix="fuzz ü ") as folder:
        path = fuzzing.write_input(Path(folder), 0, "checkpoint", suffix, mutated)
        assert fuzzing.check_reader("load_checkpoint", path) in ("ok", "refused")
