"""File I/O safety (issue 13, items 9 and 11): non-regular files and small files that ask for gigabytes.
Temporary files (items 14 and 15) are in test_temporary_files.py.

Every planted case asserts the exact behaviour: one sentence naming the file, and nothing hangs (each
read of a FIFO runs under a deadline).
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from segmodels.atomic import (
    read_regular_bytes,
)
from segmodels.errors import SegError, TruncatedFile
from segmodels.labels import onehot
from segmodels.labels.classes import ClassTable
from segmodels.labels.imageio import read_image
from segmodels.labels.labelio import read_label_png
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
    from app.document.recovery_store import RecoveryStore, file_facts

    project = _project(tmp_path / "proj")
    image = project.image_paths()[0]
    label = project.label_path(image)
    _plant(label, kind)
    assert _within_deadline(lambda: file_facts(label)) == {"unreadable": True}
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
