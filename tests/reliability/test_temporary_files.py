"""Temporary files (issue 13, items 14 and 15): short names whatever the target's name, and the
temporaries of killed writes removed at the next start, nothing but segstudio's own dead ones.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from segmodels.atomic import (
    Swept,
    atomic_open,
    atomic_write_bytes,
    require_regular_file,
    sweep_stale_temporaries,
)
from segmodels.errors import SegError
from segmodels.labels.labelio import read_label_png, write_label_png
from support import REPO
from support.projects import make_project


# -- item 14: names near the file-system limit ----------------------------------------------------------
def test_a_250_character_name_can_be_saved_as_label_and_recovery_file(tmp_path):
    from app.document.recovery_store import RecoveryStore

    project = make_project(tmp_path / "proj", count=2, labelled=0)
    image = project.images_dir / ("a" * 246 + ".png")
    os.replace(project.image_paths()[0], image)
    assert len(image.name) == 250
    label_map = np.ones((40, 60), np.uint8)
    write_label_png(project.label_path(image), label_map, project.classes)
    assert (read_label_png(project.label_path(image)) == label_map).all()
    png = RecoveryStore(project).write(image, label_map, time.time())
    assert len(png.name) == 250 and len(png.with_suffix(".json").name) == 251
    assert (read_label_png(png) == label_map).all()
    atomic_write_bytes(tmp_path / ("b" * 255), b"fits")  # the longest name the file system allows
    assert (tmp_path / ("b" * 255)).read_bytes() == b"fits"


def test_temporary_names_are_short_and_name_their_process(tmp_path):
    target = tmp_path / ("x" * 255)
    with atomic_open(target) as handle:
        [temp] = [p for p in tmp_path.iterdir()]
        handle.write(b"data")
    assert temp.name.startswith(f".sgs-{os.getpid()}-") and temp.name.endswith(".tmp")
    assert len(temp.name) == len(f".sgs-{os.getpid()}-") + 8 + 4
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


# -- item 15: temporaries of killed writes ------------------------------------------------------------
def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_sweep_removes_only_dead_processes_temporaries(tmp_path):
    project = make_project(tmp_path / "proj", count=2, labelled=0)
    dead = _dead_pid()
    folders = [project.root, project.labels_dir, project.root / "predictions", project.root / "models",
               project.root / ".segstudio-recovery"]
    stale = []
    for index, folder in enumerate(folders):
        folder.mkdir(exist_ok=True)
        stale.append(folder / f".sgs-{dead}-abcd{index}fgh.tmp")
        stale[-1].write_bytes(bytes(1000 * (index + 1)))
    keep = [project.labels_dir / f".sgs-{os.getpid()}-abcdefgh.tmp",      # this (live) process
            project.labels_dir / ".img_0.png.k2j3h4g5.tmp",                # not a name segstudio gives
            project.labels_dir / f".sgs-{dead}-abc.tmp",                   # wrong length
            project.labels_dir / f"sgs-{dead}-abcdefgh.tmp",               # no leading dot
            project.labels_dir / "notes.tmp"]
    for path in keep:
        path.write_bytes(b"mine")
    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"a stranger's file")
    (project.labels_dir / f".sgs-{dead}-linkedxx.tmp").symlink_to(outside)  # a link is never followed
    nested = project.labels_dir / "sub"
    nested.mkdir()
    (nested / f".sgs-{dead}-nestedxx.tmp").write_bytes(b"below the project's folders")
    swept = sweep_stale_temporaries(folders)
    assert swept == Swept(5, 15000)
    assert swept.sentence() == "Removed 5 temporary file(s) left by an interrupted write (15.0 KB freed)."
    assert not any(p.exists() for p in stale)
    assert all(p.read_bytes() == b"mine" for p in keep)
    assert outside.read_bytes() == b"a stranger's file"
    assert (project.labels_dir / f".sgs-{dead}-linkedxx.tmp").is_symlink()
    assert (nested / f".sgs-{dead}-nestedxx.tmp").exists()
    assert sweep_stale_temporaries(folders) == Swept(0, 0) and Swept(0, 0).sentence() is None


WRITER = """
import sys, time
from segmodels.atomic import atomic_open
with atomic_open(sys.argv[1]) as handle:
    handle.write(bytes(3_000_000))
    handle.flush()
    print("writing", flush=True)
    time.sleep(60)
"""


def _killed_writer(target: Path) -> int:
    """Start a real atomic write of `target`, kill -9 it mid-write; returns its (now dead) pid."""
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE, text=True,
                             cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert child.stdout.readline().strip() == "writing"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    return child.pid


def test_cli_removes_what_a_killed_checkpoint_write_left_and_says_so_once(tmp_path, capsys):
    from segmodels.cli import main

    project = make_project(tmp_path / "proj", count=2, labelled=0)
    pid = _killed_writer(project.root / "models" / "x.pt")
    [left] = list((project.root / "models").iterdir())
    assert left.name.startswith(f".sgs-{pid}-") and left.stat().st_size == 3_000_000
    assert not (project.root / "models" / "x.pt").exists()
    main(["validate", str(project.root)])
    err = capsys.readouterr().err
    assert err.count("Removed 1 temporary file(s) left by an interrupted write (3.0 MB freed).") == 1
    assert list((project.root / "models").iterdir()) == []
    main(["validate", str(project.root)])
    assert "temporary" not in capsys.readouterr().err


def test_a_live_writers_temporary_is_never_removed(tmp_path):
    project = make_project(tmp_path / "proj", count=2, labelled=0)
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(project.labels_dir / "img_0.png")],
                             stdout=subprocess.PIPE, text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert child.stdout.readline().strip() == "writing"
        assert sweep_stale_temporaries([project.labels_dir]) == Swept(0, 0)
        assert [p.name for p in project.labels_dir.iterdir() if p.name.startswith(f".sgs-{child.pid}-")]
    finally:
        child.kill()
        child.wait(timeout=30)


def test_window_open_removes_stale_temporaries_and_says_so(qtbot, messages, tmp_path):
    from app.window.main_window import MainWindow

    project = make_project(tmp_path / "proj", count=2, labelled=0)
    recovery = project.root / ".segstudio-recovery"
    recovery.mkdir()
    (recovery / f".sgs-{_dead_pid()}-abcdefgh.tmp").write_bytes(bytes(2500))
    window = MainWindow()
    qtbot.addWidget(window)
    assert window.open_path(project.root)
    assert window.statusBar().currentMessage() == ("Removed 1 temporary file(s) left by an interrupted write "
                                                   "(2.5 KB freed).")
    assert [p.name for p in recovery.iterdir()] == ["owner.lock"]  # this window now owns the folder


def test_require_regular_file_names_a_folder_and_a_missing_file(tmp_path):
    with pytest.raises(SegError, match=r"^Label '.*' is a folder, not a regular file; refused\.$"):
        require_regular_file(tmp_path, "label")
    with pytest.raises(SegError, match=r"^Image '.*nothing\.png' does not exist\.$"):
        require_regular_file(tmp_path / "nothing.png", "image")
