"""`torchrun -m segmodels predict`: files shared across processes, the outputs and summary of one process."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from PIL import Image

from segmodels.cli import main as cli_main
from segmodels.inference.batch import predict_files
from segmodels.inference.sharding import own_files, predict_shard
from segmodels.training.distributed import DistContext
from support.models import demo_project, random_checkpoint
from support.torchrun import torchrun


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_two_processes_write_what_one_writes_and_rank_0_sums_up(tmp_path: Path, capsys) -> None:
    project = demo_project(tmp_path / "demo", count=9)
    (project.images_dir / "broken.png").write_bytes(b"not a png")  # one failure, on one rank
    model = random_checkpoint(tmp_path / "model.pt", project.classes, seed=1)
    common = ["predict", str(project.root), "--model", str(model), "--device", "cpu", "--num-workers", "0",
              "--batch-size", "2", "--save-confidence"]
    assert cli_main([*common, "--out", str(tmp_path / "one")]) == 1
    single = capsys.readouterr()
    done = torchrun(["-m", "segmodels", *common, "--out", str(tmp_path / "two")])
    assert done.returncode != 0, "a failed file makes every process exit 1"
    one, two = _digests(tmp_path / "one"), _digests(tmp_path / "two")
    assert len(one) == 2 * 9 and one == two  # every label and confidence map, byte for byte
    summary = single.out.strip().replace(str(tmp_path / "one"), str(tmp_path / "two"))
    assert summary == "9 of 10 images predicted into " + str(tmp_path / "two") + "; 1 failed."
    assert done.stdout.count(" images predicted into ") == 1 and summary in done.stdout  # rank 0 only
    assert done.stderr.count("skipped: ") == 1 and "broken.png" in done.stderr
    assert "process 1 of 2 (5 of the 10 images)" in done.stderr and "process 2 of 2 (5 of the 10 images)" in done.stderr


def test_shares_are_disjoint_and_cover_every_file() -> None:
    files = list(range(11))
    shares = [own_files(files, DistContext(rank, 3)) for rank in range(3)]
    assert shares[1] == [1, 4, 7, 10]
    assert sorted(sum(shares, [])) == files
    assert own_files(files, DistContext()) == files


def test_twins_in_different_shares_are_refused_as_one_process_refuses_them(tmp_path: Path) -> None:
    """`frame.png` on rank 0 and `frame.jpg` on rank 1 would write one file: both refused, same sentences."""
    project = demo_project(tmp_path / "demo", count=3)
    model = random_checkpoint(tmp_path / "model.pt", project.classes)
    twin = tmp_path / "in" / "a.jpg"
    twin.parent.mkdir()
    Image.fromarray(np.full((40, 30, 3), 90, np.uint8)).save(twin)
    paths = [twin, *(tmp_path / "in" / f"{name}.png" for name in ("a", "b", "c"))]
    for path in paths[1:]:
        Image.fromarray(np.full((40, 30, 3), 30, np.uint8)).save(path)
    options = dict(classes=project.classes, device="cpu", num_workers=0)
    single = list(predict_files(model, paths, out_dir=tmp_path / "one", **options))
    sharded = [result for rank in (0, 1)
               for result in predict_shard(model, paths, DistContext(rank, 2), out_dir=tmp_path / "one", **options)]
    assert sorted((r.index, r.ok, r.error) for r in sharded) == [(r.index, r.ok, r.error) for r in single]
    assert [r.ok for r in single] == [False, False, True, True]
    assert [r.total for r in sharded] == [4] * 4
