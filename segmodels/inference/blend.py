"""Blending the logits of overlapping tiles: a separable cross-fade whose weights sum to 1 at every pixel.

Near a tile edge that is not an image edge a model sees padding instead of the image, so its logits
there are the least like the whole image's. Each tile therefore weighs its logits with a window that is
1 in its middle and 0 near such an edge, along each axis (`cross_fade`): an overlap of L pixels shared
by two tiles is cut in thirds; in the third next to a tile's edge that tile counts 0, in the middle
third the two cross-fade (sin^2 and cos^2 of one ramp, which sum to exactly 1). So every logit that
counts at all comes from at least L/3 pixels inside its tile: for a model whose reach is below L/3 the
blend equals the whole-image logits, and where the reach is longer the seam is spread over L/3 pixels
instead of a hard cut. Any other arrangement (three tiles over one pixel, the longer last tile) is
normalised so the weights sum to 1 too. The 2-D weight of a tile is the product of its row and column
weights; since the grid is the product of the row spans and the column spans, those products also sum to
1, so no weight-sum map is needed (docs/training.md#tiled-prediction).

`RowBands` streams the blend: tiles arrive row of tiles by row of tiles, and once a row of tiles is
added every image row above the next row of tiles is final, so only one band of C x (tile + stride) x W
float32 logits is held, never the C-channel logits of the whole image.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from segmodels.inference.tiling import Span

#: Weight every position keeps, so a pixel no tile weighs (a corner case of uneven spacing) still has a sum.
_FLOOR = 1e-9


def _ramp(length: int, overlap: int) -> torch.Tensor:
    """0 over the first third of `overlap`, sin^2 rising to 1 over the second (at pixel centres), then 1."""
    third = max(overlap, 1) / 3
    progress = ((torch.arange(length, dtype=torch.float64) + 0.5 - third) / third).clamp(0.0, 1.0)
    return torch.sin(progress * (math.pi / 2)) ** 2


def cross_fade(spans: Sequence[Span]) -> list[torch.Tensor]:
    """One float32 weight vector per span over [start, stop); the spans covering a position sum to 1 there."""
    if not spans:
        return []
    raw = []
    for index, span in enumerate(spans):
        length = span.stop - span.start
        weight = torch.ones(length, dtype=torch.float64)
        if index > 0 and spans[index - 1].stop > span.start:  # shared with the previous tile
            weight = torch.minimum(weight, _ramp(length, spans[index - 1].stop - span.start))
        if index + 1 < len(spans) and span.stop > spans[index + 1].start:  # shared with the next tile
            weight = torch.minimum(weight, _ramp(length, span.stop - spans[index + 1].start).flip(0))
        raw.append(weight + _FLOOR)
    total = torch.zeros(max(span.stop for span in spans), dtype=torch.float64)
    for span, weight in zip(spans, raw, strict=True):
        total[span.start:span.stop] += weight
    return [(weight / total[span.start:span.stop]).float() for span, weight in zip(spans, raw, strict=True)]


class RowBands:
    """Accumulates weighted tile logits one row of tiles at a time and hands back finished image rows."""

    def __init__(self, rows: Sequence[Span], cols: Sequence[Span], width: int, device: torch.device) -> None:
        self.rows, self.cols, self.width = list(rows), list(cols), width
        self.row_weights = [weight.to(device) for weight in cross_fade(self.rows)]
        self.col_weights = [weight.to(device) for weight in cross_fade(self.cols)]
        self.band: torch.Tensor | None = None
        self.carry: torch.Tensor | None = None  # rows of the previous band that this band overlaps

    def add(self, row: int, col: int, logits: torch.Tensor) -> None:
        """Add one tile's C x h x w float32 logits (tile `row`, `col` of the grid)."""
        span = self.rows[row]
        if self.band is None:
            self.band = logits.new_zeros((logits.shape[0], span.stop - span.start, self.width))
            if self.carry is not None:
                self.band[:, :self.carry.shape[1]] = self.carry
        weight = self.row_weights[row][:, None] * self.col_weights[col][None, :]
        cols = self.cols[col]
        self.band[:, :, cols.start:cols.stop].addcmul_(logits, weight)

    def finish_row(self, row: int) -> tuple[int, torch.Tensor]:
        """(first image row, C x n x W blended logits) of the rows no later tile touches."""
        span, band = self.rows[row], self.band
        assert band is not None, "finish_row before any tile of the row was added"
        done = self.rows[row + 1].start - span.start if row + 1 < len(self.rows) else band.shape[1]
        self.carry, self.band = band[:, done:].clone(), None  # a copy: the old band can go
        return span.start, band[:, :done]
