"""`segstudio import FORMAT SOURCE --out FOLDER`: turn a dataset someone sent into a folder segstudio
opens in place, in the dataset's own format (docs/formats.md).

    cvat   a CVAT "Segmentation mask 1.1" zip (segmodels/formats/cvat_import.py)

A format module adds itself to IMPORTERS with one line: name -> (module, function, help), where the
function takes (source, out) and returns (Project, [sentences for the user]).
"""
# ruff: noqa: N999  (commands are found by module name, and the command is `segstudio import`)
from __future__ import annotations

import argparse
import importlib

IMPORTERS: dict[str, tuple[str, str, str]] = {
    "cvat": ("segmodels.formats.cvat_import", "import_cvat", "a CVAT 'Segmentation mask 1.1' zip"),
}


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    formats = "; ".join(f"{name}: {words}" for name, (_m, _f, words) in IMPORTERS.items())
    parser = subparsers.add_parser(
        "import", help="unpack a dataset export (CVAT zip) into a folder segstudio opens in place",
        description=f"Unpack a dataset export into a new folder, kept in its own format ({formats}). "
                    "Zip members are checked before anything is written.")
    parser.add_argument("format", choices=sorted(IMPORTERS), help="the export's format")
    parser.add_argument("source", metavar="SOURCE", help="the exported file (a .zip)")
    parser.add_argument("--out", metavar="FOLDER", required=True, help="a new (or empty) folder")
    return parser


def run(args: argparse.Namespace) -> int:
    module, function, _words = IMPORTERS[args.format]
    importer = getattr(importlib.import_module(module), function)
    project, notes = importer(args.source, args.out)
    for note in notes:
        print(note)
    print(f"Imported into '{args.out}': {project.origin} {len(project.image_paths())} images, "
          f"{len(project.labelled_images())} labelled.")
    return 0
