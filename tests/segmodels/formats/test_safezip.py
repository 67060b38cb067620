"""Zip extraction is safe: every bad member named in its own sentence, nothing written before the
whole archive is checked, nothing outside the target folder, no unbounded expansion."""
from __future__ import annotations

import stat
import zipfile

import pytest

from segmodels.cli import main
from segmodels.errors import SegError
from segmodels.formats import safezip
from segmodels.formats.safezip import extract_zip


def _zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:  # a name or a ZipInfo (for links)
            archive.writestr(name, data)
    return path


def test_good_zip_extracts(tmp_path):
    path = _zip(tmp_path / "a.zip", [("x/y.txt", b"hi"), ("z.txt", b"there")])
    (tmp_path / "out").mkdir()
    extract_zip(path, tmp_path / "out")
    assert (tmp_path / "out" / "x" / "y.txt").read_bytes() == b"hi"


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_each_bad_member_gets_its_own_sentence_and_nothing_is_written(tmp_path):
    link = zipfile.ZipInfo("link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    path = _zip(tmp_path / "bad.zip", [("ok.txt", b"fine"), ("../evil.txt", b"x"), ("/etc/evil", b"x"),
                                        ("C:/evil.txt", b"x"), ("a\\..\\..\\evil.txt", b"x"), (link, b"/etc/passwd"),
                                        ("ok.txt", b"again")])
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(SegError) as caught:
        extract_zip(path, out)
    lines = str(caught.value).splitlines()
    assert any("'../evil.txt' steps out" in line for line in lines)
    assert any("'/etc/evil' is an absolute path" in line for line in lines)
    assert any("'C:/evil.txt' is an absolute path" in line for line in lines)
    assert any("evil.txt' steps out" in line and "\\" in line for line in lines)
    assert any("'link' is a symbolic link" in line for line in lines)
    assert any("'ok.txt' appears twice" in line for line in lines)
    assert len(lines) == 7 and lines[-1] == "Nothing was extracted."
    assert list(out.iterdir()) == []
    assert not (tmp_path / "evil.txt").exists()


def test_zip_bomb_and_total_size_refused_before_extraction(tmp_path, monkeypatch):
    path = _zip(tmp_path / "bomb.zip", [("zeros.bin", b"\0" * (4 << 20))])
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(SegError, match="more than 1000 times"):
        extract_zip(path, out)
    monkeypatch.setattr(safezip, "MAX_TOTAL_BYTES", 1000)
    small = _zip(tmp_path / "big.zip", [("a.bin", bytes(range(256)) * 8)])
    with pytest.raises(SegError, match="GiB limit"):
        extract_zip(small, out)
    assert list(out.iterdir()) == []


def test_lying_header_stops_extraction(tmp_path, monkeypatch):
    """zipfile itself reads no more than the header declares, so the CRC catches it; the byte count
    in safezip is the second line of defence."""
    path = _zip(tmp_path / "a.zip", [("a.bin", b"x" * 5000)])
    out = tmp_path / "out"
    out.mkdir()
    real_problems = safezip.zip_problems

    def shrink(archive, zip_path):
        for info in archive.infolist():  # as if the header declared fewer bytes than the data holds
            info.file_size = 100
        return real_problems(archive, zip_path)

    monkeypatch.setattr(safezip, "zip_problems", shrink)
    with pytest.raises(SegError, match="more bytes than its header declares|damaged"):
        extract_zip(path, out)


def test_not_a_zip_is_one_sentence(tmp_path, capsys):
    path = tmp_path / "a.zip"
    path.write_bytes(b"not a zip at all")
    assert main(["import", "cvat", str(path), "--out", str(tmp_path / "p")]) == 2
    err = capsys.readouterr().err
    assert "is not a readable zip file" in err and "Traceback" not in err
    assert not (tmp_path / "p").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["a.zip"]  # the staging folder is gone too
