"""Durable batches (segmodels/atomic.py, `DurableBatch`): bulk jobs sync once per batch instead of once
per file, and still never leave a name pointing at data a crash could lose (docs/formats.md,
"Durable batches"): a file is renamed into place only after the batch's sync, a failing sync renames
nothing, a killed job leaves only its temporaries (swept at the next start), and single saves outside
a batch keep their own fsync.
"""
from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from segmodels import atomic, disksync
from segmodels.atomic import DurableBatch, Swept, atomic_write_bytes, discard_write, sweep_stale_temporaries
from segmodels.errors import SegError
from support import REPO


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _temporaries(folder: Path) -> list[str]:
    return [name for name in _names(folder) if name.startswith(atomic.TEMP_PREFIX)]


def test_files_appear_whole_and_only_after_the_batch_synced(tmp_path, monkeypatch):
    synced: list[list[str]] = []
    real = atomic.sync_to_disk

    def recording(paths):
        synced.append([p.name for p in paths])
        real(paths)

    monkeypatch.setattr(atomic, "sync_to_disk", recording)
    with DurableBatch() as batch:
        with batch.active():
            atomic_write_bytes(tmp_path / "a.png", b"first")
            atomic_write_bytes(tmp_path / "b.png", b"second")
        assert not (tmp_path / "a.png").exists() and not (tmp_path / "b.png").exists()
        assert len(_temporaries(tmp_path)) == 2 and batch.holds(tmp_path / "a.png")
        assert synced == []
    assert _names(tmp_path) == ["a.png", "b.png"]
    assert (tmp_path / "a.png").read_bytes() == b"first"
    # the data was synced (both temporaries) before the renames, then the folder holding the new names
    assert len(synced) == 2 and all(name.startswith(atomic.TEMP_PREFIX) for name in synced[0])
    assert synced[1] == [tmp_path.name]


def test_one_sync_per_batch_not_one_fsync_per_file(tmp_path, monkeypatch):
    fsyncs, syncs = [], []
    real_fsync, real_durable = os.fsync, atomic.sync_to_disk
    monkeypatch.setattr(os, "fsync", lambda fd: (fsyncs.append(fd), real_fsync(fd)))
    monkeypatch.setattr(atomic, "sync_to_disk", lambda paths: (syncs.append(len(paths)), real_durable(paths)))
    with DurableBatch(max_files=10) as batch:
        for index in range(25):
            batch.commit_if_due()
            with batch.active():
                atomic_write_bytes(tmp_path / f"{index}.png", b"x")
    assert len(_names(tmp_path)) == 25 and not _temporaries(tmp_path)
    assert syncs == [10, 1, 10, 1, 5, 1]  # data of each batch of files, then their folder
    if disksync._syncfs() is not None:
        assert fsyncs == []  # Linux: one syncfs per sync, no fsync per file


def test_single_writes_outside_a_batch_keep_their_own_fsync(tmp_path, monkeypatch):
    """The window's save of one label: fsync, then rename, at once; also between a job's steps."""
    fsyncs = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (fsyncs.append(fd), real_fsync(fd)))

    def job():
        with DurableBatch() as batch:
            with batch.active():
                atomic_write_bytes(tmp_path / "in_batch.png", b"x")
            yield  # the caller runs here: the batch is not active for its writes

    steps = job()
    next(steps)
    atomic_write_bytes(tmp_path / "single.png", b"y")
    assert (tmp_path / "single.png").read_bytes() == b"y" and len(fsyncs) == 1
    assert not (tmp_path / "in_batch.png").exists()
    steps.close()  # a stopped job commits what it wrote completely
    assert (tmp_path / "in_batch.png").read_bytes() == b"x"


def test_a_failing_sync_renames_nothing_and_leaves_no_temporary(tmp_path, monkeypatch):
    (tmp_path / "a.png").write_bytes(b"old a")
    failing = lambda *args: (_ for _ in ()).throw(OSError(errno.EIO, "Input/output error"))  # noqa: E731
    monkeypatch.setattr(disksync, "_syncfs", lambda: failing)
    monkeypatch.setattr(os, "fsync", failing)  # where there is no syncfs, each file is fsynced
    with pytest.raises(SegError) as info:
        with DurableBatch() as batch, batch.active():
            atomic_write_bytes(tmp_path / "a.png", b"new a")
            atomic_write_bytes(tmp_path / "b.png", b"new b")
    assert "Input/output error" in str(info.value) and "\n" not in str(info.value)
    assert _names(tmp_path) == ["a.png"] and (tmp_path / "a.png").read_bytes() == b"old a"


def test_a_later_write_of_the_same_name_wins_and_discard_drops_it(tmp_path):
    with DurableBatch() as batch, batch.active():
        atomic_write_bytes(tmp_path / "a.png", b"1")
        atomic_write_bytes(tmp_path / "a.png", b"2")
        atomic_write_bytes(tmp_path / "b.png", b"3")
        discard_write(tmp_path / "b.png")
        assert len(_temporaries(tmp_path)) == 1 and not batch.holds(tmp_path / "b.png")
    assert _names(tmp_path) == ["a.png"] and (tmp_path / "a.png").read_bytes() == b"2"


