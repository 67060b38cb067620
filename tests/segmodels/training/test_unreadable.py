"""A corrupt image met during training or evaluation is skipped and named, never a stop (issue 6)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from segmodels.cli import main as cli_main
from segmodels.errors import SegError
from segmodels.labels.project import Project
from segmodels.training import FitResult, TrainConfig, run_to_end
from segmodels.training.dataset import LabelledImages, collate_pairs


def _truncate(path: Path) -> None:
    """Keep the PNG signature and header but cut the pixel data short: the header still reads."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _first_image(project_root: Path) -> Path:
    return Project.open(project_root).labelled_images()[0]


def _config(project: Path, **kw) -> TrainConfig:
    return TrainConfig(project=project, arch="m2nist_fcn", epochs=kw.pop("epochs", 2), batch_size=4,
                       device="cpu", **kw)


def test_training_skips_a_truncated_image_and_names_it(tiny_project: Path) -> None:
    bad = _first_image(tiny_project)
    _truncate(bad)
    epoch_skips = []
    result = run_to_end(_config(tiny_project),
                        on_report=lambda r: epoch_skips.append(r.skipped) if hasattr(r, "train_loss") else None)
    assert isinstance(result, FitResult) and result.epochs_done == 2
    assert result.best_checkpoint is not None and result.best_checkpoint.is_file()
    assert len(result.skipped) == 1 and bad.name in result.skipped[0]
    assert epoch_skips == [result.skipped, result.skipped]  # known from the first epoch on
    recorded = json.loads(result.best_checkpoint.with_suffix(".json").read_text())
    assert recorded["train_images"] + recorded["val_images"] == 16  # the split still lists it


def test_uncached_dataset_skips_at_load_time(tiny_project: Path) -> None:
    project = Project.open(tiny_project)
    images = project.labelled_images()[:4]
    _truncate(images[1])
    data = LabelledImages(project, images, cache=False)
    assert len(data) == 4 and data[1] is None
    batch = collate_pairs([data[i] for i in range(4)])
    assert batch[0].shape[0] == 3 and batch[1].shape[0] == 3
    assert collate_pairs([data[1]]) is None
    assert list(data.skipped) == [images[1]] and images[1].name in data.skipped[images[1]]


def test_all_unreadable_is_one_sentence(tiny_project: Path) -> None:
    for image in Project.open(tiny_project).labelled_images():
        _truncate(image)
    with pytest.raises(SegError) as info:
        run_to_end(_config(tiny_project, epochs=1))
    assert "could be read" in str(info.value) and "\n" not in str(info.value)


def test_cli_train_and_evaluate_warn_once(tiny_project: Path, capsys: pytest.CaptureFixture) -> None:
    label = Project.open(tiny_project).label_path(_first_image(tiny_project))
    _truncate(label)  # a corrupt label is skipped the same way
    assert cli_main(["train", str(tiny_project), "--arch", "m2nist_fcn", "--epochs", "2", "--batch-size", "4",
                     "--device", "cpu"]) == 0
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if line.startswith("warning: skipped:")]
    assert len(warnings) == 1 and label.name in warnings[0]  # once, not once per epoch
    assert sum(label.name in line for line in err.splitlines()) == 1
    checkpoint = next(p for p in (tiny_project / "models").glob("m2nist_fcn-*.pt") if not p.name.endswith(".last.pt"))
    assert cli_main(["evaluate", str(tiny_project), "--model", str(checkpoint), "--json"]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert result["images"] == 15 and len(result["skipped"]) == 1 and label.name in result["skipped"][0]
    assert label.name in captured.err
