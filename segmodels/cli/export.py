"""`segstudio export PROJECT --format palette|color|overlay|index --out DIR`: one PNG per labelled image.
`--format cityscapes-trainids|cityscapes-labelids|cityscapes-color`: Cityscapes label files,
gtFine/<split>/<city>/X_gtFine_<kind>.png, as cityscapesScripts writes them (one flag names both
the layout and the encoding: only these three combinations exist).
`--format coco --out FILE.json`: one COCO file (segmodels/cli/_coco_export.py).
`--layout voc` writes a whole PASCAL VOC tree instead (segmodels/formats/voc_export.py), and
`--format cvat --out OUT.zip` a CVAT "Segmentation mask 1.1" zip (segmodels/formats/cvat_export.py).

Files are named by the image stem and written atomically. An image whose label or image cannot be
read is named on stderr and skipped; the exit status is then 1 (0 when every file was written).
"""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from segmodels.labels.project import Project

#: segmodels.labels.export.ExportFormat's values (not imported: `--help` stays fast)
FORMATS = ("palette", "color", "overlay", "index", "cityscapes-trainids", "cityscapes-labelids", "cityscapes-color",
           "cvat", "coco")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "export", help="write label PNGs (palette, colour or overlay) or one COCO file for the labelled images",
        description="Export each reviewed label of a project (or VOC root) as <stem>.png: 'palette' keeps "
                    "the class indices (8-bit palette PNG), 'color' paints the class colours, 'overlay' "
                    "blends them over the image; 'coco' writes one COCO file (compressed RLE per image and class).")
    parser.add_argument("project", metavar="PROJECT", help="a project folder or VOC root")
    parser.add_argument("--format", default="palette", choices=FORMATS,
                        help="palette, color or overlay: <stem>.png; index: grey index PNGs; "
                             "cityscapes-trainids|labelids|color: gtFine/<split>/<city>/X_gtFine_<kind>.png as "
                             "cityscapesScripts writes them; cvat: a CVAT 'Segmentation mask 1.1' zip (--out OUT.zip); "
                             "coco: one COCO .json (--out FILE.json, compressed RLE per image and class)")
    parser.add_argument("--layout", choices=("files", "voc", "same"), default="files",
                        help="voc = a VOCdevkit/VOC2012 tree torchvision's VOCSegmentation loads (palette or index); "
                             "same = the dataset again in its own layout and label encoding (ADE20K, mmseg, "
                             "Cityscapes, VOC...), edits included")
    parser.add_argument("--out", metavar="DIR", required=True, help="output folder (created if needed); "
                        "for cvat the .zip and for coco the .json file to write")
    parser.add_argument("--alpha", type=float, default=0.5, help="label opacity for 'overlay' (0..1, default 0.5)")
    return parser


def run(args: argparse.Namespace) -> int:
    from segmodels.errors import SegError
    from segmodels.labels.export import iter_export
    from segmodels.labels.outputs import ProtectedData, check_output_folder
    from segmodels.labels.project import Project

    if not 0.0 <= args.alpha <= 1.0:
        raise SegError(f"--alpha must be between 0 and 1, got {args.alpha}.")
    project = Project.open(args.project)
    labelled = len(project.labelled_images())
    if labelled == 0:
        raise SegError(f"Project '{args.project}' has no labelled images to export.", path=args.project)
    if args.format == "coco":
        from segmodels.cli._coco_export import run_coco_export

        return run_coco_export(project, args.out, labelled)
    if args.format == "cvat" or args.layout != "files":
        return _run_dataset_export(args, project)
    check_output_folder(args.out, ProtectedData.of_project(project), "--out")  # iter_export checks it too (GUI)
    steps = iter_export(project, args.out, args.format, args.alpha)
    from segmodels.cli.common import report_steps

    return report_steps(steps, labelled, f"as {args.format} PNGs to '{args.out}'")


def _run_dataset_export(args: argparse.Namespace, project: Project) -> int:
    """A whole dataset in a tool's own layout: a VOC tree or a CVAT zip, then what the user must know."""
    from segmodels.errors import SegError

    if args.layout == "same":
        if args.format != "palette":
            raise SegError("--layout same keeps each label file's own encoding; leave out --format.")
        from segmodels.formats.tree_export import TreeExport

        export, what = TreeExport(project, args.out), f"{project.layout.name} tree"
    elif args.format == "cvat":
        if args.layout != "files":
            raise SegError("--format cvat writes a zip in CVAT's own layout; leave out --layout.")
        from segmodels.formats.cvat_export import CvatExport

        export, what = CvatExport(project, args.out), "CVAT 'Segmentation mask 1.1' zip"
    else:
        if args.format not in ("palette", "index"):
            raise SegError(f"--layout voc stores labels as palette or index PNGs, not {args.format}.")
        from segmodels.formats.voc_export import VocExport

        export, what = VocExport(project, args.out, index_png=args.format == "index"), "PASCAL VOC tree"
    from segmodels.cli.common import report_steps

    steps = export.steps()
    status = report_steps(steps, len(export), f"as a {what} to '{args.out}'")
    for note in export.notes:  # filled while the steps ran
        print(note)
    return status
