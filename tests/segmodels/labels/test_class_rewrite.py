"""Class edits applied to a project on disk (segmodels/labels/class_rewrite.py, class_journal.py): every
pixel exact in palette, grey and colour files, each file's encoding kept, the table written last,
and no interruption (failure, cancel, crash) leaves the project half remapped without saying so."""
from __future__ import annotations

import json
import os
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from segmodels.constants import IGNORE_INDEX
from segmodels.errors import SegError
from segmodels.formats.encodings import LabelEncoding, read_label_file, write_label_file
from segmodels.labels import class_rewrite
from segmodels.labels.class_edits import delete_class, move_class, rename_class
from segmodels.labels.class_journal import JOURNAL_NAME, STAGING, Journal
from segmodels.labels.class_rewrite import apply_rewrite, leftover_staged, plan_rewrite, run_rewrite, stage_label
from segmodels.labels.classes import ClassTable
from segmodels.labels.labelio import read_label_palette
from segmodels.labels.project import RECOVERY_DIR, Project

COLORS = [(0, 0, 0), (200, 10, 10), (10, 200, 10), (10, 10, 200)]
TABLE = ClassTable.from_names(["background", "cat", "dog", "bird"], COLORS)
H, W = 20, 24
ENCODINGS = {"img_0": LabelEncoding.PALETTE, "img_1": LabelEncoding.GREY, "img_2": LabelEncoding.COLOR}
#: A palette of the file's own, unlike the table's colours: it must survive, each colour with its class.
OWN_PALETTE = [value for index in range(256) for value in (index, 255 - index, 7)]


def label(seed: int) -> np.ndarray:
    label_map = np.random.default_rng(seed).integers(0, len(TABLE), (H, W), dtype=np.uint8)
    label_map[:2, :3] = IGNORE_INDEX
    return label_map


@pytest.fixture
def project(tmp_path) -> Project:
    """Three images with a palette, a grey and a colour label, a prediction, a confidence map."""
    project = Project.create(tmp_path / "proj", TABLE)
    for seed, (stem, encoding) in enumerate(ENCODINGS.items()):
        image = project.images_dir / f"{stem}.png"
        Image.fromarray(np.full((H, W, 3), 90, np.uint8)).save(image)
        path = project.label_path(image)
        if encoding is LabelEncoding.PALETTE:
            picture = Image.frombytes("P", (W, H), label(seed).tobytes())
            picture.putpalette(OWN_PALETTE)
            picture.save(path)
        else:
            write_label_file(path, label(seed), TABLE, encoding)
    first = project.images_dir / "img_0.png"
    project.write_prediction(first, label(9))
    Image.fromarray(np.full((H, W), 128, np.uint8), mode="L").save(project.confidence_path(first))
    return Project.open(project.root)


def label_files(project: Project) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for folder in (project.labels_dir, project.predictions_dir) if folder.is_dir()
            for p in sorted(folder.iterdir())} | {"segstudio.json": project.config_path.read_bytes()}


def saved_names(project: Project) -> list[str]:
    return [entry["name"] for entry in json.loads(project.config_path.read_text())["classes"]]


@pytest.mark.parametrize("into", [IGNORE_INDEX, 3, 0])
def test_delete_remaps_every_pixel_and_keeps_each_encoding(project, into):
    edit = delete_class(TABLE, 1, into=into)
    plan = plan_rewrite(project, edit)
    assert len(plan.labels) == 3 and len(plan.predictions) == 1  # the confidence map is no class file
    assert "This rewrites 3 label file(s) and remaps 1 prediction file(s) and cannot be undone with Ctrl+Z" in (
        plan.warning())
    saved = run_rewrite(plan)
    assert saved.classes.names == saved_names(project) == ["background", "dog", "bird"]
    reopened = Project.open(project.root)
    expected_target = IGNORE_INDEX if into == IGNORE_INDEX else {0: 0, 3: 2}[into]
    for seed, (stem, encoding) in enumerate(ENCODINGS.items()):
        path = reopened.labels_dir / f"{stem}.png"
        assert reopened.label_encoding_of(path) is encoding
        before, after = label(seed), read_label_file(path, reopened.classes, encoding)
        assert (after[before == 1] == expected_target).all()          # every pixel of the deleted class
        assert (after[before == 2] == 1).all() and (after[before == 3] == 2).all()   # later classes shift down
        assert (after[before == 0] == 0).all() and (after[before == IGNORE_INDEX] == IGNORE_INDEX).all()
    assert Image.open(reopened.labels_dir / "img_1.png").mode == "L"
    assert Image.open(reopened.labels_dir / "img_2.png").mode == "RGB"
    palette = read_label_palette(reopened.labels_dir / "img_0.png")
    own = np.array(OWN_PALETTE, np.uint8).reshape(256, 3)
    assert (palette[:3] == own[[0, 2, 3]]).all()  # the file's own colours, each moved with its class
    prediction = reopened.read_prediction(reopened.images_dir / "img_0.png")
    assert (prediction[label(9) == 3] == 2).all() and (prediction[label(9) == 1] == expected_target).all()
    assert leftover_staged(project.root) == [] and not (project.root / JOURNAL_NAME).exists()


