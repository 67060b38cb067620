"""Undo memory: full-image flood fills on a huge label map, against the cap and the old storage.

The real `LabelDocument` (offscreen, no window) opens a project with one side x side image and no
label, then makes `--fills` flood fills the way the Fill tool does (`flood_fill_mask` at a corner,
then one `document.edit("Fill")` step), alternating two classes so that every fill changes every
pixel. Reported:

- `undo_bytes`: what the undo steps hold (their packed atoms), against `cap_bytes`
  (`document.undo_limit_bytes`, default 512 MiB across all open images);
- `baseline_bytes`: what the same steps held as the old uncompressed atoms (mask + old values of
  each step, measured on the atoms of this run before they were packed), the same run;
- `rss_before_fills_mib` / `rss_after_fills_mib` / `peak_rss_mib`: the process's resident memory
  before the first fill (the image and its label map are loaded), after the last one, and its peak
  (which includes the image, the label map and one fill's temporaries);
- `undo_newest_ms` / `redo_newest_ms`: undoing and redoing the newest step (checked bit for bit);
- `fill_s`: the median seconds of one fill step (flood fill + record + pack).

`--noise` is the worst case for the cap instead: each step paints the whole image with fresh random
values 0-255 (nothing to compress: a step holds about 2 x side^2 bytes), so the cap must drop the
oldest steps (`steps_kept`, `dropped_notes`: the status bar is told once).

    python benchmarks/undo_memory.py [--fills 100] [--side 8192] [--noise]

Last line: one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def make_project(root: Path, side: int) -> Path:
    from PIL import Image

    from segmodels.labels.classes import ClassTable
    from segmodels.labels.project import Project

    project = Project.create(root, ClassTable.from_names(["background", "road", "building"]))
    path = project.images_dir / "big.png"
    Image.new("RGB", (side, side)).save(path, compress_level=1)
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fills", type=int, default=100)
    parser.add_argument("--side", type=int, default=8192)
    parser.add_argument("--noise", action="store_true", help="incompressible whole-image steps (worst case)")
    args = parser.parse_args()

    import numpy as np
    from PySide6.QtGui import QGuiApplication

    from app.document.label_document import LabelDocument
    from app.document.undo_budget import held_bytes
    from segmodels.labels.edits import flood_fill_mask
    from segmodels.labels.project import Project

    app = QGuiApplication.instance() or QGuiApplication([])
    with tempfile.TemporaryDirectory(prefix="segstudio-undo-bench-") as tmp:
        root = make_project(Path(tmp) / "project", args.side)
        document = LabelDocument()
        document.open_project(Project.open(root))
        while document.is_loading:  # a large image loads in a worker, as in the window
            app.processEvents()
            time.sleep(0.01)
        app.processEvents()
        assert document.label_map is not None and document.label_map.shape == (args.side, args.side)
        notes: list[str] = []
        document.status_message.connect(notes.append)
        rss_before, peak_before = rss_mib(), peak_rss_mib()
        rng, full = np.random.default_rng(0), np.ones((args.side, args.side), bool) if args.noise else None
        previous = None
        log(f"{args.side} x {args.side} label map open, RSS {rss_before:.0f} MiB")

        baseline_bytes, fill_times = 0, []
        for fill in range(args.fills):
            started = time.perf_counter()
            if args.noise:
                previous = document.label_map.copy()
                y0, x0, mask, value = 0, 0, full, rng.integers(0, 256, full.shape, dtype=np.uint8)
            else:
                (y0, x0, mask), value = flood_fill_mask(document.label_map, 0, 0), 1 + fill % 2
            with document.edit("Fill") as stroke:
                stroke.paint(y0, x0, mask, value)
                # the old storage: these raw atoms (mask, old and new values), held by every step before packing
                baseline_bytes += sum(atom.mask.nbytes + atom.old_values.nbytes + np.asarray(atom.new_values).nbytes
                                      for atom in stroke.atoms)
            del mask, stroke, value
            app.processEvents()  # the window's event loop runs between two fills
            fill_times.append(time.perf_counter() - started)
            if (fill + 1) % 10 == 0:
                log(f"fill {fill + 1}/{args.fills}: {fill_times[-1]:.2f} s, RSS {rss_mib():.0f} MiB")
        rss_after = rss_mib()
        undo_bytes = held_bytes(document.undo_group.stacks())
        newest = document.label_map.copy()
        if previous is None:
            previous = np.full_like(newest, 1 + (args.fills - 2) % 2 if args.fills > 1 else 255)

        started = time.perf_counter()
        document.undo()
        undo_ms = (time.perf_counter() - started) * 1000
        assert np.array_equal(document.label_map, previous), "undo of the newest step is not bit-exact"
        started = time.perf_counter()
        document.redo()
        redo_ms = (time.perf_counter() - started) * 1000
        assert np.array_equal(document.label_map, newest), "redo of the newest step is not bit-exact"
        del newest, previous
        steps = document.undo_stack.count()
        document.undo_stack.setClean()
        app.processEvents()

    result = {
        "side": args.side, "fills": args.fills, "mode": "noise" if args.noise else "fill", "steps_kept": steps,
        "undo_bytes": undo_bytes, "cap_bytes": document.undo_limit_bytes, "baseline_bytes": baseline_bytes,
        "under_cap": undo_bytes <= document.undo_limit_bytes,
        "rss_before_fills_mib": round(rss_before, 1), "rss_after_fills_mib": round(rss_after, 1),
        "peak_rss_before_fills_mib": round(peak_before, 1),
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "undo_newest_ms": round(undo_ms, 1), "redo_newest_ms": round(redo_ms, 1),
        "fill_s": round(statistics.median(fill_times), 3), "dropped_notes": len(notes),
    }
    log(f"undo holds {undo_bytes / 2 ** 10:.0f} KiB for {steps} steps (cap {result['cap_bytes'] / 2 ** 20:.0f} MiB); "
        f"the old atoms would hold {baseline_bytes / 2 ** 30:.1f} GiB")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
