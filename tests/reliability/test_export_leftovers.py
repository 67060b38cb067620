"""An export killed while writing leaves hidden temporaries in its output folder (no project open ever
sweeps an export folder); the next bulk job or export writing there removes those of dead processes,
and never a live writer's file or a file segstudio did not name (segmodels/atomic.py)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from segmodels.atomic import DurableBatch, atomic_write_bytes
from support.projects import make_project


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _plant(folder: Path) -> tuple[Path, Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    dead = folder / f".sgs-{_dead_pid()}-abcdefgh.tmp"
    live = folder / f".sgs-{os.getpid()}-abcdefgh.tmp"
    other = folder / ".sgs-notes.txt"  # not a name segstudio makes
    for path in (dead, live, other):
        path.write_bytes(b"x" * 100)
    return dead, live, other


def test_a_batch_clears_each_folder_it_writes_into_once(tmp_path):
    dead, live, other = _plant(tmp_path / "out")
    with DurableBatch() as batch, batch.active():
        atomic_write_bytes(tmp_path / "out" / "a.png", b"a")
        atomic_write_bytes(tmp_path / "out" / "b.png", b"b")
    assert not dead.exists() and live.exists() and other.exists()
    assert batch.swept.files == 1 and batch.swept.size == 100
    assert (tmp_path / "out" / "a.png").read_bytes() == b"a"


def test_exports_into_a_folder_remove_what_a_killed_export_left(tmp_path):
    from segmodels.formats.coco_export import iter_export_coco
    from segmodels.formats.cvat_export import CvatExport
    from segmodels.labels.export import iter_export

    project = make_project(tmp_path / "p", count=2, labelled=2)
    for name, run in (("palette", lambda out: list(iter_export(project, out))),
                      ("coco", lambda out: list(iter_export_coco(project, out / "coco.json"))),
                      ("cvat", lambda out: list(CvatExport(project, out / "task.zip").steps()))):
        out = tmp_path / name
        dead, live, other = _plant(out)
        run(out)
        assert not dead.exists(), name
        assert live.exists() and other.exists(), name
