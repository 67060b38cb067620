"""Fine-tuning onto a reordered class table keeps each class's head rows (issue 15, item 8)."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from segmodels.labels.classes import ClassTable
from segmodels.models import get_model
from segmodels.models.checkpoint import load_checkpoint, save_checkpoint
from segmodels.training.build import build_model
from segmodels.training.config import TrainConfig
from segmodels.training.heads import HeadMapping

SOURCE = ClassTable.from_names(["background", "cat", "dog", "fish"])
TARGET = ClassTable.from_names(["background", "dog", "cat", "bird"])  # cat/dog swapped, fish gone, bird new
#: Nothing dropped: m2nist_fcn's upsampling mixes classes, so a dropped class would change the others' scores.
REORDERED = ClassTable.from_names(["background", "dog", "cat", "fish", "bird"])


def _trained_looking_checkpoint(path: Path, arch: str, **kwargs) -> Path:
    """Random weights everywhere, off-diagonal upsampling entries included (as after training)."""
    torch.manual_seed(1)
    model = get_model(arch, num_classes=len(SOURCE), **kwargs)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.1)
    return save_checkpoint(path, model, classes=SOURCE)


@pytest.mark.parametrize(("arch", "kwargs"), [("m2nist_fcn", {}), ("unet", {"base_width": 4})])
def test_every_kept_class_scores_as_it_did_in_the_source(tmp_path: Path, arch: str, kwargs: dict) -> None:
    path = _trained_looking_checkpoint(tmp_path / "source.pt", arch, **kwargs)
    source = load_checkpoint(path)
    old = source.build_model()
    start = build_model(TrainConfig(project="p", from_checkpoint=str(path)), arch, REORDERED, source)
    new = start.model.eval()
    x = torch.randn(2, 3, 32, 48)
    with torch.no_grad():
        old_logits, new_logits = old(x), new(x)
    for name in SOURCE.names:
        # m2nist_fcn's C x C upsampling kernels mix classes: both of their axes follow the names too.
        assert torch.allclose(new_logits[:, REORDERED.names.index(name)], old_logits[:, SOURCE.names.index(name)],
                              atol=1e-5), name


def test_the_note_says_what_was_kept_moved_and_re_initialised(tmp_path: Path) -> None:
    path = _trained_looking_checkpoint(tmp_path / "source.pt", "m2nist_fcn")
    source = load_checkpoint(path)
    start = build_model(TrainConfig(project="p", from_checkpoint=str(path)), "m2nist_fcn", TARGET, source)
    assert ("head rows matched by class name: 1 kept in place; 2 moved ('dog' 2->1, 'cat' 1->2); "
            "1 re-initialised ('bird', new); 1 dropped ('fish', not in the project)") in start.note
    fresh = get_model("m2nist_fcn", num_classes=len(TARGET)).state_dict()
    assert start.model.score.weight.shape == fresh["score.weight"].shape


def test_same_table_in_the_same_order_is_a_plain_load(tmp_path: Path) -> None:
    path = _trained_looking_checkpoint(tmp_path / "source.pt", "m2nist_fcn")
    source = load_checkpoint(path)
    start = build_model(TrainConfig(project="p", from_checkpoint=str(path)), "m2nist_fcn", SOURCE, source)
    assert "matched by class name" not in start.note
    for key, value in start.model.state_dict().items():
        assert torch.equal(value, source.state_dict[key]), key


def test_mapping_of_many_names_is_shortened() -> None:
    many = ClassTable.from_names([f"c{i}" for i in range(20)])
    mapping = HeadMapping.between(ClassTable.from_names(["x"]), many)
    assert mapping.new == tuple(many.names) and mapping.dropped == ("x",)
    assert "20 re-initialised ('c0', " in mapping.sentence() and "and 8 more, new)" in mapping.sentence()
