"""Suite-wide settings: Qt runs offscreen, and nothing may touch the user's real settings or data."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# `segstudio train` run in-process takes every usable core (segmodels/threads.py); the suite shares its cores
# with other jobs, where OpenMP threads beyond the free cores spin (docs/training.md#cpu-threads).
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest


class RecordingMessages:
    """Replaces app.messages.backend: records every message and answers questions from a script."""

    def __init__(self) -> None:
        self.shown: list[tuple[str, str]] = []
        self.answers: list = []
        self.folders: list = []   # what choose_folder answers, in order (None = cancelled)
        self.files: list = []     # what choose_file answers, in order (None = cancelled)
        self.paths: list = []     # what choose_path (File > Open…) answers, in order (None = cancelled)
        self.starts: list = []    # the folder each choose_path started in

    def error(self, parent, title, text):
        self.shown.append(("error", text))

    def warning(self, parent, title, text):
        self.shown.append(("warning", text))

    def info(self, parent, title, text):
        self.shown.append(("info", text))

    def ask(self, parent, title, text, *, cancel=False):
        from app.messages import Answer

        self.shown.append(("ask", text))
        return self.answers.pop(0) if self.answers else Answer.NO

    def choose(self, parent, title, text, options):
        """Answers with the next scripted answer: an option's text (its index is returned) or None."""
        self.shown.append(("choose", text))
        answer = self.answers.pop(0) if self.answers else None
        return options.index(answer) if answer in options else None

    def choose_folder(self, parent, title):
        self.shown.append(("folder", title))
        return self.folders.pop(0) if self.folders else None

    def choose_file(self, parent, title, filters, *, save=False, start=""):
        self.shown.append(("file", title))
        return self.files.pop(0) if self.files else None

    def choose_path(self, parent, title, *, start=""):
        self.shown.append(("path", title))
        self.starts.append(start)
        return self.paths.pop(0) if self.paths else None

    def texts(self, kind: str | None = None) -> list[str]:
        return [t for k, t in self.shown if kind is None or k == kind]


@pytest.fixture
def messages(monkeypatch):
    """Capture message boxes instead of showing them (GUI tests)."""
    import app.messages

    recorder = RecordingMessages()
    monkeypatch.setattr(app.messages, "backend", recorder)
    return recorder


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """QSettings, platformdirs data and the torch cache point into a temp folder: tests never touch
    the user's real settings, demo copy or downloaded weights."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("SEGSTUDIO_HOME", str(home / "segstudio"))
    # QSettings reads XDG_CONFIG_HOME once per process and keeps that folder, so the variable alone
    # would send every later test to the first test's settings: point it at this test's folder.
    # Without Qt (a GPU machine running only tests/segmodels) there are no QSettings to isolate.
    try:
        from PySide6.QtCore import QSettings
    except ImportError:
        return
    for settings_format in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(settings_format, QSettings.Scope.UserScope, str(home / "config"))
        QSettings.setPath(settings_format, QSettings.Scope.SystemScope, str(home / "system-config"))
