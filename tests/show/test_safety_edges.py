"""Every formula trigger, and key redaction in rtmps:// URLs as platforms show them."""

from __future__ import annotations

import pytest

from seller_studio.diagnostics.redact import Redactor
from seller_studio.show.csv_safety import neutralise_cell, unneutralise_cell


@pytest.mark.parametrize("trigger", ["=", "+", "-", "@", "\t", "\r"])
def test_each_formula_trigger_is_neutralised(trigger: str) -> None:
    cell = trigger + "HYPERLINK(\"http://x\")"
    assert neutralise_cell(cell) == "'" + cell
    assert unneutralise_cell(neutralise_cell(cell)) == cell


def test_plain_cells_are_left_alone() -> None:
    assert neutralise_cell("Charizard 1st edition") == "Charizard 1st edition"


@pytest.mark.parametrize("url", [
    "rtmps://live-api-s.facebook.com:443/rtmp/FB-1234567890-0-AbCdEfGh",
    "rtmps://a.rtmps.youtube.com/live2/abcd-efgh-ijkl-mnop",
    "rtmp://a.rtmp.youtube.com/live2/abcd-efgh-ijkl-mnop",
])
def test_stream_key_path_segment_is_masked(url: str) -> None:
    key = url.rsplit("/", 1)[1]
    out = Redactor().redact(f"connecting to {url} now")
    assert key not in out and "****" in out
    assert url.rsplit("/", 1)[0] in out  # host and app stay readable for support


# --- write_csv_atomically: the file appears whole or not at all -----------------------------------

import errno  # noqa: E402
import os  # noqa: E402
from pathlib import Path  # noqa: E402

from seller_studio.common.errors import UnwritablePathError  # noqa: E402
from seller_studio.show.csv_safety import write_csv_atomically  # noqa: E402


def test_single_character_formula_cells_round_trip() -> None:
    for cell in ("=", "+", "-", "@", "'", "'x", "x'="):
        assert unneutralise_cell(neutralise_cell(cell)) == cell
    assert unneutralise_cell("'=1") == "=1" and unneutralise_cell("a'=1") == "a'=1"


def test_written_csv_has_a_bom_neutralised_cells_and_the_row_count(tmp_path: Path) -> None:
    path = tmp_path / "sales.csv"
    count = write_csv_atomically(path, ["Title", "=Note"], [["Mug", "=1+1"], ["Card", 12]])
    assert count == 2
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig") == "Title,'=Note\r\nMug,'=1+1\r\nCard,12\r\n"


def test_a_relative_path_is_written_in_the_current_directory(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert write_csv_atomically(Path("out.csv"), ["a"], [["1"]]) == 1
    assert (tmp_path / "out.csv").read_bytes().decode("utf-8-sig") == "a\r\n1\r\n"
    assert sorted(os.listdir(tmp_path)) == ["out.csv"]


def test_the_temporary_file_sits_beside_the_target_until_the_rename(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    seen: list[list[str]] = []

    def rows():
        seen.append(sorted(os.listdir(tmp_path)))
        yield ["1"]
    write_csv_atomically(path, ["a"], rows())
    [names] = seen
    assert len(names) == 1 and names[0].startswith(".out.csv.") and names[0].endswith(".tmp")
    assert sorted(os.listdir(tmp_path)) == ["out.csv"]


@pytest.mark.parametrize("failure", [OSError(errno.ENOSPC, "No space left on device"), RuntimeError("bug")])
def test_a_failure_mid_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path, failure: Exception) -> None:
    path = tmp_path / "out.csv"
    path.write_text("old\n")

    def rows():
        yield ["1"]
        raise failure
    if isinstance(failure, OSError):
        with pytest.raises(UnwritablePathError) as err:
            write_csv_atomically(path, ["a"], rows())
        assert str(err.value) == f"cannot write {path}: No space left on device"
    else:
        with pytest.raises(RuntimeError):
            write_csv_atomically(path, ["a"], rows())
    assert path.read_text() == "old\n"
    assert sorted(os.listdir(tmp_path)) == ["out.csv"]


def test_a_missing_directory_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "nope" / "out.csv"
    with pytest.raises(UnwritablePathError) as err:
        write_csv_atomically(path, ["a"], [])
    assert str(err.value) == f"cannot write {path}: No such file or directory"
