"""`segstudio validate PATH`: check every pixel of every label under PATH.

Exit status: 0 all labels valid, 1 problems found, 2 validation could not run (bad path, bad class
table). Plain output is one line per problem (file: what is wrong) and a summary line; `--json`
prints exactly one JSON object: {"files_checked": N, "problems": [{file, kind, count, first, message}]}.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from segmodels.labels.outputs import ProtectedData

#: Show a progress bar from this many files on (fewer finish before a bar is worth drawing).
PROGRESS_FROM = 20


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "validate", help="check label files, a folder, a project or a VOC root",
        description="Check every pixel of every label: class indices in range (255 = unlabelled), "
                    "one-hot rows, colours in the class table, label size equal to its image, "
                    "missing images, unreadable/truncated/empty files. Exit 0 = valid, 1 = problems, "
                    "2 = could not run.")
    parser.add_argument("path", metavar="PATH", help="a label file, a folder, a project or a VOC root")
    parser.add_argument("--classes", metavar="voc|cityscapes|FILE", default=None,
                        help="class table (default: the project's, else VOC)")
    parser.add_argument("--encoding", metavar="labelIds|trainIds|color", default=None,
                        help="how the label files store classes (default: by file name, e.g. Cityscapes "
                             "*_labelIds.png, else by the project, else by the PNG mode); labelIds files are "
                             "read as Cityscapes train ids")
    parser.add_argument("--implicit-background", action="store_true",
                        help="one-hot stacks have no background channel (M2NIST): all-zero rows are class 0")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument("--previews", metavar="DIR", default=None,
                        help="write blended previews with invalid pixels in magenta into DIR")
    return parser


def _protected(path: str, jobs: list) -> ProtectedData:
    """What previews must not land on: the folders of the labels and images checked, and the project's
    data when PATH is, or lies in, a project."""
    from pathlib import Path

    from segmodels.errors import SegError
    from segmodels.labels.outputs import ProtectedData
    from segmodels.labels.project import PROJECT_FILE, Project

    target = Path(path)
    folder = target if target.is_dir() else target.parent
    protected = ProtectedData(())
    for candidate in (folder, folder.parent, folder.parent.parent):
        if (candidate / PROJECT_FILE).is_file() or (candidate / "JPEGImages").is_dir():
            try:
                protected = ProtectedData.of_project(Project.open(candidate))
            except SegError:
                continue
            break
    return protected.plus(folders=[(job.label.parent, "label folder") for job in jobs]
                          + [(job.image.parent, "image folder") for job in jobs if job.image is not None])


def run(args: argparse.Namespace) -> int:
    from segmodels.cli.common import progress
    from segmodels.formats.encodings import parse_encoding
    from segmodels.labels.classes import load_class_table
    from segmodels.labels.colorlabels import cityscapes_ignore_colors
    from segmodels.labels.outputs import check_output_folder
    from segmodels.validation.report import ValidationOptions, ValidationReport
    from segmodels.validation.run import iter_validate
    from segmodels.validation.targets import plan_validation

    explicit = load_class_table(args.classes) if args.classes else None
    encoding = parse_encoding(args.encoding) if args.encoding else None
    table, jobs = plan_validation(args.path, explicit, encoding)
    if args.previews is not None:
        check_output_folder(args.previews, _protected(args.path, jobs), "--previews")
    ignore = cityscapes_ignore_colors() if str(args.classes).lower() == "cityscapes" else ()
    options = ValidationOptions(table, args.implicit_background, ignore, encoding)
    report = ValidationReport()
    results = iter_validate(jobs, options, args.previews)
    bar = progress(results, total=len(jobs), desc="validate", unit="label",
                   enabled=len(jobs) >= PROGRESS_FROM and sys.stderr.isatty())
    for result in bar:
        report.add(result)
    if args.json:
        print(json.dumps(report.to_json()))
    else:
        for problem in report.problems:
            print(f"{problem.file}: {problem.kind.value}: {problem.message}")
        bad, problems = len(report.bad_files()), len(report.problems)
        print(f"{report.files_checked} label file{'s' * (report.files_checked != 1)} checked: "
              + ("all valid." if report.ok else
                 f"{bad} with problems ({problems} problem{'s' * (problems != 1)})."))
    return 0 if report.ok else 1
