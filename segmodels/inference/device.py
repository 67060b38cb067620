"""Choosing the compute device and saying why (the GUI and CLI show the sentence to the user).

`auto` picks CUDA, then Apple MPS, then the CPU. Asking for a device that is not there is a SegError
sentence, never a silent fallback: a user who asked for the GPU must learn it is not in use.
The choices offered (`DEVICE_CHOICES`) come from the torch-free catalog; torch is imported only when
a device is actually resolved, so importing this module is light.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from segmodels.errors import SegError
from segmodels.models.catalog import DEVICE_CHOICES

if TYPE_CHECKING:
    import torch

__all__ = ["DEVICE_CHOICES", "select_device"]


def _mps_available() -> bool:
    import torch

    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def _cuda_description(device: torch.device) -> str:
    import torch

    index = device.index if device.index is not None else torch.cuda.current_device()
    return f"CUDA: {torch.cuda.get_device_name(index)}"


def select_device(name: str | torch.device | None = "auto") -> tuple[torch.device, str]:
    """Resolve `auto|cpu|cuda|cuda:N|mps` to a torch.device plus a sentence explaining the choice."""
    import torch

    text = str(name or "auto").strip().lower()
    if text == "auto":
        if torch.cuda.is_available():
            device = torch.device("cuda")
            return device, _cuda_description(device)
        if _mps_available():
            return torch.device("mps"), "MPS: Apple GPU (no CUDA device found)"
        return torch.device("cpu"), "CPU: no CUDA device found"
    try:
        device = torch.device(text)
    except RuntimeError:
        raise SegError(f"Unknown device '{name}'; use one of {', '.join(DEVICE_CHOICES)} (or cuda:N).") from None
    if device.type == "cpu":
        return device, "CPU: requested"
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise SegError(f"Device '{name}' was requested but this machine has no usable CUDA device; "
                           "use --device cpu or auto.")
        count = torch.cuda.device_count()
        if device.index is not None and device.index >= count:
            raise SegError(f"Device '{name}' was requested but only {count} CUDA device(s) exist.")
        return device, _cuda_description(device)
    if device.type == "mps":
        if not _mps_available():
            raise SegError(f"Device '{name}' was requested but Apple MPS is not available here; use cpu or auto.")
        return device, "MPS: Apple GPU"
    raise SegError(f"Device '{name}' is not supported; use one of {', '.join(DEVICE_CHOICES)}.")

