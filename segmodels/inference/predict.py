"""The one inference path used by the GUI, the CLI, `evaluate` and in-training validation.

`predict_label_map(model, image_rgb, ...)` turns one image into `(label_map uint8 H x W, confidence
float32 H x W or None)`, the confidence being the max softmax probability per pixel; `predict_image` is
the same after checking the image and preparing the model. Every caller that scores or writes a label
map goes through `predict_label_map`, so what `evaluate` scores is what `predict` writes.

Images with a side above `tile_size` run as overlapping tiles (segmodels.inference.tiling) whose
logits are blended with weights that fade out towards tile edges (segmodels.inference.blend). The
overlap comes from the architecture's reach (segmodels.models.catalog, docs/training.md#tiled-prediction)
unless given; only about one tile and the overlap rows hold C-channel logits (segmodels.inference.blend),
so memory is bounded by the tile, not the image. On CUDA the model runs under autocast (AMP); on CUDA and CPU
in channels_last layout.

Batch prediction over files (`predict_files`) lives in segmodels.inference.batch, which builds on this
module; this module never imports it back.
"""
from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import torch

from segmodels.errors import SegError
from segmodels.inference.blend import RowBands
from segmodels.inference.device import select_device
from segmodels.inference.preprocess import Normalization, to_input_tensor
from segmodels.inference.tiling import axis_spans
from segmodels.models.catalog import tile_overlap_for

DEFAULT_TILE_SIZE = 1024


def model_device(model: torch.nn.Module) -> torch.device:
    for parameter in model.parameters():
        return parameter.device
    return torch.device("cpu")


def resolve_device(device: str | torch.device | None, model: torch.nn.Module) -> torch.device:
    """None = wherever the model already is; a name goes through select_device (so 'auto' works)."""
    if device is None:
        return model_device(model)
    if isinstance(device, torch.device):
        return device
    return select_device(device)[0]


def use_channels_last(device: torch.device) -> bool:
    """NHWC layout: cuDNN and oneDNN convolutions both run faster in it (measured 1.6-2.2x for
    unet/m2nist_fcn on this CPU); MPS support is patchy, so it keeps NCHW."""
    return device.type in ("cuda", "cpu")


