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

`RowBands` streams the blend: tiles arrive in grid order and each block of pixels is handed back as
soon as no later tile touches it, so only about one tile of C-channel float32 logits plus the rows two
rows of tiles share (C x overlap x W) is held, never the C-channel logits of the whole image.
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
    """Accumulates weighted tile logits, tile by tile along each row of tiles, and hands back each block of
    pixels as soon as no later tile touches it.

    Tiles must arrive in grid order (row by row, left to right). After tile (row, col) the columns left of
    the next tile's start are complete for this row of tiles: their rows above the next row of tiles are
    final, and the rows that row overlaps are carried to it. So only one tile-wide window of this row and
    the carried overlap rows hold logits: C x (tile + stride) x (tile + stride) + C x overlap x W.
    """

    def __init__(self, rows: Sequence[Span], cols: Sequence[Span], width: int, device: torch.device) -> None:
        self.rows, self.cols, self.width = list(rows), list(cols), width
        self.row_weights = [weight.to(device) for weight in cross_fade(self.rows)]
        self.col_weights = [weight.to(device) for weight in cross_fade(self.cols)]
        self.window: torch.Tensor | None = None       # this row of tiles, columns [left, left + width)
        self.left = 0
        self.carry: torch.Tensor | None = None        # rows this row of tiles shares with the previous one
        self.next_carry: torch.Tensor | None = None   # rows it shares with the next one

    def add(self, row: int, col: int, logits: torch.Tensor) -> tuple[int, int, torch.Tensor]:
        """Add tile (`row`, `col`)'s C x h x w float32 logits; returns (top, left, C x n x m blended logits)
        of the pixels it finished (n or m may be 0)."""
        rows, cols = self.rows[row], self.cols[col]
        classes, height = logits.shape[0], rows.stop - rows.start
        if col == 0:
            self.window, self.left = logits.new_zeros((classes, height, 0)), 0
            below = rows.stop - self.rows[row + 1].start if row + 1 < len(self.rows) else 0
            self.next_carry = logits.new_zeros((classes, below, self.width)) if below > 0 else None
        assert self.window is not None and cols.start == self.left, "tiles must arrive in grid order"
        grown = cols.stop - self.left
        if self.window.shape[2] < grown:  # columns new to this row of tiles start from the carried rows
            window = logits.new_zeros((classes, height, grown))
            old = self.window.shape[2]
            window[:, :, :old] = self.window
            if self.carry is not None:
                window[:, :self.carry.shape[1], old:] = self.carry[:, :, self.left + old:self.left + grown]
            self.window = window
        weight = self.row_weights[row][:, None] * self.col_weights[col][None, :]
        self.window[:, :, :cols.stop - cols.start].addcmul_(logits, weight)
        right = self.cols[col + 1].start if col + 1 < len(self.cols) else self.width
        done = height - (0 if self.next_carry is None else self.next_carry.shape[1])
        finished = self.window[:, :, :right - self.left]
        if self.next_carry is not None:
            self.next_carry[:, :, self.left:right] = finished[:, done:]
        left, self.window, self.left = self.left, self.window[:, :, right - self.left:].clone(), right
        if col + 1 == len(self.cols):
            self.carry, self.next_carry = self.next_carry, None
        return rows.start, left, finished[:, :done]
