"""The `segstudio` console script: a sub-command goes to the CLI, anything else opens the window.

Kept free of Qt and torch imports so `segstudio validate ...` starts as fast as `python -m segmodels`.
"""
from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from segmodels.cli import command_names, main as cli_main

    positional = [a for a in argv if not a.startswith("-")]
    wants_cli = (positional and positional[0] in command_names()) or any(
        a in ("-h", "--help", "--version") for a in argv)
    if wants_cli:
        return cli_main(argv)
    from app.gui_main import run_gui  # Qt is imported only now

    return run_gui(argv)


if __name__ == "__main__":
    sys.exit(main())
