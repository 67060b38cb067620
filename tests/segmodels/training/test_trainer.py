"""fit/train_one_epoch behaviour on a 16-image demo project: learning, cancel, resume, fine-tune, errors."""
from __future__ import annotations

import hashlib
import shutil
import threading
from pathlib import Path

import pytest
import torch

from segmodels.errors import SegError
from segmodels.labels.classes import ClassTable
from segmodels.labels.project import Project
from segmodels.models import get_model
from segmodels.models.checkpoint import load_checkpoint, save_checkpoint
from segmodels.training import EpochReport, FitResult, StepReport, TrainConfig, fit, train_one_epoch
from segmodels.training.dataset import LabelledImages, collate_pairs
from segmodels.training.loops import evaluate
from segmodels.training.trainer import LossDiverged, OutOfMemory, run_to_end


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _config(project: Path, **kw) -> TrainConfig:
    return TrainConfig(project=str(project), **{"arch": "m2nist_fcn", "epochs": 1, "batch_size": 8, **kw})


def test_a_few_steps_reduce_the_loss(tiny_project: Path) -> None:
    torch.manual_seed(0)
    project = Project.open(tiny_project)
    data = LabelledImages(project, project.labelled_images()[:8])
    batch = collate_pairs([data[i] for i in range(len(data))])
    model = get_model("m2nist_fcn", num_classes=len(project.classes))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    kwargs = dict(device=torch.device("cpu"), normalization=model.normalization)
    first = train_one_epoch(model, [batch], optimizer, **kwargs)
    for _ in range(15):
        last = train_one_epoch(model, [batch], optimizer, **kwargs)
    assert last < 0.8 * first


def test_fit_reports_steps_epochs_and_writes_best_and_last(tiny_project: Path) -> None:
    reports = list(fit(_config(tiny_project)))
    steps = [r for r in reports if isinstance(r, StepReport)]
    epochs = [r for r in reports if isinstance(r, EpochReport)]
    result = reports[-1]
    assert isinstance(result, FitResult) and not result.cancelled
    assert steps and steps[-1].step == steps[-1].steps_per_epoch and steps[0].images_per_s > 0
    assert len(epochs) == 1 and epochs[0].is_best and 0.0 <= epochs[0].miou <= 1.0
    assert len(epochs[0].per_class_iou) == 11
    models = tiny_project / "models"
    assert result.best_checkpoint.parent == models and result.best_checkpoint.name.startswith("m2nist_fcn-")
    assert result.best_checkpoint.with_suffix(".json").exists() and result.last_checkpoint.exists()
    assert result.last_checkpoint.name == result.best_checkpoint.name[:-3] + ".last.pt"
    checkpoint = load_checkpoint(result.best_checkpoint)
    assert checkpoint.epoch == 1 and checkpoint.split["val"] and checkpoint.split["train"]
    assert not set(checkpoint.split["val"]) & set(checkpoint.split["train"])


def test_cancel_leaves_the_previous_checkpoint_byte_identical(tiny_project: Path) -> None:
    first = run_to_end(_config(tiny_project))
    before = {p: _digest(p) for p in (first.best_checkpoint, first.last_checkpoint)}
    stop = threading.Event()
    steps = 0
    for report in fit(_config(tiny_project, epochs=3, batch_size=4), cancel=stop.is_set):
        if isinstance(report, StepReport):
            steps += 1
            if steps == 2:
                stop.set()
        result = report
    assert isinstance(result, FitResult) and result.cancelled and result.epochs_done == 0
    assert {p: _digest(p) for p in before} == before
    assert sorted(p.name for p in (tiny_project / "models").iterdir()) == sorted(
        p.name for p in (first.best_checkpoint.with_suffix(".json"), first.last_checkpoint, first.best_checkpoint))


def test_resume_continues_the_epoch_count(tiny_project: Path) -> None:
    first = run_to_end(_config(tiny_project))
    epochs = [r.epoch for r in fit(TrainConfig(project=str(tiny_project), resume=str(first.last_checkpoint), epochs=2))
              if isinstance(r, EpochReport)]
    assert epochs == [2]
    resumed = load_checkpoint(first.last_checkpoint)
    assert resumed.epoch == 2 and resumed.optimizer_state["state"]
    assert resumed.split == load_checkpoint(first.best_checkpoint).split


def test_fine_tune_with_a_changed_class_count(tiny_project: Path) -> None:
    source = tiny_project / "source.pt"
    model = get_model("m2nist_fcn", num_classes=4)
    save_checkpoint(source, model, classes=ClassTable.from_names(["bg", "a", "b", "c"]),
                    normalization=model.normalization)
    result = run_to_end(TrainConfig(project=str(tiny_project), from_checkpoint=str(source), epochs=1, batch_size=8))
    tuned = load_checkpoint(result.best_checkpoint)
    assert tuned.num_classes == 11 and tuned.classes.names[1] == "digit 0"
    assert "head rows matched by class name: 0 kept in place; 11 re-initialised" in result.note
    # Layers that do not depend on the class count came from the source checkpoint (then trained).
    first_conv = next(k for k, v in model.state_dict().items() if v.ndim == 4)
    assert tuned.state_dict[first_conv].shape == model.state_dict()[first_conv].shape


def test_project_without_reviewed_labels_is_a_clear_error(tiny_project: Path) -> None:
    shutil.rmtree(tiny_project / "labels")
    with pytest.raises(SegError, match="no reviewed labels"):
        list(fit(_config(tiny_project)))


def test_nan_loss_stops_with_a_sentence_and_keeps_the_checkpoint(tiny_project: Path, monkeypatch) -> None:
    first = run_to_end(_config(tiny_project))
    before = _digest(first.best_checkpoint)
    import segmodels.training.loops as loops

    monkeypatch.setattr(loops, "segmentation_loss", lambda *a, **k: torch.tensor(float("nan"), requires_grad=True))
    with pytest.raises(LossDiverged, match="loss became nan.*unchanged"):
        list(fit(_config(tiny_project)))
    assert _digest(first.best_checkpoint) == before


def test_cuda_out_of_memory_is_a_typed_sentence(tiny_project: Path, monkeypatch) -> None:
    import segmodels.training.trainer as trainer

    def exploding_steps(*args, **kwargs):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        yield  # pragma: no cover

    monkeypatch.setattr(trainer, "train_steps", exploding_steps)
    with pytest.raises(OutOfMemory, match="ran out of memory with batch size") as caught:
        list(fit(_config(tiny_project)))
    assert isinstance(caught.value, SegError)


def test_evaluate_counts_the_whole_split(tiny_project: Path) -> None:
    project = Project.open(tiny_project)
    data = LabelledImages(project, project.labelled_images())
    model = get_model("m2nist_fcn", num_classes=11)
    batches = [collate_pairs([data[i] for i in range(s, min(s + 5, len(data)))]) for s in range(0, len(data), 5)]
    metrics = evaluate(model, batches, 11, device=torch.device("cpu"), normalization=model.normalization)
    assert metrics.pixels == 16 * 64 * 84
