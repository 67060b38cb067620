"""No write can leave a half-written file: each writer is made to fail halfway and the old file must
be intact, the folder free of temporary files, and the failure one sentence (SegError).

Faults are injected three ways: the file object's `write` raises ENOSPC after some bytes (every file
opened for writing through `open`, `io.open` or `os.fdopen`, so a writer that bypasses
segmodels.atomic and truncates the target in place is caught too), `os.fsync` (and a bulk job's
one sync per batch) raises EIO, and
`os.replace` raises EXDEV. Writers: labels, predictions (+ confidence), project JSON, checkpoints,
exports, validation previews, the GUI document's save and the autosave recovery file.
"""
from __future__ import annotations

import builtins
import errno
import io
import os
from pathlib import Path

import corpus
import numpy as np
import pytest

from segmodels import disksync
from segmodels.errors import SegError

FAULTS = ("write_halfway", "fsync", "replace")


class _HalfWriter:
    """A file object wrapper whose writes fail (ENOSPC) once `budget` bytes have been written."""

    def __init__(self, inner, budget: int) -> None:
        self._inner = inner
        self._budget = budget

    def write(self, data):
        size = len(data)
        if size > self._budget:
            self._inner.write(data[: self._budget])  # the partial write a full disk leaves
            self._budget = 0
            raise OSError(errno.ENOSPC, "No space left on device")
        self._budget -= size
        return self._inner.write(data)

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def __enter__(self):
        self._inner.__enter__()
        return self

    def __exit__(self, *exc):
        return self._inner.__exit__(*exc)

    def __iter__(self):
        return iter(self._inner)


def _writing(mode) -> bool:
    return isinstance(mode, str) and any(flag in mode for flag in "wax+")


@pytest.fixture
def inject():
    """inject(fault) arms one fault until the test ends or `inject.disarm()` is called."""
    monkeypatch = pytest.MonkeyPatch()

    def arm(fault: str) -> None:
        if fault == "write_halfway":
            real_open, real_fdopen = builtins.open, os.fdopen

            def failing_open(file, mode="r", *args, **kwargs):
                handle = real_open(file, mode, *args, **kwargs)
                return _HalfWriter(handle, 64) if _writing(mode) else handle

            def failing_fdopen(fd, mode="r", *args, **kwargs):
                handle = real_fdopen(fd, mode, *args, **kwargs)
                return _HalfWriter(handle, 64) if _writing(mode) else handle

            monkeypatch.setattr(builtins, "open", failing_open)
            monkeypatch.setattr(io, "open", failing_open)
            monkeypatch.setattr(os, "fdopen", failing_fdopen)
        elif fault == "fsync":
            def failing_fsync(fd):
                raise OSError(errno.EIO, "Input/output error")
            monkeypatch.setattr(os, "fsync", failing_fsync)
            # bulk jobs sync a whole batch at once (atomic.DurableBatch): that sync fails the same way
            monkeypatch.setattr(disksync, "_syncfs", lambda: failing_fsync)
        elif fault == "replace":
            def failing_replace(src, dst, *args, **kwargs):
                raise OSError(errno.EXDEV, "Invalid cross-device link")
            monkeypatch.setattr(os, "replace", failing_replace)
        else:
            raise ValueError(fault)

    arm.disarm = monkeypatch.undo
    yield arm
    monkeypatch.undo()


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _assert_intact(before: dict[str, bytes], folder: Path) -> None:
    after = _snapshot(folder)
    leftovers = sorted(set(after) - set(before))
    assert not leftovers, f"partial or temporary files left: {leftovers}"
    changed = sorted(name for name in before if after.get(name) != before[name])
    assert not changed, f"old files damaged: {changed}"


@pytest.fixture
def project(tmp_path):
    from segmodels.labels.project import Project

    root = corpus.make_project(tmp_path / "proj ü", n_images=2)
    project = Project.open(root)
    image = project.image_paths()[0]
    project.write_prediction(image, np.ones(corpus.SIZE, np.uint8))
    return project


def _new_label() -> np.ndarray:
    return np.full(corpus.SIZE, 2, np.uint8)


def _write_label(project, tmp_path):
    project.write_label(project.image_paths()[0], _new_label())


