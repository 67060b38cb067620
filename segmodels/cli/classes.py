"""`segstudio classes PROJECT`: list, delete, move, rename or load a project's classes.

    segstudio classes PROJECT --list
    segstudio classes PROJECT --delete NAME [--into NAME|unlabelled]
    segstudio classes PROJECT --move NAME --to INDEX
    segstudio classes PROJECT --rename OLD NEW
    segstudio classes PROJECT --load voc|cityscapes|ade20k|FILE [--yes]

The edits are the Classes dock's (segmodels/labels/class_edits.py) and so is the rewrite of every
label and prediction file (segmodels/labels/class_rewrite.py): all or nothing, each file in its own
encoding, the class table written last. `--dry-run` says what would change and writes nothing.
"""
from __future__ import annotations

import argparse
import sys

from segmodels.cli.common import format_table, progress


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "classes", help="list, delete, move, rename or load a project's classes (labels rewritten to match)",
        description="Change a project's class table. Deleting or moving a class rewrites every label and "
                    "prediction file so each pixel keeps its meaning (all files or none); renaming changes "
                    "only segstudio.json. This cannot be undone: keep a copy of the project if unsure.")
    parser.add_argument("project", help="the project folder (or dataset root) whose classes to change")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--list", action="store_true", help="print the classes: index, name, colour")
    action.add_argument("--delete", metavar="NAME", help="delete class NAME (a name or an index)")
    action.add_argument("--move", metavar="NAME", help="move class NAME to the index given by --to")
    action.add_argument("--rename", nargs=2, metavar=("OLD", "NEW"), help="rename class OLD to NEW")
    action.add_argument("--load", metavar="PRESET|FILE",
                        help="use the classes of a preset (voc, cityscapes, ade20k) or a class list file "
                             "(labelmap.txt, class_names.txt, a name a line, JSON); pixel values stay as they are")
    parser.add_argument("--into", metavar="NAME", default="unlabelled",
                        help="with --delete: what the deleted class's pixels become, a class or 'unlabelled' "
                             "(255; the default)")
    parser.add_argument("--to", type=int, metavar="INDEX", help="with --move: the new index, 0 = first")
    parser.add_argument("--yes", action="store_true",
                        help="with --load: go ahead although labelled indices would change their meaning")
    parser.add_argument("--dry-run", action="store_true", help="say what would change; write nothing")
    return parser


def _edit(args: argparse.Namespace, project):
    from segmodels.errors import SegError
    from segmodels.labels import class_edits
    from segmodels.labels.classes import load_class_table

    table = project.classes
    if args.delete is not None:
        return class_edits.delete_class(table, class_edits.find_class(table, args.delete),
                                        class_edits.find_target(table, args.into))
    if args.move is not None:
        if args.to is None:
            raise SegError("--move needs --to INDEX, the class's new index (0 = first).")
        return class_edits.move_class(table, class_edits.find_class(table, args.move), args.to)
    if args.rename is not None:
        old, new = args.rename
        return class_edits.rename_class(table, class_edits.find_class(table, old), new)
    loaded = load_class_table(args.load)
    changes = class_edits.table_changes(table, loaded)
    if changes and project.labelled_images() and not (args.yes or args.dry_run):
        raise SegError(f"The project has labels, and with these classes {'; '.join(changes)}; pass --yes to "
                       "load them anyway (pixel values stay as they are).")
    return class_edits.replace_table(table, loaded, args.load)


def run(args: argparse.Namespace) -> int:
    from segmodels.labels.class_rewrite import apply_rewrite, plan_rewrite
    from segmodels.labels.project import Project

    project = Project.open(args.project)  # finishes or undoes an interrupted edit first, with a warning on stderr
    if args.list:
        rows = [[str(c.id), c.name, "{}, {}, {}".format(*c.color)] for c in project.classes]
        print(format_table(rows, ["index", "name", "colour (RGB)"]))
        return 0
    edit = _edit(args, project)
    plan = plan_rewrite(project, edit)
    if args.dry_run:
        print(plan.warning().replace("This rewrites", "This would rewrite"))
        return 0
    steps = apply_rewrite(plan)
    total = 2 * len(plan.files) + 1
    for _step in progress(steps, total=total, desc="classes", enabled=total > 3 and sys.stderr.isatty()):
        pass
    saved = Project.open(project.root)
    rewritten = f"rewrote {len(plan.labels)} label and {len(plan.predictions)} prediction file(s)" if plan.files else (
        "no label file needed rewriting")
    names = ", ".join(f"{c.id} {c.name}" for c in saved.classes.classes[:12]) + (" …" if len(saved.classes) > 12
                                                                                    else "")
    print(f"{edit.summary} Done: {rewritten}; the classes are now {names}.")
    return 0
