"""Helpers shared by the command modules: progress bars and tables on the terminal."""
from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def progress(items: Iterable[T], *, total: int | None = None, desc: str = "", unit: str = "file",
             enabled: bool = True) -> Iterator[T]:
    """A tqdm progress bar on stderr (shown only when there is enough work to watch)."""
    from tqdm import tqdm  # light, but only commands that loop need it

    yield from tqdm(items, total=total, desc=desc, unit=unit, file=sys.stderr, disable=not enabled,
                    dynamic_ncols=True, leave=False, mininterval=0.2)


def format_table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=False)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=False)) for r in rows]
    return "\n".join(lines)


def report_steps(steps: Iterable, total: int, where: str) -> int:
    """Run an export's steps with a progress bar, one stderr line per skipped image (and per note a
    step carries), then the summary; the exit status: 1 when any image was skipped."""
    written = failed = 0
    for step in progress(steps, total=total, desc="export", unit="image", enabled=total > 1 and sys.stderr.isatty()):
        for note in getattr(step, "notes", ()):
            print(f"segstudio export: note: {note}", file=sys.stderr)
        if step.error:
            failed += 1
            print(f"segstudio export: skipped: {step.error}", file=sys.stderr)
        else:
            written += 1
    print(f"Exported {written} of {total} labelled images {where}." + (f" {failed} skipped." if failed else ""))
    return 1 if failed else 0
