"""`segstudio export PROJECT --format coco --out FILE.json` (segmodels/formats/coco_export.py).

An image whose label or image cannot be read is named on stderr and left out (exit status 1); an image
with unlabelled pixels, which COCO cannot hold, is named in a note (the export still succeeds).
"""
from __future__ import annotations

import sys

from segmodels.labels.project import Project


def run_coco_export(project: Project, out: str, labelled: int) -> int:
    from segmodels.cli.common import progress
    from segmodels.formats.coco_export import check_export_file, iter_export_coco

    check_export_file(project, out)
    written = failed = 0
    steps = progress(iter_export_coco(project, out), total=labelled, desc="export", unit="image",
                     enabled=labelled > 1 and sys.stderr.isatty())
    for step in steps:
        for note in step.notes:
            print(f"segstudio export: note: {note}", file=sys.stderr)
        if step.error:
            failed += 1
            print(f"segstudio export: skipped: {step.error}", file=sys.stderr)
        else:
            written += 1
    print(f"Exported {written} of {labelled} labelled images to the COCO file '{out}'."
          + (f" {failed} skipped." if failed else ""))
    return 1 if failed else 0