def prepare_model(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """Eval mode on `device`, channels_last where that is faster."""
    model.eval()
    if use_channels_last(device):
        return model.to(device=device, memory_format=torch.channels_last)
    return model.to(device)


def autocast_context(device: torch.device, amp: bool | None) -> contextlib.AbstractContextManager:
    """Autocast on CUDA unless amp=False (bfloat16 where supported: no fp16 overflow in logits)."""
    use_amp = device.type == "cuda" if amp is None else bool(amp)
    if not use_amp or device.type not in ("cuda", "cpu"):
        return contextlib.nullcontext()
    if device.type == "cuda":
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    else:
        dtype = torch.bfloat16
    return torch.autocast(device_type=device.type, dtype=dtype)


def logits_to_labels(logits: torch.Tensor, *, with_confidence: bool = True) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(argmax as uint8, max softmax as float32 or None), both N x H x W, on the logits' device.

    max softmax = 1 / sum_k exp(l_k - l_max), with the subtraction and exp done in one scratch
    buffer: no probability tensor is kept. The exp pass costs about as much as the argmax itself
    (measured ~25 ms per 2 x 21 x 512 x 512 batch on a 2-core CPU), so callers that do not save
    confidence skip it with `with_confidence=False`.
    """
    if logits.dtype != torch.float32:
        logits = logits.float()
    top, labels = logits.max(dim=1, keepdim=True)
    labels = labels.squeeze(1).to(torch.uint8)
    if not with_confidence:
        return labels, None
    confidence = logits.sub(top).exp_().sum(dim=1).reciprocal_()
    return labels, confidence


def forward_labels(model: torch.nn.Module, inputs: torch.Tensor, amp: bool | None, *,
                   with_confidence: bool = True) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Run the model on a normalised N x 3 x H x W batch and reduce to (labels, confidence or None)."""
    with torch.inference_mode():
        with autocast_context(inputs.device, amp):
            logits = model(inputs)
        # The reduction stays in inference mode (no autograd bookkeeping) but outside autocast (float32).
        return logits_to_labels(logits, with_confidence=with_confidence)


def model_tile_overlap(model: torch.nn.Module, tile_size: int) -> int:
    """The overlap for `model`'s architecture (three times its reach, at most half a tile), from the catalog."""
    return tile_overlap_for(str(getattr(model, "arch", "")), tile_size)


def check_image(image_rgb: Any) -> np.ndarray | torch.Tensor:
    if image_rgb.ndim != 3 or image_rgb.shape[2] != 3:
        raise SegError(f"An image for prediction must be H x W x 3 RGB, got shape {tuple(image_rgb.shape)}.")
    if image_rgb.shape[0] == 0 or image_rgb.shape[1] == 0:
        raise SegError("An image for prediction has no pixels.")
    return image_rgb


def predict_image(model: torch.nn.Module, image_rgb: np.ndarray | torch.Tensor, *,
                  device: str | torch.device | None = None, normalization: Normalization | None = None,
                  tile_size: int = DEFAULT_TILE_SIZE, tile_overlap: int | None = None,
                  amp: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Predict one H x W x 3 uint8 RGB image -> (label_map uint8 H x W, confidence float32 H x W).

    `device` None keeps the model where it is (it is moved otherwise); `normalization` defaults to
    the model's own. Images with a side above `tile_size` run as overlapping, blended tiles.
    """
    image_rgb = check_image(image_rgb)
    target = resolve_device(device, model)
    model = prepare_model(model, target)
    normalization = normalization or getattr(model, "normalization", None) or Normalization()
    label_map, confidence = predict_label_map(model, image_rgb, normalization, target, tile_size=tile_size,
                                              tile_overlap=tile_overlap, amp=amp)
    assert confidence is not None
    return label_map, confidence


@torch.inference_mode()
def predict_label_map(model: torch.nn.Module, image_rgb: np.ndarray | torch.Tensor, normalization: Normalization,
                      device: torch.device, *, tile_size: int = DEFAULT_TILE_SIZE, tile_overlap: int | None = None,
                      amp: bool | None = None, with_confidence: bool = True
                      ) -> tuple[np.ndarray, np.ndarray | None]:
    """(label map, confidence or None) of one H x W x 3 uint8 image with a model already in eval mode on
    `device`; one forward per tile, never more than one image at a time."""
    height, width = int(image_rgb.shape[0]), int(image_rgb.shape[1])
    stride = int(getattr(model, "stride", 1) or 1)
    overlap = model_tile_overlap(model, tile_size) if tile_overlap is None else int(tile_overlap)
    rows, cols = axis_spans(height, tile_size, overlap, stride), axis_spans(width, tile_size, overlap, stride)
    channels_last = use_channels_last(device)
    if len(rows) == len(cols) == 1:  # the whole image is one tile: nothing to blend
        inputs = to_input_tensor(image_rgb, normalization, device, channels_last=channels_last)
        labels, confidence = forward_labels(model, inputs, amp, with_confidence=with_confidence)
        return labels[0].cpu().numpy(), None if confidence is None else confidence[0].cpu().numpy()
    label_map = np.empty((height, width), dtype=np.uint8)
    confidence_map = np.empty((height, width), dtype=np.float32) if with_confidence else None
    bands = RowBands(rows, cols, width, device)
    for row, rows_span in enumerate(rows):
        for col, cols_span in enumerate(cols):
            window = image_rgb[rows_span.start:rows_span.stop, cols_span.start:cols_span.stop]
            inputs = to_input_tensor(window, normalization, device, channels_last=channels_last)
            with autocast_context(device, amp):
                logits = model(inputs)
            top, left, blended = bands.add(row, col, logits[0].float())
            if blended.shape[1] and blended.shape[2]:
                labels, confidence = logits_to_labels(blended[None], with_confidence=with_confidence)
                block = slice(top, top + blended.shape[1]), slice(left, left + blended.shape[2])
                label_map[block] = labels[0].cpu().numpy()
                if confidence_map is not None and confidence is not None:
                    confidence_map[block] = confidence[0].cpu().numpy()
    return label_map, confidence_map


def confidence_to_uint8(confidence: np.ndarray) -> np.ndarray:
    """Confidence in [0, 1] as 8-bit grey (255 = 1.0), how it is saved beside predictions."""
    return np.clip(np.rint(confidence * 255.0), 0, 255).astype(np.uint8)
