"""Hardware encoder fallback: an encoder that opens but cannot encode must not be chosen.

This machine has no GPU, and h264_nvenc / h264_qsv already fail to *open* here, so the tests make
nvenc open (a stand-in for hardware the user may have) and let the real probe or a failing one run.
"""

from __future__ import annotations

import av
import pytest

from seller_studio.media.encoders import h264
from seller_studio.media.encoders.base import VideoSettings, template_container


@pytest.fixture
def nvenc_opens(monkeypatch: pytest.MonkeyPatch) -> None:
    if "h264_nvenc" not in av.codecs_available:
        pytest.fail("this FFmpeg build has no h264_nvenc; the fallback tests need its codec entry")
    real_open = h264.H264Encoder.open

    def fake_open(self: h264.H264Encoder) -> None:
        if self.kind != "nvenc":
            real_open(self)
    monkeypatch.setattr(h264.H264Encoder, "open", fake_open)


def test_an_encoder_that_opens_but_cannot_encode_falls_back_to_x264(nvenc_opens: None) -> None:
    encoder = h264.open_h264(template_container(), VideoSettings(width=320, height=240, encoder="nvenc"))
    assert encoder.kind == "x264" and encoder.codec_name == "libx264"


@pytest.mark.parametrize("error", [OSError("device lost"), ValueError("bad surface")])
def test_a_probe_failing_with_a_non_ffmpeg_error_falls_back(nvenc_opens: None, monkeypatch: pytest.MonkeyPatch,
                                                           error: Exception) -> None:
    real_probe = h264.H264Encoder.probe

    def failing_probe(self: h264.H264Encoder) -> None:
        if self.kind == "nvenc":
            raise error
        real_probe(self)
    monkeypatch.setattr(h264.H264Encoder, "probe", failing_probe)
    encoder = h264.open_h264(template_container(), VideoSettings(width=320, height=240, encoder="nvenc"))
    assert encoder.kind == "x264"
    assert h264.available_h264_encoders()["nvenc"].startswith("fails:")


def test_hardware_encoders_do_not_open_on_this_machine() -> None:
    """What the module docstring claims: without the hardware, nvenc/qsv fail (here already at open)."""
    report = h264.available_h264_encoders()
    assert report["x264"] == "ok"
    for kind in ("nvenc", "qsv"):
        assert report[kind] != "ok"
