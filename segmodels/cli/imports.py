"""`segstudio import KIND ...`: make a segstudio project from annotations in another format.

    segstudio import coco ANNOTATIONS.json --images DIR --out PROJECT
    segstudio import labelme DIR --out PROJECT [--classes class_names.txt]

Each kind is one entry of `KINDS`: its help, its arguments and the function that reads the source
into an `ImportPlan` (segmodels/formats/importing.py); everything else (progress, naming each skipped
image and each annotation left out, the exit status) is shared. The module is `imports` because
`import` is a Python keyword; segmodels/cli/__init__.py lists it as the `import` command.

Exit status: 0 when every image was imported whole, 1 when an image was skipped or an annotation
left out (each named on stderr), 2 when nothing could be imported (one sentence).
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from segmodels.formats.importing import ImportPlan

COMMAND = "import"


@dataclass(frozen=True)
class ImportKind:
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    plan: Callable[[argparse.Namespace], ImportPlan]


def _coco_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("annotations", metavar="ANNOTATIONS.json", help="a COCO annotation file")
    parser.add_argument("--images", metavar="DIR", required=True,
                        help="the folder the file names of 'images' are relative to")


def _coco_plan(args: argparse.Namespace) -> ImportPlan:
    from segmodels.formats.coco import plan_coco_import

    return plan_coco_import(args.annotations, args.images, args.out)


def _labelme_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", metavar="DIR", help="a folder of labelme .json files (or one file)")
    parser.add_argument("--classes", metavar="FILE", help="labelme labels file / class_names.txt (first "
                        "_background_), a preset (voc) or a JSON class table; default: the labels found, sorted")


def _labelme_plan(args: argparse.Namespace) -> ImportPlan:
    from segmodels.formats.labelme import plan_labelme_import

    return plan_labelme_import(args.source, args.out, args.classes)


#: One entry per importable format.
KINDS: dict[str, ImportKind] = {
    "coco": ImportKind("COCO instance or stuff annotations (polygons, RLE) as semantic labels",
                       _coco_arguments, _coco_plan),
    "labelme": ImportKind("labelme JSON files (polygons, rectangles, circles, lines, points, masks)",
                          _labelme_arguments, _labelme_plan),
}


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        COMMAND, help="make a project from annotations in another format (" + ", ".join(KINDS) + ")",
        description="Make a segstudio project (images copied unchanged, labels as palette PNGs) from annotations "
                    "in another format. The output must be a new or empty folder, or a project with the same "
                    "classes; nothing already there is replaced.")
    kinds = parser.add_subparsers(dest="kind", metavar="KIND", parser_class=type(parser), required=True)
    for name, kind in KINDS.items():
        sub = kinds.add_parser(name, help=kind.help, description=kind.help)
        kind.add_arguments(sub)
        sub.add_argument("--out", metavar="PROJECT", required=True, help="the project folder to create")
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                         help="show tracebacks and debug logging")
    return parser


def run(args: argparse.Namespace) -> int:
    from segmodels.cli.common import progress
    from segmodels.formats.importing import iter_import

    plan = KINDS[args.kind].plan(args)
    problems = len(plan.notes)
    for note in plan.notes:
        print(f"segstudio import: {note}", file=sys.stderr)
    total = len(plan.items)
    imported = already = skipped = 0
    steps = progress(iter_import(plan), total=total, desc="import", unit="image",
                     enabled=total > 1 and sys.stderr.isatty())
    for step in steps:
        for note in step.notes:
            print(f"segstudio import: {note}", file=sys.stderr)
        problems += len(step.notes)
        if step.error:
            skipped += 1
            print(f"segstudio import: skipped: {step.error}", file=sys.stderr)
        elif step.already:
            already += 1
        else:
            imported += 1
    again = f" {already} were already there." if already else ""
    print(f"Imported {imported} of {total} images from {plan.kind} into '{plan.out}' ({len(plan.classes)} classes: "
          f"{', '.join(plan.classes.names[:8])}{', ...' if len(plan.classes) > 8 else ''}).{again}"
          + (f" {skipped} skipped." if skipped else ""))
    return 1 if skipped or problems else 0
