"""Tiny demo projects for the training tests (written once per session, copied per test)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from segmodels.demo import write_demo_project

torch.set_num_threads(1)  # tiny models: one thread wastes no CPU spinning on a shared machine


@pytest.fixture(scope="session")
def _tiny_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tiny") / "demo"
    write_demo_project(root, seed=3, count=16)
    return root


@pytest.fixture()
def tiny_project(_tiny_source: Path, tmp_path: Path) -> Path:
    """A fresh 16-image demo project (11 classes, every image reviewed)."""
    target = tmp_path / "project"
    shutil.copytree(_tiny_source, target)
    return target
