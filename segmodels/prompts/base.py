"""The prompt backend interface and the sentence for a missing checkpoint.

A backend embeds an image once (`set_image`, the expensive image encoder) and then turns prompts into
masks cheaply (`predict`, the prompt encoder and mask decoder) against that embedding. The embedding
is an opaque handle: the engine keeps several in an LRU cache and passes the right one back, so a
backend holds no "current image" state of its own that a second image could overwrite.

Points are (x, y) pixel columns/rows, as both SAM packages take them; labels are 1 (positive, "this
is the object") or 0 (negative, "this is not"); a box is (x0, y0, x1, y1) in pixels.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from segmodels.errors import SegError

CHECKPOINT_URL = "https://github.com/facebookresearch/segment-anything#model-checkpoints"
NO_WEIGHTS = ("Segment Anything needs a checkpoint: download sam_vit_b_01ec64.pth from "
              f"{CHECKPOINT_URL} and choose it in Edit > Preferences.")

#: What a user may choose as the model type; "auto" reads it from the checkpoint's keys and shapes.
MODEL_TYPES = ("auto", "vit_b", "vit_l", "vit_h",
               "sam2.1_hiera_t", "sam2.1_hiera_s", "sam2.1_hiera_b+", "sam2.1_hiera_l",
               "sam2_hiera_t", "sam2_hiera_s", "sam2_hiera_b+", "sam2_hiera_l")


class NoWeights(SegError):
    """No Segment Anything checkpoint is configured (the GUI then offers GrabCut instead)."""

    def __init__(self) -> None:
        super().__init__(NO_WEIGHTS)


class PromptBackend(Protocol):
    """A Segment Anything model ready for prompts (see the module docstring for the conventions)."""

    name: str  # e.g. "SAM vit_b", for status messages

    def set_image(self, rgb: np.ndarray) -> Any:
        """Run the image encoder on an HxWx3 uint8 RGB image; the handle is passed to `predict`."""

    def predict(self, embedding: Any, points: Sequence[tuple[float, float]], labels: Sequence[int],
                box: tuple[float, float, float, float] | None) -> np.ndarray:
        """The best mask for the prompt as an HxW bool array at the image's size."""


def as_arrays(points: Sequence[tuple[float, float]], labels: Sequence[int],
              box: tuple[float, float, float, float] | None) -> tuple[np.ndarray | None, np.ndarray | None,
                                                                      np.ndarray | None]:
    """The prompt as the numpy arrays both predictors take (None for what is absent)."""
    if len(points) != len(labels):
        raise ValueError("each point needs one label")
    if not points and box is None:
        raise ValueError("a prompt needs a point or a box")
    coords = np.asarray(points, dtype=np.float32).reshape(-1, 2) if points else None
    point_labels = np.asarray(labels, dtype=np.int32) if points else None
    box_array = np.asarray(box, dtype=np.float32) if box is not None else None
    return coords, point_labels, box_array


def best_mask(masks: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """The highest-scoring of the predictor's masks, as bool. With one click SAM returns three
    candidates (part, object, whole) and its own score picks which one the click most likely meant."""
    return np.asarray(masks[int(np.argmax(scores))], dtype=bool)
