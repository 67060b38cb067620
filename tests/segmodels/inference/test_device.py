"""Device selection: auto picks CUDA, then MPS, then CPU, and explains the choice."""
from __future__ import annotations

import pytest
import torch

from segmodels.errors import SegError
from segmodels.inference.device import select_device


def test_cpu_is_always_available():
    device, why = select_device("cpu")
    assert device.type == "cpu" and why.startswith("CPU")


def test_auto_reports_what_it_chose():
    device, why = select_device("auto")
    if torch.cuda.is_available():
        assert device.type == "cuda" and why.startswith("CUDA: ")
    elif device.type == "mps":
        assert why.startswith("MPS")
    else:
        assert device.type == "cpu" and why == "CPU: no CUDA device found"


def test_auto_without_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr("segmodels.inference.device._mps_available", lambda: False)
    assert select_device("auto") == (torch.device("cpu"), "CPU: no CUDA device found")


def test_asking_for_missing_cuda_is_one_sentence(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(SegError, match="no usable CUDA device; use --device cpu or auto"):
        select_device("cuda")


def test_unknown_device_name():
    with pytest.raises(SegError, match="Unknown device 'gpu9'"):
        select_device("gpu9")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_names_the_gpu():
    device, why = select_device("cuda")
    assert device.type == "cuda" and torch.cuda.get_device_name(0) in why
