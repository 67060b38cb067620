"""One object the GUI calls from a worker thread: load the model once, embed each image once, decode
each prompt.

`SamEngine.mask(weights, model_type, image_key, rgb, points, labels, box)` loads the checkpoint the
first time (and again only when the path, the file's stamp, the model type or `device` changes), takes the
image's embedding from the LRU cache or makes it, and returns the mask. `needs_embedding` tells the
GUI beforehand whether this call will run the (slow) image encoder, so it can say so. With no
checkpoint configured every call raises `NoWeights`, whose sentence says where to get one.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from segmodels.errors import SegError, describe
from segmodels.prompts.base import NoWeights, PromptBackend
from segmodels.prompts.cache import DEFAULT_SIZE, EmbeddingCache
from segmodels.prompts.checkpoints import KIND


def load_backend(path: str | os.PathLike[str], model_type: str = "auto", device: str = "auto") -> PromptBackend:
    """The Segment Anything model in checkpoint `path`, ready for prompts (SegError naming the file
    when it is missing, corrupt, hostile or no SAM model, or does not match `model_type`)."""
    from segmodels.inference.device import select_device
    from segmodels.prompts.checkpoints import choose, detect, read_state_dict

    path = Path(path).expanduser()
    state = read_state_dict(path)
    spec = choose(detect(state, path), model_type, path)
    torch_device, _ = select_device(device)
    if spec.family == "sam2":
        from segmodels.prompts import sam_v2

        return sam_v2.load(spec, state, path, torch_device)
    from segmodels.prompts import sam_v1

    return sam_v1.load(spec, state, path, torch_device)


def weights_key(weights: str, model_type: str) -> tuple:
    """What identifies a loaded model: the path, the file's size and mtime, and the type chosen."""
    if not weights.strip():
        raise NoWeights()
    path = Path(weights).expanduser()
    try:
        info = path.stat()
    except OSError:
        raise SegError(f"{KIND} {describe(path)} does not exist; choose another in Edit > Preferences.",
                       path=path) from None
    return str(path), info.st_size, info.st_mtime_ns, model_type


class SamEngine:
    def __init__(self, cache_size: int = DEFAULT_SIZE, device: str = "auto") -> None:
        self.cache = EmbeddingCache(cache_size)
        self.device = device
        self._backend: PromptBackend | None = None
        self._backend_key: tuple | None = None
        self._lock = threading.Lock()  # one load at a time; embeddings are per model

    def _key(self, weights: str, model_type: str) -> tuple:
        return (*weights_key(weights, model_type), self.device)  # another device (a preference) loads anew

    def backend(self, weights: str, model_type: str) -> PromptBackend:
        key = self._key(weights, model_type)
        with self._lock:
            if self._backend is None or self._backend_key != key:
                self._backend, self._backend_key = None, None
                self.cache.clear()  # another model's embeddings mean nothing to this one
                self._backend = load_backend(key[0], model_type, self.device)
                self._backend_key = key
            return self._backend

    def needs_embedding(self, weights: str, model_type: str, image_key: Hashable) -> bool:
        try:
            key = self._key(weights, model_type)
        except SegError:
            return False
        return self._backend_key != key or (key, image_key) not in self.cache

    def embedding(self, weights: str, model_type: str, image_key: Hashable, rgb: np.ndarray) -> Any:
        backend = self.backend(weights, model_type)
        key = (self._backend_key, image_key)
        found = self.cache.get(key)
        if found is None:
            found = backend.set_image(rgb)
            self.cache.put(key, found)
        return found

    def mask(self, weights: str, model_type: str, image_key: Hashable, rgb: np.ndarray,
             points: Sequence[tuple[float, float]], labels: Sequence[int],
             box: tuple[float, float, float, float] | None) -> np.ndarray:
        embedding = self.embedding(weights, model_type, image_key, rgb)
        return self.backend(weights, model_type).predict(embedding, points, labels, box)
