"""`segstudio export PROJECT --format coco --out FILE.json` (segmodels/formats/coco_export.py).

An image whose label or image cannot be read is named on stderr and left out (exit status 1); an image
with unlabelled pixels, which COCO cannot hold, is named in a note (the export still succeeds).
"""
from __future__ import annotations

from segmodels.labels.project import Project


def run_coco_export(project: Project, out: str, labelled: int) -> int:
    from segmodels.formats.coco_export import check_export_file, iter_export_coco

    check_export_file(project, out)
    from segmodels.cli.common import report_steps

    return report_steps(iter_export_coco(project, out), labelled, f"to the COCO file '{out}'")
