"""Fine-tuning keeps the source checkpoint's train/validation split (issue 15, item 9)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from segmodels.errors import SegError
from segmodels.labels.project import Project
from segmodels.models.checkpoint import load_checkpoint
from segmodels.training import TrainConfig
from segmodels.training.splits import kept_split, stem_fraction
from segmodels.training.trainer import run_to_end


def test_fine_tuning_after_labelling_more_images_never_validates_on_the_source_training_images(
        tiny_project: Path, tmp_path: Path) -> None:
    project = Project.open(tiny_project)
    later = project.labelled_images()[-6:]  # "labelled later": hidden while the base model trains
    aside = tmp_path / "aside"
    aside.mkdir()
    for image in later:
        shutil.move(project.label_path(image), aside / project.label_path(image).name)
    base = run_to_end(TrainConfig(project=str(tiny_project), arch="m2nist_fcn", epochs=1, batch_size=8,
                                  val_fraction=0.25, seed=5))
    for image in later:
        shutil.move(aside / project.label_path(image).name, project.label_path(image))
    # Another seed: a redrawn split would differ; the kept one must not.
    tuned = run_to_end(TrainConfig(project=str(tiny_project), from_checkpoint=str(base.best_checkpoint), epochs=1,
                                   batch_size=8, seed=9))
    old = load_checkpoint(base.best_checkpoint).split
    new = load_checkpoint(tuned.best_checkpoint).split
    assert not set(new["val"]) & set(old["train"])
    assert set(old["val"]) <= set(new["val"]) and set(old["train"]) <= set(new["train"])
    added = {image.stem for image in later}
    assert {stem for stem in added if stem in new["val"]} == {stem for stem in added if stem_fraction(stem) < 0.25}
    assert new["val_fraction"] == 0.25
    assert "train/validation split kept from" in tuned.note and "6 new image(s) assigned by stem hash" in tuned.note


def test_the_stem_hash_is_fixed_and_spreads_evenly() -> None:
    # SHA-256 of the UTF-8 stem, first 8 bytes over 2**64 (docs/training.md): the same on every machine.
    assert stem_fraction("img_0001") == pytest.approx(int("6a17d39f6b7f57aa", 16) / 2 ** 64)
    share = sum(stem_fraction(f"frame_{i:05d}") < 0.1 for i in range(4000)) / 4000
    assert 0.08 < share < 0.12


def test_a_split_from_other_images_still_gives_a_validation_image(tiny_project: Path) -> None:
    project = Project.open(tiny_project)
    recorded = {"seed": 0, "val_fraction": 0.01, "train": ["elsewhere_1"], "val": ["elsewhere_2"]}
    split, sentence = kept_split(project, recorded, 0.1, "'other.pt'")
    stems = sorted(image.stem for image in project.labelled_images())
    assert len(split["val"]) == 1 and split["val"][0] == min(stems, key=stem_fraction)
    assert sorted(split["train"] + split["val"]) == stems
    assert "2 image(s) of that split no longer have a reviewed label" in sentence


def test_no_recorded_split_and_nothing_left_to_train_on(tiny_project: Path) -> None:
    project = Project.open(tiny_project)
    assert kept_split(project, None, 0.1, "'a.pt'") is None
    assert kept_split(project, {"train": "x", "val": []}, 0.1, "'a.pt'") is None
    every = [image.stem for image in project.labelled_images()]
    with pytest.raises(SegError, match="Every reviewed image of .* is in the validation split of 'a.pt'"):
        kept_split(project, {"train": [], "val": every}, 0.1, "'a.pt'")
