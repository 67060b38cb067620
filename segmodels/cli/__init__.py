"""segstudio's command line (`segstudio CMD ...` and `python -m segmodels CMD ...`).

Each sub-command is a module in this package with `add_parser(subparsers)` and `run(args) -> int`;
they are found by name, so adding a command touches no other file. Command modules import heavy
libraries (torch) inside `run`, so `segstudio validate` and `--help` start fast.

Errors the user can act on (SegError) print one sentence on stderr and exit 2; a traceback appears
only with --debug. Python warnings print as one sentence too (cli/_warnings.py).
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType

from segmodels import __version__
from segmodels.cli._warnings import reported_warnings
from segmodels.errors import SegError

#: Commands in the order `--help` lists them; any other command module found is listed after.
ORDER = ("validate", "export", "imports", "convert", "predict", "models", "train", "evaluate", "demo")
#: Modules named otherwise than their command (`import` is a Python keyword).
RENAMED = {"imports": "import"}
EXIT_USAGE = 2


#: Modules of this package that hold shared code, not a command (`train_options`: train's flags).
HELPER_MODULES = frozenset({"common", "train_options"})


def _module_names() -> list[str]:
    """Command module names, found without importing them (the launcher asks before Qt or torch load)."""
    return [m.name for m in pkgutil.iter_modules(__path__)
            if not m.name.startswith("_") and m.name not in HELPER_MODULES]


def command_modules() -> dict[str, ModuleType]:
    names = _module_names()
    names.sort(key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))
    modules = {}
    for name in names:
        module = importlib.import_module(f"{__name__}.{name}")
        if hasattr(module, "add_parser") and hasattr(module, "run"):
            modules[RENAMED.get(name, name.replace("_", "-"))] = module
    return modules


def command_names() -> list[str]:
    return [RENAMED.get(n, n.replace("_", "-")) for n in _module_names()]


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one sentence (no usage dump) and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sentence = message[0].upper() + message[1:]
        help_command = self.prog if self.prog.startswith("segstudio") else f"segstudio {self.prog}"
        self.exit(EXIT_USAGE, f"segstudio: {sentence}. See '{help_command} --help'.\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="segstudio",
        description="Make and fix semantic-segmentation ground truth. Without a command, "
                    "`segstudio [PATH]` opens the window on PATH (an image, folder, project or VOC root; "
                    "none = the bundled demo project).",
    )
    parser.add_argument("--version", action="version", version=f"segstudio {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in command_modules().values():
        sub = module.add_parser(subparsers)
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                         help="show tracebacks and debug logging")
    return parser


def _sweep_temporaries(args: argparse.Namespace) -> None:
    """Remove what killed segstudio writes left in the project a command works on, and say so once."""
    target = getattr(args, "project", None) or getattr(args, "path", None)
    if not isinstance(target, str) or not os.path.isdir(target):
        return
    from segmodels.atomic import project_folders, sweep_stale_temporaries
    from segmodels.labels.project import Project

    try:
        project = Project.open(target)
    except SegError:
        return  # the command itself says what is wrong with the folder
    note = sweep_stale_temporaries(project_folders(project)).sentence()
    if note:
        print(f"segstudio {args.command}: {note}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version or a usage error: return the code, so in-process
        # callers (tests, the launcher) get an int like every other outcome.
        return 0 if exc.code is None else exc.code if isinstance(exc.code, int) else EXIT_USAGE
    debug = bool(getattr(args, "debug", False))
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, format="%(levelname)s: %(message)s")
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    module = command_modules()[args.command]
    try:
        with reported_warnings(f"segstudio {args.command}", debug=debug):  # one sentence, no source line
            _sweep_temporaries(args)
            return int(module.run(args) or 0)
    except SegError as exc:
        if debug:
            raise
        print(f"segstudio {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # `segstudio validate ... | head`: the reader left; stop quietly
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        print(f"segstudio {args.command}: interrupted.", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: still one sentence unless --debug
        if debug:
            raise
        print(f"segstudio {args.command}: unexpected error ({type(exc).__name__}: {exc}); "
              "run again with --debug for the traceback.", file=sys.stderr)
        return EXIT_USAGE
