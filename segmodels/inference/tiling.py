"""Overlapping tiles for images larger than a tile size, so inference memory stays bounded.

A tile grid is laid out per axis: tile starts are multiples of the model's stride (so every tile
sees the same pooling grid as a whole-image run) and consecutive tiles overlap by at least `overlap`
pixels. Prediction blends all of each tile's logits with weights that fade out towards its inner edges
(segmodels.inference.blend). Each span also records its *kept* part, up to the middle of each overlap:
the pixels where that tile weighs most, which a hard cut between tiles (how prediction worked before
blending, and what benchmarks/tiling.py compares against) would take from it.
The last tile ends at the image edge (it may be up to stride-1 pixels longer than the others).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """One tile along one axis: read [start, stop), keep [keep_start, keep_stop) (image coordinates)."""

    start: int
    stop: int
    keep_start: int
    keep_stop: int


@dataclass(frozen=True)
class Tile:
    rows: Span
    cols: Span

    @property
    def window(self) -> tuple[slice, slice]:
        return slice(self.rows.start, self.rows.stop), slice(self.cols.start, self.cols.stop)

    @property
    def keep(self) -> tuple[slice, slice]:
        """The kept region in image coordinates."""
        return slice(self.rows.keep_start, self.rows.keep_stop), slice(self.cols.keep_start, self.cols.keep_stop)

    @property
    def keep_in_tile(self) -> tuple[slice, slice]:
        """The kept region in the tile's own coordinates."""
        r, c = self.rows, self.cols
        return (slice(r.keep_start - r.start, r.keep_stop - r.start),
                slice(c.keep_start - c.start, c.keep_stop - c.start))


def axis_spans(length: int, tile_size: int, overlap: int, stride: int = 1) -> list[Span]:
    """Spans covering [0, length) with tiles of `tile_size` overlapping by >= `overlap`."""
    stride = max(1, int(stride))
    tile_size = max(stride, (tile_size // stride) * stride)
    if length <= tile_size:
        return [Span(0, length, 0, length)]
    overlap = min(max(0, overlap), tile_size - stride)
    step = max(stride, ((tile_size - overlap) // stride) * stride)
    last = ((length - tile_size) // stride) * stride
    # Spread the tiles evenly (gaps never exceed `step`) instead of piling the last two together.
    count = -(-last // step) + 1
    starts = [(i * last // (count - 1)) // stride * stride for i in range(count)] if count > 1 else [0]
    stops = [start + tile_size for start in starts[:-1]] + [length]
    # Cut each overlap in its middle so both neighbours keep pixels far from their edges.
    cuts = [0] + [(starts[i + 1] + stops[i]) // 2 for i in range(len(starts) - 1)] + [length]
    return [Span(starts[i], stops[i], cuts[i], cuts[i + 1]) for i in range(len(starts))]


def tile_grid(height: int, width: int, tile_size: int, overlap: int, stride: int = 1) -> list[Tile]:
    """All tiles of an image, row by row; their kept regions cover every pixel exactly once."""
    return [Tile(rows, cols) for rows in axis_spans(height, tile_size, overlap, stride)
            for cols in axis_spans(width, tile_size, overlap, stride)]
