"""The `segstudio` console script: a sub-command goes to the CLI, anything else opens the window.

Kept free of Qt and torch imports so `segstudio validate ...` starts as fast as `python -m segmodels`.
Two mistakes are caught before Qt starts, each with one sentence instead of Qt's own abort: a word
that is neither a command nor an existing path (a mistyped command), and no screen to show a window on.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

EXIT_USAGE = 2


def display_problem(environ: dict[str, str] | os._Environ = os.environ, platform: str = sys.platform) -> str | None:
    """Why no window can be shown here, or None (Linux/BSD need an X11 or Wayland display)."""
    if not platform.startswith(("linux", "freebsd", "openbsd")) or environ.get("QT_QPA_PLATFORM"):
        return None
    if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"):
        return None
    return ("there is no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset); run "
            "segstudio on a desktop, under xvfb-run, or use its commands (see 'segstudio --help')")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from segmodels.cli import command_names
    from segmodels.cli import main as cli_main

    positional = [a for a in argv if not a.startswith("-")]
    wants_cli = (positional and positional[0] in command_names()) or any(
        a in ("-h", "--help", "--version") for a in argv)
    if wants_cli:
        return cli_main(argv)
    if positional and not Path(positional[0]).exists():
        print(f"segstudio: '{positional[0]}' is neither a command ({', '.join(sorted(command_names()))}) "
              "nor an existing image, folder or project.", file=sys.stderr)
        return EXIT_USAGE
    problem = display_problem()
    if problem:
        print(f"segstudio: {problem}.", file=sys.stderr)
        return EXIT_USAGE
    from app.startup.gui import run_gui  # Qt is imported only now

    return run_gui(argv)


if __name__ == "__main__":
    sys.exit(main())
