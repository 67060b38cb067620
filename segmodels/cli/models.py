"""`segstudio models`: list the registered architectures with their parameter counts and training defaults.

Models are built on PyTorch's "meta" device: shapes only, no memory and no weight initialisation,
so even the 134 M-parameter FCN-8s is counted instantly and nothing is downloaded. Descriptions and
training defaults come from the catalog (`segmodels.models.catalog`), the table the GUI shows too.
"""
from __future__ import annotations

import argparse
import json


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("models", help="list architectures and their parameter counts",
                                   description="List the architectures `segstudio train --arch` accepts, with "
                                               "their parameter counts for a given number of classes.")
    parser.add_argument("--num-classes", type=int, default=21, metavar="N",
                        help="count parameters for N classes (default 21, PASCAL VOC)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    return parser


#: The training defaults `segstudio models` lists (the ones the GUI's Training dock shows).
TRAINING_SHOWN = ("epochs", "batch_size", "lr", "augment")


def _training_cell(training: dict) -> str:
    augment = ", aug" if training["augment"] else ""
    return f"{training['epochs']} ep, batch {training['batch_size']}, lr {training['lr']:g}{augment}"


def human_count(count: int) -> str:
    if count >= 1_000_000:
        return f"{count / 1e6:.1f} M"
    if count >= 1_000:
        return f"{count / 1e3:.1f} k"
    return str(count)


def run(args: argparse.Namespace) -> int:
    import torch

    from segmodels.cli.common import format_table
    from segmodels.errors import SegError
    from segmodels.models import get_model, list_models, model_description
    from segmodels.models.catalog import training_defaults

    if args.num_classes < 1:
        raise SegError(f"--num-classes must be at least 1, got {args.num_classes}.")
    rows = []
    for name in list_models():
        with torch.device("meta"):
            model = get_model(name, num_classes=args.num_classes)
        defaults = training_defaults(name)
        rows.append({"name": name, "parameters": model.parameter_count(),
                     "stride": model.stride, "aux_head": model.has_aux, "description": model_description(name),
                     "training": {key: defaults[key] for key in TRAINING_SHOWN}})
    if args.json:
        print(json.dumps({"num_classes": args.num_classes, "models": rows}))
        return 0
    table = [[r["name"], human_count(r["parameters"]), str(r["stride"]), "yes" if r["aux_head"] else "",
              _training_cell(r["training"]), r["description"]] for r in rows]
    print(format_table(table, ["architecture", f"parameters ({args.num_classes} classes)", "stride", "aux",
                               "train defaults", "description"]))
    return 0
