"""The blended previews `validate --previews DIR` writes: each label over its image, invalid pixels in
magenta. Imports only `segmodels.validation.report` among the validation modules; OpenCV is imported
when a preview is encoded, so validating without previews never loads it."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from segmodels.atomic import atomic_write_bytes
from segmodels.errors import SegError, describe
from segmodels.labels.blend import blend, highlight
from segmodels.labels.classes import ClassTable
from segmodels.labels.imageio import read_image
from segmodels.validation.report import DecodedLabel, LabelJob


def write_preview(folder: Path, job: LabelJob, decoded: DecodedLabel, class_table: ClassTable,
                  alpha: float = 0.5) -> Path | None:
    """Write `<stem>.png` into `folder`: the label blended over its image (or over black when there is
    no usable image), invalid pixels in magenta. Nothing is written for an unreadable label."""
    if decoded.label_map is None:
        return None
    label_map = decoded.label_map
    base = np.zeros(label_map.shape + (3,), dtype=np.uint8)
    if job.image is not None:
        try:
            rgb = read_image(job.image).rgb
            if rgb.shape[:2] == label_map.shape:
                base = rgb
        except SegError:
            pass  # the report already names the image; preview the label alone
    shown = blend(base, label_map, class_table, alpha if base.any() else 1.0)
    if decoded.invalid is not None:
        shown = highlight(shown, decoded.invalid)
    import cv2  # only previews need it

    ok, encoded = cv2.imencode(".png", np.ascontiguousarray(shown[:, :, ::-1]))
    if not ok:
        raise SegError(f"Could not encode the preview for {describe(job.label)}.", path=job.label)
    target = folder / f"{job.label.stem}.png"
    atomic_write_bytes(target, encoded.tobytes())
    return target