WRITER = """
import sys, time
from pathlib import Path
from segmodels.atomic import DurableBatch, atomic_write_bytes
folder = Path(sys.argv[1])
with DurableBatch() as batch:
    for index in range(5):
        with batch.active():
            atomic_write_bytes(folder / f"{index}.png", b"label" * 1000)
    print("written", flush=True)
    time.sleep(60)
"""


def test_a_killed_job_leaves_no_label_only_temporaries_that_are_swept(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True,
                             cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert child.stdout.readline().strip() == "written"
    finally:
        os.kill(child.pid, signal.SIGKILL)  # kill -9: no clean-up, no commit
        child.wait(timeout=30)
    assert not [name for name in _names(tmp_path) if name.endswith(".png")]
    assert len(_temporaries(tmp_path)) == 5
    assert sweep_stale_temporaries([tmp_path]) == Swept(5, 5 * 5000)
    assert _names(tmp_path) == []


def test_an_import_sees_names_it_wrote_earlier_in_its_batch(tmp_path):
    """Two items naming one image: the second is refused as without a batch (the batch commits first)."""
    from PIL import Image

    from segmodels.formats.importing import ImportItem, ImportPlan, LoadedItem, iter_import
    from segmodels.labels.classes import ClassTable

    first, second = tmp_path / "first.png", tmp_path / "second.png"
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(first)
    Image.fromarray(np.full((4, 4, 3), 9, np.uint8)).save(second)
    label = np.ones((4, 4), np.uint8)
    items = tuple(ImportItem(source, "same.png", lambda source=source: LoadedItem(source, label))
                  for source in (first, second))
    plan = ImportPlan("test", tmp_path / "out", ClassTable.from_names(["background", "thing"]), items)
    steps = list(iter_import(plan))
    assert steps[0].error is None and "already has another image named" in steps[1].error
    assert _names(tmp_path / "out" / "images") == ["same.png"]
    assert (tmp_path / "out" / "images" / "same.png").read_bytes() == first.read_bytes()


def test_a_killed_import_leaves_temporaries_in_images_that_the_next_start_sweeps(tmp_path):
    """An import writes images too: its folder is one of those swept at the next start."""
    from segmodels.atomic import project_folders
    from support.projects import make_project

    project = make_project(tmp_path / "proj", count=1, labelled=0)
    leftover = project.images_dir / f"{atomic.TEMP_PREFIX}999999999-abcdefgh{atomic.TEMP_SUFFIX}"
    leftover.write_bytes(b"half an image")
    assert project.images_dir in project_folders(project)
    assert sweep_stale_temporaries(project_folders(project)) == Swept(1, len(b"half an image"))
    assert not leftover.exists()


def test_a_failing_sync_fails_the_whole_import_not_one_image(tmp_path, monkeypatch):
    """The second item's names make the batch commit early; its failing sync is the import's failure
    (the first image's files are gone too), never reported as the second image's problem."""
    from PIL import Image

    from segmodels.atomic import BatchSyncFailed
    from segmodels.formats.importing import ImportItem, ImportPlan, LoadedItem, iter_import
    from segmodels.labels.classes import ClassTable

    source = tmp_path / "photo.png"
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(source)
    items = tuple(ImportItem(source, "same.png", lambda: LoadedItem(source, np.ones((4, 4), np.uint8)))
                  for _ in range(2))
    plan = ImportPlan("test", tmp_path / "out", ClassTable.from_names(["background", "thing"]), items)
    steps = iter_import(plan)
    assert next(steps).error is None
    failing = lambda *args: (_ for _ in ()).throw(OSError(errno.EIO, "Input/output error"))  # noqa: E731
    monkeypatch.setattr(disksync, "_syncfs", lambda: failing)
    monkeypatch.setattr(os, "fsync", failing)
    with pytest.raises(BatchSyncFailed, match="Input/output error"):
        next(steps)
    assert _names(tmp_path / "out" / "images") == []  # nothing half-written: no image, no temporary


def test_a_large_file_starts_its_write_out_at_once_and_a_small_one_waits_for_the_sync(tmp_path, monkeypatch):
    started: list[int] = []
    real = atomic.start_writeback
    monkeypatch.setattr(atomic, "start_writeback", lambda fd: (started.append(os.fstat(fd).st_size), real(fd)))
    with DurableBatch() as batch, batch.active():
        atomic_write_bytes(tmp_path / "small.png", b"x" * 1000)
        atomic_write_bytes(tmp_path / "stack.npy", b"y" * disksync.WRITEBACK_BYTES)
        assert started == [disksync.WRITEBACK_BYTES]  # only the big one, and before the batch commits
        assert _names(tmp_path) == sorted(_temporaries(tmp_path))  # nothing visible yet: still not durable
    assert (tmp_path / "stack.npy").read_bytes() == b"y" * disksync.WRITEBACK_BYTES
    atomic_write_bytes(tmp_path / "single.npy", b"z" * disksync.WRITEBACK_BYTES)  # outside a batch: fsync only
    assert started == [disksync.WRITEBACK_BYTES]
