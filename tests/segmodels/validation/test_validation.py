"""The validator: every planted defect is caught with counts and first coordinates; clean files pass."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from segmodels.errors import SegError
from segmodels.labels.classes import ClassTable, voc_classes
from segmodels.labels.labelio import write_label_png
from segmodels.labels.project import Project
from segmodels.validation.decode import count_invalid_indices, index_invalid_mask
from segmodels.validation.report import LabelJob, ProblemKind, ValidationOptions
from segmodels.validation.run import invalid_pixels, iter_validate, validate_path
from support.labels import clean_label, make_voc_mix, save_rgb


def _kinds(report) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for problem in report.problems:
        found.setdefault(problem.file.replace("\\", "/").rsplit("/", 1)[-1], set()).add(problem.kind.value)
    return found


def test_voc_mix_names_exactly_the_bad_files(tmp_path):
    planted = make_voc_mix(tmp_path / "VOC root")
    report = validate_path(tmp_path / "VOC root")
    assert report.files_checked == 3 + len(planted)
    kinds = _kinds(report)
    assert set(kinds) == set(planted)
    for name, kind in planted.items():
        assert kind in kinds[name], (name, kinds[name])
    out_of_range = next(p for p in report.problems if p.kind is ProblemKind.INDEX_OUT_OF_RANGE)
    assert out_of_range.count == 2 and out_of_range.first == (4, 5)
    assert "21" in out_of_range.message and "200" in out_of_range.message
    colour = next(p for p in report.problems if p.kind is ProblemKind.UNKNOWN_COLOR)
    assert colour.count == 1 and colour.first == (2, 3)


def test_clean_project_passes(tmp_path):
    project = Project.create(tmp_path / "clean ü", voc_classes())
    for index in range(3):
        save_rgb(project.images_dir / f"img {index}.png", seed=index)
        project.write_label(project.images_dir / f"img {index}.png", clean_label(seed=index))
    save_rgb(project.images_dir / "unlabelled.png")  # an image without a label is fine
    report = validate_path(project.root)
    assert report.ok and report.files_checked == 3
    assert report.to_json() == {"files_checked": 3, "problems": [], "class_table": {
        "source": "project file segstudio.json", "why": "it is the project's own table",
        "classes": voc_classes().names}}


def test_every_index_up_to_the_class_count_and_255_is_valid(tmp_path):
    table = ClassTable.from_names(["a", "b", "c"])
    label_map = np.array([[0, 1, 2, 255], [0, 0, 0, 0]], np.uint8)
    write_label_png(tmp_path / "ok.png", label_map, table)
    assert validate_path(tmp_path / "ok.png", table).ok
    label_map[1, 2] = 3  # one past the last class
    write_label_png(tmp_path / "ok.png", label_map, table)
    report = validate_path(tmp_path / "ok.png", table)
    assert [(p.kind, p.count, p.first) for p in report.problems] == [(ProblemKind.INDEX_OUT_OF_RANGE, 1, (1, 2))]


def test_every_pixel_is_checked_not_a_sample(tmp_path):
    label_map = np.zeros((300, 400), np.uint8)
    label_map[299, 399] = 99  # the very last pixel
    write_label_png(tmp_path / "last.png", label_map, voc_classes())
    problem, = validate_path(tmp_path / "last.png").problems
    assert problem.first == (299, 399) and problem.count == 1


def test_onehot_defects_in_a_folder(tmp_path):
    table = ClassTable.from_names(["bg", "one", "two"])
    good = np.eye(3, dtype=np.uint8)[np.random.default_rng(0).integers(0, 3, (6, 8))]
    np.save(tmp_path / "good.npy", good)
    np.save(tmp_path / "good chw.npy", np.moveaxis(good, -1, 0))
    empty = good.copy()
    empty[2, 3] = 0
    np.save(tmp_path / "empty.npy", empty)
    multiple = good.copy()
    multiple[4, 1] = 1
    np.savez(tmp_path / "multiple.npz", multiple)
    nan = good.astype(np.float64)
    nan[0, 7, 1] = np.nan
    np.save(tmp_path / "nan.npy", nan)
    np.save(tmp_path / "rank.npy", np.zeros((6,)))
    np.save(tmp_path / "channels.npy", np.eye(5, dtype=np.uint8)[np.zeros((6, 8), int)])
    report = validate_path(tmp_path, table)
    kinds = _kinds(report)
    assert kinds == {"empty.npy": {"onehot_empty"}, "multiple.npz": {"onehot_multiple"}, "nan.npy": {"onehot_nan"},
                     "rank.npy": {"onehot_shape"}, "channels.npy": {"onehot_shape"}}
    empty_problem = next(p for p in report.problems if p.kind is ProblemKind.ONEHOT_EMPTY)
    assert empty_problem.first == (2, 3) and empty_problem.count == 1
    multiple_problem = next(p for p in report.problems if p.kind is ProblemKind.ONEHOT_MULTIPLE)
    assert multiple_problem.first == (4, 1)


def test_m2nist_stack_needs_implicit_background(tmp_path):
    digits = np.zeros((10, 12, 2), np.uint8)  # two digit channels, background is all zeros
    digits[3:5, 3:5, 1] = 1
    np.save(tmp_path / "m2nist.npy", digits)
    table = ClassTable.from_names(["background", "digit 0", "digit 1"])
    strict = validate_path(tmp_path / "m2nist.npy", table)
    assert {p.kind for p in strict.problems} == {ProblemKind.ONEHOT_EMPTY, ProblemKind.ONEHOT_SHAPE}
    assert validate_path(tmp_path / "m2nist.npy", table, implicit_background=True).ok


def test_label_without_image_and_size_mismatch_in_a_project(tmp_path):
    project = Project.create(tmp_path / "p", voc_classes())
    save_rgb(project.images_dir / "a.jpg", height=12, width=16)
    write_label_png(project.labels_dir / "a.png", clean_label(height=12, width=15), voc_classes())
    write_label_png(project.labels_dir / "orphan.png", clean_label(), voc_classes())
    (project.images_dir / "b.png").write_bytes(b"junk")
    write_label_png(project.labels_dir / "b.png", clean_label(), voc_classes())
    assert _kinds(validate_path(project.root)) == {"a.png": {"size_mismatch"}, "orphan.png": {"missing_image"},
                                                   "b.png": {"image_unreadable"}}
    # A single label inside the project's label folder is still paired with its image.
    assert _kinds(validate_path(project.labels_dir / "a.png")) == {"a.png": {"size_mismatch"}}


def test_generator_reports_progress_and_can_stop_early(tmp_path):
    for index in range(5):
        write_label_png(tmp_path / f"{index}.png", clean_label(seed=index), voc_classes())
    jobs = [LabelJob(p) for p in sorted(tmp_path.glob("*.png"))]
    results = iter_validate(jobs, ValidationOptions(voc_classes()))
    first = next(results)
    assert (first.index, first.total, first.ok) == (1, 5, True)
    results.close()  # cancelling between files is just stopping the iteration


def test_invalid_pixel_mask_for_the_gui(tmp_path):
    label_map = clean_label()
    label_map[3, 3] = 50
    label_map[5, 1] = 254
    write_label_png(tmp_path / "l.png", label_map, voc_classes())
    mask = invalid_pixels(tmp_path / "l.png", voc_classes())
    assert np.argwhere(mask).tolist() == [[3, 3], [5, 1]]
    write_label_png(tmp_path / "ok.png", clean_label(), voc_classes())
    assert not invalid_pixels(tmp_path / "ok.png", voc_classes()).any()
    (tmp_path / "bad.png").write_bytes(b"")
    assert invalid_pixels(tmp_path / "bad.png", voc_classes()) is None


def test_previews_highlight_invalid_pixels(tmp_path):
    project = Project.create(tmp_path / "p", voc_classes())
    rgb = save_rgb(project.images_dir / "a.png")
    label_map = np.full((12, 16), 255, np.uint8)
    label_map[2, 2] = 77
    label_map[4, 4] = 1
    write_label_png(project.labels_dir / "a.png", label_map, voc_classes())
    validate_path(project.root, previews_dir=tmp_path / "previews")
    preview = np.asarray(Image.open(tmp_path / "previews" / "a.png").convert("RGB"))
    assert preview[2, 2].tolist() == [255, 0, 255]
    assert np.array_equal(preview[0, 0], rgb[0, 0])  # unlabelled pixels show the image
    expected = np.floor(0.5 * rgb[4, 4].astype(float) + 0.5 * np.array([128, 0, 0]) + 0.5)
    assert preview[4, 4].tolist() == expected.tolist()


def test_paths_that_cannot_run_raise(tmp_path):
    with pytest.raises(SegError, match="does not exist"):
        validate_path(tmp_path / "missing")
    (tmp_path / "empty dir").mkdir()
    with pytest.raises(SegError, match="no label files"):
        validate_path(tmp_path / "empty dir")


def test_alpha_and_sixteen_bit_labels(tmp_path):
    values = np.array([[0, 1], [255, 30]], np.uint16)
    Image.fromarray(values).save(tmp_path / "deep.png")
    report = validate_path(tmp_path / "deep.png")
    assert [(p.kind, p.first) for p in report.problems] == [(ProblemKind.INDEX_OUT_OF_RANGE, (1, 1))]
    Image.fromarray(np.array([[0, 1000]], np.uint16)).save(tmp_path / "wide.png")
    assert validate_path(tmp_path / "wide.png").problems[0].kind is ProblemKind.UNSUPPORTED_FORMAT
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[..., :3] = (128, 0, 0)
    Image.fromarray(rgba).save(tmp_path / "rgba.png")
    assert validate_path(tmp_path / "rgba.png").ok  # alpha is ignored; the colour is class 1


@given(hnp.arrays(np.uint8, hnp.array_shapes(min_dims=2, max_dims=2, max_side=20)), st.integers(1, 255))
@settings(max_examples=200, deadline=None)
def test_fast_index_count_equals_the_plain_definition(label_map, num_classes):
    expected = int(np.count_nonzero((label_map >= num_classes) & (label_map != 255)))
    assert count_invalid_indices(label_map, num_classes) == expected
    assert int(index_invalid_mask(label_map, num_classes).sum()) == expected


def test_pointing_at_the_label_folder_still_pairs_images(tmp_path):
    planted = make_voc_mix(tmp_path / "VOC")
    report = validate_path(tmp_path / "VOC" / "SegmentationClass")
    assert set(_kinds(report)) == set(planted)
