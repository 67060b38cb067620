"""Fixtures for the reliability suite: the generated bad-input corpus and message checks."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # `import corpus` from the tests here

import corpus  # noqa: E402


@pytest.fixture(scope="session")
def corpus_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("corpus") / corpus.ODD_FOLDER


@pytest.fixture(scope="session")
def image_cases(corpus_root) -> list[corpus.Case]:
    return corpus.image_cases(corpus_root / "images")
