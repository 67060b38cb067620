"""The `sam2` package (SAM 2 and 2.1, Hiera T/S/B+/L): `build_sam2` with the package's config names.

`build_sam2(config, None)` builds the architecture from the package's own hydra config (named after
the model type: `configs/sam2.1/sam2.1_hiera_t.yaml`) without loading anything; the weights, read
safely (`checkpoints.read_state_dict`), are then loaded strictly. `SAM2ImagePredictor` resizes,
normalises and post-processes, so masks come back at the image's size. Without the package (its
install builds from source) the backend says how to install it.
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


def available() -> bool:
    import importlib.util

    return importlib.util.find_spec("sam2") is not None


def config_name(model_type: str) -> str:
    """The package's config for a model type: "sam2.1_hiera_t" -> "configs/sam2.1/sam2.1_hiera_t.yaml"."""
    version = model_type.split("_hiera_")[0]
    return f"configs/{version}/{model_type}.yaml"


def build_model(spec: SamSpec, device: torch.device) -> torch.nn.Module:
    if not available():
        raise SegError("This checkpoint is a SAM 2 model, which needs the 'sam2' package: "
                       "SAM2_BUILD_CUDA=0 pip install sam2.")
    from sam2.build_sam import build_sam2

    return build_sam2(config_name(spec.model_type), None, device=str(device), mode="eval")


class SamV2Backend:
    """`SAM2ImagePredictor` behind the `PromptBackend` interface; the embedding handle is (features,
    original size), what the predictor keeps for one image."""

    def __init__(self, model: torch.nn.Module, name: str) -> None:
        from sam2.sam2_image_predictor import SAM2ImagePredictor

        self.name = name
        self.predictor = SAM2ImagePredictor(model)
        self._lock = threading.Lock()

    @torch.inference_mode()
    def set_image(self, rgb: np.ndarray) -> Any:
        with self._lock:
            self.predictor.set_image(np.ascontiguousarray(rgb))
            return self.predictor._features, self.predictor._orig_hw

    @torch.inference_mode()
    def predict(self, embedding: Any, points: Sequence[tuple[float, float]], labels: Sequence[int],
                box: tuple[float, float, float, float] | None) -> np.ndarray:
        coords, point_labels, box_array = as_arrays(points, labels, box)
        with self._lock:
            p = self.predictor
            p._features, p._orig_hw = embedding
            p._is_image_set, p._is_batch = True, False
            masks, scores, _ = p.predict(point_coords=coords, point_labels=point_labels, box=box_array,
                                         multimask_output=box is None and len(points) == 1)
        return best_mask(masks, scores)


def load(spec: SamSpec, state: dict[str, Any], path: Path, device: torch.device) -> SamV2Backend:
    model = load_weights(build_model(spec, device), state, spec, path, device)
    return SamV2Backend(model, f"SAM 2 {spec.model_type.split('_hiera_')[-1]}")
