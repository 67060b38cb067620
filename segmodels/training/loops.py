"""The two plain training functions: `train_one_epoch` and `evaluate` (plus the step generator they share).

`train_steps` runs one epoch and yields `(step, loss, images, lr)` after every optimiser step (`lr`:
the rate that step used, read before the scheduler moves it on), so `fit` can report progress and
check for cancellation between steps; `train_one_epoch` just drains it.
The loss (cross-entropy, optionally class-weighted, an optional soft Dice term and a weighted aux
term when the model has an aux head) is `segmodels.training.losses.segmentation_loss`. On CUDA the
forward pass runs under autocast (float16) with a GradScaler. A NaN or infinite loss raises
`NonFiniteLoss` before the optimiser step, so the weights (and any checkpoint) stay as they were.
Under DDP the loss is averaged over ranks, so every rank sees the same value and stops at the same step.

A batch that is `None` (every pair in it unreadable, see training.dataset) is passed over by both
loops, and so is a batch without one labelled pixel (a random crop of a sparsely labelled image):
cross-entropy averaged over no pixels is 0/0, the NaN that used to stop training with "try a lower lr"
(docs/models-and-labels.md#training). Under DDP the labelled pixels are counted over all ranks, so all
skip together; a rank whose own batch has none adds a zero loss (`segmentation_loss` divides by at
least one pixel). (Under DDP such a batch can only come from uncached data; cached data drops bad pairs before
the split is sharded, so every rank still runs the same number of steps.)

`evaluate` predicts every image of the split alone, through the function `predict` writes its label
maps with (segmodels.inference.predict.predict_label_map: tiled, blended, one image at a time, so
memory is bounded by the tile size whatever the batch or the image count), accumulates one confusion
matrix (summed over ranks) and returns `SegMetrics`; ignore pixels never count.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import torch

from segmodels.constants import IGNORE_INDEX
from segmodels.inference.predict import DEFAULT_TILE_SIZE, predict_label_map
from segmodels.inference.preprocess import Normalization, to_input_tensor
from segmodels.training.distributed import SINGLE_PROCESS, DistContext, all_reduce_sum
from segmodels.training.losses import DEFAULT_LOSS_SETTINGS, LossSettings, segmentation_loss
from segmodels.training.metrics import SegMetrics, confusion_matrix

Batch = tuple[torch.Tensor, torch.Tensor]


class NonFiniteLoss(ArithmeticError):
    """The loss became NaN or infinite (fit turns this into a SegError sentence)."""


def has_labelled_pixels(labels: torch.Tensor, device: torch.device, ctx: DistContext = SINGLE_PROCESS) -> bool:
    """Whether this step's batch (on any rank) has a labelled pixel; counted on the CPU labels, so
    a single process adds no device synchronisation (NCCL reduces on the device only)."""
    count = (labels != IGNORE_INDEX).sum()
    if ctx.enabled:
        count = all_reduce_sum(count.to(device), ctx)
    return bool(count > 0)


def to_device(batch: Batch, normalization: Normalization, device: torch.device) -> Batch:
    """uint8 N x 3 x H x W images -> normalised floats on the device; labels -> int64 on the device."""
    images, labels = batch
    inputs = to_input_tensor(images.permute(0, 2, 3, 1), normalization, device)
    return inputs, labels.to(device, non_blocking=True).long()


class AuxForward(torch.nn.Module):
    """Training view of a model: forward returns (logits, aux logits or None).

    DDP only hooks `forward`, so the aux head is reached by wrapping this view, not by calling
    `forward_with_aux` around DDP. It holds no parameters of its own.
    """

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        with_aux = getattr(self.model, "forward_with_aux", None)
        return with_aux(inputs) if with_aux is not None else (self.model(inputs), None)


def training_view(model: torch.nn.Module) -> torch.nn.Module:
    """`model` if it already returns (logits, aux) (an AuxForward, maybe inside DDP), else AuxForward(model)."""
    inner = model.module if hasattr(model, "module") else model
    return model if isinstance(inner, AuxForward) else AuxForward(model)


def bare_model(model: torch.nn.Module) -> torch.nn.Module:
    """The SegmentationModel inside DDP and/or AuxForward."""
    inner = model.module if hasattr(model, "module") else model
    return inner.model if isinstance(inner, AuxForward) else inner


def train_steps(model: torch.nn.Module, batches: Iterable[Batch | None], optimizer: torch.optim.Optimizer,
                scheduler: torch.optim.lr_scheduler.LRScheduler | None, *, device: torch.device,
                normalization: Normalization, loss_settings: LossSettings = DEFAULT_LOSS_SETTINGS,
                scaler: torch.amp.GradScaler | None = None, ctx: DistContext = SINGLE_PROCESS
                ) -> Iterator[tuple[int, float, int, float]]:
    """One epoch; yields (step, loss averaged over ranks, images in this rank's batch, learning rate of
    that step) per step."""
    model = training_view(model)
    model.train()
    use_amp = scaler is not None and device.type == "cuda"
    step = 0
    for batch in batches:
        if batch is None:
            continue  # every pair in it was unreadable (and is reported by the dataset)
        if not has_labelled_pixels(batch[1], device, ctx):
            continue  # nothing to learn, and a loss over no pixels would be NaN
        step += 1
        inputs, labels = to_device(batch, normalization, device)
        with torch.autocast(device_type=device.type, dtype=torch.float16, enabled=use_amp):
            logits, aux_logits = model(inputs)
        loss = segmentation_loss(logits, aux_logits, labels, loss_settings)
        reported = all_reduce_sum(loss.detach().clone(), ctx) / ctx.world_size
        value = float(reported)
        if not torch.isfinite(reported):
            raise NonFiniteLoss(value)
        lr = float(optimizer.param_groups[0]["lr"])  # after scheduler.step() it is the next step's rate
        optimizer.zero_grad(set_to_none=True)
        if use_amp:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()
        if scheduler is not None:
            scheduler.step()
        yield step, value, int(inputs.shape[0]), lr


def train_one_epoch(model: torch.nn.Module, batches: Iterable[Batch | None], optimizer: torch.optim.Optimizer,
                    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None, *, device: torch.device,
                    normalization: Normalization, loss_settings: LossSettings = DEFAULT_LOSS_SETTINGS,
                    scaler: torch.amp.GradScaler | None = None, ctx: DistContext = SINGLE_PROCESS,
                    cancel: Callable[[], bool] | None = None) -> float:
    """Train for one epoch and return the mean loss (stops early, between steps, when cancel() is true)."""
    total, count = 0.0, 0
    for _, loss, images, _ in train_steps(model, batches, optimizer, scheduler, device=device,
                                       normalization=normalization, loss_settings=loss_settings,
                                       scaler=scaler, ctx=ctx):
        total, count = total + loss * images, count + images
        if cancel is not None and cancel():
            break
    return total / max(count, 1)


@torch.inference_mode()
def evaluate(model: torch.nn.Module, batches: Iterable[Batch | None], num_classes: int, *, device: torch.device,
             normalization: Normalization, amp: bool = True, ctx: DistContext = SINGLE_PROCESS,
             tile_size: int = DEFAULT_TILE_SIZE, tile_overlap: int | None = None) -> SegMetrics:
    """Metrics from one confusion matrix over all images (and all ranks); ignore pixels excluded.

    Each image of each batch is predicted on its own, as `segstudio predict` would write it (tiles of
    `tile_size`, the architecture's overlap unless `tile_overlap` is given); the model stays in eval mode.
    """
    inner = bare_model(model)  # the bare module: no DDP collectives during evaluation
    inner.eval()
    confusion = torch.zeros(num_classes, num_classes, dtype=torch.int64)
    use_amp = bool(amp) and device.type == "cuda"
    for batch in batches:
        if batch is None:
            continue  # every pair in it was unreadable
        images, labels = batch
        for image, label in zip(images, labels, strict=True):
            label_map, _ = predict_label_map(inner, image.permute(1, 2, 0), normalization, device,
                                             tile_size=tile_size, tile_overlap=tile_overlap, amp=use_amp,
                                             with_confidence=False)
            confusion += confusion_matrix(label, torch.from_numpy(label_map), num_classes)
    confusion = all_reduce_sum(confusion.to(device), ctx)
    return SegMetrics.from_confusion(confusion)
