"""Whether a label file on disk holds a labelled pixel, remembered per file until the file changes.

A label file with no labelled pixel (every pixel 255) is not a reviewed label
(docs/models-and-labels.md#reviewed-labels): the window refuses to save one, but another tool may have
written it, and it must not list as reviewed. Knowing needs the pixels, and decoding every label at
each listing would cost far more than the listing itself (docs/models-and-labels.md#blank-label-files
has the figures), so an 8-bit palette or grey PNG is read row by row as bytes (segmodels.labels.png_peek),
and each answer is kept with the file's stamp (size, modification time, inode) and
reused while the stamp is unchanged: a window lists its project many times, decoding each label once.
A file that cannot be decoded counts as labelled here: it stays listed, and validation names what is
wrong with it. numpy only, no torch.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from segmodels.errors import SegError
from segmodels.labels.classes import ClassTable
from segmodels.labels.png_peek import first_row_colors, has_labelled_pixel_png
from segmodels.labels.review import has_labelled_pixel

Stamp = tuple[int, int, int]

_known: dict[str, tuple[Stamp, bool]] = {}
_lock = threading.Lock()  # listings run on the GUI thread and in workers


def has_labelled_file(label_file: Path, read: Callable[[Path], np.ndarray], *, raw_indices: bool = False,
                      class_colors: np.ndarray | None = None) -> bool:
    """Whether `label_file` (decoded with `read`) has a pixel that is not 255; False when it is gone.
    `raw_indices`: a palette or grey PNG's pixel values are the class indices (not labelIds or a binary
    mask), so its rows are compared as bytes instead of decoded into an array (png_peek).
    `class_colors`: a colour label's colour codes that are classes (`colorlabels.color_codes` order): a
    first row holding one answers without decoding the file (which listing a CVAT import did twice)."""
    try:
        info = os.stat(label_file)
    except FileNotFoundError:
        return False
    except OSError:
        return True  # there but unreadable: validation names it
    stamp = (info.st_size, info.st_mtime_ns, info.st_ino)
    key = os.fspath(label_file)
    with _lock:
        known = _known.get(key)
    if known is not None and known[0] == stamp:
        return known[1]
    try:
        peeked = has_labelled_pixel_png(label_file) if raw_indices else None
        if class_colors is not None:
            row = first_row_colors(label_file)
            peeked = True if row is not None and np.isin(row, class_colors).any() else None
        labelled = peeked if peeked is not None else has_labelled_pixel(read(label_file))
    except (SegError, OSError, ValueError):
        labelled = True
    with _lock:
        _known[key] = (stamp, labelled)
    return labelled


def class_color_codes(classes: ClassTable) -> np.ndarray:
    """The colour codes a colour label of `classes` stores for its classes (never for unlabelled)."""
    from segmodels.labels.colorlabels import label_file_lookup  # colour labels only

    return label_file_lookup(classes).class_codes
