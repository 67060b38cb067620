"""File I/O safety (issue 13, items 9, 11, 14, 15): non-regular files, small files that ask for
gigabytes, names near the file-system limit, and temporaries left by killed writes.

Every planted case asserts the exact behaviour: one sentence naming the file, nothing hangs (each
read of a FIFO runs under a deadline), nothing but segstudio's own dead temporaries is removed.
"""
from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from segmodels.atomic import (
    Swept,
    atomic_open,
    atomic_write_bytes,
    read_regular_bytes,
    require_regular_file,
    sweep_stale_temporaries,
)
from segmodels.errors import SegError, TruncatedFile
from segmodels.labels import onehot
from segmodels.labels.classes import ClassTable
from segmodels.labels.imageio import read_image
from segmodels.labels.labelio import read_label_png, write_label_png
from segmodels.labels.onehot import load_array
from segmodels.labels.project import Project
from segmodels.validation.decode import decode_label
from segmodels.validation.report import ProblemKind, ValidationOptions

REPO = Path(__file__).resolve().parents[2]
DEADLINE_S = 10.0
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
needs_dev_zero = pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero on this system")


def _within_deadline(call):
    """Run `call` on a daemon thread; fail (instead of hanging the suite) if it does not return."""
    outcome: dict = {}

    def target():
        try:
            outcome["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(DEADLINE_S)
    assert not thread.is_alive(), f"{call} still blocked after {DEADLINE_S} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def _project(root: Path) -> Project:
    from support.projects import make_project

    return make_project(root, count=2, labelled=0)


def _plant(path: Path, kind: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")


# -- item 9: regular files only ----------------------------------------------------------------------
KINDS = [pytest.param("fifo", marks=needs_fifo, id="fifo"), pytest.param("zero", marks=needs_dev_zero, id="dev-zero")]
EXPECTED = {"fifo": "is a named pipe (FIFO), not a regular file; refused.",
            "zero": "is a device, not a regular file; refused."}


@pytest.mark.parametrize("kind", KINDS)
def test_every_reader_refuses_a_fifo_or_device_with_one_sentence(tmp_path, kind):
    planted = tmp_path / "frame.png"
    _plant(planted, kind)
    readers = {"Label": lambda: read_label_png(planted), "Image": lambda: read_image(planted),
               "File": lambda: read_regular_bytes(planted), "Label ": lambda: load_array(planted)}
    for what, read in readers.items():
        with pytest.raises(SegError) as caught:
            _within_deadline(read)
        assert str(caught.value) == f"{what.strip()} '{planted}' {EXPECTED[kind]}"
        assert caught.value.path == str(planted)


@pytest.mark.parametrize("kind", KINDS)
def test_validator_reports_a_fifo_or_device_label_as_one_problem(tmp_path, kind):
    planted = tmp_path / "frame.png"
    _plant(planted, kind)
    options = ValidationOptions(ClassTable.from_names(["background", "cat"]))
    decoded = _within_deadline(lambda: decode_label(planted, options))
    assert decoded.label_map is None
    [problem] = decoded.problems
    assert problem.kind is ProblemKind.UNREADABLE
    assert problem.message == f"Label '{planted}' {EXPECTED[kind]}"


@pytest.mark.parametrize("kind", KINDS)
def test_project_file_and_class_table_refuse_non_regular_files(tmp_path, kind):
    root = tmp_path / "proj"
    root.mkdir()
    _plant(root / "segstudio.json", kind)
    with pytest.raises(SegError, match=r"^Project file '.*segstudio\.json' is a .*, not a regular file; refused\.$"):
        _within_deadline(lambda: Project.open(root))


@pytest.mark.parametrize("kind", KINDS)
def test_recovery_hash_and_guard_copy_never_read_a_fifo_or_device(tmp_path, kind):
    from app.document.guard import keep_copy
    from app.document.recovery import RecoveryStore, _file_facts

    project = _project(tmp_path / "proj")
    image = project.image_paths()[0]
    label = project.label_path(image)
    _plant(label, kind)
    assert _within_deadline(lambda: _file_facts(label)) == {"unreadable": True}
    with pytest.raises(SegError, match=r"^Label '.*' is a .*, not a regular file; refused\.$"):
        _within_deadline(lambda: keep_copy(RecoveryStore(project), label))
    store = RecoveryStore(project)  # an autosave beside such a label still works (and hashes nothing)
    png = _within_deadline(lambda: store.write(image, np.zeros((40, 60), np.uint8), time.time()))
    assert read_label_png(png).shape == (40, 60)


@needs_fifo
def test_window_opens_a_project_whose_label_is_a_fifo(qtbot, messages, tmp_path):
    from app.window.main_window import MainWindow

    project = _project(tmp_path / "proj")
    image = project.image_paths()[0]
    _plant(project.label_path(image), "fifo")
    window = MainWindow()
    qtbot.addWidget(window)
    assert _within_deadline(lambda: window.open_path(project.root))
    assert window.document.image_path == image
    assert window.document.label_map is not None and window.document.label_map.shape == (40, 60)


@needs_fifo
def test_cli_validate_with_a_fifo_label_finishes_with_one_finding(tmp_path):
    project = _project(tmp_path / "proj")
    label = project.label_path(project.image_paths()[0])
    _plant(label, "fifo")
    done = subprocess.run([sys.executable, "-m", "segmodels", "validate", str(project.root)],
                          capture_output=True, text=True, timeout=120, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 1, done.stderr
    assert f"'{label}' is a named pipe (FIFO), not a regular file; refused." in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


# -- item 11 (npz): declared sizes checked before allocating -----------------------------------------
def _npy_header(shape: tuple[int, ...], dtype: str) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buffer.getvalue()  # magic string included


def _write_npz_bomb(path: Path, shape: tuple[int, ...], member_bytes: int) -> None:
    """An .npz whose one member is a real (zero-filled) array of `member_bytes`, deflated: small on disk."""
    chunk = bytes(16 * 1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("onehot.npy", "w", force_zip64=True) as member:
            member.write(_npy_header(shape, "|u1"))
            left = member_bytes
            while left > 0:
                member.write(chunk[:min(left, len(chunk))])
                left -= len(chunk)


@pytest.fixture(scope="module")
def npz_bomb(tmp_path_factory) -> Path:
    """768 MiB of zeros deflated to about 0.78 MB, like the file that made validate use 2.7 GB
    (built once: deflating it takes several seconds)."""
    bomb = tmp_path_factory.mktemp("bomb") / "img_0.npz"
    _write_npz_bomb(bomb, (8192, 8192, 12), 8192 * 8192 * 12)
    return bomb


def test_small_npz_declaring_a_huge_array_is_refused_before_inflating(npz_bomb):
    bomb = npz_bomb
    assert bomb.stat().st_size < 1_000_000
    with pytest.raises(SegError) as caught:
        load_array(bomb)
    assert str(caught.value) == (f"Label '{bomb}': member 'onehot.npy' unpacks to 768 MiB, over the 512 MiB limit "
                                 "for a label stack; refused.")


def test_npz_member_header_declaring_more_than_the_limit_is_refused(tmp_path):
    bomb = tmp_path / "label.npz"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("onehot.npy", _npy_header((20000, 20000, 21), "<f8") + bytes(1024))
    with pytest.raises(SegError) as caught:
        load_array(bomb)
    assert str(caught.value) == (f"Label '{bomb}': 'onehot.npy' declares a 20000 x 20000 x 21 float64 array "
                                 "(64087 MiB), over the 512 MiB limit for a label stack; refused.")


def test_npy_declaring_more_than_it_holds_is_truncated_not_allocated(tmp_path):
    short = tmp_path / "label.npy"
    short.write_bytes(_npy_header((4000, 4000, 3), "|u1") + bytes(100))
    with pytest.raises(TruncatedFile, match=r"'label\.npy' declares 48000000 bytes of data but holds at most \d+"):
        load_array(short)


def test_limit_applies_to_plain_npy_and_validate_reports_it(tmp_path, monkeypatch):
    monkeypatch.setattr(onehot, "MAX_ARRAY_BYTES", 1024 * 1024)
    big = tmp_path / "label.npy"
    np.save(big, np.zeros((600, 600, 3), np.uint8))
    options = ValidationOptions(ClassTable.from_names(["background", "cat", "dog"]))
    [problem] = decode_label(big, options).problems
    assert problem.kind is ProblemKind.UNREADABLE
    assert problem.message == (f"Label '{big}': 'label.npy' declares a 600 x 600 x 3 uint8 array (1 MiB), over the "
                               "1 MiB limit for a label stack; refused.")
    stack = np.zeros((300, 300, 3), np.uint8)
    stack[..., 1] = 1
    np.savez_compressed(tmp_path / "ok.npz", onehot=stack)  # under the limit: read as before
    assert (onehot.read_onehot(tmp_path / "ok.npz").label_map == 1).all()


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak memory from /proc")
def test_cli_validate_on_a_small_npz_bomb_stays_small_in_memory(tmp_path, npz_bomb):
    from support.projects import make_project

    project = make_project(tmp_path / "proj", count=1, labelled=0)
    bomb = project.labels_dir / "img_0.npz"
    shutil.copyfile(npz_bomb, bomb)  # the same 0.78 MB file, as a project's label
    # VmHWM is this process's own peak (ru_maxrss keeps the forking parent's peak across exec).
    script = ("import sys; from segmodels.cli import main; code = main(sys.argv[1:]); "
              "peak = [line for line in open('/proc/self/status') if line.startswith('VmHWM')][0]; "
              "print('MAXRSS_KB', peak.split()[1]); sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", script, "validate", str(bomb)], capture_output=True, text=True,
                          timeout=120, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert "over the 512 MiB limit for a label stack; refused." in done.stdout, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    rss_kb = int(done.stdout.rsplit("MAXRSS_KB", 1)[1].split()[0])
    assert rss_kb < 400 * 1024, f"validate used {rss_kb // 1024} MB on a {bomb.stat().st_size} byte file"


# -- item 14: names near the file-system limit ----------------------------------------------------------
def test_a_250_character_name_can_be_saved_as_label_and_recovery_file(tmp_path):
    from app.document.recovery import RecoveryStore

    project = _project(tmp_path / "proj")
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
    project = _project(tmp_path / "proj")
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

    project = _project(tmp_path / "proj")
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
    project = _project(tmp_path / "proj")
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

    project = _project(tmp_path / "proj")
    recovery = project.root / ".segstudio-recovery"
    recovery.mkdir()
    (recovery / f".sgs-{_dead_pid()}-abcdefgh.tmp").write_bytes(bytes(2500))
    window = MainWindow()
    qtbot.addWidget(window)
    assert window.open_path(project.root)
    assert window.statusBar().currentMessage() == ("Removed 1 temporary file(s) left by an interrupted write "
                                                   "(2.5 KB freed).")
    assert list(recovery.iterdir()) == []


def test_require_regular_file_names_a_folder_and_a_missing_file(tmp_path):
    with pytest.raises(SegError, match=r"^Label '.*' is a folder, not a regular file; refused\.$"):
        require_regular_file(tmp_path, "label")
    with pytest.raises(SegError, match=r"^Image '.*nothing\.png' does not exist\.$"):
        require_regular_file(tmp_path / "nothing.png", "image")


def test_a_checkpoint_that_is_a_fifo_is_refused_without_blocking(tmp_path):
    """Item 9 for checkpoints: a named pipe is refused as what it is (its size of 0 used to be read as
    "empty"), and reading never waits on it."""
    import os

    import pytest

    from segmodels.errors import SegError
    from segmodels.models.checkpoint import load_checkpoint

    fifo = tmp_path / "model.pt"
    os.mkfifo(fifo)
    with pytest.raises(SegError, match="model.pt.*named pipe"):
        load_checkpoint(fifo)