def test_move_reorders_pixels_and_table(project):
    saved = run_rewrite(plan_rewrite(project, move_class(TABLE, 3, 1)))
    assert saved.classes.names == ["background", "bird", "cat", "dog"]
    assert saved.classes[1].color == COLORS[3]
    after = read_label_file(project.labels_dir / "img_1.png", saved.classes, LabelEncoding.GREY)
    assert (after == np.array([0, 2, 3, 1] + [0] * 251 + [255], np.uint8)[label(1)]).all()
    colour = np.asarray(Image.open(project.labels_dir / "img_2.png"))
    assert (colour[label(2) == 3] == COLORS[3]).all()  # colour files: a class keeps its colour


def test_rename_writes_only_the_table(project):
    before = label_files(project)
    plan = plan_rewrite(project, rename_class(TABLE, 2, "puppy"))
    assert plan.files == () and "No label file needs rewriting" in plan.warning()
    run_rewrite(plan)
    after = label_files(project)
    assert saved_names(project) == ["background", "cat", "puppy", "bird"]
    assert {k: v for k, v in after.items() if k != "segstudio.json"} == {
        k: v for k, v in before.items() if k != "segstudio.json"}


def test_a_failure_midway_changes_nothing(project, monkeypatch):
    before = label_files(project)
    real, calls = stage_label, []

    def fail_on_second(*args):
        calls.append(args)
        if len(calls) == 2:
            raise SegError("Label 'x' cannot be written: disk full.")
        return real(*args)

    monkeypatch.setattr(class_rewrite, "stage_label", fail_on_second)
    with pytest.raises(SegError, match="disk full"):
        run_rewrite(plan_rewrite(project, delete_class(TABLE, 1)))
    assert label_files(project) == before
    assert leftover_staged(project.root) == [] and not (project.root / JOURNAL_NAME).exists()


def test_cancel_while_staging_changes_nothing(project):
    before = label_files(project)
    asked = iter([False, False, True])
    assert run_rewrite(plan_rewrite(project, delete_class(TABLE, 1)), cancel=lambda: next(asked)) is None
    assert label_files(project) == before and leftover_staged(project.root) == []


def test_a_crash_after_the_point_of_no_return_is_finished_by_the_next_open(project):
    plan = plan_rewrite(project, delete_class(TABLE, 1))
    steps = apply_rewrite(plan)
    for step in steps:
        if step.done == len(plan.files) + 2:  # two files moved into place, two still staged
            break
    # the process dies here: nothing else runs (a generator left unfinished, never closed)
    assert json.loads((project.root / JOURNAL_NAME).read_text())["phase"] == "committing"
    assert saved_names(project) == TABLE.names  # the table is written last
    reopened = Project.open(project.root)
    assert "interrupted class edit" in reopened.origin and "was finished" in reopened.origin
    assert reopened.classes.names == saved_names(project) == ["background", "dog", "bird"]
    for seed, (stem, encoding) in enumerate(ENCODINGS.items()):
        after = read_label_file(reopened.labels_dir / f"{stem}.png", reopened.classes, encoding)
        assert (after == delete_class(TABLE, 1).lut[label(seed)]).all()
    assert leftover_staged(project.root) == [] and not (project.root / JOURNAL_NAME).exists()
    steps.close()


def test_a_crash_while_staging_is_rolled_back_by_the_next_open(project):
    before = label_files(project)
    edit = delete_class(TABLE, 1)
    plan = plan_rewrite(project, edit)
    Journal(project.root, STAGING, edit.summary, edit.new, plan.files).write(STAGING)
    stage_label(project, edit, plan.labels[0])  # one copy staged, then the process died
    reopened = Project.open(project.root)
    assert "rolled back" in reopened.origin and reopened.classes.names == TABLE.names
    assert label_files(project) == before and leftover_staged(project.root) == []


