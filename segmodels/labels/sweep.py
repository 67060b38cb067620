"""The brush's swept footprint as row spans: what a dab of a big brush really has to write.

`stroke_segment` (segmodels.labels.edits) defines a stroke segment as the union of the brush disk
(`disk_mask`) stamped at every pixel of the OpenCV LINE_8 line between two mouse positions. Every row
of a disk is one run of pixels, and consecutive line pixels are at most one row and one column apart,
so every row of that union is one run too: a segment is fully described by one (start, end) column
pair per row. Computing those runs costs (rows x line rows) small vector operations instead of
dilating a bitmap with a size x size kernel (seconds for a 2000-px brush).

During a drag the disk at the previous mouse position is already painted (the previous dab ended
there), so `dab_pieces` leaves it out: a 2000-px brush moved by 9 pixels writes a 9-pixel-wide
crescent, not a four-megapixel disk. The crescent is cut into bands of rows on each side of the old
disk, joined into pieces (`_split`), each returned as a tight (y0, x0, mask), so the undo record, the zoom
levels and the repaint all stay proportional to the pixels that change. numpy/OpenCV only, no Qt.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

#: Pieces are made of bands of this many rows (each piece costs some Python per dab) ...
MIN_BAND_ROWS = 16
#: ... joined while their box wastes no more than this many pixels beyond twice their own count.
SPARE_PIXELS = 1 << 16


@lru_cache(maxsize=64)
def disk_runs(size: int) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) column of each row of `disk_mask(size)`, end exclusive; every row has a run.

    In integers, exactly as `disk_mask`'s test (yy - c)^2 + (xx - c)^2 <= (size / 2)^2 with
    c = (size - 1) / 2, multiplied by 4: (2y - size + 1)^2 + (2x - size + 1)^2 <= size^2."""
    size = max(1, int(size))
    starts = np.empty(size, dtype=np.int64)
    ends = np.empty(size, dtype=np.int64)
    for row in range(size):
        reach = math.isqrt(size * size - (2 * row - size + 1) ** 2)  # >= 0: row 0 is (size-1)^2 < size^2
        # |2x - size + 1| <= reach  <=>  (size - 1 - reach) / 2 <= x <= (size - 1 + reach) / 2
        starts[row] = -((reach - size + 1) // 2)  # ceil((size - 1 - reach) / 2)
        ends[row] = (size - 1 + reach) // 2 + 1
    starts.flags.writeable = ends.flags.writeable = False
    return starts, ends


@dataclass(frozen=True)
class RowRuns:
    """One run per row from row `y0` on: columns starts[i] <= x < ends[i] of row y0 + i (empty when
    starts[i] >= ends[i])."""

    y0: int
    starts: np.ndarray
    ends: np.ndarray


def _line_pixels(p0: tuple[int, int], p1: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(ys, xs) of the OpenCV LINE_8 line from p0 to p1, drawn as `stroke_segment` draws it."""
    (ya, xa), (yb, xb) = p0, p1
    top, left = min(ya, yb), min(xa, xb)
    if ya == yb or xa == xb:  # straight: every pixel between, no need to draw
        ys = np.arange(top, max(ya, yb) + 1)
        xs = np.arange(left, max(xa, xb) + 1)
        return (np.full(xs.size, ya), xs) if ya == yb else (ys, np.full(ys.size, xa))
    import cv2  # imported on the first slanted stroke (start-up does not need OpenCV)

    canvas = np.zeros((abs(ya - yb) + 1, abs(xa - xb) + 1), dtype=np.uint8)
    cv2.line(canvas, (xa - left, ya - top), (xb - left, yb - top), 1, 1, cv2.LINE_8)
    ys, xs = np.nonzero(canvas)
    return ys + top, xs + left


def segment_runs(p0: tuple[int, int], p1: tuple[int, int], size: int) -> RowRuns:
    """The row runs of `stroke_segment(p0, p1, size)` (the same pixels), in image coordinates."""
    size = max(1, int(size))
    half = size // 2
    disk_starts, disk_ends = disk_runs(size)
    ys, xs = _line_pixels(p0, p1)
    top = int(ys.min())
    line_rows = int(ys.max()) - top + 1  # an 8-connected line has pixels on every row it spans
    # Per line row, its leftmost and rightmost pixel: the disks between them join up on every row.
    left = np.full(line_rows, np.iinfo(np.int64).max)
    right = np.full(line_rows, np.iinfo(np.int64).min)
    np.minimum.at(left, ys - top, xs)
    np.maximum.at(right, ys - top, xs)
    rows = line_rows + size - 1
    starts = np.full(rows, np.iinfo(np.int64).max)
    ends = np.full(rows, np.iinfo(np.int64).min)
    # Row r of the union takes disk row d of line row j where j + d = r: loop over the shorter axis.
    if line_rows <= size:
        for j in range(line_rows):
            np.minimum(starts[j:j + size], disk_starts + left[j], out=starts[j:j + size])
            np.maximum(ends[j:j + size], disk_ends + right[j], out=ends[j:j + size])
    else:
        for d in range(size):
            np.minimum(starts[d:d + line_rows], left + disk_starts[d], out=starts[d:d + line_rows])
            np.maximum(ends[d:d + line_rows], right + disk_ends[d], out=ends[d:d + line_rows])
    return RowRuns(top - half, starts - half, ends - half)


def runs_to_mask(runs: RowRuns) -> tuple[int, int, np.ndarray]:
    """(y0, x0, mask) of the runs' pixels, the mask as wide as the widest reach of the runs."""
    filled = runs.starts < runs.ends
    x0 = int(runs.starts[filled].min())
    x1 = int(runs.ends[filled].max())
    return runs.y0, x0, run_mask(runs.starts, runs.ends, x0, x1 - x0)


def run_mask(starts: np.ndarray, ends: np.ndarray, x0: int, width: int) -> np.ndarray:
    """The len(starts) x `width` mask of columns x0 + j with starts[i] <= x0 + j < ends[i] on row i.

    Each row is a slice of a ramp (`width` True then `width` False, or the inverse) seen through a
    2-D strided view whose row k starts k pixels further on: one row gather per side and an AND,
    about a third of the time of comparing every column with both ends (the mask of a big brush's
    crescent is most of a dab's work)."""
    starts = np.clip(starts - x0, 0, width)
    ends = np.clip(ends - x0, 0, width)
    before = np.zeros(2 * width, dtype=bool)
    before[:width] = True
    after = ~before
    # Row k of each view is ramp[k:k + width]: columns j < width - k (before), j >= width - k (after).
    below = np.lib.stride_tricks.as_strided(before, shape=(width + 1, width), strides=(1, 1), writeable=False)
    from_ = np.lib.stride_tricks.as_strided(after, shape=(width + 1, width), strides=(1, 1), writeable=False)
    mask = below[width - ends]
    mask &= from_[width - starts]
    return mask


def _bands(y0: int, starts: np.ndarray, ends: np.ndarray,
           shape: tuple[int, int]) -> Iterator[tuple[int, int, np.ndarray]]:
    """Tight (y0, x0, mask) pieces of the runs, clipped to an image of `shape`, empty rows skipped."""
    height, width = shape
    starts, ends = np.maximum(starts, 0), np.minimum(ends, width)
    first, last = max(0, -y0), min(starts.size, height - y0)
    for top, bottom, x0, x1 in _split(starts, ends, first, last):
        yield y0 + top, x0, run_mask(starts[top:bottom], ends[top:bottom], x0, x1 - x0)


def _split(starts: np.ndarray, ends: np.ndarray, top: int, bottom: int) -> Iterator[tuple[int, int, int, int]]:
    """(top, bottom, x0, x1) row bands of the runs in rows top..bottom whose boxes are mostly run
    pixels, so a curved crescent becomes a few pieces, not one box as big as the disk.

    Bands of MIN_BAND_ROWS rows are summarised at once (numpy reduceat: box, pixels, first and last
    non-empty row), then joined top to bottom while the joined box holds at most twice its pixels
    plus `SPARE_PIXELS` (one more piece costs about what that many more box pixels do). A plain
    Python pass over ~100 summaries, where halving bands recursively cost ~50 numpy calls a dab."""
    if bottom <= top:
        return
    band_starts, band_ends = starts[top:bottom], ends[top:bottom]
    filled = band_starts < band_ends
    if not filled.any():
        return
    heads = np.arange(0, bottom - top, MIN_BAND_ROWS)
    rows = np.arange(top, bottom)
    empty_high, empty_low = np.iinfo(np.int64).max, np.iinfo(np.int64).min
    summaries = zip(np.minimum.reduceat(np.where(filled, rows, empty_high), heads).tolist(),
                    (np.maximum.reduceat(np.where(filled, rows, empty_low), heads) + 1).tolist(),
                    np.minimum.reduceat(np.where(filled, band_starts, empty_high), heads).tolist(),
                    np.maximum.reduceat(np.where(filled, band_ends, empty_low), heads).tolist(),
                    np.add.reduceat(np.where(filled, band_ends - band_starts, 0), heads).tolist(), strict=True)
    piece: list[int] | None = None  # top, bottom, x0, x1, pixels of the piece being joined
    for first, last, x0, x1, pixels in summaries:
        if pixels == 0:
            continue
        if piece is not None:
            joined_x0, joined_x1, joined_pixels = min(piece[2], x0), max(piece[3], x1), piece[4] + pixels
            if (last - piece[0]) * (joined_x1 - joined_x0) <= 2 * joined_pixels + SPARE_PIXELS:
                piece[1:] = [last, joined_x0, joined_x1, joined_pixels]
                continue
            yield piece[0], piece[1], piece[2], piece[3]
        piece = [first, last, x0, x1, pixels]
    if piece is not None:
        yield piece[0], piece[1], piece[2], piece[3]


def dab_pieces(p0: tuple[int, int], p1: tuple[int, int], size: int, shape: tuple[int, int], *,
               skip_start_disk: bool) -> Iterator[tuple[int, int, np.ndarray]]:
    """The pixels of `stroke_segment(p0, p1, size)` inside an image of `shape`, as tight
    (y0, x0, mask) pieces; without the disk at p0 when `skip_start_disk` (it was painted by the
    previous dab of the same stroke)."""
    runs = segment_runs(p0, p1, size)
    starts, ends = runs.starts, runs.ends
    if not skip_start_disk:
        yield from _bands(runs.y0, starts, ends, shape)
        return
    # The old disk's run on each row (empty outside its rows) splits the segment's run in two.
    disk_starts, disk_ends = disk_runs(max(1, int(size)))
    half = max(1, int(size)) // 2
    old_starts = np.array(ends)
    old_ends = np.array(ends)
    offset = p0[0] - half - runs.y0  # the old disk's first row among the runs' rows
    old_starts[offset:offset + disk_starts.size] = disk_starts + p0[1] - half
    old_ends[offset:offset + disk_ends.size] = disk_ends + p0[1] - half
    yield from _bands(runs.y0, starts, np.minimum(ends, old_starts), shape)   # left of the old disk
    yield from _bands(runs.y0, np.maximum(starts, old_ends), ends, shape)     # right of it
