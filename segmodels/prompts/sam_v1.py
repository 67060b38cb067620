"""Meta's `segment-anything` (ViT-B/L/H): the model built by its registry, weights loaded safely.

The three published sizes are built by `sam_model_registry[model_type]` with no checkpoint (its own
loading is a bare `torch.load`); an encoder of another size (a fine-tune, or the tiny models the tests
make) by the same package function the registry calls, `_build_sam`, with the sizes read from the
checkpoint (`checkpoints.detect`). `SamPredictor` does the resizing to 1024 pixels, the normalisation
and the mask post-processing, so masks come back at the image's size.
"""
from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from segmodels.errors import SegError
from segmodels.prompts.base import as_arrays, best_mask
from segmodels.prompts.checkpoints import SamSpec, load_weights


def _import() -> Any:
    try:
        import segment_anything
    except ImportError:
        raise SegError("The 'segment-anything' package is not installed: pip install segment-anything.") from None
    return segment_anything


def build_model(spec: SamSpec) -> torch.nn.Module:
    """The architecture `spec` describes, with random weights."""
    _import()
    from segment_anything.build_sam import _build_sam, sam_model_registry

    if spec.model_type in sam_model_registry:
        return sam_model_registry[spec.model_type](checkpoint=None)
    return _build_sam(encoder_embed_dim=spec.embed_dim, encoder_depth=spec.depth, encoder_num_heads=spec.num_heads,
                      encoder_global_attn_indexes=list(spec.global_attn), checkpoint=None)


class SamV1Backend:
    """`SamPredictor` behind the `PromptBackend` interface; the embedding handle is (features,
    original size, input size), what the predictor keeps for one image."""

    def __init__(self, model: torch.nn.Module, name: str) -> None:
        from segment_anything import SamPredictor

        self.name = name
        self.predictor = SamPredictor(model)
        self._lock = threading.Lock()  # the predictor holds one image's state while it works

    @torch.inference_mode()
    def set_image(self, rgb: np.ndarray) -> Any:
        with self._lock:
            self.predictor.set_image(np.ascontiguousarray(rgb), image_format="RGB")
            p = self.predictor
            return p.features, p.original_size, p.input_size

    @torch.inference_mode()
    def predict(self, embedding: Any, points: Sequence[tuple[float, float]], labels: Sequence[int],
                box: tuple[float, float, float, float] | None) -> np.ndarray:
        coords, point_labels, box_array = as_arrays(points, labels, box)
        with self._lock:
            p = self.predictor
            p.features, p.original_size, p.input_size = embedding
            p.is_image_set = True
            # One click is ambiguous (part, object, group): ask for three masks and keep the best scored.
            masks, scores, _ = p.predict(point_coords=coords, point_labels=point_labels, box=box_array,
                                         multimask_output=box is None and len(points) == 1)
        return best_mask(masks, scores)


def load(spec: SamSpec, state: dict[str, Any], path: Path, device: torch.device) -> SamV1Backend:
    model = load_weights(build_model(spec), state, spec, path, device)
    return SamV1Backend(model, f"SAM {spec.model_type}")
