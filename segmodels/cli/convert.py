"""`segstudio convert SRC --to palette|grey|color|onehot (--out DIR | --in-place)`: label files in
another encoding, index-exact (segmodels/formats/convert.py; docs/formats.md, "Encodings in a project").

SRC is a label file, a folder of labels, a project or dataset root, or a project's label folder.
`--out DIR` writes the converted files there (same names, the new suffix); `--in-place` replaces the
sources after copying them into `<labels>-before-convert-<time>/` beside the label folder, and records
the new encoding in the project's segstudio.json. A file that cannot be converted is named on stderr
in one sentence and left as it was; the exit status is then 1 (0 when every file was converted).
"""
from __future__ import annotations

import argparse
import sys

TARGETS = ("palette", "grey", "color", "onehot")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "convert", help="convert label files between encodings (palette, grey, colour, one-hot), index-exact",
        description="Convert a label file, a folder of labels or a project's labels to another encoding: "
                    "'palette' (8-bit palette PNG), 'grey' (8-bit grey PNG, value = index), 'color' (RGB PNG of "
                    "the class colours) or 'onehot' (.npy, C x H x W). Every pixel keeps its class index.")
    parser.add_argument("src", metavar="SRC", help="a label file, a folder of labels, or a project / dataset root")
    parser.add_argument("--to", required=True, choices=TARGETS, help="the encoding to write")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", metavar="DIR", help="write the converted files here (created if needed)")
    where.add_argument("--in-place", action="store_true",
                       help="replace the files (the originals are kept in <labels>-before-convert-<time>/)")
    parser.add_argument("--classes", metavar="TABLE",
                        help="class table: voc, cityscapes, a segstudio.json or a JSON class list "
                             "(default: the project's, else VOC's)")
    parser.add_argument("--from", dest="source", metavar="ENCODING",
                        help="how to read grey files that cannot say it themselves: binary or labelIds")
    return parser


def run(args: argparse.Namespace) -> int:
    from segmodels.cli.common import progress
    from segmodels.formats.convert import (
        backup_folder,
        iter_convert,
        iter_convert_in_place,
        keep_originals,
        plan_conversion,
        record_encoding,
    )
    from segmodels.formats.encodings import parse_encoding
    from segmodels.labels.classes import load_class_table

    to = parse_encoding(args.to)
    classes = load_class_table(args.classes) if args.classes else None
    plan = plan_conversion(args.src, classes, parse_encoding(args.source) if args.source else None)
    total = len(plan.files)
    backup = None
    if args.in_place:
        backup = backup_folder(plan)
        keep_originals(plan, backup)
        steps = iter_convert_in_place(plan, to)
    else:
        steps = iter_convert(plan, to, args.out)
    converted = failed = 0
    for step in progress(steps, total=total, desc="convert", unit="file", enabled=total > 1 and sys.stderr.isatty()):
        if step.error:
            failed += 1
            print(f"segstudio convert: skipped: {step.error}", file=sys.stderr)
        else:
            converted += 1
    where = "in place" if args.in_place else f"into '{args.out}'"
    print(f"Converted {converted} of {total} label file(s) to {to.value} {where}, with {plan.classes_from}."
          + (f" {failed} skipped and left as they were." if failed else ""))
    if backup is not None:
        print(f"The originals are kept in '{backup}'.")
        config = record_encoding(plan, to) if converted else None
        if config is not None:
            print(f"'{config}' now records label_encoding \"{to.value}\": new labels are stored so.")
    return 1 if failed else 0
