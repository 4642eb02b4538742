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