def _write_prediction(project, tmp_path):
    """The real prediction path (CLI and model dock): label PNG + confidence PNG per image."""
    pytest.importorskip("torch")
    from segmodels.inference.batch import predict_files

    checkpoint = tmp_path / "predictor.pt"
    if not checkpoint.exists():
        corpus.save_good_checkpoint(checkpoint)
    for result in predict_files(checkpoint, project.image_paths()[:1], out_dir=project.predictions_dir,
                                classes=project.classes, device="cpu", num_workers=0, save_confidence=True):
        if not result.ok:  # reported per file, the run goes on: surface it as the failure
            raise SegError(result.error)


def _write_project_json(project, tmp_path):
    project.with_classes(project.classes.with_class("new class")).save()


def _write_checkpoint(project, tmp_path):
    corpus.save_good_checkpoint(project.models_dir / "model.pt")


def _write_export(project, tmp_path):
    from segmodels.labels.export import iter_export

    steps = list(iter_export(project, project.root / "export", "palette"))
    errors = [s.error for s in steps if s.error]
    if errors:  # export reports per image and goes on: surface the first as the failure
        raise SegError(errors[0])


WRITERS = {
    "label": _write_label,
    "prediction": _write_prediction,
    "project_json": _write_project_json,
    "checkpoint": _write_checkpoint,
    "export": _write_export,
}


def _prepare_existing(project, writer: str, tmp_path) -> None:
    """Make sure the file the writer targets already exists, so there is an old version to keep."""
    if writer == "checkpoint":
        pytest.importorskip("torch")
        corpus.save_good_checkpoint(project.models_dir / "model.pt", ("a", "b"))
    elif writer == "export":
        for image in project.labelled_images():  # an older export that the new one replaces
            (project.root / "export").mkdir(exist_ok=True)
            (project.root / "export" / f"{image.stem}.png").write_bytes(b"old export " + image.name.encode())
    elif writer == "prediction":
        _write_prediction(project, tmp_path)
        project.write_prediction(project.image_paths()[0], np.full(corpus.SIZE, 7, np.uint8))  # differs


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_failed_write_keeps_old_file(project, tmp_path, inject, writer, fault):
    _prepare_existing(project, writer, tmp_path)
    before = _snapshot(project.root)
    inject(fault)
    with pytest.raises(SegError) as info:
        WRITERS[writer](project, tmp_path)
    assert "Traceback" not in str(info.value) and "\n" not in str(info.value)
    _assert_intact(before, project.root)


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_writer_succeeds_without_fault(project, tmp_path, writer):
    """The same writers change the files when nothing fails (so the test above is not vacuous)."""
    _prepare_existing(project, writer, tmp_path)
    before = _snapshot(project.root)
    WRITERS[writer](project, tmp_path)
    after = _snapshot(project.root)
    assert after != before
    assert not [name for name in after if name.rsplit("/", 1)[-1].startswith(".") and name.endswith(".tmp")]


def test_half_writer_really_truncates_a_plain_write(tmp_path, inject):
    """The fault does damage a non-atomic writer: proof that the checks above can fail."""
    target = tmp_path / "plain.txt"
    target.write_text("old content that must survive\n")
    inject("write_halfway")
    with pytest.raises(OSError):
        with open(target, "w") as handle:
            handle.write("x" * 1000)
    assert target.read_text() != "old content that must survive\n"


@pytest.mark.parametrize("fault", FAULTS)
def test_document_save_on_full_disk_keeps_edit(qtbot, messages, project, inject, fault):
    """The window's save: a failing write is a message, the label file stays as it was, and the
    edit stays in memory (still unsaved) so the user can retry."""
    from app.document.label_document import LabelDocument

    document, errors = LabelDocument(), []
    document.error.connect(errors.append)  # the document says it; the window shows it (app.messages)
    assert document.open_project(project)
    stroke = document.begin_stroke("Brush")
    stroke.paint(2, 3, np.ones((4, 5), bool), 1)
    stroke.finish()
    painted = document.label_map.copy()
    before = _snapshot(project.root)
    inject(fault)
    assert document.save() is False
    assert document.is_dirty
    np.testing.assert_array_equal(document.label_map, painted)
    assert len(errors) == 1
    text = errors[0]
    assert project.image_paths()[0].name in text and "Traceback" not in text
    _assert_intact(before, project.root)
    inject.disarm()  # the disk has room again: the same edit now saves
    assert document.save() is True and not document.is_dirty
    from segmodels.labels.labelio import read_label_png

    np.testing.assert_array_equal(read_label_png(project.label_path(project.image_paths()[0])), painted)


