"""Blending tile logits (issue 15, item 11): the cross-fade weights, the streamed bands, and each
architecture's overlap from its reach."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from segmodels.inference.blend import RowBands, cross_fade
from segmodels.inference.predict import predict_image
from segmodels.inference.tiling import axis_spans
from segmodels.models import catalog, get_model

torch.set_num_threads(2)


@pytest.mark.parametrize("length,tile,overlap,stride", [(93, 40, 15, 4), (3000, 1024, 512, 32), (1025, 1024, 96, 32),
                                                        (700, 256, 128, 16), (50, 64, 8, 8), (130, 40, 30, 1)])
def test_weights_sum_to_one_and_ignore_the_third_next_to_a_tile_edge(length, tile, overlap, stride):
    spans = axis_spans(length, tile, overlap, stride)
    weights = cross_fade(spans)
    total = np.zeros(length)
    for span, weight in zip(spans, weights, strict=True):
        assert weight.shape == (span.stop - span.start,) and weight.dtype == torch.float32
        total[span.start:span.stop] += weight.double().numpy()
    np.testing.assert_allclose(total, 1.0, atol=1e-6)
    for index in range(1, len(spans)):
        span, weight = spans[index], weights[index]
        shared = spans[index - 1].stop - span.start
        near_edge = int(shared / 3)  # positions within a third of the overlap from this tile's left edge
        assert weight[:near_edge].max() < 1e-6, "a tile's logits next to its edge must not count"
        right = spans[index + 1].start - span.start if index + 1 < len(spans) else len(weight)
        assert np.all(np.diff(weight[:min(shared, right)].numpy()) >= -1e-7), "the weight rises into the tile"
    if len(spans) > 2:  # a middle tile counts fully away from both overlaps
        middle = spans[1]
        free = slice(spans[0].stop - middle.start, spans[2].start - middle.start)
        assert torch.all(weights[1][free] == 1.0)


def test_a_single_span_weighs_one_everywhere():
    spans = axis_spans(100, 128, 32, 8)
    assert len(spans) == 1 and torch.all(cross_fade(spans)[0] == 1.0)


@pytest.mark.parametrize("tile,overlap,stride", [(64, 30, 2), (40, 30, 1)])  # the second: 3 tiles share pixels
def test_blended_bands_reproduce_logits_that_every_tile_gets_right(tile, overlap, stride):
    """Where each tile computes the true logits, the streamed blend returns exactly them, each pixel once
    (the weights sum to one in 2-D too); a tile that is wrong only next to its edges changes nothing either."""
    height, width, classes = 150, 230, 3
    truth = torch.randn(classes, height, width)
    rows, cols = axis_spans(height, tile, overlap, stride), axis_spans(width, tile, overlap, stride)
    bands = RowBands(rows, cols, width, torch.device("cpu"))
    blended = torch.full_like(truth, float("nan"))
    for r, row in enumerate(rows):
        for c, col in enumerate(cols):
            tile = truth[:, row.start:row.stop, col.start:col.stop].clone()
            if r > 0:
                tile[:, :9] = 1e3  # garbage within a third of the overlap (>= 10 px) from an inner edge
            if c + 1 < len(cols):
                tile[:, :, -9:] = -1e3
            top, left, done = bands.add(r, c, tile)
            block = blended[:, top:top + done.shape[1], left:left + done.shape[2]]
            assert torch.isnan(block).all(), "every pixel is handed back once"
            block.copy_(done)
    assert len(rows) * len(cols) >= 12
    torch.testing.assert_close(blended, truth, atol=1e-4, rtol=1e-5)


def test_every_architecture_has_a_measured_reach_and_an_overlap_from_it():
    for name, entry in catalog.ARCHITECTURES.items():
        assert isinstance(entry.reach, int) and entry.reach > 0, name
        assert catalog.tile_overlap_for(name, 4096) == 3 * entry.reach
        assert catalog.tile_overlap_for(name, 256) <= 128  # never more than half a tile
    reach = {name: entry.reach for name, entry in catalog.ARCHITECTURES.items()}
    # The image-pooling and atrous heads see much further than the small FCNs.
    assert reach["deeplabv3_mobilenet_v3_large"] > reach["unet"] > reach["m2nist_fcn"]
    assert catalog.tile_overlap_for("an_architecture_from_a_newer_segstudio", 4096) == 3 * catalog.DEFAULT_REACH


def test_prediction_uses_the_architectures_overlap(monkeypatch):
    """The overlap (hence the tile grid) follows the catalog: a longer reach means more, more overlapping tiles."""
    model = get_model("m2nist_fcn", num_classes=3).eval()
    seen: list[tuple[int, ...]] = []
    model.register_forward_pre_hook(lambda module, inputs: seen.append(tuple(inputs[0].shape)))
    image = np.random.default_rng(0).integers(0, 256, (600, 600, 3), dtype=np.uint8)
    predict_image(model, image, tile_size=256)
    assert len(seen) == len(axis_spans(600, 256, 3 * catalog.ARCHITECTURES["m2nist_fcn"].reach, model.stride)) ** 2
    shorter = dataclasses.replace(catalog.ARCHITECTURES["m2nist_fcn"], reach=8)
    monkeypatch.setattr(catalog, "ARCHITECTURES", dict(catalog.ARCHITECTURES, m2nist_fcn=shorter))
    counted = len(seen)
    seen.clear()
    predict_image(model, image, tile_size=256)
    assert len(seen) == len(axis_spans(600, 256, 24, model.stride)) ** 2 < counted
