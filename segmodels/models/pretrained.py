"""ImageNet backbone weights through torchvision's weights API, without ever hanging offline.

`fetch_state_dict(weights, require=...)` returns the state_dict of a torchvision `Weights` member:
from the torch hub cache when the file is there, else by a download whose every step is bounded (a
reachability probe in a thread with a short deadline, then socket reads with a timeout). When the
weights cannot be had it emits ONE `PretrainedUnavailableWarning` and returns None (the caller keeps
its random initialisation), or raises SegError when `require` is set. `SEGSTUDIO_OFFLINE=1` skips
the network entirely (tests and air-gapped machines). Cached files are read with
`torch.load(weights_only=True)`, like checkpoints. A module that received weights records how many
(`mark_pretrained`), so a run's note can say what was loaded instead of "initialised from scratch"
(`pretrained_count`).
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import torch

from segmodels.errors import SegError, describe

log = logging.getLogger(__name__)

#: Seconds allowed to find out whether the weights server is reachable at all.
PROBE_TIMEOUT_S = 3.0
#: Seconds a single socket read of the download may stall before it is abandoned.
READ_TIMEOUT_S = 15.0


class PretrainedUnavailableWarning(UserWarning):
    """Pretrained weights were asked for but could not be had; the model is randomly initialised."""


def cache_path(weights: Any) -> Path:
    """Where torch hub keeps (or would keep) the file of a torchvision Weights member."""
    filename = os.path.basename(urlparse(weights.url).path)
    return Path(torch.hub.get_dir()) / "checkpoints" / filename


def _offline_requested() -> bool:
    return os.environ.get("SEGSTUDIO_OFFLINE", "").strip().lower() not in ("", "0", "false", "no")


def _reachable(url: str, timeout: float = PROBE_TIMEOUT_S) -> bool:
    """Whether a TCP connection to the URL's host opens within `timeout` (DNS included).

    getaddrinfo ignores socket timeouts, so the probe runs in a daemon thread that is simply
    abandoned when it overruns.
    """
    parsed = urlparse(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    result: list[bool] = []

    def probe() -> None:
        try:
            with socket.create_connection((parsed.hostname, port), timeout=timeout):
                result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=probe, name="segstudio-weights-probe", daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(result and result[0])


def _download(weights: Any, target: Path) -> None:
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(READ_TIMEOUT_S)  # urllib has no per-call timeout in torch.hub
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        torch.hub.download_url_to_file(weights.url, str(target), progress=False)
    finally:
        socket.setdefaulttimeout(previous)


#: The attribute `mark_pretrained` sets on a module that received pretrained weights.
_LOADED_ATTRIBUTE = "pretrained_tensors"


def mark_pretrained(module: torch.nn.Module, count: int) -> None:
    """Record that `count` of `module`'s tensors came from pretrained weights."""
    setattr(module, _LOADED_ATTRIBUTE, count)


def pretrained_count(model: torch.nn.Module) -> int:
    """How many of `model`'s tensors its builder loaded from pretrained weights (0: none)."""
    return sum(getattr(module, _LOADED_ATTRIBUTE, 0) for module in model.modules())


def _unavailable(what: str, reason: str, require: bool, kind: str = "ImageNet") -> None:
    message = f"Pretrained {kind} weights for {what} are not available ({reason})"
    if require:
        raise SegError(message + "; pretrained weights were required, so nothing was built.")
    warnings.warn(message + "; the backbone starts from random initialisation.", PretrainedUnavailableWarning,
                  stacklevel=3)


def fetch_state_dict(weights: Any, *, what: str, require: bool = False,
                     kind: str = "ImageNet") -> dict[str, torch.Tensor] | None:
    """The state_dict of torchvision `weights` (cached or downloaded), or None with one warning; `kind`
    names the weights in that sentence ("ImageNet", "COCO_WITH_VOC_LABELS_V1")."""
    target = cache_path(weights)
    if not target.is_file():
        if _offline_requested():
            _unavailable(what, f"no cached copy at {describe(target)} and SEGSTUDIO_OFFLINE is set", require, kind)
            return None
        if not _reachable(weights.url):
            _unavailable(what, f"no cached copy at {describe(target)} and {urlparse(weights.url).hostname} "
                               "cannot be reached", require, kind)
            return None
        try:
            log.info("downloading %s to %s", weights.url, target)
            _download(weights, target)
        except (OSError, RuntimeError) as exc:
            _unavailable(what, f"the download failed: {exc}", require, kind)
            return None
    try:
        state = torch.load(target, map_location="cpu", weights_only=True)
    except Exception as exc:  # a damaged cache file must not stop the user: say so and go on
        _unavailable(what, f"the cached file {describe(target)} is unreadable ({type(exc).__name__})", require, kind)
        return None
    if not isinstance(state, dict):
        _unavailable(what, f"the cached file {describe(target)} holds no state_dict", require, kind)
        return None
    return state


def load_into(module: torch.nn.Module, state: dict[str, torch.Tensor] | None, *, what: str,
              require: bool = False, prefix: str = "", allowed_missing: tuple[str, ...] = ()) -> bool:
    """Copy `state` (keys optionally stripped of `prefix`) into `module`; True when loaded.

    Keys in `module` that the state lacks are an error unless they start with one of `allowed_missing`
    (e.g. a classifier replaced by a segmentation head); extra keys in `state` are ignored.
    """
    if state is None:
        return False
    if prefix:
        state = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    own = module.state_dict()
    usable = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    # Old torchvision files predate BatchNorm's num_batches_tracked counter; it is not a weight.
    missing = [k for k in own if k not in usable and not k.startswith(allowed_missing)
               and not k.endswith("num_batches_tracked")]
    if missing:
        _unavailable(what, f"the weights do not fit the backbone (e.g. {missing[0]})", require)
        return False
    module.load_state_dict(usable, strict=False)
    mark_pretrained(module, len(usable))
    return True