# -- no write bypasses segmodels.atomic -------------------------------------------------------------
REPO = Path(__file__).resolve().parents[2]
#: Writes that are safe without segmodels.atomic, with the reason.
ALLOWED = {
    ("app/startup/gui.py", "copy2"): "copies into .demo-partial-<pid>/, which is renamed into place only when complete",
    ("segmodels/formats/safezip.py", "open"): "extracts into a fresh .sgs-import-* staging folder, renamed into "
                                             "place only when complete (segmodels/formats/cvat_import.py)",
    ("segmodels/labels/class_rewrite.py", "copyfile"): "seeds a staged copy that write_label_file then replaces "
                                                       "atomically; staged copies are journaled and rolled back",
    ("segmodels/labels/class_rewrite.py", "save"): "a 1 x 1 palette carrier at the staged name, replaced atomically "
                                                   "by write_label_file before anything is renamed into place",
}


def _write_calls(tree) -> list[tuple[int, str]]:
    """(line, name) of calls that write a file in place (writing into a handle that
    `with atomic_open(...) as handle` gave is not: that is the atomic writer itself)."""
    import ast

    def opener(call: ast.expr) -> str:
        func = call.func if isinstance(call, ast.Call) else None
        return getattr(func, "id", "") or getattr(func, "attr", "")

    atomic_handles = {item.optional_vars.id for node in ast.walk(tree) if isinstance(node, ast.With)
                      for item in node.items
                      if isinstance(item.optional_vars, ast.Name) and opener(item.context_expr) == "atomic_open"}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name == "open":
            modes = [a for a in node.args[1:2] + [k.value for k in node.keywords if k.arg == "mode"]]
            if any(isinstance(m, ast.Constant) and isinstance(m.value, str) and set(m.value) & set("wax+")
                   for m in modes):
                found.append((node.lineno, name))
        elif name in ("write_text", "write_bytes", "imwrite", "tofile"):
            found.append((node.lineno, name))
        elif name in ("copy", "copy2", "copyfile", "move", "copytree"):
            if isinstance(func, ast.Attribute) and getattr(func.value, "id", "") in ("shutil", "os"):
                found.append((node.lineno, name))
        elif name in ("save", "savez", "savez_compressed") and node.args:
            target = node.args[1] if getattr(func.value, "id", "") == "torch" and len(node.args) > 1 else node.args[0]
            if getattr(func.value, "id", "") in ("np", "numpy"):
                target = node.args[0]
            if not (isinstance(target, ast.Name) and ("buffer" in target.id or target.id in atomic_handles)):
                found.append((node.lineno, name))
    return found


def test_no_write_bypasses_atomic():
    """Every file write in segmodels/ and app/ goes through segmodels.atomic (or a BytesIO first)."""
    import ast

    offenders = []
    for package in ("segmodels", "app"):
        for source in sorted((REPO / package).rglob("*.py")):
            relative = source.relative_to(REPO).as_posix()
            if relative == "segmodels/atomic.py":
                continue
            for line, name in _write_calls(ast.parse(source.read_text(encoding="utf-8"))):
                if (relative, name) not in ALLOWED:
                    offenders.append(f"{relative}:{line} {name}")
    assert not offenders, "writes that bypass segmodels.atomic:\n" + "\n".join(offenders)


def test_bypass_detector_catches_plain_writes():
    import ast

    code = ("open(p, 'w')\nPath(p).write_text('x')\nimage.save(path)\ntorch.save(model, path)\n"
            "np.save(path, a)\ncv2.imwrite(p, a)\nshutil.copy(a, b)\nimage.save(buffer, format='PNG')\n"
            "torch.save(payload, buffer)\nopen(p, 'rb')\n")
    assert [name for _, name in _write_calls(ast.parse(code))] == [
        "open", "write_text", "save", "save", "save", "imwrite", "copy"]


def test_bypass_detector_trusts_only_atomic_handles():
    """np.save into the handle `atomic_open` gives is the atomic writer; into any other handle it is not."""
    import ast

    code = ("with atomic_open(p, 'wb') as handle:\n    np.save(handle, a)\n"
            "with open(q, 'wb') as other:\n    np.savez(other, a=a)\n")
    assert [name for _, name in _write_calls(ast.parse(code))] == ["open", "savez"]
