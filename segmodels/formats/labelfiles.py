"""The label files of a folder, by encoding, and what they say about a project's encoding
(docs/formats.md, "Encodings in a project").

A project's labels are `<stem>.png` for every PNG encoding and `<stem>.npy` / `<stem>.npz` for
`onehot`; listing, status and training look for those suffixes only. A folder whose segstudio.json
does not name its encoding (a plain folder, an older project) takes the encoding of its first label
file in name order that can be read (`infer_encoding`); with none, palette.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

from segmodels.errors import SegError
from segmodels.formats.encodings import ONEHOT_SUFFIXES, LabelEncoding, detect_encoding

PNG_SUFFIXES = (".png",)
ALL_SUFFIXES = PNG_SUFFIXES + ONEHOT_SUFFIXES
#: How many files `infer_encoding` opens (headers only) before falling back to the default.
INFER_TRIES = 16


def label_suffixes(encoding: LabelEncoding | None) -> tuple[str, ...]:
    """The suffixes of label files of `encoding` (None: of any encoding)."""
    if encoding is None:
        return ALL_SUFFIXES
    return ONEHOT_SUFFIXES if encoding is LabelEncoding.ONEHOT else PNG_SUFFIXES


def is_label_name(name: str, encoding: LabelEncoding | None = None) -> bool:
    lower = name.lower()
    # Confidence maps (`<stem>.conf.png`) sit beside predictions and are never labels.
    return (not name.startswith(".") and not lower.endswith(".conf.png")
            and os.path.splitext(lower)[1] in label_suffixes(encoding))


def iter_label_files(labels_dir: Path, encoding: LabelEncoding | None = None, *,
                     recursive: bool = False) -> Iterator[Path]:
    """Label files under `labels_dir` in name order (sub-folders after a folder's own files when
    `recursive`); nothing when the folder does not exist."""
    try:
        with os.scandir(labels_dir) as scan:
            entries = sorted(scan, key=lambda entry: entry.name.lower())
    except OSError:
        return
    folders = []
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            folders.append(entry)
        elif is_label_name(entry.name, encoding) and entry.is_file():
            yield Path(entry.path)
    if recursive:
        for entry in folders:
            if not entry.name.startswith("."):
                yield from iter_label_files(Path(entry.path), encoding, recursive=True)


def first_label_file(labels_dir: Path, encoding: LabelEncoding | None = None, *,
                     recursive: bool = False) -> Path | None:
    return next(iter_label_files(labels_dir, encoding, recursive=recursive), None)


def label_file(base: Path, encoding: LabelEncoding, model: Callable[[], Path | None]) -> Path:
    """The label file named `base` plus the encoding's suffix. One-hot: the existing `.npz`, else the
    existing `.npy`, else the suffix of `model()` (another label of the dataset), else `.npy`."""
    if encoding is not LabelEncoding.ONEHOT:
        return base.with_name(base.name + ".png")
    npz, npy = base.with_name(base.name + ".npz"), base.with_name(base.name + ".npy")
    if npz.exists() or npy.exists():
        return npz if npz.exists() else npy
    like = model()
    return npz if like is not None and like.suffix.lower() == ".npz" else npy


def labelled_stems(labels_dir: Path, encoding: LabelEncoding) -> set[str]:
    """Stems of the label files of `encoding` directly in `labels_dir` (one listing, no decoding)."""
    return set(label_files_by_stem(labels_dir, encoding))


def label_files_by_stem(labels_dir: Path, encoding: LabelEncoding) -> dict[str, Path]:
    """The label files of `encoding` directly in `labels_dir` by stem (one listing, no decoding)."""
    return {path.name[: -len(path.suffix)]: path for path in iter_label_files(labels_dir, encoding)}


def infer_encoding(labels_dir: Path, *, recursive: bool = False,
                   default: LabelEncoding = LabelEncoding.PALETTE) -> tuple[LabelEncoding, Path | None]:
    """(encoding, the file it was read from) for a label folder whose project does not name one: the
    first label file whose header can be read decides (a grey file says grey: binary and labelIds
    cannot be told from a header). (`default`, None) when there is none."""
    for tries, path in enumerate(iter_label_files(labels_dir, recursive=recursive)):
        if tries >= INFER_TRIES:
            break
        try:
            return detect_encoding(path), path
        except SegError:
            continue  # a damaged file says nothing; the validator names it
    return default, None
