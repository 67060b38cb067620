"""Run a script or `-m segmodels ...` under `torchrun --nproc_per_node 2` on CPU (gloo), as a user would."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Sequence

from support import REPO


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def torchrun(arguments: Sequence[str], *, processes: int = 2, timeout: float = 180) -> subprocess.CompletedProcess:
    """`torchrun --nproc_per_node N ARGUMENTS...` (a script path, or "-m", module, ...) on the CPU, one
    thread per process (two processes share this machine's cores), from the repository root."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": "",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")]))}
    command = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={processes}",
               "--master_addr=127.0.0.1", f"--master_port={free_port()}", *arguments]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, cwd=REPO)
