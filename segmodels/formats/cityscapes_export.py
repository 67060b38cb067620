"""Writing a project's labels as Cityscapes label files, as cityscapesScripts makes them
(docs/formats.md, "Cityscapes"): `gtFine/<split>/<city>/X_gtFine_<kind>.png` under the output folder.

json2labelImg draws all three kinds from one set of polygons, so all three are written here from one
array of label ids (0..33): `labelIds` is the ids, `labelTrainIds` their train ids, `color` their
official colours. The ids are the richest the project holds for each pixel: where a labelIds file
(else a colour file) of the image still agrees with the label's train id, its id is kept (so 'ego
vehicle' stays 1 and 'dynamic' keeps its colour); elsewhere, for pixels the user painted or when
there is no such file, the train id's label id is used, and unlabelled (255) becomes id 0
'unlabeled', colour (0, 0, 0).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from segmodels.errors import SegError, describe
from segmodels.formats.cityscapes import (
    CITYSCAPES,
    LABELS_FOLDER,
    MAX_LABEL_ID,
    cityscapes_label_stem,
)
from segmodels.formats.encodings import LabelEncoding, read_label_file, train_id_to_label_id, write_label_file
from segmodels.labels.classes import (
    cityscapes_classes,
    cityscapes_id_table,
    cityscapes_id_to_train_id,
    is_cityscapes_table,
)
from segmodels.labels.project import Project

#: `segstudio export --format` name -> the encoding of the files written.
CITYSCAPES_FORMATS: dict[str, LabelEncoding] = {"cityscapes-trainids": LabelEncoding.GREY,
                                                "cityscapes-labelids": LabelEncoding.LABEL_IDS,
                                                "cityscapes-color": LabelEncoding.COLOR}


def require_cityscapes_classes(project: Project) -> None:
    """SegError unless the project's classes are the 19 Cityscapes train classes (any other table's
    indices have no Cityscapes label id)."""
    if not is_cityscapes_table(project.classes):
        raise SegError(f"Project {describe(project.root)} has {len(project.classes)} classes "
                       f"({', '.join(project.classes.names[:3])}, ...), not the 19 Cityscapes train classes; "
                       "only Cityscapes labels can be exported as Cityscapes files.", path=project.root)


def export_target(project: Project, out: Path, image: Path, encoding: LabelEncoding) -> Path:
    """out/gtFine/<split>/<city>/X_gtFine_<kind>.png (sub-folders as the project has them)."""
    relative = project.layout.relative_stem(project.images_dir, image)
    return out / LABELS_FOLDER / relative.parent / f"{cityscapes_label_stem(relative.name, encoding)}.png"


def export_label(project: Project, image: Path, target: Path, encoding: LabelEncoding) -> None:
    """Write `image`'s label to `target` as a Cityscapes file of `encoding`; SegError naming the file."""
    ids = label_ids(project, image)
    target.parent.mkdir(parents=True, exist_ok=True)
    if encoding is LabelEncoding.GREY:
        write_label_file(target, cityscapes_id_to_train_id()[ids], cityscapes_classes(), LabelEncoding.GREY)
    else:  # the ids themselves, or their colours: both from the 34-id table
        stored_as = LabelEncoding.COLOR if encoding is LabelEncoding.COLOR else LabelEncoding.GREY
        write_label_file(target, ids, cityscapes_id_table(), stored_as, exact=False)  # ids share colours there


def label_ids(project: Project, image: Path) -> np.ndarray:
    """The label ids (0..33) of `image`'s label, kept from its labelIds or colour file where they
    still agree with the label (see the module's docstring)."""
    train = project.read_label(image)
    if train is None:
        raise SegError(f"{describe(image)} has no label.", path=image)
    ids = train_id_to_label_id()[train]
    source = _id_source(project, image)
    if source is not None:
        stored = _stored_ids(*source)
        if stored is not None and stored.shape == train.shape:
            keep = cityscapes_id_to_train_id()[stored] == train
            ids[keep] = stored[keep]
    return ids


def _id_source(project: Project, image: Path) -> tuple[Path, LabelEncoding] | None:
    """The image's file holding label ids: its labelIds file, else its colour file (the label itself,
    or beside it in a Cityscapes layout)."""
    candidates = [project.label_path(image)]
    if project.layout is CITYSCAPES:
        for encoding in (LabelEncoding.LABEL_IDS, LabelEncoding.COLOR):
            base = project.layout.label_base(project.images_dir, project.labels_dir, image, encoding)
            candidates.append(base.with_name(base.name + ".png"))
    found = {}
    for path in dict.fromkeys(candidates):
        if path.is_file():
            try:
                found.setdefault(project.label_encoding_of(path), path)
            except SegError:
                continue  # an unreadable side file: the label's own train ids decide
    for encoding in (LabelEncoding.LABEL_IDS, LabelEncoding.COLOR):
        if encoding in found:
            return found[encoding], encoding
    return None


def _stored_ids(path: Path, encoding: LabelEncoding) -> np.ndarray | None:
    """The label ids a labelIds file stores (SegError for an id above 33: no export can keep it), or a
    colour file's ids, each colour read as the lowest id of that colour (None: colours of no label)."""
    if encoding is LabelEncoding.LABEL_IDS:
        ids = read_label_file(path, cityscapes_id_table(), LabelEncoding.GREY)
        if int(ids.max(initial=0)) > MAX_LABEL_ID:
            bad = int(ids.max())
            raise SegError(f"Label {describe(path)} holds label id {bad}, which is no Cityscapes label id "
                           f"(0..{MAX_LABEL_ID}); fix it first (segstudio validate shows where).", path=path)
        return ids
    try:
        ids = read_label_file(path, cityscapes_id_table(), LabelEncoding.COLOR)
    except SegError:
        return None
    return np.where(ids > MAX_LABEL_ID, np.uint8(0), ids)  # the table's void colour: 'unlabeled'

