"""`segstudio import cvat ZIP --out FOLDER`: a CVAT "Segmentation mask 1.1" zip becomes a folder that
opens in place as a VOC-style root with CVAT's labelmap classes and colour labels
(docs/formats.md, "VOC, labelme and CVAT").

The zip is checked and extracted by segmodels/formats/safezip.py into a temporary folder beside FOLDER,
which is renamed to FOLDER only when everything was extracted: a refused or failed import leaves
nothing behind. A zip whose files sit in one top-level folder is taken from inside it. A zip exported
without images ("Save images" off) gets an empty JPEGImages/, and the user is told where the images go.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from segmodels.cancel import CancelFlag, never
from segmodels.errors import SegError, describe
from segmodels.formats.classlists import LABELMAP_FILE
from segmodels.formats.safezip import extract_zip
from segmodels.formats.voc import IMAGES_DIR, LABEL_DIRS, SPLITS_DIR
from segmodels.labels.project import Project


def _dataset_root(folder: Path) -> Path | None:
    """`folder`, or its one sub-folder, when it holds a label folder."""
    if any((folder / name).is_dir() for name in LABEL_DIRS):
        return folder
    entries = [entry for entry in folder.iterdir() if not entry.name.startswith((".", "__MACOSX"))]
    if len(entries) == 1 and entries[0].is_dir() and any((entries[0] / name).is_dir() for name in LABEL_DIRS):
        return entries[0]
    return None


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise SegError(f"--out {describe(out)} exists and is not a folder.", path=out)
    if out.is_dir() and any(out.iterdir()):
        raise SegError(f"--out {describe(out)} is not empty; import into a new or empty folder.", path=out)


def import_cvat(zip_path: str | os.PathLike[str], out: str | os.PathLike[str],
                cancel: CancelFlag = never) -> tuple[Project, list[str]]:
    """(the opened project, sentences for the user) after extracting a CVAT segmentation-mask zip;
    `cancel` (the window's Cancel) stops the extraction between members, leaving nothing behind."""
    zip_path, out = Path(zip_path), Path(out)
    if not zip_path.is_file():
        raise SegError(f"{describe(zip_path)} is not a file.", path=zip_path)
    _check_out(out)
    parent = out.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".sgs-import-", dir=parent))
    except OSError as exc:
        raise SegError(f"Cannot create {describe(out)}: {exc.strerror or exc}.", path=out) from exc
    try:
        extract_zip(zip_path, staging, cancel)
        root = _dataset_root(staging)
        if root is None:
            raise SegError(f"Zip {describe(zip_path)} holds no SegmentationClass/ folder; a CVAT 'Segmentation mask "
                           "1.1' export has one.", path=zip_path)
        if out.is_dir():
            out.rmdir()  # empty (checked): replaced by the extracted root in one rename
        os.replace(root, out)
    except OSError as exc:
        raise SegError(f"Cannot create {describe(out)}: {exc.strerror or exc}.", path=out) from exc
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(staging)
    notes = []
    if not (out / LABELMAP_FILE).is_file():
        notes.append(f"The zip has no {LABELMAP_FILE}, so the 21 VOC classes and colours apply.")
    if not (out / IMAGES_DIR).is_dir():
        (out / IMAGES_DIR).mkdir()
        lists = sorted((out / SPLITS_DIR).glob("*.txt")) if (out / SPLITS_DIR).is_dir() else []
        named = f" (the ids in {lists[0].relative_to(out).as_posix()})" if lists else ""
        notes.append(f"The zip holds no images (exported without 'Save images'): copy them into "
                     f"{describe(out / IMAGES_DIR)}, named by the label files{named}.")
    return Project.open(out), notes