def test_read_only_label_folder_is_one_sentence_and_changes_nothing(project, monkeypatch):
    before = label_files(project)
    real_access = os.access
    labels = str(project.labels_dir)
    monkeypatch.setattr(os, "access", lambda path, mode, *a, **k: False if str(path) == labels and mode & os.W_OK
                        else real_access(path, mode, *a, **k))
    with pytest.raises(SegError) as caught:
        run_rewrite(plan_rewrite(project, delete_class(TABLE, 1)))
    assert str(caught.value) == (f"'{project.labels_dir}' is read-only and it holds 3 of the files to rewrite; "
                                 "nothing was changed.")
    assert label_files(project) == before and not (project.root / JOURNAL_NAME).exists()


def test_unsaved_edits_in_recovery_files_are_refused(project):
    folder = project.root / RECOVERY_DIR
    folder.mkdir()
    (folder / "img_0.png").write_bytes((project.labels_dir / "img_0.png").read_bytes())
    with pytest.raises(SegError, match="unsaved edits of 1 image.*Nothing was changed"):
        run_rewrite(plan_rewrite(project, move_class(TABLE, 1, 2)))


def test_a_table_changed_by_another_program_is_refused(project):
    Project.open(project.root).with_classes(TABLE.renamed(1, "kitten")).save()  # another window saved
    with pytest.raises(SegError, match="changed by another program"):
        run_rewrite(plan_rewrite(project, move_class(TABLE, 1, 2)))


def onehot_project(root) -> Project:
    project = Project.create(root, TABLE)
    project = replace(project, label_encoding=LabelEncoding.ONEHOT).save()
    image = project.images_dir / "a.png"
    Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(image)
    project.write_label(image, np.where(label(0) == IGNORE_INDEX, 0, label(0)).astype(np.uint8))
    return Project.open(root)


def test_one_hot_stacks_are_reordered_exactly(tmp_path):
    project = onehot_project(tmp_path / "onehot")
    path = project.labels_dir / "a.npy"
    stored = np.load(path)
    saved = run_rewrite(plan_rewrite(project, move_class(TABLE, 0, 3)))
    assert (np.load(path) == stored[[1, 2, 3, 0]]).all()  # the C x H x W form kept, channels in the new order
    assert saved.classes.names == ["cat", "dog", "bird", "background"]


def test_deleting_from_one_hot_stacks_is_refused_whole(tmp_path):
    project = onehot_project(tmp_path / "onehot")
    before = label_files(project)
    with pytest.raises(SegError, match="one-hot stack.*Nothing was changed"):
        run_rewrite(plan_rewrite(project, delete_class(TABLE, 1)))
    assert label_files(project) == before and leftover_staged(project.root) == []


def test_a_damaged_or_escaping_journal_is_refused_at_open(project):
    (project.root / JOURNAL_NAME).write_text('{"phase": "committing", "classes": [], "files": ["../x.png"]}')
    with pytest.raises(SegError, match="journal .* is damaged"):
        Project.open(project.root)


def test_a_label_whose_image_is_gone_is_rewritten_too(project):
    (project.images_dir / "img_1.png").unlink()
    plan = plan_rewrite(project, delete_class(TABLE, 1))
    assert project.labels_dir / "img_1.png" in plan.labels and len(plan.labels) == 3
    run_rewrite(plan)
    after = read_label_file(project.labels_dir / "img_1.png", delete_class(TABLE, 1).new, LabelEncoding.GREY)
    assert (after == delete_class(TABLE, 1).lut[label(1)]).all()


def test_cityscapes_label_ids_are_never_remapped(tmp_path):
    from segmodels.labels.classes import cityscapes_classes

    project = Project.create(tmp_path / "city", cityscapes_classes())
    project = replace(project, label_encoding=LabelEncoding.LABEL_IDS).save()
    image = project.images_dir / "a.png"
    Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(image)
    project.write_label(image, np.full((H, W), 13, np.uint8))  # car
    project = Project.open(project.root)
    before = label_files(project)
    with pytest.raises(SegError, match="Cityscapes label ids, whose classes are fixed.*Nothing was changed"):
        run_rewrite(plan_rewrite(project, move_class(project.classes, 13, 0)))
    assert label_files(project) == before


def test_the_ade20k_preset_matches_what_the_ade20k_layout_reads():
    from segmodels.formats.ade20k import ADE_CLASSES, OTHER
    from segmodels.labels.classes import load_class_table

    table = load_class_table("ADE20K")
    assert len(table) == ADE_CLASSES + 1 and table[0].name == OTHER
    assert table.names[1:4] == ["wall", "building", "sky"] and table[150].name == "flag"
    assert len(set(table.names)) == len(table)
