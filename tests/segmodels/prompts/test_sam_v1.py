"""segment-anything through the real loading path, on a tiny model with random weights: the file is
read safely, its sizes are read from the shapes, and a click or a box gives a mask of the image's size;
the image encoder runs once per image (the embedding is cached)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from segmodels.errors import SegError
from segmodels.prompts.engine import SamEngine, load_backend
from support.sam import tiny_sam_v1

pytest.importorskip("segment_anything")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return tiny_sam_v1(tmp_path_factory.mktemp("sam") / "tiny sam.pth")


@pytest.fixture(scope="module")
def engine():
    return SamEngine(cache_size=2, device="cpu")


def image(seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).random((90, 130, 3)) * 255).astype(np.uint8)


def test_click_and_box_give_masks_at_image_size_and_embed_once(engine, checkpoint):
    rgb = image()
    calls = []
    backend = engine.backend(str(checkpoint), "auto")
    original = backend.set_image
    backend.set_image = lambda array: calls.append(array.shape) or original(array)
    try:
        assert engine.needs_embedding(str(checkpoint), "auto", ("one.png", 1))
        click = engine.mask(str(checkpoint), "auto", ("one.png", 1), rgb, [(40.5, 30.5)], [1], None)
        assert not engine.needs_embedding(str(checkpoint), "auto", ("one.png", 1))
        boxed = engine.mask(str(checkpoint), "auto", ("one.png", 1), rgb, [(40.5, 30.5), (5.5, 5.5)], [1, 0],
                            (20.0, 10.0, 100.0, 70.0))
    finally:
        backend.set_image = original
    for mask in (click, boxed):
        assert mask.shape == (90, 130) and mask.dtype == bool
    assert calls == [(90, 130, 3)]  # the second prompt reused the embedding
    assert backend.name == "SAM custom"


def test_the_cache_keeps_the_last_images(engine, checkpoint):
    weights = str(checkpoint)
    for name in ("a.png", "b.png", "c.png"):  # a cache of two: a is evicted
        engine.embedding(weights, "auto", (name, 1), image())
    assert not engine.needs_embedding(weights, "auto", ("b.png", 1))
    assert not engine.needs_embedding(weights, "auto", ("c.png", 1))
    assert engine.needs_embedding(weights, "auto", ("a.png", 1))
    assert engine.needs_embedding(weights, "auto", ("b.png", 2))  # the image changed on disk


def test_a_type_that_does_not_match_is_named(checkpoint):
    with pytest.raises(SegError, match="holds a custom model, not vit_b"):
        load_backend(checkpoint, "vit_b", "cpu")


def test_a_state_dict_missing_weights_does_not_fit(checkpoint, tmp_path):
    state = torch.load(checkpoint, weights_only=True)
    del state["mask_decoder.iou_token.weight"]
    state["mask_decoder.iou_token.weight"] = torch.zeros(1, 8)  # misshapen
    path = tmp_path / "cut.pth"
    torch.save(state, path)
    with pytest.raises(SegError, match="cut.pth' does not fit the custom model"):
        load_backend(path, "auto", "cpu")
